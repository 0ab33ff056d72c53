"""`cursorctl import FILE`.

- an export imported into an empty node round-trips exactly (peer and
  stream ID; updated_at is the time of the import, durable after the final
  flush), from JSON lines, CSV (by the .csv name) and stdin ('-'); importing
  the same file again changes nothing (idempotent);
- --dry-run prints new / advance / BACK lines with counts and changes
  nothing; a regression without --force is refused naming the first line,
  nothing changed (list and the database file compared); --force applies it;
- bad inputs are refused before connecting (checked against a port nobody
  listens on): a malformed line (its number named), an unknown field, a
  peer listed twice, a missing file, a bad --chunk-size; nothing changes;
- chunks: 2,500 entries with --chunk-size 1000 go in 3 batched sets; a
  later chunk refused (a fake node refuses the second batch) is reported
  with its number, lines, the refused line, what stays applied, exit 1;
- --no-flush leaves the changes dirty.

Every wait is bounded; nothing sleeps to synchronise."""

import json
import os
import pty
import subprocess

from harness import CTL_TIMEOUT, Node, check, main, one_line_error, read_rows
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


def positions(env, port):
    return {x["peer"]: x["stream_id"] for x in listing(env, port)}


def refused(env, port, args, needle, code=1):
    got, out, err, _ = env.ctl(port, *args)
    check(got == code, f"{args}: exit {got}, expected {code} ({err!r})")
    line = one_line_error(err, " ".join(args))
    check(needle in line, f"{args}: {needle!r} not in {line!r}")
    return out, line


def write(env, name, lines):
    path = env.path(name)
    with open(path, "w", newline="") as f:
        f.write("".join(l + "\n" for l in lines))
    return path


def jl(peer, sid):
    return json.dumps({"peer": peer, "stream_id": sid})


