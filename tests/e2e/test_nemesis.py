"""The nemesis (issue 16 point 3): random histories of producer traffic and
faults on two sources and a target, with the tailer and the node killed,
stopped and frozen at random moments, each judged by a checker that knows
the truth. What a history does and what the checker demands: nemesis.py.

    test_nemesis.py <binaries> --histories N [--seed S] [--history H]

History i runs with seed S + i (S random unless given, printed first); one
history is run again alone with --history <its seed>. CTest runs
`e2e.nemesis` (a number that fits the CI budget, fewer under the
sanitizers) and, with the label `soak`, `e2e.nemesis_soak` (500 histories;
excluded from scripts/test.sh). The summary counts the histories, the
faults, how each peer ended, and the silent divergences (which must be 0).
"""

import collections
import os
import random
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import eharness  # noqa: E402  (puts tests/integration on the path)
import harness  # noqa: E402
from eharness import TestFailure, free_port  # noqa: E402
from nemesis import History, World  # noqa: E402


def parse_args():
    p = eharness.argument_parser()
    p.add_argument("--histories", type=int, default=10)
    p.add_argument("--history", type=int, default=None,
                   help="run the one history with this seed")
    p.add_argument("--min-steps", type=int, default=10)
    p.add_argument("--max-steps", type=int, default=24)
    return p.parse_args()


class Env(eharness.Env):
    def __init__(self, args, name):
        # The histories have seeds of their own (printed by scenario()).
        harness.Env.__init__(self, args, name)
        self.servers = []

    def spawn_tailer(self, ini, name):
        t = harness.Node(self.args.tailer, [f"--config-file={ini}"],
                         cwd=self.dir, name=name)
        self.nodes.append(t)
        return t

    def spawn_node(self, argv, name):
        n = harness.Node(self.args.node, argv, cwd=self.dir, name=name)
        self.nodes.append(n)
        return n

    def free_port(self):
        return free_port()


def scenario(env):
    args = env.args
    if args.history is not None:
        seeds = [args.history]
    else:
        base = args.seed if args.seed is not None else random.randrange(1 << 30)
        seeds = [base + i for i in range(args.histories)]
        print(f"nemesis: {len(seeds)} histories, seeds {seeds[0]} .. "
              f"{seeds[-1]} (rerun one with --history <seed>, all with "
              f"--seed {seeds[0]} --histories {len(seeds)})", flush=True)
    world = World(env)
    faults = collections.Counter()
    endings = collections.Counter()
    failed = []
    divergences = 0
    harness_errors = []
    started = time.monotonic()
    for n, seed in enumerate(seeds, start=1):
        world.reset()
        h = History(env, world, seed, remote=random.Random(seed).random() < 0.3)
        steps = h.rng.randint(args.min_steps, args.max_steps)
        began = time.monotonic()
        try:
            h.run(steps)
            verdicts, problems = h.judge()
        except TestFailure as e:
            verdicts, problems = [], [f"history {seed}: {e}"]
        except Exception as e:  # noqa: BLE001
            # A step this harness could not carry out (a Redis error, a
            # lost connection): never a pass. The history fails with its
            # steps and the traceback, the others still run.
            verdicts = []
            problems = [f"history {seed}: HARNESS ERROR at step {h.step}: "
                        f"{type(e).__name__}: {e}\n"
                        + traceback.format_exc()]
            harness_errors.append(seed)
        finally:
            # Nothing of this history may outlive it.
            for p in env.nodes:
                p.kill()
            env.nodes.clear()
        faults.update(h.kinds)
        endings.update(verdicts)
        status = "ok" if not problems else "FAILED"
        print(f"history {n}/{len(seeds)} seed {seed}: {steps} steps, "
              f"{'remote node' if h.remote else 'embedded store'}, "
              f"{h.runs} tailer runs, {time.monotonic() - began:.1f} s: "
              f"{', '.join(verdicts) or '-'}: {status}", flush=True)
        if problems or args.history is not None:
            # A replayed history shows its steps whatever its outcome.
            print("  history:\n    " + "\n    ".join(h.log), flush=True)
        if problems:
            divergences += sum("SILENT DIVERGENCE" in p for p in problems)
            failed.append(seed)
            for p in problems:
                print(f"  PROBLEM: {p}", flush=True)
    elapsed = time.monotonic() - started
    print(f"nemesis: {len(seeds)} histories in {elapsed:.0f} s", flush=True)
    print("  faults: " + ", ".join(f"{k} {v}" for k, v in
                                   sorted(faults.items())), flush=True)
    print("  peers: " + ", ".join(f"{k} {v}" for k, v in
                                  sorted(endings.items())), flush=True)
    print(f"  silent divergences: {divergences}; harness errors: "
          f"{harness_errors or 'none'}; failed histories: "
          f"{failed or 'none'}", flush=True)
    if failed:
        raise TestFailure(f"{len(failed)} of {len(seeds)} histories failed "
                          f"(seeds {failed})")


if __name__ == "__main__":
    harness.main(scenario, "nemesis", args=parse_args(), env_class=Env)
