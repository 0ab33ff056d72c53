"""The tailer's nemesis (issue 16): random histories of producer traffic and
faults against real redis-servers, judged by a checker that knows the truth.

A history is drawn from one seed: two sources, one target, a store that is
embedded or a remote cursor_node, and 10 to 24 steps, each one of: produce
entries, let the tailer catch up, pause, a fault on a source (XDEL, XTRIM
MAXLEN/MINID below, at or beyond the tailer's position, DEL, DEL and
recreation with lower, equal or higher IDs, XSETID up, down (after XDEL of
the last entries), ENTRIESADDED or MAXDELETEDID, the key replaced by a
string, FLUSHALL, a restart without persistence, a failover to a copy that
lagged), a fault on the target (another writer's XADD, XDEL, XTRIM, DEL,
DEL then another writer's XADD, the key replaced by a string, XSETID,
FLUSHALL, a restart without persistence, a failover to a copy that lagged),
a fault on the
tailer (SIGKILL, SIGTERM, SIGSTOP then SIGCONT, each restarted later) or on
the node (SIGKILL, restarted on its port). The steps run one after the other
from the main thread, so the seed fixes every operation and its arguments;
only where the tailer is when a step runs depends on the machine. A failover
is emulated faithfully: the server is stopped without saving and started on
its port with the stream as a DUMP taken earlier left it (a replica reports
the same XINFO STREAM as its primary: e2e.redis_facts).

The truth: every entry each incarnation of each source stream ever had (a
failover's copy inherits the entries of the original up to the DUMP), and
every fault with the reasons it can make a peer stop for.

The end: producers stop, the tailer (and node) run, each peer is waited for
(bounded) until its target ends where its source does or it stopped, then
SIGTERM. The checker, per peer:

- not stopped: the target equals, entry for entry (IDs, fields, values,
  order), the history of the source stream as it is now (or, the stream
  gone, of the last one, unless the tailer never read any of it), and the
  cursor is its last ID. Anything else with exit 0 is a silent divergence.
- stopped: the log line "peer '...' stopped: <reason>", the metrics and the
  exit code 5 say so; the reason is one a fault of this history can cause
  (a stop without such a fault is a false alarm); the target holds a prefix
  of the history of one incarnation of the source (nothing after the fault,
  nothing foreign), or exactly what the last fault on the target left, or,
  that fault an XSETID moving the target's last ID up, what it left and one
  run of a source incarnation's entries above it (the part of the batch on
  its way that Redis accepted: target_hole, TAILER.md T6).

Each fault step reads the state its key is in (no key, a stream, possibly
empty, or a string) and runs only where it is valid; otherwise it is noted
as skipped and changes nothing. Any other exception of a step is a harness
error: the history fails, never passes.
"""

import collections
import os
import random
import re
import signal
import threading
import time

from eharness import (PEER_NAMES, STARTED, RedisError, TestFailure, check,
                      read_cursors, read_metrics)

KEY = "events"

# The reasons each kind of fault can make a peer stop for.
SOURCE_REASONS = {"gap", "source_behind", "source_replaced",
                  "source_ambiguous", "diverged"}
TARGET_REASONS = {"target_behind", "target_removed", "target_foreign",
                  "diverged", "source_replaced", "source_behind",
                  "source_ambiguous", "gap"}
REASONS = {
    "xdel": {"gap", "source_ambiguous"},
    "trim": {"gap", "source_ambiguous"},
    "del": SOURCE_REASONS,
    "recreate": SOURCE_REASONS,
    "xsetid": {"gap", "source_behind", "source_replaced", "source_ambiguous"},
    "wrongtype": SOURCE_REASONS,
    "flushall": SOURCE_REASONS,
    "restart": SOURCE_REASONS,
    "failover": SOURCE_REASONS,
    "target": TARGET_REASONS,
    # An XSETID that moved the target's last ID up, while a batch was on its
    # way (between the tailer's last check and its EXEC: Redis 7.0's WATCH
    # does not see an XSETID): the batch's XADDs up to the new last ID fail
    # inside EXEC, the later ones succeed. The target then misses entries
    # below entries the tailer wrote: target_hole (TAILER.md, T6).
    "target_xsetid_up": TARGET_REASONS | {"target_hole"},
}

STOP_LINE = re.compile(r"peer '([^']+)' stopped: (\w+): ")


