"""Helpers of the end-to-end suite (CTest label `e2e`): real redis-server
processes on 127.0.0.1 (random ports, persistence off), a minimal RESP client,
cursor_tailer and cursor_node processes, stream comparison.

redis-server is required: when it is missing the scenario FAILS (it is never
skipped; scripts/install-deps.sh installs it). Every wait is bounded; nothing
sleeps to synchronise: waits are on log lines (harness.Node), on process exit,
or bounded polls of Redis state with a deadline.
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))

import harness  # noqa: E402
from harness import TestFailure, check  # noqa: E402,F401

STARTED = r"started: (\d+) peers? into"

# Real host-like peer names, as in a mesh.
PEER_NAMES = ["uk.node.manchester-1", "de.node.frankfurt-2",
              "us.node.virginia-3", "fr.node.paris-4"]


def argument_parser():
    """The suite's arguments; a scenario may add its own."""
    p = argparse.ArgumentParser()
    p.add_argument("--tailer", required=True)
    p.add_argument("--node", required=True)
    p.add_argument("--redis-server", required=True)
    p.add_argument("--project-version", default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--prometheus", default=None,
                   help="the prometheus server, for e2e.scrape")
    p.add_argument("--promtool", default=None)
    p.add_argument("--rules", default=None,
                   help="config/prometheus/cursor-actor.rules.yml")
    return p


def parse_args():
    return argument_parser().parse_args()


# -- RESP client ---------------------------------------------------------------

class RedisError(Exception):
    pass


