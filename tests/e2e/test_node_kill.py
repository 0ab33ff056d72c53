"""The remote cursor_node is killed with SIGKILL at random points, 30 times,
and restarted on the same port and database, while the three sources keep
growing and one tailer keeps running against it. The tailer notices each
loss, pauses reading while the store is unreachable, reconnects by itself
and records its positions again. At the end every target equals its source
(no entry missing, none twice, none reordered), the tailer never re-read an
entry (it was never restarted: 0 duplicates), the cursors in the node's
database never moved back across restarts, and after the tailer's final
flush through the node they are the sources' last IDs."""

import re
import signal
import threading

from eharness import (PEER_NAMES, STARTED, Producer, check, compare_streams,
                      fill, main, parse_sid, read_cursors, read_metrics,
                      tailer_config, wait_caught_up)

KILLS = 30


def scenario(env):
    sources = [env.redis(f"source{i}") for i in range(3)]
    target = env.redis("target")
    peers = [(PEER_NAMES[i], sources[i], "events") for i in range(3)]
    tkeys = [f"events:{p[0]}" for p in peers]
    clients = [s.client() for s in sources]
    tc = target.client()
    for c in clients:
        fill(c, "events", 1000, env.rng)
    db = "node.db"
    node = env.node("--cursor.flush-interval=200ms", db=db, name="node0")
    node.wait_listening()
    port = node.port
    metrics = env.path("tailer.prom")
    config = env.write_config("tailer.ini", tailer_config(
        peers, target, node=f"127.0.0.1:{port}",
        extra_tailer=f'batch-size=100\nblock=100ms\nretry-base-delay=20ms\n'
                     f'retry-max-delay=200ms\nrequest-timeout=2s\n'
                     f'metrics-file="{metrics}"\nmetrics-interval=100ms\n'))
    tailer = env.tailer(config)
    tailer.wait_for(STARTED)
    tailer.wait_for("connected to the cursor node")
    producer = Producer([(s, "events") for s in sources], rate_per_source=1000,
                        rng=env.rng)
    previous = {}
    pause = threading.Event()  # never set: a random pause before a kill
    for life in range(1, KILLS + 1):
        # A random moment of the node's life: mostly while the tailer
        # records through it, sometimes before it even listens.
        if env.rng.random() >= 0.1:
            node.wait_listening()
            pause.wait(env.rng.uniform(0.05, 0.8))
        node.signal(signal.SIGKILL)
        check(node.wait_exit() == -signal.SIGKILL, f"node {life} killed")
        cursors = read_cursors(env.path(db))
        for p in peers:
            c = cursors.get(p[0])
            if c is None:
                continue
            if p[0] in previous:
                check(parse_sid(c) >= parse_sid(previous[p[0]]),
                      f"kill {life}: cursor of {p[0]} moved back from "
                      f"{previous[p[0]]} to {c}")
            previous[p[0]] = c
        node = env.node("--cursor.flush-interval=200ms", db=db, port=port,
                        name=f"node{life}")
    node.wait_listening()
    counts = producer.stop()
    wait_caught_up([(c, "events", tc, k) for c, k in zip(clients, tkeys)],
                   timeout=90)
    tailer.signal(signal.SIGTERM)
    check(tailer.wait_exit() == 0, "the tailer stops with exit 0")
    tailer.wait_for(r"final flush on the cursor node wrote \d+ rows")
    out = tailer.output()
    losses = len(re.findall(r"lost the connection to the cursor node", out))
    reconnects = len(re.findall(r"reconnected to the cursor node", out))
    print(f"{KILLS} node kills; the tailer noticed {losses} losses and "
          f"reconnected {reconnects} times; sources grew by {counts}",
          flush=True)
    check(reconnects >= KILLS // 3,
          f"only {reconnects} reconnections for {KILLS} kills")
    m = read_metrics(metrics)
    for p in peers:
        dups = m[f'replication_tailer_duplicates_total{{peer="{p[0]}"}}']
        check(dups == 0, f"{p[0]}: {dups} entries re-read without a tailer "
                         "restart")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "the node stops with exit 0")
    cursors = read_cursors(env.path(db))
    for c, p, k in zip(clients, peers, tkeys):
        check(cursors.get(p[0]) == c.last_id("events"),
              f"the node's cursor of {p[0]} is {cursors.get(p[0])}, the "
              f"source ends at {c.last_id('events')}")
        n = compare_streams(c, "events", tc, k)
        print(f"{k}: {n} entries, equal to the source", flush=True)


if __name__ == "__main__":
    main(scenario, "node_kill")
