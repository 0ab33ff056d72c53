"""3 peers x 20,000 entries replicated: every target stream equals its source
entry for entry (IDs, binary field values, order). Half of each stream exists
before the tailer starts, half is written while it runs. Then: SIGTERM ends
it with exit 0 after the final flush, the cursors in SQLite are the sources'
last IDs, the metrics file counts 20,000 applied and no duplicate per peer,
and a restart resumes exactly at the cursors (nothing re-read)."""

import signal

from eharness import (PEER_NAMES, STARTED, Producer, check, compare_streams,
                      fill, main, read_cursors, read_metrics, tailer_config,
                      wait_caught_up)

N = 20_000


def scenario(env):
    sources = [env.redis(f"source{i}") for i in range(3)]
    target = env.redis("target")
    names = PEER_NAMES[:3]
    # The second peer writes to a configured key, the others to the default
    # "<stream>:<peer>".
    peers = [(names[0], sources[0], "events"),
             (names[1], sources[1], "events", "replica:frankfurt"),
             (names[2], sources[2], "changes")]
    tkeys = [f"events:{names[0]}", "replica:frankfurt", f"changes:{names[2]}"]
    clients = [s.client() for s in sources]
    for c, p in zip(clients, peers):
        fill(c, p[2], N // 2, env.rng)
    db = env.path("cursors.db")
    metrics = env.path("tailer.prom")
    config = env.write_config("tailer.ini", tailer_config(
        peers, target, db=db,
        extra_tailer=f'metrics-file="{metrics}"\nmetrics-interval=200ms\n'
                     'block=250ms\n',
        extra_cursor="flush-interval=200ms\n"))
    tailer = env.tailer(config)
    tailer.wait_for(STARTED)
    producer = Producer([(s, p[2]) for s, p in zip(sources, peers)],
                        rate_per_source=20_000, rng=env.rng, limit=N // 2)
    producer.thread.join(120)
    producer.stop()
    tc = target.client()
    pairs = [(c, p[2], tc, k) for c, p, k in zip(clients, peers, tkeys)]
    wait_caught_up(pairs, timeout=90)
    tailer.signal(signal.SIGTERM)
    check(tailer.wait_exit() == 0, "the tailer stops with exit code 0")
    tailer.wait_for(r"final flush wrote \d+ rows")
    for c, p, k in zip(clients, peers, tkeys):
        n = compare_streams(c, p[2], tc, k)
        check(n == N, f"{k}: {n} entries, expected {N}")
    cursors = read_cursors(db)
    for c, p in zip(clients, peers):
        check(cursors.get(p[0]) == c.last_id(p[2]),
              f"cursor of {p[0]} is {cursors.get(p[0])}, the source ends at "
              f"{c.last_id(p[2])}")
    m = read_metrics(metrics)
    for p in peers:
        label = f'{{peer="{p[0]}"}}'
        check(m[f"replication_tailer_entries_applied_total{label}"] == N,
              f"{p[0]}: applied {m[f'replication_tailer_entries_applied_total{label}']}")
        check(m[f"replication_tailer_duplicates_total{label}"] == 0,
              f"{p[0]}: duplicates after a clean run")
        check(m[f"replication_tailer_gaps_total{label}"] == 0, "no gap")

    # A clean restart resumes at the cursors: nothing is read twice.
    again = env.tailer(config, name="restarted")
    again.wait_for(STARTED)
    for p in peers:
        again.wait_for(rf"peer '{p[0]}': resuming after {cursors[p[0]]} ")
    again.signal(signal.SIGTERM)
    check(again.wait_exit() == 0, "the restarted tailer stops with exit 0")
    m = read_metrics(metrics)
    for p in peers:
        label = f'{{peer="{p[0]}"}}'
        check(m[f"replication_tailer_entries_applied_total{label}"] == 0
              and m[f"replication_tailer_duplicates_total{label}"] == 0,
              f"{p[0]}: a restart after a clean stop re-read entries")
    for c, p, k in zip(clients, peers, tkeys):
        check(compare_streams(c, p[2], tc, k) == N, f"{k} unchanged")


if __name__ == "__main__":
    main(scenario, "replicate")
