"""Concurrent load: four clients send 250k updates each (at most 64 requests
in flight per client) on overlapping peers, with flushes and deletes mixed in.
Shared peers take sets from every client (a refused regression is the proof
that nothing moved backwards); private peers take sets and deletes from their
own client only. Afterwards memory == disk == the expected last value per
peer: the highest acknowledged set for a shared peer, for a private one
what the last operation sent that was acknowledged left; so no acknowledged
value was lost. CI runs 4 x 60,000 updates (25,000 under the sanitizers),
`ctest -L soak` the 250,000 (soak.concurrent_load)."""

import json
import signal
import time

from rharness import check, main, parse_sid
import harness


def add_args(p):
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--updates", type=int, default=250_000)
    p.add_argument("--shared", type=int, default=200)
    p.add_argument("--private", type=int, default=100)
    p.add_argument("--inflight", type=int, default=64)


def differences(got, expected):
    """How many peers differ, and the first few: peer got/expected."""
    peers = sorted(p for p in set(got) | set(expected)
                   if got.get(p) != expected.get(p))
    return (f"{len(peers)} differences, e.g. "
            + ", ".join(f"{p} {got.get(p, 'ABSENT')}/"
                        f"{expected.get(p, 'ABSENT')}" for p in peers[:8]))


def scenario(env):
    a = env.args
    node = env.node("--cursor.flush-interval=1s", "--node.log-level=info",
                    name="node").wait_listening()
    p = node.port
    start = time.monotonic()
    clients = [env.workload("load", "127.0.0.1", p, i, a.updates, a.shared,
                            a.private, a.inflight, name=f"client{i}")
               for i in range(a.clients)]
    expected = {}
    totals = {"sets": 0, "regressions": 0, "deletes": 0, "flushes": 0}
    for i, c in enumerate(clients):
        code = c.wait_exit(timeout=1200)
        tail = c.lines[-3:]
        check(code == 0, f"client {i} exited {code}: {tail}")
        for line in c.lines:
            parts = line.split()
            if parts[0] == "SHARED":
                peer, sid = parts[1], parts[2]
                if peer not in expected or parse_sid(sid) > parse_sid(expected[peer]):
                    expected[peer] = sid
            elif parts[0] == "PRIVATE":
                if parts[2] != "ABSENT":
                    expected[parts[1]] = parts[2]
            elif parts[0] == "STATS":
                for kv in parts[1:]:
                    k, v = kv.split("=")
                    if k in totals:
                        totals[k] += int(v)
    elapsed = time.monotonic() - start
    memory = {e["peer"]: e["stream_id"]
              for e in json.loads(env.ctl_ok(p, "list", "--json"))}
    check(memory == expected, "memory differs from the expected values: "
          + differences(memory, expected))
    env.ctl_ok(p, "flush")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "node stops cleanly")
    disk = harness.read_rows(env.path("cursors.db"))
    check(disk == expected, "disk differs from the expected values: "
          + differences(disk, expected))
    ops = a.clients * a.updates
    print(f"concurrent load: {a.clients} clients x {a.updates} updates in "
          f"{elapsed:.1f}s ({ops / elapsed:.0f} ops/s), sets={totals['sets']} "
          f"refused regressions={totals['regressions']} "
          f"deletes={totals['deletes']} flushes={totals['flushes']}, "
          f"{len(expected)} peers: memory == disk == expected", flush=True)
    check(totals["regressions"] > 0, "the shared peers really overlapped")


if __name__ == "__main__":
    main(scenario, "concurrent_load", add_args)
