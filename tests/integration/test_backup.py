"""`cursorctl backup NAME` and `node.backup-dir`.

- with node.backup-dir set, `backup NAME` writes NAME there: a consistent
  copy holding every cursor, the dirty ones too (the store commits them
  first); a second node started on the copy restores and reads every cursor;
  the copy is one self-contained file (no -wal/-journal left);
- names are never paths: '/', '..', a leading '.', an overlong name are
  refused (by cursorctl before connecting, and by the node's front when a
  client sends them anyway: the peer client does), nothing is written
  outside or inside the directory;
- an existing name is refused and the file left untouched, also when it is
  a symlink (its target untouched);
- without node.backup-dir a backup is refused with a clear error;
- a backup-dir that does not exist or is a file keeps the node from
  starting (exit 1);
- with backup-dir = the database's directory (also through a symlinked
  directory), in WAL and in rollback-journal mode, a backup named like the
  database, its -wal, -shm, -journal, the lock file or the metrics file is
  refused (`invalid_backup_name`, exit 1), nothing is written, and the
  database restarts with every cursor (issue 17: `c.db-journal` was deleted
  as a hot journal at the next start, `c.db-wal` adopted as the WAL).

Every wait is bounded; nothing sleeps to synchronise."""

import json
import os
import shutil
import signal

from harness import check, main, one_line_error, read_rows


def positions(env, port):
    return {x["peer"]: x["stream_id"]
            for x in json.loads(env.ctl_ok(port, "list", "--json"))}


def refused(env, port, args, needle, code=1):
    got, out, err, _ = env.ctl(port, *args)
    check(got == code, f"{args}: exit {got}, expected {code} ({err!r})")
    check(out == "", f"{args}: stdout {out!r}")
    line = one_line_error(err, " ".join(args))
    check(needle in line, f"{args}: {needle!r} not in {line!r}")


def scenario(env):
    backups = env.path("backups")
    os.mkdir(backups)
    node = env.node("--cursor.flush-interval=0s",
                    f"--node.backup-dir={backups}/").wait_listening()
    p = node.port
    node.wait_for(f"backups .* go to '{backups}'")
    want = {f"host-{i:03d}.example": f"{1000 + i}-{i % 3}" for i in range(300)}
    for peer, sid in list(want.items())[:3]:
        env.ctl_ok(p, "set", peer, sid)
    lines = "".join(json.dumps({"peer": k, "stream_id": v}) + "\n"
                    for k, v in want.items())
    with open(env.path("all.jsonl"), "w") as f:
        f.write(lines)
    env.ctl_ok(p, "import", env.path("all.jsonl"), "--no-flush")
    dirty = [x for x in json.loads(env.ctl_ok(p, "list", "--json"))
             if not x["durable"]]
    check(len(dirty) == 300, f"300 cursors dirty before the backup: {len(dirty)}")

    out = env.ctl_ok(p, "backup", "nightly-1.db")
    check(out == "backup 'nightly-1.db' written: 300 cursors (in the node's "
                 "backup directory)\n", f"backup: {out!r}")
    copy = os.path.join(backups, "nightly-1.db")
    check(read_rows(copy) == want, "the copy holds every cursor, dirty ones too")
    check(sorted(os.listdir(backups)) == ["nightly-1.db"],
          f"one self-contained file: {os.listdir(backups)}")
    with open(copy, "rb") as f:
        header = f.read(100)
    check(header[18:20] == b"\x01\x01", f"rollback-journal header: {header[18:20]!r}")

    # A second node opens (a copy of) the backup as its store and reads
    # every cursor: that is how a backup is restored.
    shutil.copyfile(copy, env.path("restored.db"))
    second = env.node("--cursor.flush-interval=0s", db="restored.db",
                      name="restored").wait_listening()
    check(second.restored == 300, f"restored {second.restored} cursors")
    check(positions(env, second.port) == want, "the restored node reads them all")
    second.signal(signal.SIGTERM)
    check(second.wait_exit() == 0, "the restored node stopped cleanly")
    # Later changes do not touch the earlier copy.
    env.ctl_ok(p, "set", "host-000.example", "9999-0")
    env.ctl_ok(p, "flush")
    check(read_rows(env.path("backups", "nightly-1.db"))["host-000.example"]
          == want["host-000.example"], "the copy is a snapshot")

    # An existing name: refused, untouched; a symlink too.
    stamp = os.stat(copy).st_mtime_ns
    refused(env, p, ["backup", "nightly-1.db"], "exists already")
    check(os.stat(copy).st_mtime_ns == stamp, "the existing backup untouched")
    victim = env.path("victim.txt")
    with open(victim, "w") as f:
        f.write("keep me\n")
    os.symlink(victim, os.path.join(backups, "link.db"))
    refused(env, p, ["backup", "link.db"], "exists already")
    with open(victim) as f:
        check(f.read() == "keep me\n", "the symlink's target is untouched")

    # Names with a path in them: cursorctl refuses before connecting ...
    for name, needle in [("../escape.db", "may not contain '/'"),
                         ("/tmp/x.db", "may not contain '/'"),
                         ("..", "may not start with '.'"),
                         (".hidden", "may not start with '.'"),
                         ("a..b", "may not contain '..'"),
                         ("x" * 201, "at most 200"),
                         ("sp ace", "may contain only")]:
        refused(env, 9, ["backup", "--", name], needle)
    # ... and the node's front refuses them from any client.
    code, out = env.client("backup-names", p)
    check(code == 0, f"the front refused every path: {out}")
    check(sorted(os.listdir(backups)) == ["link.db", "nightly-1.db"],
          f"nothing else written: {os.listdir(backups)}")
    check(not os.path.exists(env.path("escape.db")), "nothing escaped")

    database_names(env)

    # Without node.backup-dir: refused, clearly.
    plain = env.node("--cursor.flush-interval=0s", db="plain.db",
                     name="plain").wait_listening()
    refused(env, plain.port, ["backup", "x.db"],
            "backups are disabled on this node (set node.backup-dir)")
    check(not os.path.exists(env.path("x.db")), "nothing written")

    # A backup-dir that is missing or a file: the node refuses to start.
    for bad, needle in [(env.path("nope"), "No such file"),
                        (env.path("all.jsonl"), "not a directory")]:
        n = env.node(f"--node.backup-dir={bad}", db="bad.db", name="bad")
        check(n.wait_exit() == 1, "exit 1: configuration refused")
        check(any("node.backup-dir" in l and needle in l for l in n.lines),
              f"the refusal names node.backup-dir: {n.output()}")


