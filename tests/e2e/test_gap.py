"""A source stream trimmed (or an entry deleted) past the cursor: entries the
tailer never applied are gone. The gap is reported loudly: an error line
naming the peer and the IDs, the gap counter of the metrics file, and a
non-zero exit when it ends the run. Nothing is skipped silently: without
tailer.allow-gaps the peer stops and the target gets nothing after the
cursor; the other peer keeps running. With tailer.allow-gaps=true the gap is
reported the same way and the peer continues with what is left. The mirror
case, a target that lost what the cursor says was applied, stops the peer
too. Then the two reports of issue 16: a source deleted and recreated while
the tailer was down, a target deleted while it runs: both stop the peer,
and nothing is written over the loss. Last, a source replayed with one
entry changed behind the tailer's position: found when that entry is read
again after a restart and compared with the target's (diverged). And another
client's XSETID moving the target's last ID into the next batch's IDs: the
part of the batch above it is written, the peer stops (target_hole)."""

import signal
import threading

from eharness import (PEER_NAMES, STARTED, check, compare_streams, fill, main,
                      parse_sid, read_cursors, read_metrics, tailer_config,
                      wait_caught_up)


def scenario(env):
    sa, sb, target = env.redis("sourceA"), env.redis("sourceB"), env.redis("target")
    a, b = PEER_NAMES[0], PEER_NAMES[1]
    ca, cb, tc = sa.client(), sb.client(), target.client()
    ta, tb = f"events:{a}", f"events:{b}"
    db = env.path("cursors.db")
    metrics = env.path("tailer.prom")
    extra = f'metrics-file="{metrics}"\nmetrics-interval=100ms\nblock=250ms\n'
    both = env.write_config("both.ini", tailer_config(
        [(a, sa, "events"), (b, sb, "events")], target, db=db,
        extra_tailer=extra))
    only_a = env.write_config("a.ini", tailer_config(
        [(a, sa, "events")], target, db=db, extra_tailer=extra))
    pairs = [(ca, "events", tc, ta), (cb, "events", tc, tb)]

    # 1. Replicate 1000 entries per peer, stop cleanly.
    fill(ca, "events", 1000, env.rng)
    fill(cb, "events", 1000, env.rng)
    t = env.tailer(both, name="first")
    t.wait_for(STARTED)
    wait_caught_up(pairs)
    t.signal(signal.SIGTERM)
    check(t.wait_exit() == 0, "clean stop")
    cursor = read_cursors(db)[a]
    check(cursor == ca.last_id("events"), "cursor of A at the source's end")

    # 2. A's source grows by 1000 and is trimmed to its last 100 entries:
    # 900 entries after the cursor are gone.
    fill(ca, "events", 1000, env.rng, start=1000)
    ca.call("XTRIM", "events", "MAXLEN", 100)
    first_left = ca.call("XRANGE", "events", "-", "+", "COUNT", 1)[0][0].decode()
    t = env.tailer(both, name="gap")
    t.wait_for(STARTED)
    m = t.wait_for(rf"error .*peer '{a}' stopped: gap: peer '{a}': source "
                   rf"127\.0\.0\.1:{sa.port} stream 'events': 900 entries "
                   rf"after position {cursor} were trimmed before the tailer "
                   rf"read them \(the stream's first entry is now {first_left}; "
                   rf"2000 entries were ever added, 100 are left\)")
    print(f"reported: {m.group(0)}", flush=True)
    # B keeps running while A is stopped.
    fill(cb, "events", 500, env.rng, start=1000)
    wait_caught_up(pairs[1:])
    # Nothing after the cursor reached A's target.
    check(tc.last_id(ta) == cursor, f"A's target moved past the gap: "
                                    f"{tc.last_id(ta)} != {cursor}")
    check(tc.xlen(ta) == 1000, "A's target unchanged")
    t.signal(signal.SIGTERM)
    code = t.wait_exit()
    check(code == 5, f"a stopped peer makes the exit code 5, got {code}")
    t.wait_for(rf"1 of 2 peers stopped for good: '{a}'")
    mm = read_metrics(metrics)
    check(mm[f'replication_tailer_gaps_total{{peer="{a}"}}'] == 1, "gap counted")
    check(mm[f'replication_tailer_peer_failed{{peer="{a}"}}'] == 1, "A failed")
    check(mm[f'replication_tailer_peer_failed{{peer="{b}"}}'] == 0, "B not")
    check(read_cursors(db)[a] == cursor, "A's cursor did not move past the gap")

    # 3. With tailer.allow-gaps the same gap is reported, then A continues
    # with the 100 entries left.
    t = env.tailer(both, "--tailer.allow-gaps", name="allow")
    t.wait_for(STARTED)
    t.wait_for(rf"error .*peer '{a}': gap: source .*: 900 entries after "
               rf"position {cursor} were trimmed before the tailer read them "
               rf".*; continuing after it")
    wait_caught_up(pairs)
    t.signal(signal.SIGTERM)
    check(t.wait_exit() == 0, "allow-gaps: exit 0 after a reported gap")
    mm = read_metrics(metrics)
    check(mm[f'replication_tailer_gaps_total{{peer="{a}"}}'] == 1, "counted")
    check(tc.xlen(ta) == 1100, f"A's target: 1000 + the 100 left, got "
                               f"{tc.xlen(ta)}")
    left = ca.xrange_all("events")
    applied = tc.call("XRANGE", ta, "(" + cursor, "+")
    check([(e[0].decode(), e[1]) for e in applied] == left,
          "after the gap A's target holds exactly what is left")
    compare_streams(cb, "events", tc, tb)

    # 4. One entry deleted (XDEL) after the cursor is a gap too; with A the
    # only peer, its stop ends the run by itself, exit code 5.
    cursor = read_cursors(db)[a]
    fill(ca, "events", 50, env.rng, start=2000)
    victim = ca.call("XRANGE", "events", "(" + cursor, "+", "COUNT", 10)[9][0]
    check(ca.call("XDEL", "events", victim) == 1, "XDEL")
    t = env.tailer(only_a, name="xdel")
    t.wait_for(rf"peer '{a}' stopped: gap: .*entries after position {cursor} "
               rf"were deleted \(XDEL\) before the tailer read them \(the "
               rf"stream's max-deleted-entry-id is {victim.decode()}")
    t.wait_for("every peer stopped: ending the run")
    code = t.wait_exit()
    check(code == 5, f"the run ended by the gap exits 5, got {code}")
    check(tc.last_id(ta) == cursor, "nothing after the deleted entry applied")


    # 5. The target lost what the cursor says was applied (deleted here; a
    # target Redis restarted without its data looks the same): the peer
    # stops before writing anything.
    cursor = read_cursors(db)[a]
    tc.call("DEL", ta)
    t = env.tailer(only_a, name="behind")
    t.wait_for(rf"peer '{a}' stopped: target_behind: the target "
               rf"127\.0\.0\.1:{target.port} stream '{ta}': the stream does "
               rf"not exist but the cursor says {cursor} was applied")
    check(t.wait_exit() == 5, "the run ended by a target behind exits 5")
    check(tc.xinfo(ta) is None, "nothing written to the lost target")

    # 6. Issue 16, first report: 100 entries copied, the tailer stopped, 50
    # more added, the stream deleted and 200 written with higher IDs. The
    # restarted tailer must not copy the 200 over the 50 it never saw.
    sc = env.redis("sourceC")
    c = PEER_NAMES[2]
    cc, tcc = sc.client(), f"events:{c}"
    only_c = env.write_config("c.ini", tailer_config(
        [(c, sc, "events")], target, db=db, extra_tailer=extra))
    fill(cc, "events", 100, env.rng)
    t = env.tailer(only_c, name="copy100")
    t.wait_for(STARTED)
    wait_caught_up([(cc, "events", tc, tcc)])
    t.signal(signal.SIGTERM)
    check(t.wait_exit() == 0, "clean stop after 100")
    fill(cc, "events", 50, env.rng, start=100)
    last_old = cc.last_id("events")
    cc.call("DEL", "events")
    ms = parse_sid(last_old)[0] + 1000
    cc.pipeline([["XADD", "events", f"{ms + i}-0", "n", str(i)]
                 for i in range(200)])
    t = env.tailer(only_c, name="recreated")
    t.wait_for(rf"peer '{c}' stopped: source_replaced: peer '{c}': source "
               rf".*: the stream is not the one position \S+ came from: every "
               rf"entry up to the position is gone .* but only 0 entries were "
               rf"ever removed, fewer than the 100 it had up to the position")
    check(t.wait_exit() == 5, "a replaced source exits 5")
    check(tc.xlen(tcc) == 100, f"the target keeps the 100, got {tc.xlen(tcc)}")
    mm = read_metrics(metrics)
    check(mm[f'replication_tailer_peer_fault{{peer="{c}",'
             f'reason="source_replaced"}}'] == 1, "the fault is a metric")

    # 7. Issue 16, second report: the target stream deleted while the tailer
    # runs. The next batch must not recreate it with the new entries only.
    sd = env.redis("sourceD")
    d = PEER_NAMES[3]
    cd, tcd = sd.client(), f"events:{d}"
    only_d = env.write_config("d.ini", tailer_config(
        [(d, sd, "events")], target, db=db, extra_tailer=extra))
    fill(cd, "events", 20, env.rng)
    t = env.tailer(only_d, name="running")
    t.wait_for(STARTED)
    wait_caught_up([(cd, "events", tc, tcd)])
    tc.call("DEL", tcd)
    fill(cd, "events", 3, env.rng, start=20)
    t.wait_for(rf"peer '{d}' stopped: target_behind: the target .* stream "
               rf"'{tcd}': the stream does not exist, but the tailer wrote 20 "
               rf"entries up to \S+ to it")
    check(t.wait_exit() == 5, "a lost target exits 5")
    check(tc.xinfo(tcd) is None, "the lost target was not recreated")

    # 8. The entries read again after a restart are compared with the
    # target's: a source replayed with the same IDs, the same entry at the
    # target's end and the same count, but one entry before it changed,
    # passes the source check (Redis cannot tell it from the old stream) and
    # is caught there (diverged).
    se = env.redis("sourceE")
    e = "nl.node.amsterdam-5"
    ce, tce = se.client(), f"events:{e}"
    slow = env.write_config("e.ini", tailer_config(
        [(e, se, "events")], target, db=db, extra_tailer=extra,
        extra_cursor="flush-interval=1h\n"))
    entries = [[f"{100 + i}-0", "n", str(i)] for i in range(20)]
    ce.pipeline([["XADD", "events"] + x for x in entries[:10]])
    t = env.tailer(slow, name="first10")
    t.wait_for(STARTED)
    wait_caught_up([(ce, "events", tc, tce)])
    t.signal(signal.SIGTERM)
    check(t.wait_exit() == 0, "clean stop after 10")
    check(read_cursors(db)[e] == "109-0", "cursor after the first 10")
    ce.pipeline([["XADD", "events"] + x for x in entries[10:]])
    t = env.tailer(slow, name="next10")
    t.wait_for(STARTED)
    wait_caught_up([(ce, "events", tc, tce)])
    t.signal(signal.SIGKILL)  # before the 1 h flush: the cursor stays 109-0
    t.wait_exit()
    check(read_cursors(db)[e] == "109-0", "the cursor was not flushed")
    entries[14] = ["114-0", "n", "changed"]
    ce.call("DEL", "events")
    ce.pipeline([["XADD", "events"] + x for x in entries])
    t = env.tailer(slow, name="replayed")
    t.wait_for(rf"peer '{e}' stopped: diverged: the target .*: the entry "
               rf"114-0, read again from the source after a restart, has "
               rf"other fields in the target")
    check(t.wait_exit() == 5, "diverged exits 5")
    check(tc.xlen(tce) == 20, "the target unchanged")

    # 9. Another client's XSETID moves the target's last ID up into the IDs
    # of the next batch (TAILER.md, T6; nemesis seed 160314). Redis 7.0's
    # WATCH does not see an XSETID, so the batch goes through EXEC: its
    # XADDs up to the new last ID fail there, the later ones succeed. The
    # tailer cannot prevent the hole; it must stop the peer and name it
    # (target_hole), without recording the batch. The tailer waits in one
    # long XREAD BLOCK (block=1min) after catching up, so nothing of it
    # looks at the target between the XSETID and the batch: the order is
    # fixed by events, not by timing.
    sg = env.redis("sourceG")
    g = "es.node.madrid-6"
    cg, tcg = sg.client(), f"events:{g}"
    hole = env.write_config("g.ini", tailer_config(
        [(g, sg, "events")], target, db=db,
        extra_tailer=f'metrics-file="{metrics}"\nmetrics-interval=100ms\n'
                     "block=1min\nshutdown-timeout=2min\nbatch-size=50\n"))
    cg.pipeline([["XADD", "events", f"{1000 + i}-0", "n", str(i)]
                 for i in range(20)])
    t = env.tailer(hole, name="hole")
    t.wait_for(STARTED)
    wait_caught_up([(cg, "events", tc, tcg)])
    # The batch's EXEC is followed, in the same round trip, by the WATCH and
    # the XINFO STREAM that guard the next batch: wait for that XINFO to
    # have run (the writer's connection's last command).
    me = tc.call("CLIENT", "ID")
    pause = threading.Event()
    watched = False
    for _ in range(3000):  # bounded: 30 s
        for line in tc.call("CLIENT", "LIST").decode().splitlines():
            f = dict(x.split("=", 1) for x in line.split(" ") if "=" in x)
            if int(f["id"]) != me and f.get("cmd") == "xinfo|stream":
                watched = True
        if watched:
            break
        pause.wait(0.01)
    check(watched, "the writer's WATCH and XINFO after the batch")
    tc.call("XSETID", tcg, "1024-0")
    # The next 10 entries come in one transaction: the waiting read wakes
    # after EXEC and takes all of them as one batch.
    cg.pipeline([["MULTI"]]
                + [["XADD", "events", f"{1020 + i}-0", "n", str(20 + i)]
                   for i in range(10)] + [["EXEC"]])
    t.wait_for(rf"peer '{g}' stopped: target_hole: the target "
               rf"127\.0\.0\.1:{target.port} stream '{tcg}': inside the "
               rf"transaction of a batch: .*equal or smaller than the target "
               rf"stream top item.*, while a later command of the batch "
               rf"succeeded: the target misses an entry")
    t.wait_for("every peer stopped: ending the run")
    # The reader waits in XREAD BLOCK for up to a minute and CAF 0.17 cannot
    # interrupt it (TAILER.md, "Limits"): an entry ends its wait, so that
    # the run ends before the shutdown deadline (10 s).
    cg.call("XADD", "events", "1030-0", "n", "30")
    code = t.wait_exit()
    check(code == 5, f"a hole in the target exits 5, got {code}")
    ids = [x[0].decode() for x in tc.call("XRANGE", tcg, "-", "+")]
    check(ids == [f"{1000 + i}-0" for i in range(20)]
          + [f"{1025 + i}-0" for i in range(5)],
          f"the target holds the 20, then the batch's entries above 1024-0 "
          f"only: {ids}")
    check(read_cursors(db)[g] == "1019-0",
          f"the batch with the hole is not recorded: {read_cursors(db)[g]}")
    mm = read_metrics(metrics)
    check(mm[f'replication_tailer_peer_fault{{peer="{g}",'
             f'reason="target_hole"}}'] == 1, "the fault is a metric")


if __name__ == "__main__":
    main(scenario, "gap")