def sid(text):
    ms, seq = text.split("-")
    return (int(ms), int(seq))


class Incarnation:
    """One life of a source stream, from its first XADD to its deletion: the
    entries it ever had, in order."""

    def __init__(self, number, entries=None):
        self.number = number
        self.entries = list(entries or [])

    def last_id(self):
        return self.entries[-1][0] if self.entries else None


class Source:
    """A source redis-server with one stream, and the truth about it."""

    def __init__(self, server, index):
        self.server = server
        self.index = index
        self.incarnations = []
        self.current = None  # the Incarnation the key holds, None if missing
        self.next_ms = 1000
        self.snapshot = None  # (DUMP or None, Incarnation copy, next_ms)
        self.faults = []  # (step, kind)
        self.wrong_type = False  # the key holds a string

    def client(self):
        return self.server.client()

    def produce(self, rng, count, history):
        c = self.client()
        try:
            if self.wrong_type:
                c.call("DEL", KEY)
                self.wrong_type = False
            if self.current is None:
                self.current = Incarnation(len(self.incarnations))
                self.incarnations.append(self.current)
                if len(self.incarnations) > 1:
                    self.faults.append((history.step, "recreate"))
            cmds = []
            for _ in range(count):
                eid = f"{self.next_ms}-0"
                self.next_ms += 1
                fields = [b"n", str(len(self.current.entries)).encode(),
                          b"i", str(self.current.number).encode(),
                          b"v", rng.randbytes(rng.choice([1, 8, 40]))]
                cmds.append(["XADD", KEY, eid] + fields)
                self.current.entries.append((eid, fields))
            for r in c.pipeline(cmds):
                if isinstance(r, RedisError):
                    raise TestFailure(f"source {self.index}: XADD: {r}")
        finally:
            c.close()


