"""SIGKILL after an acknowledged flush: after a restart the acknowledged values
are there (a change made after the last flush may be lost: at most one flush
interval of progress)."""

import signal

from harness import check, main


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    env.ctl_ok(p, "set", "peer.a", "100-1")
    env.ctl_ok(p, "set", "peer.b", "200-2")
    env.ctl_ok(p, "delete", "peer.never")
    check(env.ctl_ok(p, "flush") == "flushed 2 rows\n", "acknowledged flush")
    env.ctl_ok(p, "set", "peer.a", "101-0")  # not flushed: may be lost
    node.signal(signal.SIGKILL)
    check(node.wait_exit() == -signal.SIGKILL, "node killed")

    again = env.node(name="restarted").wait_listening()
    check(again.restored == 2, f"restored {again.restored} cursors, expected 2")
    check(env.ctl_ok(again.port, "get", "peer.a") == "100-1\n",
          "the acknowledged value of peer.a survived SIGKILL")
    check(env.ctl_ok(again.port, "get", "peer.b") == "200-2\n",
          "the acknowledged value of peer.b survived SIGKILL")
    again.signal(signal.SIGTERM)
    check(again.wait_exit() == 0, "restarted node stops cleanly")


if __name__ == "__main__":
    main(scenario, "crash")
