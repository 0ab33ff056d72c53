"""A database deleted, renamed away or replaced (`mv other.db cursors.db`)
under a running node: the next flush fails loudly (cursorctl exits non-zero
with the storage error, the node logs it, flush_errors and degraded are
exported), the changes stay dirty, and nothing is acknowledged that is not in
the file the node was started on. The shutdown's final flush fails the same
way: exit code 3, naming what was not persisted."""

import json
import os
import signal
import shutil

from harness import check, main, read_rows
from ops import make_db

MOVED = "deleted, moved or replaced"


def stats(env, port):
    return json.loads(env.ctl_ok(port, "stats", "--json"))


def case(env, name, disturb, path_rows):
    """Starts a node on its own database, commits one cursor, disturbs the
    file with `disturb(db)`, then checks the next flush fails."""
    db = env.path(f"{name}.db")
    node = env.node("--cursor.flush-interval=0s", db=f"{name}.db", name=name)
    node.wait_listening()
    env.ctl_ok(node.port, "set", "uk.node.leeds-2", "1-0")
    env.ctl_ok(node.port, "flush")
    disturb(db)
    env.ctl_ok(node.port, "set", "uk.node.leeds-2", "2-0")
    code, out, err, _ = env.ctl(node.port, "flush")
    check(code != 0, f"{name}: the flush was acknowledged: {out!r}")
    check(MOVED in err, f"{name}: the error does not say why: {err!r}")
    node.wait_for(f"failed.*{MOVED}")
    if path_rows is not None:
        # The node's -wal keeps the path's name: the failed flush emptied it,
        # so a reader of the new file sees the new file, not our pages.
        rows = read_rows(db)
        check(rows == path_rows, f"{name}: while the node runs the file at "
              f"the path reads as {rows}, expected {path_rows}")
    s = stats(env, node.port)
    check(s["degraded"], f"{name}: stats not degraded: {s}")
    check(s["dirty"] == 1, f"{name}: the change is not dirty any more: {s}")
    check(s["flush_errors"] >= 1, f"{name}: flush_errors {s['flush_errors']}")
    prom = env.ctl_ok(node.port, "stats", "--prometheus")
    check("replication_cursor_degraded 1" in prom, f"{name}: metric {prom!r}")
    check("replication_cursor_flush_errors_total 1" in prom,
          f"{name}: flush error metric: {prom!r}")
    code, _, _, _ = env.ctl(node.port, "health")
    check(code == 3, f"{name}: health exit {code}, expected 3 (degraded)")
    # The shutdown's final flush fails the same way: not a clean exit.
    node.signal(signal.SIGTERM)
    code = node.wait_exit()
    check(code == 3, f"{name}: exit code {code}, expected 3 (final flush failed)")
    node.wait_for("not persisted: 'uk.node.leeds-2' = 2-0")
    if path_rows is not None:
        rows = read_rows(db) if os.path.exists(db) else {}
        check(rows == path_rows, f"{name}: the file at the path holds {rows}, "
              f"expected {path_rows}")


def scenario(env):
    def delete(db):
        os.remove(db)

    def rename_away(db):
        os.rename(db, db + ".old")

    def replace(db):
        other = db + ".new"
        make_db(other, {"de.node.berlin-1": "9-0"})
        os.rename(other, db)

    def copy_back(db):
        # A restore by copy: same name, new inode, old content.
        shutil.copy(db, db + ".bak")
        os.rename(db + ".bak", db)

    case(env, "deleted", delete, None)
    case(env, "renamed", rename_away, None)
    case(env, "replaced", replace, {"de.node.berlin-1": "9-0"})
    case(env, "copied", copy_back, None)


if __name__ == "__main__":
    main(scenario, "db_moved")