class History:
    """One history: its world, its steps, its checker."""

    def __init__(self, env, world, seed, remote):
        self.env = env
        self.world = world
        self.seed = seed
        self.rng = random.Random(seed)
        self.remote = remote
        self.step = 0
        self.log = []
        self.tailer = None
        self.paused = False
        self.node = None
        self.node_up = False
        self.dir = env.path(f"h{seed}")
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "cursors.db")
        self.metrics = os.path.join(self.dir, "tailer.prom")
        self.peers = PEER_NAMES[:2]
        self.tkeys = [f"{KEY}:{p}" for p in self.peers]
        self.sources = [Source(s, i) for i, s in enumerate(world.sources)]
        # Per peer: the faults on its target, and what the last one left.
        self.target_faults = [[] for _ in self.peers]
        self.target_after = [None for _ in self.peers]
        self.target_snapshot = None
        self.runs = 0
        # Every fault this history made, by kind, for the summary.
        self.kinds = collections.Counter()

    def note(self, text, kind=None):
        self.log.append(f"{self.step:2d} {text}")
        if kind:
            self.kinds[kind] += 1

    # -- processes ----------------------------------------------------------

    def config(self):
        batch = self.rng.choice([3, 10, 50, 200])
        text = "[tailer]\npeers=[\n"
        for i, p in enumerate(self.peers):
            text += (f'  {{id="{p}", source="{self.sources[i].server.address()}"'
                     f', stream="{KEY}"}},\n')
        text += "]\n"
        text += f'target="{self.world.target.address()}"\n'
        text += (f"batch-size={batch}\nblock=100ms\nretry-base-delay=20ms\n"
                 f"retry-max-delay=200ms\nio-timeout=1s\nconnect-timeout=1s\n"
                 f"request-timeout=2s\nshutdown-timeout=10s\n"
                 f'metrics-file="{self.metrics}"\nmetrics-interval=100ms\n')
        if self.remote:
            text += f'node="127.0.0.1:{self.node_port}"\n'
        else:
            text += f'\n[cursor]\ndb-path="{self.db}"\nflush-interval=100ms\n'
        path = os.path.join(self.dir, "tailer.ini")
        with open(path, "w") as f:
            f.write(text)
        self.note(f"config: batch-size {batch}, "
                  f"{'remote node' if self.remote else 'embedded store'}")
        return path

    def start_node(self):
        argv = [f"--cursor.db-path={self.db}",
                f"--node.port={self.node_port}",
                "--node.log-level=info", "--cursor.flush-interval=100ms"]
        self.node = self.env.spawn_node(argv, f"h{self.seed}-node")
        self.node.wait_listening()
        self.node_up = True

    def start_tailer(self):
        self.runs += 1
        self.tailer = self.env.spawn_tailer(
            self.ini, f"h{self.seed}-run{self.runs}")
        self.paused = False

    def tailer_alive(self):
        return self.tailer is not None and self.tailer.proc.poll() is None

    def ensure_running(self):
        if self.remote and not self.node_up:
            self.start_node()
        if self.tailer is not None and self.paused:
            self.tailer.signal(signal.SIGCONT)
            self.paused = False
        if not self.tailer_alive():
            self.start_tailer()

    # -- steps --------------------------------------------------------------

    def position(self, i):
        """Roughly where the tailer is for peer i: its target's last ID."""
        t = self.world.target.client()
        try:
            return t.last_id(self.tkeys[i])
        except RedisError:
            return "0"  # another type
        finally:
            t.close()

    def run(self, steps):
        if self.remote:
            self.node_port = self.env.free_port()
            self.start_node()
        self.ini = self.config()
        self.start_tailer()
        for _ in range(steps):
            self.step += 1
            self.one_step()
        self.finish()

    def one_step(self):
        rng = self.rng
        r = rng.random()
        if r < 0.34:
            i = rng.randrange(2)
            k = rng.randint(1, 60)
            self.sources[i].produce(rng, k, self)
            self.note(f"produce {k} on source {i}")
        elif r < 0.44:
            self.catch_up(rng.randrange(2))
        elif r < 0.50:
            ms = rng.choice([0, 10, 50, 200])
            self.note(f"pause {ms} ms")
            threading.Event().wait(ms / 1000)
        elif r < 0.68:
            self.source_fault(rng.randrange(2))
        elif r < 0.78:
            self.target_fault()
        elif r < 0.82:
            self.take_snapshots()
        elif r < 0.95:
            self.tailer_fault()
        elif self.remote:
            self.node_fault()

    def catch_up(self, i):
        """Waits (bounded) until peer i's target ends where its source does,
        or the peer stopped: an event to wait for, not a sleep."""
        if not self.tailer_alive() or self.paused:
            return
        want = self.sources[i].current
        want = want.last_id() if want else None
        self.note(f"catch up peer {i} (to {want})")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and want is not None:
            if self.position(i) == want or self.stopped_in_run(i):
                return
            threading.Event().wait(0.01)

    def stopped_in_run(self, i):
        if self.tailer is None:
            return None
        for line in self.tailer.output().splitlines():
            m = STOP_LINE.search(line)
            if m and m.group(1) == self.peers[i]:
                return m.group(2)
        return None

    def source_fault(self, i):
        rng = self.rng
        src = self.sources[i]
        srv = src.server
        c = srv.client()
        kind = rng.choice(["xdel", "xdel", "trim", "trim", "trim_at", "del",
                           "recreate", "recreate", "xsetid", "xsetid",
                           "wrongtype", "flushall", "restart", "failover"])
        pos = self.position(i)
        try:
            # The key's state, as this harness made it: a string after a
            # 'wrongtype' step (until the key is deleted or written again),
            # a stream while an incarnation lives (possibly empty: every
            # entry deleted or trimmed), otherwise no key. Only this harness
            # writes the sources, so Redis must agree.
            state = c.call("TYPE", KEY)
            model = "string" if src.wrong_type else (
                "stream" if src.current is not None else "none")
            check(state == model, f"history {self.seed} step {self.step}: "
                                  f"source {i} holds a {state}, the model "
                                  f"a {model}")
            if (state == "string" and kind in ("xdel", "trim", "trim_at",
                                               "xsetid", "wrongtype")) or (
                    state == "none" and kind in ("xdel", "trim", "trim_at",
                                                 "xsetid")):
                self.note(f"source {i}: {kind} skipped (the key is "
                          f"{'a string' if state == 'string' else 'missing'})")
                return
            if kind == "xdel":
                entries = c.call("XRANGE", KEY, "-", "+")
                if not entries:
                    return
                eid = rng.choice(entries)[0].decode()
                c.call("XDEL", KEY, eid)
                self.note(f"source {i}: XDEL {eid} (tailer at {pos})",
                          "source XDEL")
            elif kind == "trim":
                n = c.call("XLEN", KEY)
                if rng.random() < 0.5:
                    m = rng.randint(0, n)
                    c.call("XTRIM", KEY, "MAXLEN", m)
                    self.note(f"source {i}: XTRIM MAXLEN {m} (tailer at {pos})",
                              "source XTRIM MAXLEN")
                else:
                    entries = c.call("XRANGE", KEY, "-", "+")
                    if not entries:
                        return
                    eid = rng.choice(entries)[0].decode()
                    c.call("XTRIM", KEY, "MINID", eid)
                    self.note(f"source {i}: XTRIM MINID {eid} (tailer at {pos})",
                              "source XTRIM MINID")
            elif kind == "trim_at":
                # Everything up to the tailer's position, nothing after it.
                if pos == "0":
                    return
                after = c.call("XRANGE", KEY, "(" + pos, "+", "COUNT", 1)
                minid = after[0][0].decode() if after else f"{sid(pos)[0]}-1"
                c.call("XTRIM", KEY, "MINID", minid)
                self.note(f"source {i}: XTRIM MINID {minid} (at the tailer's "
                          f"position {pos})", "source XTRIM at the position")
            elif kind == "del":
                c.call("DEL", KEY)
                src.current = None
                src.wrong_type = False
                self.note(f"source {i}: DEL (tailer at {pos})", "source DEL")
            elif kind == "recreate":
                old = src.current or (src.incarnations[-1]
                                      if src.incarnations else None)
                how = rng.choice(["lower", "equal", "higher"])
                c.call("DEL", KEY)
                src.current = None
                if old is None or not old.entries:
                    src.next_ms = 1000
                elif how == "lower":
                    src.next_ms = max(1, sid(old.entries[0][0])[0]
                                      - rng.randint(1, 20))
                elif how == "equal":
                    src.next_ms = sid(old.entries[0][0])[0]
                else:
                    src.next_ms = sid(old.last_id())[0] + rng.randint(1, 50)
                k = rng.randint(1, 80)
                src.produce(rng, k, self)
                self.note(f"source {i}: DEL, recreated with {how} IDs from "
                          f"{src.next_ms - k}-0, {k} entries (tailer at {pos})",
                          f"source DEL + recreation, {how} IDs")
                return  # produce() noted the fault
            elif kind == "xsetid":
                info = c.xinfo(KEY)
                if info is None or info["length"] == 0:
                    return
                last = info["last-generated-id"].decode()
                what = rng.choice(["up", "down", "entries", "maxdel"])
                if what == "down":
                    # XDEL of the last entries, then the last ID moved back
                    # to the entry left below them, the deletions hidden or
                    # not (S12).
                    entries = c.call("XRANGE", KEY, "-", "+")
                    if len(entries) < 2:
                        return
                    k = rng.randrange(len(entries) - 1)
                    keep = entries[k][0].decode()
                    c.call("XDEL", KEY, *[e[0] for e in entries[k + 1:]])
                    c.call("XSETID", KEY, keep, "ENTRIESADDED",
                           info["entries-added"], "MAXDELETEDID",
                           rng.choice(["0-0", keep]))
                    what = f"down to {keep}"
                elif what == "up":
                    ms = sid(last)[0] + rng.randint(1, 30)
                    c.call("XSETID", KEY, f"{ms}-0")
                    src.next_ms = max(src.next_ms, ms + 1)
                elif what == "entries":
                    c.call("XSETID", KEY, last, "ENTRIESADDED",
                           info["entries-added"] + rng.randint(1, 5))
                else:
                    c.call("XSETID", KEY, last, "MAXDELETEDID", last)
                self.note(f"source {i}: XSETID {what} (tailer at {pos})",
                          f"source XSETID {what.split()[0]}")
            elif kind == "wrongtype":
                c.call("DEL", KEY)
                c.call("SET", KEY, "not a stream")
                src.current = None
                src.wrong_type = True
                self.note(f"source {i}: DEL, SET (another type; tailer at "
                          f"{pos})", "source another type")
            elif kind == "flushall":
                c.call("FLUSHALL")
                src.current = None
                src.wrong_type = False
                self.note(f"source {i}: FLUSHALL (tailer at {pos})",
                          "source FLUSHALL")
            elif kind == "restart":
                c.close()
                srv.stop(save=False)
                srv.start()
                src.current = None
                src.wrong_type = False
                self.note(f"source {i}: restarted without persistence "
                          f"(tailer at {pos})", "source restart")
            elif kind == "failover":
                if src.snapshot is None:
                    return
                dump, copy, next_ms = src.snapshot
                c.close()
                srv.stop(save=False)
                srv.start()
                src.wrong_type = False
                c = srv.client()
                if dump is not None:
                    c.call("RESTORE", KEY, 0, dump)
                    src.current = Incarnation(len(src.incarnations),
                                              copy.entries)
                    src.incarnations.append(src.current)
                else:
                    src.current = None
                src.next_ms = max(src.next_ms, next_ms)
                self.note(f"source {i}: failover to the copy of step "
                          f"{src.snapshot_step} ({len(copy.entries)} entries)"
                          f" (tailer at {pos})", "source failover")
            src.faults.append((self.step, kind if kind != "trim_at"
                               else "trim"))
        finally:
            c.close()

    def take_snapshots(self):
        """What a replica that lags from here on will hold."""
        for src in self.sources:
            c = src.client()
            try:
                dump = None if src.wrong_type else c.call("DUMP", KEY)
            finally:
                c.close()
            cur = src.current
            src.snapshot = (dump, Incarnation(-1, cur.entries if cur else []),
                            src.next_ms)
            src.snapshot_step = self.step
        t = self.world.target.client()
        try:
            self.target_snapshot = [t.call("DUMP", k) for k in self.tkeys]
        finally:
            t.close()
        self.note("snapshots of every stream (for a later failover)")

    def target_fault(self):
        """One fault on one peer's target stream, or on the whole target
        Redis. The key can be in any of three states when the step runs: no
        key (nothing applied yet, or deleted, flushed, restarted), a stream
        (possibly empty: every entry deleted or trimmed), or a string (a
        'wrongtype' step, or a failover to a copy taken while it was one).
        The tailer only ever makes a missing key a stream, so the state read
        here can only move from 'none' to 'stream' before the fault runs.
        Each kind runs only in the states it is valid in and is otherwise
        skipped, and noted as such: a skipped step changes nothing."""
        rng = self.rng
        srv = self.world.target
        i = rng.randrange(2)
        key = self.tkeys[i]
        kind = rng.choice(["xadd", "xdel", "trim", "del", "recreate",
                           "wrongtype", "xsetid", "flushall", "restart",
                           "failover"])
        c = srv.client()
        fault = "target"
        try:
            state = c.call("TYPE", key)
            check(state in ("none", "stream", "string"),
                  f"history {self.seed} step {self.step}: target key {key} "
                  f"is a {state}")
            one = None
            if kind in ("xadd", "xdel", "trim", "xsetid") \
                    and state == "string":
                self.note(f"target of peer {i}: {kind} skipped (the key "
                          "holds a string)")
                return
            if kind == "wrongtype":
                if state == "string":
                    self.note(f"target of peer {i}: wrongtype skipped (the "
                              "key holds a string already)")
                    return
                r = c.pipeline([["MULTI"], ["DEL", key], ["SET", key, "x"],
                                ["EXEC"]])[-1]
                exec_failed(r, f"target of peer {i}: DEL, SET")
                self.target_after[i] = []
                self.target_faults[i].append((self.step, "target"))
                self.note(f"target of peer {i}: DEL, SET (another type)",
                          "target another type")
                return
            if kind == "xadd":
                one = ["XADD", key, "*", "foreign", "writer"]
            elif kind == "xdel":
                entries = c.call("XRANGE", key, "-", "+")
                if not entries:
                    self.note(f"target of peer {i}: xdel skipped (no entry)")
                    return
                one = ["XDEL", key, rng.choice(entries)[0]]
            elif kind == "trim":
                n = c.call("XLEN", key)
                if n == 0:
                    self.note(f"target of peer {i}: trim skipped (no entry)")
                    return
                one = ["XTRIM", key, "MAXLEN", rng.randrange(n)]
            elif kind in ("del", "recreate"):
                one = ["DEL", key]
            elif kind == "xsetid":
                info = c.xinfo(key)
                if info is None:
                    self.note(f"target of peer {i}: xsetid skipped (no "
                              "stream)")
                    return
                last = info["last-generated-id"].decode()
                how = rng.randrange(3)
                one = [
                    ["XSETID", key, f"{sid(last)[0] + 5}-0"],
                    ["XSETID", key, last, "ENTRIESADDED",
                     info["entries-added"] + 1],
                    ["XSETID", key, last, "MAXDELETEDID", "0-9"]][how]
                if how == 0:
                    fault = "target_xsetid_up"
            if one is not None:
                # The fault and what it left, atomically.
                cmds = [one]
                if kind == "recreate":
                    # Deleted, then written by another writer (T5).
                    cmds.append(["XADD", key, "*", "foreign", "writer"])
                r = c.pipeline([["MULTI"]] + cmds
                               + [["XRANGE", key, "-", "+"], ["EXEC"]])[-1]
                what = f"target of peer {i}: {' '.join(map(str, one[:3]))}"
                refused = exec_failed(r, what,
                                      refusable=int(kind == "xsetid"))
                if refused:
                    # The tailer wrote between the XINFO above and the
                    # transaction (XSETID below the new last entry): the
                    # fault did not happen, and nothing else changed.
                    self.note(f"{what}: refused ({refused}), nothing changed")
                    return
                self.target_after[i] = entries_of(r[len(cmds)])
                self.target_faults[i].append((self.step, fault))
                self.note(what, f"target {kind}")
                return
            if kind == "failover" and self.target_snapshot is None:
                self.note("target: failover skipped (no copy taken yet)")
                return
            c.close()
            if kind == "flushall":
                c = srv.client()
                c.call("FLUSHALL")
            else:
                srv.stop(save=False)
                srv.start()
                c = srv.client()
                if kind == "failover":
                    # The copy holds each key as it was then: missing, a
                    # stream or a string.
                    for k, dump in zip(self.tkeys, self.target_snapshot):
                        if dump is not None:
                            c.call("RESTORE", k, 0, dump, "REPLACE")
            for j, k in enumerate(self.tkeys):
                self.target_after[j] = stream_entries(c, k)
                self.target_faults[j].append((self.step, "target"))
            self.note(f"target: {kind}", f"target {kind}")
        finally:
            c.close()

    def tailer_fault(self):
        rng = self.rng
        if not self.tailer_alive():
            self.start_tailer()
            self.note("tailer restarted")
            return
        if self.paused:
            self.tailer.signal(signal.SIGCONT)
            self.paused = False
            self.note("tailer SIGCONT")
            return
        kind = rng.choice(["kill", "kill", "term", "stop"])
        if kind == "kill":
            self.tailer.signal(signal.SIGKILL)
            code = self.tailer.wait_exit()
            # Unless it had just ended by itself, every peer stopped.
            check(code == -signal.SIGKILL or (
                code == 5 and "every peer stopped: ending the run"
                in self.tailer.output()),
                f"history {self.seed} step {self.step}: SIGKILL: exit {code}")
            self.note("tailer SIGKILL", "tailer SIGKILL")
        elif kind == "term":
            early = self.tailer.line_count() == 0
            unlinked = self.remote and not self.linked()
            self.tailer.signal(signal.SIGTERM)
            code = self.tailer.wait_exit()
            # 3: the link to the node was down (the node killed, or not yet
            # reconnected), the final flush failed. A SIGTERM before main()
            # blocked the signals (the process had not logged anything yet)
            # ends it as the default action does.
            allowed = {0, 5} | ({3} if unlinked else set())
            if early:
                allowed.add(-signal.SIGTERM)
            check(code in allowed, f"history {self.seed} step {self.step}: "
                                   f"SIGTERM exit code {code}")
            self.note(f"tailer SIGTERM, exit {code}", "tailer SIGTERM")
        else:
            self.tailer.signal(signal.SIGSTOP)
            self.paused = True
            self.note("tailer SIGSTOP", "tailer SIGSTOP + SIGCONT")

    def node_fault(self):
        if not self.node_up:
            self.start_node()
            self.note("node restarted")
            return
        self.node.signal(signal.SIGKILL)
        self.node.wait_exit()
        self.node_up = False
        self.note("node SIGKILL", "node SIGKILL")

    # -- the end ------------------------------------------------------------

    def expected(self, i):
        src = self.sources[i]
        if src.current is not None:
            return src.current
        return src.incarnations[-1] if src.incarnations else None

    def linked(self):
        """Whether the tailer's last word about the node is a connection."""
        up = down = -1
        for n, line in enumerate(self.tailer.output().splitlines()):
            if "connected to the cursor node" in line:
                up = n
            elif ("lost the connection to the cursor node" in line
                  or "cannot reach the cursor node" in line):
                down = n
        return up > down

    def finish(self):
        self.ensure_running()
        self.tailer.wait_for(STARTED)
        if self.remote:
            # The final flush goes through the node: wait (bounded) for the
            # link to be up again after the node's last restart.
            deadline = time.monotonic() + 20
            while (self.tailer_alive() and not self.linked()
                   and time.monotonic() < deadline):
                threading.Event().wait(0.02)
        # Each peer: stopped, or checked by this run (its "checked" line)
        # with its durable cursor at the source's last entry. The bound is
        # for a tailer that hangs; the events end the wait (a history whose
        # peers had settled used to wait out a 20 s bound here), and a busy
        # machine must not turn a slow catch-up into a divergence.
        deadline = time.monotonic() + 60
        pending = set(range(2))
        while pending and time.monotonic() < deadline:
            out = self.tailer.output()
            cursors = read_cursors(self.db)
            for i in list(pending):
                want = self.expected(i)
                want = want.last_id() if want else "0"
                src = self.sources[i]
                tag = f"peer '{self.peers[i]}': "
                checked = tag + "checked:" in out
                # A key of another type that no stream of it ever reached
                # the tailer: retried, nothing to judge.
                checked = checked or (src.wrong_type and want == "0")
                # A source stream that is gone (deleted, or a key of another
                # type, not recreated): once this run has looked at it (its
                # check found no stream and waits for one, or it retries the
                # key of another type), nothing more will be applied: the
                # judge wants what was copied before, or nothing. Waiting
                # for the cursor to reach `want` (the last incarnation's
                # end) would only run into the deadline.
                gone = src.current is None and (checked or (
                    src.wrong_type and any(
                        tag in line and "holds another type" in line
                        for line in out.splitlines())))
                if self.stopped_in_run(i) or gone or (
                        checked and cursors.get(self.peers[i], "0") == want):
                    pending.discard(i)
            if pending and not self.tailer_alive():
                break
            if pending:
                threading.Event().wait(0.02)
        if pending:
            self.note(f"peers {sorted(pending)} neither caught up nor "
                      "stopped within 60 s")
            print(f"history {self.seed}: peers {sorted(pending)} neither "
                  "caught up nor stopped within 60 s", flush=True)
        self.tailer.signal(signal.SIGTERM)
        self.exit_code = self.tailer.wait_exit()
        if self.remote:
            self.node.signal(signal.SIGTERM)
            self.node.wait_exit()
            self.node_up = False

    def written_after_xsetid(self, i, target):
        """Whether `target` is what the last target fault of peer i, an
        XSETID moving its last ID up, left, followed by one run of a source
        incarnation's entries above it: the part of the batch on its way
        that Redis accepted (the XADDs above the new last ID; WATCH does not
        see an XSETID in 7.0), written before the tailer saw the fault."""
        faults = self.target_faults[i]
        if not faults or faults[-1][1] != "target_xsetid_up":
            return False
        after = self.target_after[i]
        if target[:len(after)] != after:
            return False
        run = target[len(after):]
        if after and run and sid(run[0][0]) <= sid(after[-1][0]):
            return False
        return any(is_run_of(run, inc.entries)
                   for inc in self.sources[i].incarnations)

    def judge(self):
        """Returns (verdicts, problems): per peer 'copied' or 'stopped:
        <reason>', and every violation found."""
        problems = []
        verdicts = []
        cursors = read_cursors(self.db)
        metrics = read_metrics(self.metrics) if os.path.exists(
            self.metrics) else {}
        t = self.world.target.client()
        any_stopped = False
        for i, peer in enumerate(self.peers):
            target = stream_entries(t, self.tkeys[i])
            cursor = cursors.get(peer, "0")
            reason = self.stopped_in_run(i)
            src = self.sources[i]
            where = f"history {self.seed} peer {i} ({peer})"
            if reason is None:
                verdicts.append("copied")
                want = self.expected(i)
                want_entries = want.entries if want else []
                ok = target == want_entries
                if not ok and src.current is None and not target \
                        and cursor == "0":
                    ok = True  # the tailer never read that stream
                if not ok:
                    problems.append(
                        f"{where}: SILENT DIVERGENCE: not stopped, target "
                        f"{summary(target)} != source {summary(want_entries)}"
                        f"{first_difference(target, want_entries)}")
                elif target and cursor != target[-1][0]:
                    problems.append(f"{where}: cursor {cursor} != the last "
                                    f"ID {target[-1][0]}")
                continue
            any_stopped = True
            verdicts.append(f"stopped: {reason}")
            faults = src.faults + self.target_faults[i]
            allowed = set()
            for _, kind in faults:
                allowed |= REASONS[kind]
            if reason not in allowed:
                problems.append(
                    f"{where}: stopped for {reason} without a fault that "
                    f"causes it (faults: {[k for _, k in faults]})")
            if metrics.get(f'replication_tailer_peer_failed{{peer="{peer}"}}') \
                    != 1:
                problems.append(f"{where}: stopped but the metric "
                                "replication_tailer_peer_failed is not 1")
            if metrics.get(f'replication_tailer_peer_fault{{peer="{peer}",'
                           f'reason="{reason}"}}') != 1:
                problems.append(f"{where}: no peer_fault metric for {reason}")
            prefix = any(target == inc.entries[:len(target)]
                         for inc in src.incarnations) or not target
            if not prefix and target != self.target_after[i] \
                    and not self.written_after_xsetid(i, target):
                problems.append(
                    f"{where}: stopped ({reason}) but the target "
                    f"{summary(target)} is neither a prefix of a source "
                    "stream's history nor what the last target fault left"
                    " (nor, after an XSETID, that and one run of the "
                    "source's entries above it)")
            # A target that lost entries may end before the cursor.
            if target and not self.target_faults[i] \
                    and sid(cursor if cursor != "0" else "0-0") \
                    > sid(target[-1][0]):
                problems.append(f"{where}: cursor {cursor} beyond the "
                                f"target's last entry {target[-1][0]}")
        t.close()
        want_code = 5 if any_stopped else 0
        if self.exit_code != want_code:
            problems.append(f"history {self.seed}: exit code {self.exit_code},"
                            f" expected {want_code}")
        return verdicts, problems


