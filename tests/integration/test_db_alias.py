"""The lock protects the database file itself, not a name: a second node that
reaches the same database through a symbolic link, a hard link, `..` or a
lock file of its own is refused and names the first node's pid; a `file:`
URI in db-path (Debian's SQLite reads it as a URI even without the URI flag,
so it could reach the database under a name the lock never sees) is refused
as a configuration error. The first node keeps serving; its cursors stay."""

import os
import signal

from harness import check, main, read_rows
from ops import run_refused


def scenario(env):
    db = env.path("cursors.db")
    first = env.node(name="first").wait_listening()
    env.ctl_ok(first.port, "set", "uk.node.leeds-2", "5-0")
    env.ctl_ok(first.port, "flush")

    os.symlink(db, env.path("alias.db"))
    os.link(db, env.path("hard.db"))
    os.mkdir(env.path("sub"))
    aliases = [
        ("symlink alias", env.path("alias.db")),
        ("hard link", env.path("hard.db")),
        ("dot-dot path", env.path("sub", "..", "cursors.db")),
    ]
    for name, path in aliases:
        # Its own lock file, as a second node configured for "another"
        # database would have.
        line = run_refused(env, env.args.node,
                           [f"--cursor.db-path={path}", "--node.port=0",
                            f"--node.lock-file={env.path(name.replace(' ', '_'))}.lock"],
                           2, ["held by another cursor node"], name)
        check(f"pid {first.pid}" in line, f"{name}: the refusal does not name "
              f"pid {first.pid}: {line!r}")
    # The same path with another lock file: the file lock refuses it too.
    run_refused(env, env.args.node,
                [f"--cursor.db-path={db}", "--node.port=0",
                 f"--node.lock-file={env.path('other.lock')}"], 2,
                [f"pid {first.pid}"], "other lock file")
    # A SQLite URI naming the same file.
    for uri in (f"file:{db}", f"file:{db}?mode=rw", "file:cursors.db"):
        run_refused(env, env.args.node,
                    [f"--cursor.db-path={uri}", "--node.port=0"], 1,
                    ["cursor.db-path", "URI"], f"uri {uri}")

    env.ctl_ok(first.port, "set", "uk.node.leeds-2", "6-0")
    first.signal(signal.SIGTERM)
    check(first.wait_exit() == 0, "the first node stops cleanly")
    check(read_rows(db) == {"uk.node.leeds-2": "6-0"},
          f"the cursor regressed or was lost: {read_rows(db)}")
    # Once the holder is gone, the alias works (same file, same cursors).
    second = env.node(db="alias.db", name="second").wait_listening()
    check(second.restored == 1, f"restored {second.restored}, expected 1")
    second.signal(signal.SIGTERM)
    check(second.wait_exit() == 0, "the second node stops cleanly")


if __name__ == "__main__":
    main(scenario, "db_alias")
