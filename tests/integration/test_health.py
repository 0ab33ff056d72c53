"""`cursorctl health`: one line on stdout and an exit code a probe can use.

- 0 `healthy: …` for a serving store (also after it recovered);
- 3 `degraded: the last write failed (busy: …)` while another process holds
  SQLite's write lock through every retry of a flush;
- 4 `closed: …` for a store that is closed or not serving (a fake node:
  the real one cannot be driven there from outside);
- 2 with one line on stderr for a closed port (refused) and for a silent
  peer (its timeout fired);
- `--json` gives the same as one object; usage errors exit 1.

Every wait is bounded; nothing sleeps to synchronise."""

import json
import re
import signal
import sqlite3

from harness import Node, check, main, one_line_error
from test_cli_errors import closed_port, silent_listener


def health(env, port, *args, **kw):
    return env.ctl(port, "health", *args, **kw)


def expect_state(env, port, code, status, pattern=None):
    got, out, err, _ = health(env, port)
    check(got == code, f"health: exit {got}, expected {code} ({out!r} {err!r})")
    check(err == "", f"health wrote to stderr: {err!r}")
    lines = out.splitlines()
    check(len(lines) == 1 and lines[0].startswith(status + ": "),
          f"health: expected one '{status}: …' line, got {out!r}")
    if pattern:
        check(re.search(pattern, lines[0]), f"{pattern!r} not in {lines[0]!r}")
    got, out, err, _ = health(env, port, "--json")
    check(got == code and err == "", f"health --json: exit {got}")
    obj = json.loads(out)
    check(obj["status"] == status, f"health --json: {obj}")
    return obj


def fake_node(env, mode):
    node = Node(env.args.fake_node, [mode], cwd=env.dir, name=f"fake-{mode}")
    env.nodes.append(node)
    port = int(node.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1))
    return node, port


def scenario(env):
    node = env.node("--cursor.flush-interval=0s", "--cursor.retry-max-attempts=2",
                    "--cursor.retry-base-delay=5ms",
                    "--cursor.retry-max-delay=10ms").wait_listening()
    p = node.port
    expect_state(env, p, 0, "healthy", r"^healthy: 0 cursors, 0 not committed, "
                                       r"last flush never$")
    env.ctl_ok(p, "set", "peer.a", "1-0")
    obj = expect_state(env, p, 0, "healthy", r"1 cursor, 1 not committed \(oldest")
    check(obj["entries"] == 1 and obj["dirty"] == 1 and obj["last_error"] == "",
          f"health --json fields: {obj}")

    # Degraded: the flush stays busy through every retry.
    holder = sqlite3.connect(env.path("cursors.db"), isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err, _ = env.ctl(p, "flush")
        check(code == 3 and "busy" in err, f"flush under the lock: {code} {err!r}")
        obj = expect_state(env, p, 3, "degraded",
                           r"^degraded: the last write failed \(busy: .*\); "
                           r"1 cursor, 1 not committed")
        check("busy" in obj["last_error"], f"health --json: {obj}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Recovered: the next flush commits, health is 0 again.
    check(env.ctl_ok(p, "flush") == "flushed 1 rows\n", "flush after the lock")
    expect_state(env, p, 0, "healthy", r"1 cursor, 0 not committed, last flush "
                                       r"\d{4}-\d\d-\d\dT")

    # Usage errors: exit 1, nothing on stdout.
    for args, needle in ((["health", "extra"], "too many arguments"),
                         (["health", "--prometheus"], "--prometheus only applies"),
                         (["health", "--force"], "--force only applies to set")):
        code, out, err, _ = env.ctl(p, *args)
        check(code == 1 and out == "" and needle in one_line_error(err, args[0]),
              f"{args}: {code} {out!r} {err!r}")

    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "node stopped")

    # Closed and not serving: 4.
    fake, port = fake_node(env, "closed")
    expect_state(env, port, 4, "closed", r"^closed: the store is closed, writes "
                                         r"are refused; 2 cursors")
    fake.signal(signal.SIGTERM)
    fake.wait_exit()
    fake, port = fake_node(env, "stopped")
    obj = expect_state(env, port, 4, "closed",
                       r"^closed: the store is not serving \(stopped: the store "
                       r"terminated")
    check("stopped" in obj["error"], f"health --json: {obj}")
    fake.signal(signal.SIGTERM)
    fake.wait_exit()

    # Unreachable: 2, one line on stderr, within the timeout.
    port = closed_port()
    code, out, err, _ = health(env, port)
    check(code == 2 and out == "" and "cannot connect" in one_line_error(err, "health"),
          f"health of a closed port: {code} {out!r} {err!r}")
    # A silent peer: only the timeout can end the handshake (see
    # test_cli_errors.py); the exit within the harness's bound and the line
    # naming the timeout are the event.
    port, _ = silent_listener(env)
    code, out, err, _ = health(env, port, timeout="1s")
    check(code == 2 and out == "" and f"no answer from 127.0.0.1:{port} within 1s"
          in one_line_error(err, "health"),
          f"health of a silent peer: {code} {out!r} {err!r}")


if __name__ == "__main__":
    main(scenario, "health")
