"""Shutdown under trouble, with another process holding SQLite's write lock:
- the final flush fails: the node logs every change it could not persist and
  exits non-zero (3);
- a second signal during shutdown exits at once (128 + signal number);
- a shutdown that cannot finish is cut at node.shutdown-timeout (exit 4)."""

import signal
import sqlite3

from harness import check, main


def hold_write_lock(env, db):
    """Takes SQLite's write lock from this (separate) process."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=0)
    conn.execute("BEGIN IMMEDIATE")

    def release():
        try:
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    env.helpers.append(release)
    return release


def scenario(env):
    # 1. The final flush fails after its retries.
    node = env.node("--cursor.flush-interval=0s", "--cursor.retry-max-attempts=2",
                    "--cursor.retry-base-delay=5ms", "--cursor.retry-max-delay=10ms",
                    db="one.db", name="flush_fails").wait_listening()
    env.ctl_ok(node.port, "set", "peer.lost", "77-7")
    release = hold_write_lock(env, env.path("one.db"))
    node.signal(signal.SIGTERM)
    code = node.wait_exit()
    release()
    check(code == 3, f"a failed final flush: exit code {code}, expected 3")
    node.wait_for(r"final flush failed")
    node.wait_for(r"NOT persisted")
    node.wait_for(r"not persisted: 'peer\.lost' = 77-7")

    # 2. A second signal during a shutdown that waits on the lock. Neither the
    # retries (about 95 s) nor the deadline (10 min) can end this shutdown
    # while the test waits (STOP_TIMEOUT): exit 128 + SIGINT with its line is
    # the second signal's doing.
    slow = ["--cursor.flush-interval=0s", "--cursor.retry-max-attempts=100",
            "--cursor.retry-base-delay=100ms", "--cursor.retry-max-delay=1s"]
    node = env.node(*slow, "--node.shutdown-timeout=600s", db="two.db",
                    name="second_signal").wait_listening()
    env.ctl_ok(node.port, "set", "peer.x", "1-1")
    release = hold_write_lock(env, env.path("two.db"))
    node.signal(signal.SIGTERM)
    node.wait_for(r"received SIGTERM")  # the shutdown runs, stuck on the lock
    node.signal(signal.SIGINT)
    code = node.wait_exit()
    release()
    check(code == 128 + signal.SIGINT, f"second signal: exit code {code}")
    node.wait_for(r"second signal \(SIGINT\) during shutdown: exiting now")

    # 3. The shutdown deadline (1s), while the lock would keep the retries
    # going for about 95 s (and then end in exit 3, "final flush failed"). A
    # timeout that must fire: exit 4 with the deadline's lines is the event.
    # The wait for it (STOP_TIMEOUT, 60 s) is generous but shorter than the
    # retries. No bound on the elapsed time: the node means to exit by the
    # deadline, so it gives the flush only part of it.
    node = env.node(*slow, "--node.shutdown-timeout=1s", db="three.db",
                    name="deadline").wait_listening()
    env.ctl_ok(node.port, "set", "peer.y", "2-2")
    release = hold_write_lock(env, env.path("three.db"))
    node.signal(signal.SIGTERM)
    code = node.wait_exit()
    release()
    check(code == 4, f"deadline: exit code {code}, expected 4")
    node.wait_for(r"final flush did not finish within the shutdown deadline")
    node.wait_for(r"not persisted: 'peer\.y' = 2-2")


if __name__ == "__main__":
    main(scenario, "shutdown")
