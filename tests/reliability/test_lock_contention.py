"""Lock contention: a second process holds BEGIN EXCLUSIVE on the database.
(a) Held shorter than the backoff budget: the flush, already retrying, succeeds
after the release. (b) Held longer: the flush is answered with busy, the
cursors stay dirty, stats shows degraded and the retry counters, and the next
flush after the release writes them. In both, a get and a set sent while the
lock is held are answered before it is released: the release happens only
after their answers arrived (a causal check, not a timing one)."""

import json
import os
import subprocess
import sys

from rharness import check, main
import harness

HERE = os.path.dirname(os.path.abspath(__file__))


class LockHolder:
    def __init__(self, db):
        self.proc = subprocess.Popen([sys.executable, "-u",
                                      os.path.join(HERE, "lock_holder.py"), db],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def _say(self, cmd, answer):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        check(line == answer, f"lock holder answered {line!r} to {cmd}")

    def lock(self):
        self._say("lock", "locked")

    def release(self):
        self._say("release", "released")

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)


def stats(env, port):
    return json.loads(env.ctl_ok(port, "stats", "--json"))


def reads_and_writes_go_on(env, port, peer, new_id):
    """While the lock is held: a get and a set are answered."""
    out = env.ctl_ok(port, "get", peer)
    check(out.strip() != "", "get answered while the lock is held")
    env.ctl_ok(port, "set", peer, new_id)
    check(env.ctl_ok(port, "get", peer) == new_id + "\n",
          "the set is visible while the lock is held")


def short_lock(env):
    # "Shorter than the budget" by construction, not by timing: the budget
    # (100 attempts, up to 2 s apart: over three minutes) outlasts whatever
    # the causal checks below take on a loaded machine before the release.
    node = env.node("--cursor.flush-interval=0s",
                    "--cursor.retry-base-delay=50ms",
                    "--cursor.retry-max-delay=2s",
                    "--cursor.retry-max-attempts=100",
                    db="short.db", name="short").wait_listening()
    p = node.port
    env.ctl_ok(p, "set", "peer-a", "1-0")
    check(env.ctl_ok(p, "flush") == "flushed 1 rows\n", "first flush")
    env.ctl_ok(p, "set", "peer-a", "2-0")
    holder = LockHolder(env.path("short.db"))
    env.helpers.append(holder.close)
    holder.lock()
    flush = subprocess.Popen([env.args.ctl, "--host", "127.0.0.1", "--port",
                              str(p), "--timeout", "10m", "flush"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    # Wait (bounded) until the flush has met the lock at least once.
    for _ in range(200):
        if stats(env, p)["retries_flush"] >= 1:
            break
    else:
        check(False, "the flush never met the lock")
    reads_and_writes_go_on(env, p, "peer-a", "3-0")
    check(flush.poll() is None, "the flush is still waiting for the lock")
    holder.release()
    out, err = flush.communicate(timeout=harness.CTL_TIMEOUT)
    check(flush.returncode == 0, f"flush after a short lock: {err.strip()}")
    s = stats(env, p)
    check(not s["degraded"], "not degraded after a successful retry")
    check(s["flush_errors"] == 0, "no flush error")
    check(s["retries_flush"] >= 1, "retries counted")
    # The flush covered 2-0 or 3-0; a final flush writes whatever is left.
    env.ctl_ok(p, "flush")
    check(harness.read_rows(env.path("short.db"))["peer-a"] == "3-0",
          "the latest value is on disk")
    node.signal(15)
    check(node.wait_exit() == 0, "node stops cleanly")
    holder.close()


def long_lock(env):
    # Default backoff: 10, 20, 40, 80 ms over 5 attempts.
    node = env.node("--cursor.flush-interval=0s", db="long.db",
                    name="long").wait_listening()
    p = node.port
    env.ctl_ok(p, "set", "peer-b", "1-0")
    env.ctl_ok(p, "flush")
    env.ctl_ok(p, "set", "peer-b", "2-0")
    env.ctl_ok(p, "set", "peer-c", "5-0")
    holder = LockHolder(env.path("long.db"))
    env.helpers.append(holder.close)
    holder.lock()
    code, out, err, _ = env.ctl(p, "flush")
    check(code == 3, f"flush while locked exits 3 (storage), got {code}")
    check("busy" in err, f"the error names busy: {err!r}")
    s = stats(env, p)
    check(s["degraded"], "degraded after the retries ran out")
    check(s["retries_flush"] == 4, f"4 retries, got {s['retries_flush']}")
    check(s["flush_errors"] == 1, f"1 flush error, got {s['flush_errors']}")
    check(s["dirty"] == 2, f"both cursors stay dirty, got {s['dirty']}")
    reads_and_writes_go_on(env, p, "peer-b", "3-0")
    holder.release()
    check(env.ctl_ok(p, "flush") == "flushed 2 rows\n",
          "the next flush after the release writes them")
    rows = harness.read_rows(env.path("long.db"))
    check(rows == {"peer-b": "3-0", "peer-c": "5-0"}, f"rows on disk: {rows}")
    s = stats(env, p)
    check(not s["degraded"] and s["dirty"] == 0, "recovered")
    node.signal(15)
    check(node.wait_exit() == 0, "node stops cleanly")
    holder.close()


def scenario(env):
    short_lock(env)
    long_lock(env)


if __name__ == "__main__":
    main(scenario, "lock_contention")
