"""Full and failing storage. On a small tmpfs mounted for the test: a full
disk while the node runs makes the flush fail with the storage error; nothing
in memory is lost; the store recovers by itself (its flush timer) once space
returns. A read-only file system is refused at start-up with a clear error
and works again once writable (a running node keeps its open descriptors, see
read_only()). Without any mount: a
database capped by max-page-count fails the same way and a shutdown whose
final flush fails exits non-zero naming what was not persisted; a file
replaced by garbage, a -wal without its -shm, and a missing directory at
start-up give a clear error or a correct recovery, never a silent reset to
empty."""

import json
import os
import signal
import subprocess

from rharness import check, integrity, main
import harness


def stats(env, port):
    return json.loads(env.ctl_ok(port, "stats", "--json"))


def wait_recovered(env, port):
    """The event: stats say healthy and nothing dirty (a generous bound: each
    poll is a cursorctl round trip, slow under ASan on a busy machine)."""
    def recovered():
        s = stats(env, port)
        return s if not s["degraded"] and s["dirty"] == 0 else None
    return harness.wait_until(recovered, 120,
                              "the store did not recover by itself")


def remount(mnt, mode):
    subprocess.run(["mount", "-o", f"remount,{mode}", mnt], check=True)


def set_many(env, port, prefix, count, width=150):
    """Sets `count` cursors in one cursorctl run (`import --no-flush`: the
    batched set, no flush), not one process per cursor: a process start
    under ASan on a loaded machine costs ~0.4 s."""
    path = env.path(f"{prefix}.jsonl")
    with open(path, "w") as f:
        for i in range(count):
            peer = f"{prefix}-{i:04d}-" + "x" * width
            f.write(json.dumps({"peer": peer, "stream_id": f"{i + 1}-0"}) + "\n")
    env.ctl_ok(port, "import", path, "--no-flush")


def full_disk(env, mnt):
    db = os.path.join(mnt, "cursors.db")
    node = env.node("--cursor.flush-interval=100ms", f"--cursor.db-path={db}",
                    "--node.port=0", defaults=False,
                    name="full").wait_listening()
    p = node.port
    set_many(env, p, "early", 20)
    env.ctl_ok(p, "flush")
    # Fill what is left of the file system.
    filler = os.path.join(mnt, "filler")
    try:
        with open(filler, "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass  # ENOSPC: the file system is full
    set_many(env, p, "late", 60)
    code, out, err, _ = env.ctl(p, "flush")
    check(code == 3, f"flush on a full disk exits 3, got {code}: {err!r}")
    check("full" in err or "I/O" in err, f"the error names the cause: {err!r}")
    s = stats(env, p)
    check(s["degraded"], "degraded while the disk is full")
    check(s["entries"] == 80, "nothing in memory is lost")
    check(env.ctl_ok(p, "get", "late-0059-" + "x" * 150) == "60-0\n",
          "the unflushed value is still served")
    os.remove(filler)
    wait_recovered(env, p)
    rows = harness.read_rows(db)
    check(len(rows) == 80, f"80 rows on disk after recovery, got {len(rows)}")
    check(integrity(db) == "ok", "integrity after a full disk")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "clean stop")


def read_only(env, mnt):
    """Linux checks write permission when a file is opened: a running node
    keeps writing through its open descriptors after a chmod or a remount
    (which the kernel refuses while files are open for writing anyway). So
    read-only storage is met at start-up: refused with a clear error, file
    untouched; and the node works again once the storage is writable."""
    db = os.path.join(mnt, "ro.db")
    node = env.node("--cursor.flush-interval=100ms", f"--cursor.db-path={db}",
                    "--node.port=0", defaults=False,
                    name="ro1").wait_listening()
    env.ctl_ok(node.port, "set", "peer-a", "1-0")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "clean stop")
    with open(db, "rb") as f:
        before = f.read()
    remount(mnt, "ro")
    try:
        node = env.node(f"--cursor.db-path={db}", "--node.port=0",
                        defaults=False, name="ro2")
        code = node.wait_exit()
        out = node.output()
        check(code != 0, "a read-only database is refused")
        low = out.lower()
        check("read-only" in low or "read_only" in low or "readonly" in low,
              f"the error says read-only: {out[-400:]!r}")
        with open(db, "rb") as f:
            check(f.read() == before, "the file is untouched")
    finally:
        remount(mnt, "rw")
    node = env.node(f"--cursor.db-path={db}", "--node.port=0", defaults=False,
                    name="ro3").wait_listening()
    check(node.restored == 1, "the cursor is there once writable again")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "clean stop")


