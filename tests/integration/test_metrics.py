"""The metrics file: rewritten atomically every node.metrics-interval in the
Prometheus text format, with the reference metric names plus the dirty
gauge, the oldest-dirty age and the degraded flag."""

import os
import signal

from harness import check, main, wait_for_file

NAMES = [
    'replication_cursor_retries_total{operation="cursor_flush"}',
    'replication_cursor_retries_total{operation="cursor_delete"}',
    'replication_cursor_retries_total{operation="cursor_checkpoint"}',
    "replication_cursor_flushes_total",
    "replication_cursor_flushed_count",
    "replication_cursor_flush_errors_total",
    "replication_cursor_dirty",
    "replication_cursor_oldest_dirty_age_seconds",
    "replication_cursor_degraded",
    "replication_cursor_node_front_restarts_total",
]


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} missing")


def scenario(env):
    prom = env.path("metrics", "cursor.prom")
    os.mkdir(env.path("metrics"))
    node = env.node("--cursor.flush-interval=0s", f"--node.metrics-file={prom}",
                    "--node.metrics-interval=200ms").wait_listening()
    text = wait_for_file(prom, lambda t: "replication_cursor_entries 0" in t)
    for name in NAMES:
        check(any(l.startswith(name + " ") for l in text.splitlines()),
              f"metrics file lacks {name}")
        check(f"# TYPE {name.split('{')[0]} " in text, f"no TYPE line for {name}")

    env.ctl_ok(node.port, "set", "peer.a", "1-0")
    env.ctl_ok(node.port, "set", "peer.b", "2-0")
    text = wait_for_file(prom, lambda t: "replication_cursor_dirty 2" in t)
    check(metric(text, "replication_cursor_degraded") == 0, "not degraded")
    text = wait_for_file(prom, lambda t: metric(t, "replication_cursor_oldest_dirty_age_seconds") > 0)
    env.ctl_ok(node.port, "flush")
    text = wait_for_file(prom, lambda t: "replication_cursor_dirty 0" in t)
    check(metric(text, "replication_cursor_flushes_total") == 1, "one flush counted")
    check(metric(text, "replication_cursor_flushed_count") == 2, "two rows counted")

    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "node stops cleanly")
    leftovers = [f for f in os.listdir(env.path("metrics")) if f != "cursor.prom"]
    check(leftovers == [], f"temporary files left behind: {leftovers}")


if __name__ == "__main__":
    main(scenario, "metrics")
