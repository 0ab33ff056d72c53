"""Bad input, through cursorctl and through a raw CAF client that bypasses
it: bad peer IDs, bad stream IDs, regressions, messages of unknown types or
wrong arity, bad config files. Each gets a clear error and changes no state
(the cursors are compared after every case)."""

import json
import re
import subprocess

from rharness import check, main


def listing(env, port):
    return [(e["peer"], e["stream_id"])
            for e in json.loads(env.ctl_ok(port, "list", "--json"))]


def cli_cases(env, port):
    before = listing(env, port)
    cases = [
        ("empty peer", ["set", "", "1-0"]),
        ("peer of 256 bytes", ["set", "p" * 256, "1-0"]),
        ("peer with newline", ["set", "a\nb", "1-0"]),
        ("peer with tab", ["set", "a\tb", "1-0"]),
        ("peer with escape", ["set", "\x1b[31m", "1-0"]),
        ("peer with DEL", ["set", "a\x7f", "1-0"]),
        ("empty id", ["set", "cli.peer", ""]),
        ("id without seq", ["set", "cli.peer", "5"]),
        ("negative id", ["set", "cli.peer", "-5-0"]),
        ("id with plus", ["set", "cli.peer", "+5-0"]),
        ("padded id", ["set", "cli.peer", " 5-0"]),
        ("trailing blank", ["set", "cli.peer", "5-0 "]),
        ("leading zero", ["set", "cli.peer", "05-0"]),
        ("overflowing id", ["set", "cli.peer", "18446744073709551616-0"]),
        ("dollar", ["set", "cli.peer", "$"]),
        ("greater-than", ["set", "cli.peer", ">"]),
        ("star", ["set", "cli.peer", "*"]),
        ("dash", ["set", "cli.peer", "-"]),
        ("plus", ["set", "cli.peer", "+"]),
        ("regression", ["set", "cli.peer", "10-0"]),
        ("regression of seq", ["set", "cli.peer", "50-0"]),
        ("get empty peer", ["get", ""]),
        ("delete empty peer", ["delete", ""]),
        ("unknown command", ["frobnicate"]),
        ("set without id", ["set", "cli.peer"]),
        ("set with extra argument", ["set", "cli.peer", "60-0", "extra"]),
        ("unknown flag", ["list", "--yaml"]),
    ]
    for name, argv in cases:
        code, out, err, _ = env.ctl(port, *argv)
        lines = [l for l in err.splitlines() if l.strip()]
        check(code == 1, f"{name}: exit 1 expected, got {code}")
        check(len(lines) >= 1, f"{name}: an error line on stderr")
        check("error(" not in err, f"{name}: no raw CAF error: {err!r}")
        check(listing(env, port) == before, f"{name}: state changed")
    return len(cases)


CONFIGS = [
    ("unknown key in [cursor]", "[cursor]\nflush-intervall=1s\n"),
    ("unknown key in [node]", "[node]\nprot=1\n"),
    ("unknown group", "[cursr]\ndb-path=\"x.db\"\n"),
    ("duration without unit", "[cursor]\nflush-interval=5\n"),
    ("string for a number", "[cursor]\ndirty-threshold=\"many\"\n"),
    ("number for a string", "[cursor]\ndb-path=42\n"),
    ("negative count", "[cursor]\nretry-max-attempts=-1\n"),
    ("zero attempts", "[cursor]\nretry-max-attempts=0\n"),
    ("bad journal mode", "[cursor]\njournal-mode=\"memory\"\n"),
    ("bad synchronous", "[cursor]\nsynchronous=\"sometimes\"\n"),
    ("port out of range", "[node]\nport=70000\n"),
    ("malformed syntax", "[cursor\ndb-path=\"x.db\"\n"),
]


def config_cases(env):
    for i, (name, text) in enumerate(CONFIGS):
        path = env.path(f"bad{i}.ini")
        with open(path, "w") as f:
            f.write(text)
        node = env.node(f"--config-file={path}", db=f"cfg{i}.db",
                        name=f"cfg{i}")
        code = node.wait_exit()
        out = node.output()
        check(code != 0, f"config '{name}': refused, got exit {code}")
        check("listening on" not in out, f"config '{name}': did not start")
        check("error" in out.lower(), f"config '{name}': says why: {out!r}")
    node = env.node("--config-file=" + env.path("missing.ini"), name="nocfg")
    check(node.wait_exit() != 0, "a missing config file is refused")
    node = env.node("--no-such-option=1", name="badopt")
    check(node.wait_exit() != 0, "an unknown option is refused")
    return len(CONFIGS) + 2


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    env.ctl_ok(p, "set", "cli.peer", "50-5")
    env.ctl_ok(p, "flush")
    total = cli_cases(env, p)
    work = env.workload("bad", "127.0.0.1", p, name="raw")
    code = work.wait_exit(timeout=120)
    for line in work.lines:
        print(f"[raw] {line}", flush=True)
    check(code == 0, "every raw case refused as expected")
    m = re.search(r"CASES (\d+) failures 0", "\n".join(work.lines))
    check(m is not None, "the raw client reported its cases")
    total += int(m.group(1))
    check(env.ctl_ok(p, "get", "cli.peer") == "50-5\n", "cli.peer unchanged")
    check(env.ctl_ok(p, "get", "bad.peer") == "100-5\n", "bad.peer unchanged")
    node.signal(15)
    check(node.wait_exit() == 0, "node stops cleanly")
    total += config_cases(env)
    print(f"bad input: {total} cases refused, state unchanged", flush=True)
    check(total >= 30, f"at least 30 cases, got {total}")


if __name__ == "__main__":
    main(scenario, "bad_input")