class Redis:
    """A blocking RESP2 client: enough for XADD, XRANGE, XINFO, XTRIM."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("redis closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._reply() for _ in range(n)]
        raise ConnectionError(f"bad reply line {line!r}")

    def pipeline(self, commands):
        """Sends every command, returns every reply (errors as RedisError)."""
        self.sock.sendall(b"".join(self.encode(c) for c in commands))
        return [self._reply() for _ in commands]

    def call(self, *args):
        reply = self.pipeline([args])[0]
        if isinstance(reply, RedisError):
            raise reply
        return reply

    # -- streams --

    def xrange_all(self, key, chunk=5000):
        """Every entry of `key` as (id, [fields...]) with bytes, in order."""
        result = []
        start = "-"
        while True:
            part = self.call("XRANGE", key, start, "+", "COUNT", chunk)
            result.extend((e[0].decode(), e[1]) for e in part)
            if len(part) < chunk:
                return result
            start = "(" + result[-1][0]

    def xinfo(self, key):
        """XINFO STREAM as a dict, or None for a missing key."""
        try:
            flat = self.call("XINFO", "STREAM", key)
        except RedisError as e:
            if "no such key" in str(e):
                return None
            raise
        info = {}
        for i in range(0, len(flat), 2):
            name = flat[i].decode() if isinstance(flat[i], bytes) else flat[i]
            info[name] = flat[i + 1]
        return info

    def last_id(self, key):
        info = self.xinfo(key)
        if info is None:
            return "0"
        return info["last-generated-id"].decode()

    def xlen(self, key):
        return self.call("XLEN", key)


def parse_sid(text):
    if text == "0":
        return (0, 0)
    ms, seq = text.split("-")
    return (int(ms), int(seq))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server on 127.0.0.1, persistence off (no RDB saves, no AOF)."""

    def __init__(self, binary, directory, name, port=None):
        self.binary = binary
        self.dir = directory
        self.name = name
        self.port = port
        self.proc = None
        self.start()

    def start(self, timeout=15.0):
        fixed = self.port is not None
        for _ in range(1 if fixed else 5):
            port = self.port if fixed else free_port()
            log = open(os.path.join(self.dir, f"{self.name}.log"), "ab")
            try:
                self.proc = subprocess.Popen(
                    [self.binary, "--port", str(port), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", self.dir,
                     "--dbfilename", f"{self.name}.rdb", "--protected-mode",
                     "yes"],
                    stdout=log, stderr=subprocess.STDOUT)
            except FileNotFoundError:
                raise TestFailure(f"redis-server not found at {self.binary!r}: "
                                  "install it (scripts/install-deps.sh)")
            finally:
                log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    r = Redis(port, timeout=2.0)
                    try:
                        if r.call("PING") == "PONG":
                            self.port = port
                            print(f"[{self.name}] redis-server on {port} "
                                  f"(pid {self.proc.pid})", flush=True)
                            return
                    finally:
                        r.close()
                except (OSError, RedisError):
                    # Not listening yet, or still loading: poll briefly.
                    threading.Event().wait(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
        raise TestFailure(f"{self.name}: redis-server did not start "
                          f"(see {self.dir}/{self.name}.log)")

    def address(self):
        return f"127.0.0.1:{self.port}"

    def client(self):
        return Redis(self.port)

    def stop(self, save=False):
        """Stops the server (SHUTDOWN [NO]SAVE) and waits for it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            r = Redis(self.port, timeout=5.0)
            r.sock.sendall(Redis.encode(["SHUTDOWN",
                                         "SAVE" if save else "NOSAVE"]))
            r.close()
        except OSError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            if self.proc.returncode is None:
                try:
                    self.proc.send_signal(signal.SIGCONT)
                except OSError:
                    pass
            self.proc.kill()
            self.proc.wait(10)


# -- the world of one scenario -------------------------------------------------

class Env(harness.Env):
    def __init__(self, args, name):
        super().__init__(args, name)
        self.servers = []
        seed = args.seed if args.seed is not None else random.randrange(1 << 30)
        print(f"seed {seed} (rerun with --seed {seed})", flush=True)
        self.rng = random.Random(seed)

    def redis(self, name, port=None):
        s = RedisServer(self.args.redis_server, self.dir, name, port)
        self.servers.append(s)
        return s

    def write_config(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def tailer(self, config, *args, name="tailer", env=None):
        t = harness.Node(self.args.tailer, [f"--config-file={config}"]
                         + list(args), cwd=self.dir, name=name, env=env)
        self.nodes.append(t)
        return t

    def node(self, *args, db="cursors.db", port=0, name="node"):
        argv = [f"--cursor.db-path={self.path(db)}", f"--node.port={port}",
                "--node.log-level=info"] + list(args)
        n = harness.Node(self.args.node, argv, cwd=self.dir, name=name)
        self.nodes.append(n)
        return n

    def cleanup(self, keep):
        for s in self.servers:
            s.kill()
        super().cleanup(keep)


def tailer_config(peers, target, db=None, node=None, extra_tailer="",
                  extra_cursor=""):
    """An INI file for cursor_tailer. `peers`: (id, server, stream[, target
    stream]) tuples."""
    entries = []
    for p in peers:
        e = f'{{id="{p[0]}", source="{p[1].address()}", stream="{p[2]}"'
        if len(p) > 3:
            e += f', target-stream="{p[3]}"'
        entries.append(e + "}")
    text = "[tailer]\npeers=[\n  " + ",\n  ".join(entries) + ",\n]\n"
    text += f'target="{target.address()}"\n'
    if node:
        text += f'node="{node}"\n'
    text += extra_tailer
    if db:
        text += f'\n[cursor]\ndb-path="{db}"\n' + extra_cursor
    return text


def fields_for(rng, n):
    """Replication-event fields: binary-safe values of varying size."""
    op = rng.choice([b"set", b"del", b"incr", b"hset"])
    key = b"user:%d" % rng.randrange(1_000_000)
    size = rng.choice([8, 32, 120, 400])
    value = rng.randbytes(size)
    return ["op", op, "key", key, "value", value, "n", str(n)]


def fill(client, key, count, rng, start=0, chunk=500):
    """Appends `count` entries (auto IDs) to `key`, pipelined."""
    n = start
    while n < start + count:
        k = min(chunk, start + count - n)
        cmds = [["XADD", key, "*"] + fields_for(rng, n + i) for i in range(k)]
        for reply in client.pipeline(cmds):
            if isinstance(reply, RedisError):
                raise TestFailure(f"XADD {key}: {reply}")
        n += k


class Producer:
    """A thread appending to several sources at a bounded rate until stopped
    (or `limit` entries per source)."""

    def __init__(self, sources, rate_per_source, rng, limit=10**9):
        self.sources = sources  # [(RedisServer, key)]
        self.rate = rate_per_source
        self.rng = random.Random(rng.randrange(1 << 30))
        self.limit = limit
        self.counts = [0] * len(sources)
        self.stop_event = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            clients = [s.client() for s, _ in self.sources]
            tick = 0.02
            per_tick = max(1, int(self.rate * tick))
            start = time.monotonic()
            ticks = 0
            while not self.stop_event.is_set():
                for i, (c, (_, key)) in enumerate(zip(clients, self.sources)):
                    k = min(per_tick, self.limit - self.counts[i])
                    if k > 0:
                        fill(c, key, k, self.rng, start=self.counts[i])
                        self.counts[i] += k
                if all(n >= self.limit for n in self.counts):
                    return
                ticks += 1
                # Pacing the producer, not synchronising with the tailer.
                self.stop_event.wait(max(0.0, start + ticks * tick
                                         - time.monotonic()))
        except Exception as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.stop_event.set()
        self.thread.join(30)
        check(not self.thread.is_alive(), "producer did not stop")
        if self.error is not None:
            raise TestFailure(f"producer failed: {self.error!r}")
        return self.counts


def wait_caught_up(pairs, timeout=60.0, what="targets"):
    """Bounded poll until every target's last ID equals its source's.
    `pairs`: [(source client, source key, target client, target key)]."""
    deadline = time.monotonic() + timeout
    while True:
        behind = []
        for sc, sk, tc, tk in pairs:
            s, t = sc.last_id(sk), tc.last_id(tk)
            if s != t:
                behind.append(f"{tk}: {t} < {s}")
        if not behind:
            return
        if time.monotonic() > deadline:
            raise TestFailure(f"{what} not caught up within {timeout}s: "
                              + "; ".join(behind))
        threading.Event().wait(0.05)


# Counts a stream's entries and hashes them inside Redis, so that two streams
# of 20,000 entries compare without shipping them to Python: each chunk of
# XRANGE's reply (IDs and fields, in stream order) is serialised with
# cmsgpack (length-prefixed, so unambiguous) and hashed. One call covers at
# most 10 chunks from ARGV[1] on and returns its count, the chunk hashes and
# where it stopped, so that no call keeps a loaded server busy long enough
# to reach the client's socket timeout; the chunk hashes are hashed together
# here.
DIGEST_SCRIPT = """
local digests, n, start = {}, 0, ARGV[1]
for _ = 1, 10 do
  local r = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 1000)
  n = n + #r
  digests[#digests + 1] = redis.sha1hex(cmsgpack.pack(r))
  if #r < 1000 then return {n, table.concat(digests), ''} end
  start = '(' .. r[#r][1]
end
return {n, table.concat(digests), start}
"""


def stream_digest(client, key):
    total, digests, start = 0, hashlib.sha1(), "-"
    while True:
        n, part, start = client.call("EVAL", DIGEST_SCRIPT, 1, key, start)
        total += n
        digests.update(part)
        if not start:
            return total, digests.hexdigest()
        start = start.decode()


def compare_streams(source, skey, target, tkey):
    """The target equals the source entry for entry: same IDs, same fields,
    same order; nothing missing, nothing twice (stream IDs only grow, so an
    entry cannot be there twice in one stream). Compared by digest; on a
    difference the entries are fetched to name the first one."""
    a_n, a_digest = stream_digest(source, skey)
    b_n, b_digest = stream_digest(target, tkey)
    if (a_n, a_digest) == (b_n, b_digest):
        return a_n
    a = source.xrange_all(skey)
    b = target.xrange_all(tkey)
    ids = [e[0] for e in b]
    check(len(ids) == len(set(ids)), f"{tkey}: an entry is there twice")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            raise TestFailure(f"{tkey}: entry {i} differs: source {x[0]} "
                              f"target {y[0]}")
    check(len(a) == len(b), f"{tkey}: {len(b)} entries, source {skey} has "
                            f"{len(a)}")
    raise TestFailure(f"{tkey}: digest differs from {skey} but no entry does")


def read_cursors(db):
    """Every cursor in the SQLite file, read with SQLite itself (read-only:
    the file is never created here). A store killed while it was starting
    may have left no file, or one without the table yet: no cursors."""
    if not os.path.exists(db):
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {p: s for p, s in conn.execute(
            "SELECT peer_id, stream_id FROM cursors")}
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return {}
        raise
    finally:
        conn.close()


def read_metrics(path):
    """The metrics file as {(name, labels): value}."""
    result = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, value = line.rsplit(" ", 1)
            result[name] = float(value)
    return result


def main(scenario, name):
    harness.main(scenario, name, args=parse_args(), env_class=Env)