def database_names(env):
    """backup-dir = the database's directory: the database's own names are
    refused, in both journal modes, directly and through a linked dir."""
    data = env.path("data")
    os.mkdir(data)
    os.symlink(data, env.path("data-link"))
    for mode in ("wal", "delete"):
        db = f"data/{mode}.db"
        for backup_dir in (data, env.path("data-link")):
            n = env.node("--cursor.flush-interval=0s",
                         f"--cursor.journal-mode={mode}",
                         f"--node.backup-dir={backup_dir}",
                         f"--node.metrics-file={data}/{mode}.prom",
                         db=db, name=f"names-{mode}").wait_listening()
            env.ctl_ok(n.port, "set", "p", "5-0", "--force")
            env.ctl_ok(n.port, "flush")
            before = sorted(os.listdir(data))
            for name, what in [(f"{mode}.db", "is the database ("),
                               (f"{mode}.db-wal", "WAL file"),
                               (f"{mode}.db-shm", "shared-memory file"),
                               (f"{mode}.db-journal", "rollback journal"),
                               (f"{mode}.db.lock", "a file of this process"),
                               (f"{mode}.prom", "a file of this process")]:
                refused(env, n.port, ["backup", name], what)
                # The metrics file may be rewritten meanwhile; nothing else
                # may appear or go.
                now = sorted(os.listdir(data))
                check(now == before, f"backup {name} changed {before} -> {now}")
            env.ctl_ok(n.port, "set", "p", "6-0")
            env.ctl_ok(n.port, "flush")
            n.signal(signal.SIGTERM)
            check(n.wait_exit() == 0, f"{mode}: clean stop")
            again = env.node("--cursor.flush-interval=0s",
                             f"--cursor.journal-mode={mode}", db=db,
                             name=f"names-{mode}-again").wait_listening()
            out = env.ctl_ok(again.port, "get", "p")
            check(out == "6-0\n", f"{mode}: the database lost 'p': {out!r}")
            again.signal(signal.SIGTERM)
            check(again.wait_exit() == 0, f"{mode}: clean stop")


if __name__ == "__main__":
    main(scenario, "backup")
