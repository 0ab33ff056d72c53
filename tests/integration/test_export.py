"""`cursorctl export` and `cursorctl list --older-than`.

- export writes every cursor (peer, stream_id, updated_at, durable) as JSON
  lines or CSV, to stdout or a file, exactly what `list --json` reports; peer
  IDs with commas, quotes, blanks, non-ASCII and a leading '-' survive both
  formats (read back with Python's json and csv modules);
- `-o FILE` is written atomically and never clobbers: an existing file is
  refused unless --overwrite, a symlink is replaced and never followed, a
  directory, a missing directory or an unwritable one is refused, before
  cursorctl even connects (checked against a port nobody listens on), and no
  temporary file is left behind;
- `--older-than` keeps the cursors not updated for that long (ages made by
  rewriting updated_at in the file while the node is stopped); bad
  durations and formats exit 1 and change nothing.

Every wait is bounded; nothing sleeps to synchronise."""

import csv
import io
import json
import os
import signal
import sqlite3
import time

from harness import check, main, one_line_error
from test_cli_errors import closed_port

PEERS = {
    "uk.node.leeds-2": "1700000000000-5",
    "we\"ird,peer": "5-1",
    " blank around ": "6-0",
    "ünïcødé.node": "7-7",
    "-dash": "8-0",
}


def listing(env, port):
    return json.loads(env.ctl_ok(port, "list", "--json"))


def from_csv(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    return [{"peer": r["peer"], "stream_id": r["stream_id"],
             "updated_at": int(r["updated_at"]),
             "durable": {"true": True, "false": False}[r["durable"]]}
            for r in rows]


def refused(env, port, args, needle):
    code, out, err, _ = env.ctl(port, *args)
    check(code == 1, f"{args}: exit {code}, expected 1 ({err!r})")
    check(out == "", f"{args}: stdout {out!r}")
    line = one_line_error(err, " ".join(args))
    check(needle in line, f"{args}: {needle!r} not in {line!r}")


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    for peer, sid in PEERS.items():
        env.ctl_ok(p, "set", "--", peer, sid)
    env.ctl_ok(p, "flush")
    env.ctl_ok(p, "set", "uk.node.leeds-2", "1700000000001-0")  # not durable
    expected = listing(env, p)
    check(len(expected) == len(PEERS), f"list: {expected}")
    check(sum(1 for x in expected if not x["durable"]) == 1, "one dirty cursor")

    # stdout, JSON lines (the default) and CSV.
    out = env.ctl_ok(p, "export")
    check([json.loads(l) for l in out.splitlines()] == expected,
          f"export (JSON lines) differs from list --json: {out!r}")
    out = env.ctl_ok(p, "export", "--format", "csv")
    check(out.startswith("peer,stream_id,updated_at,durable\n"), "CSV header")
    check(from_csv(out) == expected, f"export --format csv differs: {out!r}")

    # Files: the format follows a .csv name; existing files are not replaced.
    target = env.path("out", "cursors.csv")
    os.mkdir(env.path("out"))
    out = env.ctl_ok(p, "export", "-o", target)
    check(out == f"exported {len(PEERS)} cursors to '{target}'\n", f"stdout {out!r}")
    with open(target, newline="") as f:
        check(from_csv(f.read()) == expected, "the CSV file differs")
    refused(env, p, ["export", "-o", target], "exists (--overwrite replaces it)")
    env.ctl_ok(p, "export", "--output", target, "--overwrite", "--format", "jsonl")
    with open(target) as f:
        check([json.loads(l) for l in f] == expected, "--overwrite replaced it")
    # A symlink is replaced, never followed.
    victim = env.path("victim.txt")
    with open(victim, "w") as f:
        f.write("keep me\n")
    link = env.path("out", "link.jsonl")
    os.symlink(victim, link)
    refused(env, p, ["export", "-o", link], "exists")
    env.ctl_ok(p, "export", "-o", link, "--overwrite")
    check(not os.path.islink(link), "the symlink was replaced by the file")
    with open(victim) as f:
        check(f.read() == "keep me\n", "the symlink's target is untouched")
    check(sorted(os.listdir(env.path("out"))) == ["cursors.csv", "link.jsonl"],
          f"temporary files left: {os.listdir(env.path('out'))}")

    # Bad outputs are refused before connecting: nothing listens on `nobody`.
    nobody = closed_port()
    os.mkdir(env.path("ro"))
    os.chmod(env.path("ro"), 0o500)
    cases = [
        (["export", "-o", env.path("out")], "it is a directory"),
        (["export", "-o", env.path("missing", "x.jsonl")], "cannot create a file in"),
        (["export", "-o", target], "exists"),
    ]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append((["export", "-o", env.path("ro", "x.jsonl")],
                      "cannot create a file in"))
    for args, needle in cases:
        refused(env, nobody, args, needle)
    check(os.listdir(env.path("ro")) == [], "nothing created in ro/")
    # A good file but no node: exit 2, no file, no temporary file left.
    code, out, err, _ = env.ctl(nobody, "export", "-o", env.path("out", "new.jsonl"))
    check(code == 2 and "cannot connect" in one_line_error(err, "export"),
          f"export to an unreachable node: {code} {err!r}")
    check(sorted(os.listdir(env.path("out"))) == ["cursors.csv", "link.jsonl"],
          f"files left by a failed export: {os.listdir(env.path('out'))}")
    # Usage errors.
    refused(env, p, ["export", "--format", "xml"], "invalid format 'xml'")
    refused(env, p, ["export", "--overwrite"], "--overwrite needs -o FILE")
    refused(env, p, ["export", "-o"], "option '--output' needs a value")
    refused(env, p, ["list", "-o", env.path("x")], "--output only applies to export")
    refused(env, p, ["list", "--older-than", "5"], "invalid duration '5'")
    refused(env, p, ["list", "--older-than", "0s"], "invalid duration '0s'")
    refused(env, p, ["get", "x", "--older-than", "1h"], "--older-than only applies")
    check(listing(env, p) == expected, "refused commands changed nothing")

    # --older-than: age two cursors in the file while the node is stopped.
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "node stopped")
    now_ms = int(time.time() * 1000)
    db = sqlite3.connect(env.path("cursors.db"))
    with db:
        db.execute("UPDATE cursors SET updated_at = ? WHERE peer_id = ?",
                   (now_ms - 3 * 86400_000, "-dash"))
        db.execute("UPDATE cursors SET updated_at = ? WHERE peer_id = ?",
                   (now_ms - 2 * 3600_000, "ünïcødé.node"))
    db.close()
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    old = [x["peer"] for x in json.loads(env.ctl_ok(p, "list", "--json",
                                                    "--older-than", "1h"))]
    check(old == ["-dash", "ünïcødé.node"], f"--older-than 1h: {old}")
    old = [x["peer"] for x in json.loads(env.ctl_ok(p, "--older-than=2d", "list",
                                                    "--json"))]
    check(old == ["-dash"], f"--older-than=2d before the command: {old}")
    table = env.ctl_ok(p, "list", "--older-than", "1w").splitlines()
    check(table == [table[0]] and table[0].startswith("PEER"),
          f"--older-than 1w: header only: {table}")
    out = env.ctl_ok(p, "export", "--older-than", "90m", "--format", "csv")
    check([x["peer"] for x in from_csv(out)] == ["-dash", "ünïcødé.node"],
          f"export --older-than: {out!r}")


if __name__ == "__main__":
    main(scenario, "export")