def is_run_of(run, entries):
    """Whether `run` is a contiguous, non-empty slice of `entries`."""
    if not run:
        return False
    ids = [e[0] for e in entries]
    try:
        k = ids.index(run[0][0])
    except ValueError:
        return False
    return entries[k:k + len(run)] == run


def entries_of(reply):
    return [(e[0].decode(), list(e[1] or [])) for e in (reply or [])]


def stream_entries(c, key):
    """Every entry of `key`; none when it is missing or holds another type
    (what the tailer's target check sees as no stream of its own)."""
    reply = c.pipeline([["MULTI"], ["TYPE", key], ["XRANGE", key, "-", "+"],
                        ["EXEC"]])[-1]
    if reply[0] != "stream":
        return []
    return entries_of(reply[1])


def exec_failed(reply, what, refusable=0):
    """Checks the replies of a MULTI ... EXEC. The first `refusable` commands
    may be refused by Redis for a reason of the moment (they are then
    returned as the refusal: nothing was changed by them); an error in any
    other command is a fault of this harness, raised as such."""
    check(isinstance(reply, list), f"{what}: EXEC answered {reply!r}")
    for n, r in enumerate(reply):
        if isinstance(r, RedisError):
            check(n < refusable, f"{what}: command {n} of the transaction "
                                 f"failed: {r}")
            return str(r)
    return None


def summary(entries):
    if not entries:
        return "(empty)"
    return f"({len(entries)} entries, {entries[0][0]} .. {entries[-1][0]})"


def first_difference(a, b):
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"; entry {k}: target {x[0]} source {y[0]}"
    return f"; lengths {len(a)} and {len(b)}"


class World:
    """The redis-servers, shared by the histories (flushed between them)."""

    def __init__(self, env):
        self.sources = [env.redis(f"source{i}") for i in range(2)]
        self.target = env.redis("target")

    def reset(self):
        for s in self.sources + [self.target]:
            if s.proc is None or s.proc.poll() is not None:
                s.start()
            c = s.client()
            try:
                c.call("FLUSHALL")
            finally:
                c.close()
