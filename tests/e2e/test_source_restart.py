"""A source redis-server stopped for a few seconds and started again, then
frozen (SIGSTOP) for a few seconds and thawed: the tailer resumes by itself
both times, logs the loss and the recovery once each (not once per retry),
keeps replicating the other peer meanwhile. Then the target is stopped and
started again: both peers pause and resume by themselves. In the end every
target equals its source with nothing re-read.

The restarted servers come back with their data: they are shut down with
SHUTDOWN SAVE and restarted from that dump on the same port (persistence is
otherwise off, as everywhere in this suite), as a production Redis with
persistence would come back."""

import re
import signal
import threading

from eharness import (PEER_NAMES, STARTED, Producer, check, compare_streams,
                      fill, main, read_metrics, tailer_config,
                      wait_caught_up)

DOWN_S = 2.5


def scenario(env):
    sa, sb, target = (env.redis("sourceA"), env.redis("sourceB"),
                      env.redis("target"))
    a, b = PEER_NAMES[0], PEER_NAMES[1]
    tc = target.client()
    ta, tb = f"events:{a}", f"events:{b}"
    metrics = env.path("tailer.prom")
    config = env.write_config("tailer.ini", tailer_config(
        [(a, sa, "events"), (b, sb, "events")], target,
        db=env.path("cursors.db"),
        extra_tailer=f'block=250ms\nio-timeout=500ms\nconnect-timeout=500ms\n'
                     f'retry-base-delay=50ms\nretry-max-delay=400ms\n'
                     f'metrics-file="{metrics}"\nmetrics-interval=100ms\n'))
    fill(sa.client(), "events", 2000, env.rng)
    t = env.tailer(config)
    t.wait_for(STARTED)
    producer = Producer([(sb, "events")], rate_per_source=500, rng=env.rng)
    wait_caught_up([(sa.client(), "events", tc, ta)])
    pause = threading.Event()  # never set: the outage's length

    # 1. Stopped and started again.
    sa.stop(save=True)
    lost = t.wait_for(rf"peer '{a}': source 127\.0\.0\.1:{sa.port} stream "
                      rf"'events' unavailable: .*; retrying with backoff")
    print(f"reported: {lost.group(0)}", flush=True)
    mark = t.line_count()
    # Meanwhile peer B keeps replicating.
    before = tc.xlen(tb)
    pause.wait(DOWN_S)
    check(tc.xlen(tb) > before, "peer B stalled while A's source was down")
    sa.start()
    back = t.wait_for(rf"peer '{a}': source 127\.0\.0\.1:{sa.port} stream "
                      rf"'events' available again after (\d+) failed attempts",
                      start=mark)
    attempts = int(back.group(1))
    check(attempts >= 3, f"only {attempts} attempts in {DOWN_S}s of outage")
    ca = sa.client()
    fill(ca, "events", 1000, env.rng, start=2000)
    wait_caught_up([(ca, "events", tc, ta)])

    # 2. Frozen: the connection stays open, replies stop coming.
    mark = t.line_count()
    sa.proc.send_signal(signal.SIGSTOP)
    t.wait_for(rf"peer '{a}': source .* unavailable: .*no reply within",
               start=mark)
    pause.wait(DOWN_S)
    sa.proc.send_signal(signal.SIGCONT)
    t.wait_for(rf"peer '{a}': source .* available again after \d+ failed "
               rf"attempts", start=mark)
    fill(ca, "events", 1000, env.rng, start=3000)
    wait_caught_up([(ca, "events", tc, ta)])

    # 3. The target stopped and started again: both peers wait for it.
    mark = t.line_count()
    target.stop(save=True)
    t.wait_for(rf"peer '{b}': target 127\.0\.0\.1:{target.port} stream "
               rf"'{tb}' unavailable", start=mark)
    pause.wait(1.0)
    target.start()
    t.wait_for(rf"peer '{b}': target .* available again", start=mark)
    tc = target.client()
    fill(ca, "events", 500, env.rng, start=4000)
    wait_caught_up([(ca, "events", tc, ta)])

    counts = producer.stop()
    cb = sb.client()
    wait_caught_up([(cb, "events", tc, tb)])
    t.signal(signal.SIGTERM)
    check(t.wait_exit() == 0, "the tailer stops with exit 0")
    out = t.output()
    downs = len(re.findall(rf"peer '{a}': source .* unavailable", out))
    ups = len(re.findall(rf"peer '{a}': source .* available again", out))
    check(downs == 2 and ups == 2,
          f"logged {downs} losses and {ups} recoveries, expected 2 and 2 "
          "(once per change of state)")
    check(f"peer '{b}': source" not in out, "peer B's source was never down")
    m = read_metrics(metrics)
    errors = m[f'replication_tailer_errors_total{{peer="{a}",party="source"}}']
    check(errors >= attempts, f"source errors counted: {errors}")
    for peer in (a, b):
        dups = m[f'replication_tailer_duplicates_total{{peer="{peer}"}}']
        check(dups == 0, f"{peer}: {dups} entries re-read")
    check(compare_streams(ca, "events", tc, ta) == 4500, "A: 4500 entries")
    n = compare_streams(cb, "events", tc, tb)
    check(n == counts[0], f"B: {n} entries, produced {counts[0]}")


if __name__ == "__main__":
    main(scenario, "source_restart")
