"""`cursorctl rewind --to ID (--peers-file FILE | --prefix P)`.

- a prefix moves every cursor whose peer starts with it to one ID, backwards
  or forwards, through the forced batched set, then flushes: the database
  file holds the new values; other peers are untouched;
- a peers file moves exactly the listed peers; `-` reads it from stdin;
- --dry-run prints the plan and changes nothing;
- an unknown peer in the list is refused, named with its line, and nothing
  moves; a prefix matching nothing, a bad --to, a bad or empty list, a
  missing file and --peers-file with --prefix are refused with exit 1 and
  change nothing.

Every wait is bounded; nothing sleeps to synchronise."""

import json
import subprocess

from harness import CTL_TIMEOUT, check, main, one_line_error, read_rows
from test_cli_errors import closed_port

START = {
    "eu.node-1": "100-0",
    "eu.node-2": "5-0",
    "eu.node-3": "200-7",
    "us.node-1": "300-0",
}


def positions(env, port):
    return {x["peer"]: x["stream_id"]
            for x in json.loads(env.ctl_ok(port, "list", "--json"))}


def refused(env, port, args, needle):
    code, out, err, _ = env.ctl(port, *args)
    check(code == 1, f"{args}: exit {code}, expected 1 ({err!r})")
    check(out == "", f"{args}: stdout {out!r}")
    line = one_line_error(err, " ".join(args))
    check(needle in line, f"{args}: {needle!r} not in {line!r}")


def write(env, name, text):
    path = env.path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    for peer, sid in START.items():
        env.ctl_ok(p, "set", peer, sid)
    env.ctl_ok(p, "flush")

    # Dry run by prefix.
    out = env.ctl_ok(p, "rewind", "--to", "50-0", "--prefix", "eu.", "--dry-run")
    check(out.splitlines() == [
        "BACK     eu.node-1: 100-0 -> 50-0",
        "advance  eu.node-2: 5-0 -> 50-0",
        "BACK     eu.node-3: 200-7 -> 50-0",
        "0 new, 1 advanced, 2 moved back, 0 unchanged",
        "dry run: nothing was changed"], f"dry run: {out!r}")
    check(positions(env, p) == START, "--dry-run changed nothing")

    # Applied: every eu. peer at 50-0, durable in the file; us. untouched.
    out = env.ctl_ok(p, "rewind", "--to", "50-0", "--prefix", "eu.")
    check(out.splitlines()[0].startswith("rewound: 0 new, 1 advanced, 2 moved back"),
          f"rewind: {out!r}")
    want = dict(START, **{"eu.node-1": "50-0", "eu.node-2": "50-0",
                          "eu.node-3": "50-0"})
    check(positions(env, p) == want, "the prefix moved")
    check(read_rows(env.path("cursors.db")) == want, "and was flushed")

    # A peers file (CRLF, an empty line) moves exactly those.
    peers = write(env, "peers.txt", "eu.node-2\r\n\nus.node-1\n")
    env.ctl_ok(p, "rewind", "--to", "0", "--peers-file", peers)
    want.update({"eu.node-2": "0", "us.node-1": "0"})
    check(positions(env, p) == want, f"the listed peers moved: {positions(env, p)}")
    # From stdin.
    run = subprocess.run([env.args.ctl, "--port", str(p), "rewind", "--to", "7-7",
                          "--peers-file", "-"], input="eu.node-1\n",
                         capture_output=True, text=True, timeout=CTL_TIMEOUT)
    check(run.returncode == 0 and run.stderr == "", f"stdin: {run.stderr!r}")
    want["eu.node-1"] = "7-7"
    check(positions(env, p) == want, "the peer from stdin moved")
    rows = read_rows(env.path("cursors.db"))
    check(rows == want, f"flushed: {rows}")

    # Refusals: nothing moves.
    unknown = write(env, "unknown.txt", "eu.node-1\nno.such.peer\neu.node-3\n")
    refused(env, p, ["rewind", "--to", "1-0", "--peers-file", unknown],
            "line 2: unknown peer 'no.such.peer'")
    refused(env, p, ["rewind", "--to", "1-0", "--prefix", "asia."],
            "no cursor's peer ID starts with 'asia.'")
    nobody = closed_port()
    refused(env, nobody, ["rewind", "--to", "x-1", "--prefix", "eu."], "--to 'x-1'")
    refused(env, nobody, ["rewind", "--prefix", "eu."], "rewind needs --to ID")
    refused(env, nobody, ["rewind", "--to", "1-0"], "exactly one of --peers-file")
    refused(env, nobody, ["rewind", "--to", "1-0", "--prefix", "eu.",
                          "--peers-file", peers], "exactly one of --peers-file")
    refused(env, nobody, ["rewind", "--to", "1-0", "--peers-file",
                          env.path("missing.txt")], "cannot open")
    refused(env, nobody, ["rewind", "--to", "1-0", "--peers-file",
                          write(env, "dup.txt", "a\nb\na\n")],
            "line 3: peer listed twice (first on line 1)")
    refused(env, nobody, ["rewind", "--to", "1-0", "--peers-file",
                          write(env, "empty.txt", "\n\n")], "no peers")
    refused(env, nobody, ["rewind", "--to", "1-0", "--peers-file",
                          write(env, "ctl.txt", "ok\nbad\x01peer\n")], "line 2:")
    refused(env, nobody, ["set", "a", "1-0", "--to", "1-0"], "--to only applies to rewind")
    check(positions(env, p) == want, "refused rewinds changed nothing")
    check(read_rows(env.path("cursors.db")) == want, "nor the file")


if __name__ == "__main__":
    main(scenario, "rewind")
