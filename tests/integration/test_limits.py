"""Resource limits surface as errors, not deaths, and never as a spin.

File size (`ulimit -f`): SIGXFSZ is ignored, so the write fails with EFBIG and
the flush fails with the storage error; the node stays up, degraded, and its
shutdown reports the final flush as failed (exit 3), not a death by signal.

Descriptors (`ulimit -n`): the node raises its soft limit to the hard limit
and logs it; when idle connections use up the descriptors, it refuses new
connections cleanly (closed at once, logged) instead of spinning at 100 % CPU
in CAF's acceptor (CPU time measured from /proc over a bounded window), keeps
serving the clients it has, and serves new ones once descriptors free up."""

import json
import os
import signal
import socket

from harness import Node, check, main, wait_until
from ops import cpu_against_busy_loop, limited, open_fds


def file_size_limit(env):
    # Above the 32 KiB -shm file, below what a few flushes add to the WAL.
    limit = 40 * 1024
    args = [f"--cursor.db-path={env.path('fsize.db')}", "--node.port=0",
            "--node.log-level=debug", "--cursor.flush-interval=0s"]
    argv = limited({"RLIMIT_FSIZE": (limit, limit)}, [env.args.node] + args)
    n = Node(argv[0], argv[1:], cwd=env.dir, name="fsize")
    env.nodes.append(n)
    n.wait_listening()
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "1-0")
    env.ctl_ok(n.port, "flush")
    # Long peer names: each flush appends pages of the table and of its
    # index to the WAL, which grows past the limit within a few flushes.
    failed = None
    for batch in range(20):
        for i in range(3):
            peer = f"uk.node.host-{batch:02d}-{i:03d}." + "x" * 200
            env.ctl_ok(n.port, "set", peer, f"{batch + 1}-{i}")
        code, out, err, _ = env.ctl(n.port, "flush")
        check(n.proc.poll() is None,
              f"the node died (exit {n.proc.poll()}) at a file-size limit")
        if code != 0:
            failed = err
            break
    check(failed is not None, "the flush never hit the file-size limit")
    check("storage_error" in failed and "File too large" in failed,
          f"the flush error is not a storage error naming EFBIG: {failed!r}")
    s = json.loads(env.ctl_ok(n.port, "stats", "--json"))
    check(s["degraded"] and s["dirty"] > 0, f"not degraded / nothing dirty: {s}")
    n.signal(signal.SIGTERM)
    code = n.wait_exit()
    check(code == 3, f"exit code {code}, expected 3 (final flush failed)")


def descriptor_limit(env):
    # The soft limit is raised to the hard limit at start, and logged.
    soft, hard = 48, 96
    args = [f"--cursor.db-path={env.path('raise.db')}", "--node.port=0",
            "--node.log-level=debug"]
    argv = limited({"RLIMIT_NOFILE": (soft, hard)}, [env.args.node] + args)
    n = Node(argv[0], argv[1:], cwd=env.dir, name="raise")
    env.nodes.append(n)
    n.wait_listening()
    n.wait_for(f"raised the soft descriptor limit from {soft} to the hard "
               f"limit {hard}")
    with open(f"/proc/{n.pid}/limits") as f:
        line = [l for l in f if l.startswith("Max open files")][0]
    check(line.split()[3] == str(hard), f"soft limit not raised: {line!r}")
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "the node stops cleanly")

    # Soft = hard: nothing to raise; idle connections use up the rest.
    hard = 64
    args = [f"--cursor.db-path={env.path('nofile.db')}", "--node.port=0",
            "--node.log-level=debug"]
    argv = limited({"RLIMIT_NOFILE": (hard, hard)}, [env.args.node] + args)
    n = Node(argv[0], argv[1:], cwd=env.dir, name="nofile")
    env.nodes.append(n)
    n.wait_listening()
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "1-0")
    # Idle connections that never handshake (CAF never closes those), more
    # than the limit allows.
    idle = []
    env.helpers.append(lambda: [s.close() for s in idle])
    for _ in range(hard + 40):
        s = socket.create_connection(("127.0.0.1", n.port), timeout=60)
        idle.append(s)
    # The node took what it could: wait (bounded) until its descriptors stop
    # growing near the limit.
    wait_until(lambda: open_fds(n.pid) >= hard - 20, 60,
               "the node did not accept the idle connections")
    # The event: the node is at its limit and refusing.
    n.wait_for("refused a connection")
    # Then a bounded observation window. Not a speed oracle: the node's CPU
    # time is compared with what a busy loop of ours got over the same
    # window, so a loaded machine slows both. A spinning acceptor takes about
    # a busy loop's share of a core; an idle node next to nothing.
    window = 2.0
    used, loop = cpu_against_busy_loop(n.pid, window)
    print(f"CPU time over {window}s with {len(idle)} idle connections: node "
          f"{used:.2f}s, busy loop {loop:.2f}s", flush=True)
    check(loop > 0.05, f"the busy loop got no CPU ({loop:.2f}s)")
    check(used < 0.2 * loop, f"the node spins: {used:.2f}s of CPU against "
          f"{loop:.2f}s of a busy loop in {window}s")
    # New clients are refused cleanly (or served), never left hanging: the
    # exit is the event (either code; its own timeout bounds a hang).
    code, out, err, _ = env.ctl(n.port, "get", "uk.node.leeds-2",
                                timeout="3s", limit=60)
    check(code in (0, 2), f"cursorctl exit {code}: {err!r}")
    check(n.proc.poll() is None, "the node died")
    # Descriptors free up: served again.
    for s in idle:
        s.close()
    idle.clear()
    wait_until(lambda: open_fds(n.pid) < hard // 2, 60,
               "the node did not close the dropped connections")
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "2-0")
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "the node stops cleanly")


def scenario(env):
    file_size_limit(env)
    descriptor_limit(env)


if __name__ == "__main__":
    main(scenario, "limits")
