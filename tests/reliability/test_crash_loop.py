"""Crash loop: a workload client sets strictly increasing cursors for many
peers through the node, asks for flushes and checkpoints, and records what
was acknowledged, while the node is killed with SIGKILL at a random point of
its progress (during sets, flushes and checkpoints alike). After each kill:
PRAGMA integrity_check is ok; for every peer the recovered value is at least
the last acknowledged one, is a value that was really sent, and never lower
than what an earlier restart recovered.

Each cycle's node runs one of 12 configurations (flush interval 0 s, 5 ms,
20 ms or 100 ms; dirty threshold 0, 8 or 32), taken from a shuffled round of
all 12, so every configuration is killed once in every 12 cycles. It runs a
fixed number of cycles, however long they take, so what it proves does not
depend on the machine: CI 24 (each configuration twice), 12 under the
sanitizers (each once); `ctest -L soak` runs soak.crash_loop, 300 cycles.
By hand:
    test_crash_loop.py --node ... --cycles 1000
prints cycles, acknowledged values checked, losses, regressions."""

import random
import signal

from rharness import TestFailure, check, integrity, main, parse_sid
import harness

PEERS = 64
INTERVALS = ["0s", "5ms", "20ms", "100ms"]
THRESHOLDS = [0, 8, 32]


def add_args(p):
    p.add_argument("--cycles", type=int, default=24)
    p.add_argument("--seed", type=int, default=None)


def scenario(env):
    args = env.args
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"seed {seed}", flush=True)
    db = env.path("cursors.db")
    acked = {}        # peer -> highest acknowledged (ms, seq)
    tried = {}        # peer -> every id ever sent
    recovered_before = {}
    totals = {"cycles": 0, "checked": 0, "losses": 0, "regressions": 0,
              "phantoms": 0, "acks": 0}
    configurations = []
    for cycle in range(1, args.cycles + 1):
        if not configurations:
            configurations = [(i, t) for i in INTERVALS for t in THRESHOLDS]
            rng.shuffle(configurations)
        interval, threshold = configurations.pop()
        node = env.node(f"--cursor.flush-interval={interval}",
                        f"--cursor.dirty-threshold={threshold}",
                        "--node.log-level=info", name=f"node{cycle}")
        node.wait_listening()
        # What the node restored must equal what is in the file.
        code, out, err, _ = env.ctl(node.port, "list", "--json")
        check(code == 0, f"list after restart failed: {err}")
        work = env.workload("crash", "127.0.0.1", node.port, cycle, PEERS,
                            1_000_000, name=f"work{cycle}")
        # Kill at a random point of the client's progress: after a random
        # number of its output lines (TRY before each set, ACK after flushes).
        kill_at = rng.randint(1, 3000)
        work.wait_lines(kill_at, timeout=120)
        node.proc.kill()
        check(node.wait_exit() == -signal.SIGKILL, "node killed")
        # The client learns of the death only when its requests time out;
        # no acknowledgement can come any more, so end it now. Lines it wrote
        # before are still read from the pipe.
        work.kill()
        work.wait_exit(timeout=60)
        for line in work.lines:
            parts = line.split()
            if len(parts) != 3:
                continue
            kind, peer, sid = parts
            if kind == "TRY":
                tried.setdefault(peer, set()).add(sid)
            elif kind == "ACK":
                totals["acks"] += 1
                value = parse_sid(sid)
                if value > acked.get(peer, (0, 0)):
                    acked[peer] = value
        # Check the file as the crash left it.
        check(integrity(db) == "ok", f"integrity_check after cycle {cycle}")
        rows = harness.read_rows(db)
        for peer, value in acked.items():
            totals["checked"] += 1
            got = rows.get(peer)
            if got is None or parse_sid(got) < value:
                totals["losses"] += 1
                print(f"LOSS cycle {cycle}: {peer} acknowledged "
                      f"{value}, recovered {got}", flush=True)
        for peer, sid in rows.items():
            if sid not in tried.get(peer, set()):
                totals["phantoms"] += 1
                print(f"PHANTOM cycle {cycle}: {peer} = {sid} was never sent",
                      flush=True)
            before = recovered_before.get(peer)
            if before is not None and parse_sid(sid) < parse_sid(before):
                totals["regressions"] += 1
                print(f"REGRESSION cycle {cycle}: {peer} {before} -> {sid}",
                      flush=True)
        for peer in recovered_before:
            if peer not in rows:
                totals["regressions"] += 1
                print(f"REGRESSION cycle {cycle}: {peer} vanished", flush=True)
        recovered_before = rows
        totals["cycles"] += 1
        print(f"cycle {cycle} (flush interval {interval}, dirty threshold "
              f"{threshold}): killed after {kill_at} lines, "
              f"{len(rows)} peers on disk, {len(acked)} with an "
              f"acknowledged value", flush=True)
    print("crash loop: cycles={cycles} acknowledged_values_checked={checked} "
          "acks={acks} losses={losses} regressions={regressions} "
          "phantoms={phantoms}".format(**totals), flush=True)
    check(totals["cycles"] == args.cycles,
          f"{totals['cycles']} of {args.cycles} cycles ran")
    check(totals["acks"] > 0, "no flush was ever acknowledged")
    check(totals["losses"] == 0, f"{totals['losses']} acknowledged values lost")
    check(totals["regressions"] == 0, f"{totals['regressions']} regressions")
    check(totals["phantoms"] == 0, f"{totals['phantoms']} values never sent")


if __name__ == "__main__":
    main(scenario, "crash_loop", add_args)
