# Bare-loop tuning of the v2 table: page_size x cache_size x mmap_size.
# Python's sqlite3 (system libsqlite3 3.40); a flush = one transaction of
# sorted upserts through executemany (one cached statement).
import sqlite3, random, time, os, statistics, sys
ROWS = int(sys.argv[1]); D = sys.argv[3] if len(sys.argv) > 3 else '/tmp/i11/tune'
rng = random.Random(42)
peers = sorted(f"{rng.choice(['uk','eu-west-1','us-east-2','ap-southeast-1','de'])}.{rng.choice(['node','replica','edge'])}.host-{i}{rng.choice(['','.example.net','.svc.cluster.local'])}" for i in range(ROWS))
UP = ("INSERT INTO cursors VALUES (?,?,?) ON CONFLICT(peer_id) DO UPDATE SET "
      "stream_id=excluded.stream_id, updated_at=excluded.updated_at")
def prefill(ps):
    path = f"{D}/t{ps}.db"
    for s in ('', '-wal', '-shm'):
        if os.path.exists(path + s): os.remove(path + s)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute(f"PRAGMA page_size={ps}"); c.execute("PRAGMA journal_mode=WAL")
    c.execute("CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID")
    order = list(range(ROWS)); rng.shuffle(order)
    c.execute("BEGIN"); c.executemany(UP, ((peers[i], f"{1700000000000+i}-0", 1) for i in order)); c.execute("COMMIT")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()
    return path
variants = []
for ps in (4096, 8192, 16384):
    path = prefill(ps)
    print(ps, os.path.getsize(path) / 1048576, 'MiB', flush=True)
    for cache in (-2000, -16384, -65536):
        variants.append((ps, cache, 0, path))
    variants.append((ps, -2000, 268435456, path))
conns = {}
for v in variants:
    ps, cache, mm, path = v
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=NORMAL")
    c.execute("PRAGMA wal_autocheckpoint=0")
    c.execute(f"PRAGMA cache_size={cache}"); c.execute(f"PRAGMA mmap_size={mm}")
    conns[v] = c
res = {v: [] for v in variants}
ver = 1800000000000
for r in range(int(sys.argv[2])):
    for v in rng.sample(variants, len(variants)):
        idx = sorted(rng.sample(range(ROWS), 10000)); ver += 1
        c = conns[v]
        t0 = time.perf_counter()
        c.execute("BEGIN IMMEDIATE")
        c.executemany(UP, ((peers[i], f"{ver}-{i}", 2) for i in idx))
        c.execute("COMMIT")
        res[v].append((time.perf_counter() - t0) * 1e3)
        if r % 4 == 3: c.execute("PRAGMA wal_checkpoint(PASSIVE)")
for v in variants:
    print(f"page_size={v[0]} cache_size={v[1]} mmap={v[2]}: flush 10k median {statistics.median(res[v]):.1f} ms (min {min(res[v]):.1f}, runs {len(res[v])})")