def page_cap_and_failed_shutdown(env):
    node = env.node("--cursor.flush-interval=0s", "--cursor.max-page-count=12",
                    db="capped.db", name="capped").wait_listening()
    p = node.port
    env.ctl_ok(p, "set", "small", "1-0")
    env.ctl_ok(p, "flush")
    # 300 rows of ~215 bytes need ~17 leaf pages of the v2 table (one
    # B-tree, each key stored once): more than the 12 the cap allows.
    set_many(env, p, "big", 300, width=200)
    code, out, err, _ = env.ctl(p, "flush")
    check(code == 3, f"flush over the page cap exits 3, got {code}: {err!r}")
    check(stats(env, p)["entries"] == 301, "memory intact")
    node.signal(signal.SIGTERM)
    code = node.wait_exit()
    check(code != 0, "a shutdown whose final flush failed exits non-zero")
    text = node.output()
    check("NOT persisted" in text or "not persisted" in text,
          "the log says what was not persisted")
    check(harness.read_rows(env.path("capped.db")) == {"small": "1-0"},
          "the committed row is intact")


def garbage_file(env):
    path = env.path("garbage.db")
    data = os.urandom(64 * 1024)
    with open(path, "wb") as f:
        f.write(data)
    node = env.node(db="garbage.db", name="garbage")
    code = node.wait_exit()
    check(code != 0, "refuses a file that is not a database")
    check("not a database" in node.output() or "not_a_database"
          in node.output(), "says why")
    with open(path, "rb") as f:
        check(f.read() == data, "the file is left byte-identical")


def wal_without_shm(env):
    node = env.node("--cursor.flush-interval=0s", db="wal.db",
                    name="wal1").wait_listening()
    for i in range(10):
        env.ctl_ok(node.port, "set", f"peer-{i}", f"{i + 1}-0")
    env.ctl_ok(node.port, "flush")
    node.proc.kill()
    node.wait_exit()
    wal = env.path("wal.db-wal")
    check(os.path.getsize(wal) > 0, "the commit is in the WAL")
    os.remove(env.path("wal.db-shm"))
    again = env.node(db="wal.db", name="wal2").wait_listening()
    check(again.restored == 10, f"restored {again.restored}, expected 10")
    again.signal(signal.SIGTERM)
    check(again.wait_exit() == 0, "clean stop")


def missing_directory(env):
    db = env.path("gone", "deeper", "cursors.db")
    node = env.node(f"--cursor.db-path={db}", "--node.port=0",
                    defaults=False, name="missing")
    # Either a clear refusal or a start that says out loud that it created
    # the directory and starts empty.
    try:
        node.wait_listening()
    except harness.TestFailure:
        check(node.wait_exit() != 0, "refused with a non-zero exit")
        check("gone" in node.output(), "the error names the path")
        return
    out = node.output()
    check("created" in out and "empty" in out,
          f"a created directory is announced: {out[-500:]!r}")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "clean stop")


def scenario(env):
    garbage_file(env)
    wal_without_shm(env)
    missing_directory(env)
    page_cap_and_failed_shutdown(env)
    mnt = harness.mount_tmpfs(env, "1m", "tmpfs cases")
    if mnt is not None:
        full_disk(env, mnt)
        read_only(env, mnt)


if __name__ == "__main__":
    main(scenario, "storage")
