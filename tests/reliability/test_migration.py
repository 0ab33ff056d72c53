"""Schema migration under SIGKILL. A large v1 file (and a Rust-written one,
user_version 0) is migrated to v2 by a real cursor_node at start-up; the
node is killed with SIGKILL at several points of the migration: when it
starts, after each progress line (every 100k rows), once the copy is done
and the old table is being replaced, right after the commit, and at a few
random moments. After every kill the file is either still the old one or
already the new one (never neither), with every row intact, and a normal
open (the next node) restores every cursor; after that clean stop the file
is v2 with every row, stream ID and updated_at identical.

By hand: test_migration.py --node ... --rows 1000000"""

import os
import random
import shutil
import signal
import sqlite3

from rharness import check, integrity, main

DDL_V1 = ("CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id TEXT "
          "NOT NULL, updated_at INTEGER NOT NULL)")


def add_args(p):
    # 120,000: one progress line (every 100k rows) to kill after, and a copy
    # long enough for the random kills, in a fraction of CI's time budget.
    p.add_argument("--rows", type=int, default=120000)
    p.add_argument("--random-kills", type=int, default=2)
    p.add_argument("--seed", type=int, default=None)


def make_file(path, rows, rng, version):
    """A WAL file in the Rust store's layout, rows inserted in random order
    with host-like peer IDs; returns peer -> (stream_id, updated_at)."""
    prefixes = ["uk.node.", "eu-west-1.replica.", "us-east-2.edge.",
                "ap-southeast-1.core.", "de.prod.", "in.dc2."]
    expected = {}
    order = list(range(rows))
    rng.shuffle(order)
    for i in order:
        peer = (prefixes[i % len(prefixes)] + f"host-{i:07d}"
                + (".example.net" if i % 3 == 0 else ""))
        expected[peer] = (f"{1700000000000 + rng.randrange(10**9)}-"
                          f"{rng.randrange(10)}",
                          1700000000000 + rng.randrange(10**8))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(DDL_V1)
    with conn:
        conn.executemany("INSERT INTO cursors VALUES (?, ?, ?)",
                         ((p, s, u) for p, (s, u) in expected.items()))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return expected


def state(db):
    """(user_version, clustered, rows) read with SQLite itself."""
    conn = sqlite3.connect(db)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = "
                           "'cursors'").fetchone()[0]
        extra = conn.execute("SELECT count(*) FROM sqlite_master WHERE name "
                             "= 'cursors_v2'").fetchone()[0]
        check(extra == 0, "a half-migrated table is visible")
        rows = {p: (s, u) for p, s, u in conn.execute(
            "SELECT peer_id, stream_id, updated_at FROM cursors")}
        return version, "WITHOUT ROWID" in sql, rows
    finally:
        conn.close()


def check_intact(db, expected, old_version, what):
    check(integrity(db) == "ok", f"{what}: integrity_check failed")
    version, clustered, rows = state(db)
    check((version, clustered) in ((old_version, False), (2, True)),
          f"{what}: neither the old file nor the new one: version {version}, "
          f"clustered {clustered}")
    check(len(rows) == len(expected), f"{what}: {len(rows)} rows, expected "
          f"{len(expected)}")
    check(rows == expected, f"{what}: some row changed")
    return version


def normal_open(env, db, expected, what):
    node = env.node(db=os.path.basename(db), name="reopen").wait_listening(
        timeout=300)
    check(node.restored == len(expected),
          f"{what}: {node.restored} cursors restored, expected {len(expected)}")
    node.signal(signal.SIGTERM)
    check(node.wait_exit(120) == 0, f"{what}: the node did not stop cleanly")
    version, clustered, rows = state(db)
    check(version == 2 and clustered, f"{what}: not v2 after a normal open")
    check(rows == expected, f"{what}: rows differ after the normal open")


def kill_at(env, db, pattern, delay_s=None):
    """Starts a node on `db`, kills it with SIGKILL when a line matching
    `pattern` appears (or after `delay_s`); returns whether it was still
    running when killed."""
    node = env.node(db=os.path.basename(db), name="migrate")
    if pattern is not None:
        node.wait_for(pattern, timeout=120)
    else:
        try:
            node.proc.wait(delay_s)
        except Exception:
            pass
    alive = node.proc.poll() is None
    node.signal(signal.SIGKILL)
    node.wait_exit(30)
    return alive


def scenario(env):
    args = env.args
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"seed {seed}, {args.rows} rows", flush=True)
    points = [r"schema migration: .* from version \d+ to 2"]
    for k in range(1, args.rows // 100000 + 1):
        points.append(rf"schema migration: copied {k * 100000} of")
    points += [r"schema migration: copied \d+ rows; replacing",
               r"schema migration: .* is at version 2"]
    kills = 0
    for old_version in (1, 0):
        pristine = env.path(f"pristine-v{old_version}.db")
        expected = make_file(pristine, args.rows, rng, old_version)
        cases = [(p, None) for p in points]
        if old_version == 0:
            cases = cases[:1] + cases[-2:]  # the Rust file: fewer, same kinds
        cases += [(None, rng.uniform(0.05, 2.0))
                  for _ in range(args.random_kills)]
        for pattern, delay in cases:
            what = (f"v{old_version}, kill at {pattern!r}" if pattern else
                    f"v{old_version}, kill after {delay:.2f}s")
            db = env.path("cursors.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            shutil.copy(pristine, db)
            alive = kill_at(env, db, pattern, delay)
            kills += alive
            version = check_intact(db, expected, old_version, what)
            print(f"[{what}] killed {'running' if alive else 'after exit'}; "
                  f"the file is {'new' if version == 2 else 'old'}",
                  flush=True)
            normal_open(env, db, expected, what)
    check(kills >= len(points), f"only {kills} kills hit a running node")
    print(f"{kills} kills during migrations, every row intact", flush=True)


if __name__ == "__main__":
    main(scenario, "migration", add_args)