def scenario(env):
    a = env.node("--cursor.flush-interval=0s", db="a.db", name="a").wait_listening()
    for peer, sid in PEERS.items():
        env.ctl_ok(a.port, "set", "--", peer, sid)
    env.ctl_ok(a.port, "flush")
    env.ctl_ok(a.port, "set", "uk.node.leeds-2", "1700000000001-0")  # dirty
    source = listing(env, a.port)
    jsonl = env.path("a.jsonl")
    csvf = env.path("a.csv")
    env.ctl_ok(a.port, "export", "-o", jsonl)
    env.ctl_ok(a.port, "export", "-o", csvf)

    # Round trip into an empty node: JSON lines.
    b = env.node("--cursor.flush-interval=0s", db="b.db", name="b").wait_listening()
    out = env.ctl_ok(b.port, "import", jsonl)
    check(out.splitlines() == [
        "imported: 5 new, 0 advanced, 0 moved back, 0 unchanged "
        "(5 entries in 1 chunks)",
        "flushed 5 rows: the changes are durable"], f"import: {out!r}")
    got = listing(env, b.port)
    check([(x["peer"], x["stream_id"]) for x in got]
          == [(x["peer"], x["stream_id"]) for x in source],
          f"round trip differs: {got} vs {source}")
    check(all(x["durable"] for x in got), "durable after the import's flush")
    check(read_rows(env.path("b.db")) == {x["peer"]: x["stream_id"] for x in source},
          "the database file holds the imported cursors")
    # Again: idempotent.
    out = env.ctl_ok(b.port, "import", jsonl)
    check(out == "nothing to change: 0 new, 0 advanced, 0 moved back, "
                 "5 unchanged\n", f"second import: {out!r}")
    # CSV (by the name) and stdin into a third node.
    c = env.node("--cursor.flush-interval=0s", db="c.db", name="c").wait_listening()
    env.ctl_ok(c.port, "import", csvf)
    check(positions(env, c.port) == positions(env, a.port), "CSV round trip")
    d = env.node("--cursor.flush-interval=0s", db="d.db", name="d").wait_listening()
    with open(jsonl, "rb") as f:
        p = subprocess.run([env.args.ctl, "--port", str(d.port), "import", "-"],
                           stdin=f, capture_output=True, text=True,
                           timeout=CTL_TIMEOUT)
    check(p.returncode == 0 and p.stderr == "", f"import -: {p.returncode} {p.stderr!r}")
    check(positions(env, d.port) == positions(env, a.port), "stdin round trip")
    for n in (c, d):
        n.kill()

    # Dry run: one new, one advanced, one moved back, two unchanged.
    before = listing(env, b.port)
    rows_before = read_rows(env.path("b.db"))
    plan = write(env, "plan.jsonl", [
        jl("uk.node.leeds-2", "1700000000001-0"),  # unchanged
        jl("we\"ird,peer", "9-0"),                 # advanced
        jl("-dash", "1-0"),                        # moved back
        jl("new.peer", "3-0"),                     # new
        jl(" blank around ", "6-0"),               # unchanged
    ])
    out = env.ctl_ok(b.port, "import", "--dry-run", plan)
    check(out.splitlines() == [
        "advance  we\"ird,peer: 5-1 -> 9-0",
        "BACK     -dash: 8-0 -> 1-0",
        "new      new.peer: 3-0",
        "1 new, 1 advanced, 1 moved back, 2 unchanged",
        "dry run: nothing was changed (1 moved back: refused without --force)",
    ], f"dry run: {out!r}")
    check(listing(env, b.port) == before, "--dry-run changed nothing")

    # A regression without --force: refused, nothing changed at all.
    out, line = refused(env, b.port, ["import", plan],
                        "1 entries would move cursors back (first: line 3, "
                        "'-dash' 8-0 -> 1-0); nothing was changed")
    check(out == "", f"stdout {out!r}")
    check(listing(env, b.port) == before, "a refused import changed nothing")
    check(read_rows(env.path("b.db")) == rows_before, "the file is unchanged")
    # With --force it is applied, all of it.
    out = env.ctl_ok(b.port, "import", "--force", plan)
    check(out.startswith("imported: 1 new, 1 advanced, 1 moved back, 2 unchanged"),
          f"import --force: {out!r}")
    want = dict(rows_before, **{"we\"ird,peer": "9-0", "-dash": "1-0",
                                "new.peer": "3-0"})
    check(positions(env, b.port) == want, "--force applied every change")
    check(read_rows(env.path("b.db")) == want, "and flushed them")

    # --no-flush: applied in memory, left dirty.
    env.ctl_ok(b.port, "import", "--no-flush",
               write(env, "one.jsonl", [jl("late.peer", "1-0")]))
    late = [x for x in listing(env, b.port) if x["peer"] == "late.peer"]
    check(late and not late[0]["durable"], f"--no-flush leaves it dirty: {late}")
    env.ctl_ok(b.port, "flush")

    # Bad inputs: refused before connecting (nobody listens), exit 1.
    nobody = closed_port()
    bad = write(env, "bad.jsonl", [jl("p1", "1-0"), jl("p2", "2-0"),
                                   '{"peer": "p3", "stream_id": ', jl("p4", "1-0")])
    refused(env, nobody, ["import", bad], "line 3:")
    refused(env, nobody, ["import", write(env, "badid.jsonl",
                                          [jl("p1", "1-0"), jl("p2", "x-1")])],
            "line 2:")
    refused(env, nobody, ["import", write(env, "field.jsonl",
                                          ['{"peer": "p", "stream-id": "1-0"}'])],
            "line 1:")
    refused(env, nobody, ["import", write(env, "twice.jsonl",
                                          [jl("p1", "1-0"), jl("p1", "2-0")])],
            "line 2:")
    refused(env, nobody, ["import", write(env, "bad.csv",
                                          ["peer,stream_id", "p1,1-0", "p2"])],
            "line 3:")
    refused(env, nobody, ["import", env.path("missing.jsonl")], "cannot open")
    refused(env, nobody, ["import", jsonl, "--chunk-size", "0"], "invalid chunk size")
    refused(env, nobody, ["import", jsonl, "--dry-run", "--chunk-size", "x"],
            "invalid chunk size")
    refused(env, nobody, ["list", "--dry-run"], "--dry-run only applies to import")
    refused(env, nobody, ["import"], "missing argument")
    check(positions(env, b.port) == dict(want, **{"late.peer": "1-0"}),
          "bad inputs changed nothing")

    # Chunks: 2,500 new peers in 3 batched sets of at most 1,000.
    many = write(env, "many.jsonl",
                 [jl(f"host-{i:05d}.example", f"{i + 1}-0") for i in range(2500)])
    out = env.ctl_ok(b.port, "import", many, "--chunk-size", "1000")
    check("(2500 entries in 3 chunks)" in out, f"chunked import: {out!r}")
    got = positions(env, b.port)
    check(all(got.get(f"host-{i:05d}.example") == f"{i + 1}-0" for i in range(2500)),
          "every chunk applied")
    check(len(read_rows(env.path("b.db"))) == len(got), "and flushed")

    # On a terminal (stderr a pty) a progress line is rewritten per chunk;
    # without one (every run above) stderr stays empty.
    more = write(env, "more.jsonl",
                 [jl(f"host-{i:05d}.example", f"{i + 5000}-0") for i in range(2500)])
    master, slave = pty.openpty()
    proc = subprocess.Popen([env.args.ctl, "--port", str(b.port), "import", more,
                             "--chunk-size", "1000"],
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out, _ = proc.communicate(timeout=CTL_TIMEOUT)
    check(proc.returncode == 0, f"import on a terminal: exit {proc.returncode}")
    text = seen.decode()
    for k, n in ((1, 1000), (2, 2000), (3, 2500)):
        check(f"\rimport: {k} of 3 chunks, {n} of 2500 entries" in text,
              f"progress line {k}: {text!r}")
    check("(2500 entries in 3 chunks)" in out, f"stdout {out!r}")

    # A later chunk refused (the fake node refuses every batch after the
    # first): named, with what stays applied, exit 1.
    fake = Node(env.args.fake_node, ["second-chunk"], cwd=env.dir, name="fake")
    env.nodes.append(fake)
    port = int(fake.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1))
    seven = write(env, "seven.jsonl", [jl(f"p{i}", "1-0") for i in range(1, 8)])
    out, line = refused(env, port, ["import", seven, "--chunk-size", "3"],
                        "chunk 2 of 3 (lines 4-6) refused at line 5: regression")
    check("chunks 1-1 (3 entries) stay applied, the rest was not applied; "
          "running the same import again is safe" in line, line)
    check(out == "", f"stdout {out!r}")


if __name__ == "__main__":
    main(scenario, "import")
