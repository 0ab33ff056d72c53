"""The tailer is killed with SIGKILL at random points, 30 times, while the
three sources keep growing, and restarted each time. At the end every target
equals its source: no entry missing, none twice, none reordered.

After each kill the test checks what the next run reads again, by events,
not by the clock (issue 16 point 4). The store says what is durable: its
SQLite file, which holds exactly the committed cursors (read here with
SQLite itself, read-only, while the tailer runs and after the kill). Per
peer and kill:

- D: the durable cursor read from the file just before the kill; C: the one
  the file holds after it. C >= D (a committed record is never lost), C
  never moves back from one kill to the next, and C is at most the target's
  last entry (only applied positions are recorded).
- The next run resumes from C and reads again exactly the entries the
  target holds after C (applied after the last durable record, not
  recorded): it says how many when it has passed them ("read again N
  entries", or "read again 0 entries" when the target ends at C). N must
  equal the count of the target's entries after C, and so be at most the
  count after D: "entries read again <= entries applied after the last
  durable record", exactly, with no time window. A run killed before it
  passed them says nothing; at least half of the checks must be complete.

The kill moments are drawn at random inside a fixed plan: of the 30 lives,
3 are killed while starting, 9 early (within 0.5 s of the start line,
during the catch-up burst) and 18 late (0.8 s to 1.5 s, steady tailing), in
a shuffled order."""

import re
import signal
import threading

from eharness import (PEER_NAMES, STARTED, Producer, check, compare_streams,
                      fill, main, parse_sid, read_cursors, tailer_config,
                      wait_caught_up)

KILLS = 30
FLUSH_MS = 200
BATCH = 100
# Counts the entries of a stream from an XRANGE start on, inside Redis.
COUNT_SCRIPT = "return #redis.call('XRANGE', KEYS[1], ARGV[1], '+')"
READ_AGAIN = re.compile(r"peer '([^']+)': (?:read again (\d+) entries up to|"
                        r"the target ends at the recorded position \S+: read "
                        r"again (0) entries)")


def scenario(env):
    sources = [env.redis(f"source{i}") for i in range(3)]
    target = env.redis("target")
    peers = [(PEER_NAMES[i], sources[i], "events") for i in range(3)]
    tkeys = [f"events:{p[0]}" for p in peers]
    clients = [s.client() for s in sources]
    tc = target.client()
    for c in clients:
        fill(c, "events", 2000, env.rng)
    db = env.path("cursors.db")
    config = env.write_config("tailer.ini", tailer_config(
        peers, target, db=db,
        extra_tailer=f"batch-size={BATCH}\nblock=100ms\n",
        extra_cursor=f"flush-interval={FLUSH_MS}ms\n"))
    producer = Producer([(s, "events") for s in sources], rate_per_source=1000,
                        rng=env.rng)

    def after(key, cursor):
        """The target's entries after `cursor`, counted inside Redis."""
        start = "-" if cursor == "0" else "(" + cursor
        return tc.call("EVAL", COUNT_SCRIPT, 1, key, start)

    pause = threading.Event()  # never set: the random moment of a kill
    previous = {}
    # Per peer, what the next run must say it read again: (exactly, at most).
    owed = {}
    totals = {"checks": 0, "complete": 0, "reread": 0, "max": 0}
    plan = ["start"] * 3 + ["early"] * 9 + ["late"] * 18
    assert len(plan) == KILLS
    env.rng.shuffle(plan)
    for life, kind in enumerate(plan, start=1):
        t = env.tailer(config, name=f"life{life}")
        if kind != "start":
            t.wait_for(STARTED)
            pause.wait(env.rng.uniform(0.0, 0.5) if kind == "early"
                       else env.rng.uniform(0.8, 1.5))
        durable = read_cursors(db)
        t.signal(signal.SIGKILL)
        check(t.wait_exit() == -signal.SIGKILL, f"life {life}: killed")
        # What this run said it read again, owed by the previous kill.
        said = {}
        for m in READ_AGAIN.finditer(t.output()):
            said.setdefault(m.group(1), int(m.group(2) or m.group(3)))
        for p in peers:
            if p[0] not in owed:
                continue
            exact, at_most = owed.pop(p[0])
            totals["checks"] += 1
            if p[0] not in said:
                continue  # killed before it passed them
            n = said[p[0]]
            totals["complete"] += 1
            totals["reread"] += n
            totals["max"] = max(totals["max"], n)
            check(n == exact, f"life {life}: {p[0]} read again {n} entries, "
                              f"the target held {exact} after the durable "
                              "cursor")
            check(n <= at_most, f"life {life}: {p[0]} read again {n}, more "
                                f"than the {at_most} applied after the last "
                                "cursor seen durable before the kill")
        cursors = read_cursors(db)
        for i, p in enumerate(peers):
            cursor = cursors.get(p[0], "0")
            seen = durable.get(p[0], "0")
            last = tc.last_id(tkeys[i])
            check(parse_sid(cursor) >= parse_sid(seen),
                  f"life {life}: cursor of {p[0]} is {cursor}, but {seen} "
                  "was durable before the kill")
            if p[0] in previous:
                check(parse_sid(cursor) >= parse_sid(previous[p[0]]),
                      f"life {life}: cursor of {p[0]} moved back from "
                      f"{previous[p[0]]} to {cursor}")
            check(parse_sid(cursor) <= parse_sid(last),
                  f"life {life}: cursor of {p[0]} {cursor} beyond the "
                  f"target's last entry {last}")
            previous[p[0]] = cursor
            exact, at_most = after(tkeys[i], cursor), after(tkeys[i], seen)
            owed[p[0]] = (exact, at_most)
            print(f"life {life:2d} {kind:5s} {p[0]:22s} durable before the "
                  f"kill {seen}, after {cursor}: to read again {exact} "
                  f"(at most {at_most})", flush=True)
    counts = producer.stop()
    final = env.tailer(config, name="final")
    final.wait_for(STARTED)
    wait_caught_up([(c, "events", tc, k) for c, k in zip(clients, tkeys)],
                   timeout=90)
    final.signal(signal.SIGTERM)
    check(final.wait_exit() == 0, "the final run stops with exit 0")
    said = {m.group(1): int(m.group(2) or m.group(3))
            for m in READ_AGAIN.finditer(final.output())}
    for p in peers:
        exact, _ = owed.pop(p[0])
        totals["checks"] += 1
        totals["complete"] += 1
        check(said.get(p[0]) == exact, f"final run: {p[0]} read again "
                                       f"{said.get(p[0])}, expected {exact}")
    check(totals["complete"] * 2 >= totals["checks"],
          f"only {totals['complete']} of {totals['checks']} re-reads were "
          "completed before the next kill")
    print(f"{KILLS} kills, {totals['checks']} re-reads owed, "
          f"{totals['complete']} completed and checked exactly, "
          f"{totals['reread']} entries read again in all, at most "
          f"{totals['max']} at once; sources grew to {counts}", flush=True)
    for c, k in zip(clients, tkeys):
        n = compare_streams(c, "events", tc, k)
        print(f"{k}: {n} entries, equal to the source", flush=True)


if __name__ == "__main__":
    main(scenario, "tailer_kill")
