"""Every file the node (and the tailer) writes is checked at start-up: the
database, its -wal/-shm/-journal, the lock file and the metrics file must be
distinct real files, whatever symbolic links, hard links or `..` reach them.
A clash is refused with one line naming both options, before anything is
written. The lock file is never opened through a symbolic link, nor emptied
when it is someone else's file; the metrics file's temporary file has an
unpredictable name and is created exclusively, so a link planted at the old
predictable name `<metrics>.tmp.<pid>` is never written through."""

import os

from harness import check, main, wait_for_file
from ops import make_db, read_bytes, run_refused

PEER = '{id="uk.node.leeds-2", source="127.0.0.1:1", stream="events"}'


def scenario(env):
    db = env.path("cursors.db")
    make_db(db, {"uk.node.leeds-2": "5-0"})
    before = read_bytes(db)
    os.mkdir(env.path("sub"))

    def node_refused(name, *args, contains=()):
        argv = [f"--cursor.db-path={db}", "--node.port=0"] + list(args)
        run_refused(env, env.args.node, argv, 1, ["invalid configuration"]
                    + list(contains), name)
        check(read_bytes(db) == before, f"{name}: the database changed")
        check(not os.path.exists(db + "-wal"), f"{name}: a -wal was created")

    # The metrics file on the database, its WAL, its shm, the lock file.
    node_refused("metrics on db", f"--node.metrics-file={db}",
                 contains=["node.metrics-file", "cursor.db-path"])
    node_refused("metrics on wal", f"--node.metrics-file={db}-wal",
                 contains=["node.metrics-file", "WAL file", "cursor.db-path"])
    node_refused("metrics on shm", f"--node.metrics-file={db}-shm",
                 contains=["node.metrics-file", "-shm"])
    node_refused("metrics on lock", f"--node.metrics-file={db}.lock",
                 contains=["node.metrics-file", "node.lock-file"])
    # The lock file on the database or its WAL.
    node_refused("lock on db", f"--node.lock-file={db}",
                 contains=["node.lock-file", "cursor.db-path"])
    node_refused("lock on wal", f"--node.lock-file={db}-wal",
                 contains=["node.lock-file", "WAL file"])
    node_refused("lock on journal", f"--node.lock-file={db}-journal",
                 contains=["node.lock-file", "journal"])
    # Other names of the same file: `..`, a symbolic link, a hard link.
    node_refused("metrics via ..", f"--node.metrics-file={env.path('sub')}/../cursors.db",
                 contains=["node.metrics-file", "cursor.db-path"])
    os.symlink(db, env.path("alias.prom"))
    node_refused("metrics via symlink", f"--node.metrics-file={env.path('alias.prom')}",
                 contains=["node.metrics-file", "cursor.db-path"])
    os.link(db, env.path("hard.lock"))
    node_refused("lock via hard link", f"--node.lock-file={env.path('hard.lock')}",
                 contains=["node.lock-file", "hard links to the same file"])
    os.symlink(env.path("sub"), env.path("subdir-link"))
    node_refused("metrics via linked dir",
                 f"--node.metrics-file={env.path('subdir-link')}/../cursors.db.lock",
                 contains=["node.metrics-file"])

    # A lock file planted as a link to someone's file: refused, file intact.
    victim = env.path("victim.txt")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.symlink(victim, env.path("planted.lock"))
    run_refused(env, env.args.node,
                [f"--cursor.db-path={db}", "--node.port=0",
                 f"--node.lock-file={env.path('planted.lock')}"], 2,
                ["symbolic link"], "lock is a symlink")
    os.link(victim, env.path("linked.lock"))
    run_refused(env, env.args.node,
                [f"--cursor.db-path={db}", "--node.port=0",
                 f"--node.lock-file={env.path('linked.lock')}"], 2,
                ["hard links"], "lock has another link")
    foreign = env.path("foreign.lock")
    with open(foreign, "w") as f:
        f.write("someone else's\n")
    os.chown(foreign, 65534, 65534)
    run_refused(env, env.args.node,
                [f"--cursor.db-path={db}", "--node.port=0",
                 f"--node.lock-file={foreign}"], 2,
                ["belongs to uid 65534"], "lock of another user")
    with open(victim) as f:
        check(f.read() == "precious\n", "the victim file was changed")
    with open(foreign) as f:
        check(f.read() == "someone else's\n", "another user's file was emptied")
    check(read_bytes(db) == before, "the database changed")

    # The metrics temp file: a link planted at the old predictable name is
    # not followed; the temporary file is not left behind.
    prom = env.path("cursor.prom")
    node = env.node(f"--node.metrics-file={prom}",
                    "--node.metrics-interval=100ms", db="cursors.db")
    node.wait_listening()
    os.symlink(victim, f"{prom}.tmp.{node.pid}")
    wait_for_file(prom, lambda t: "replication_cursor_flushes_total" in t)
    first = os.stat(prom).st_mtime_ns
    # Two more rewrites at least (bounded: metrics every 100 ms).
    wait_for_file(prom, lambda t: os.stat(prom).st_mtime_ns != first)
    with open(victim) as f:
        check(f.read() == "precious\n",
              "the metrics temp file was written through a planted link")
    check(not os.path.islink(prom), "the metrics file became a link")
    node.signal(15)
    check(node.wait_exit() == 0, "node stops cleanly")
    leftovers = [n for n in os.listdir(env.dir) if n.startswith(".cursor.prom.")]
    check(leftovers == [], f"temporary metrics files left: {leftovers}")

    # The tailer shares the checks (app/common/file_guard).
    if env.args.tailer:
        peers = f"--tailer.peers=[{PEER}]"
        tdb = env.path("t.db")

        def tailer_refused(name, *args, contains=()):
            run_refused(env, env.args.tailer,
                        [peers, f"--cursor.db-path={tdb}"] + list(args), 1,
                        ["invalid configuration"] + list(contains), name)
            check(not os.path.exists(tdb), f"{name}: created the database")

        tailer_refused("tailer metrics on db", f"--tailer.metrics-file={tdb}",
                       contains=["tailer.metrics-file", "cursor.db-path"])
        tailer_refused("tailer lock on wal", f"--tailer.lock-file={tdb}-wal",
                       contains=["tailer.lock-file", "WAL file"])
        tailer_refused("tailer metrics on lock",
                       f"--tailer.metrics-file={tdb}.lock",
                       contains=["tailer.metrics-file", "tailer.lock-file"])


if __name__ == "__main__":
    main(scenario, "file_clash")
