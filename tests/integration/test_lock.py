"""A second node on the same database is refused and names the first one's
pid; after the first one dies by SIGKILL (leaving its lock file behind), a new
node starts."""

import os
import signal

from harness import check, main, one_line_error


def scenario(env):
    lock = env.path("cursors.db.lock")
    first = env.node(name="first").wait_listening()
    with open(lock) as f:
        check(f.read().strip() == str(first.pid), "the lock file holds the holder's pid")

    second = env.node(name="second")
    code = second.wait_exit()
    check(code == 2, f"second node: exit code {code}, expected 2")
    line = one_line_error(second.output(), "second node")
    check(f"pid {first.pid}" in line, f"the refusal does not name pid {first.pid}: {line!r}")
    check("held by another cursor node" in line, f"unclear refusal: {line!r}")
    env.ctl_ok(first.port, "set", "still.served", "1-0")

    first.signal(signal.SIGKILL)
    check(first.wait_exit() == -signal.SIGKILL, "first node killed")
    check(os.path.exists(lock), "the dead node's lock file is still there")

    third = env.node(name="third").wait_listening()
    with open(lock) as f:
        check(f.read().strip() == str(third.pid), "the new holder wrote its pid")
    third.signal(signal.SIGTERM)
    check(third.wait_exit() == 0, "third node stops cleanly")


if __name__ == "__main__":
    main(scenario, "lock")
