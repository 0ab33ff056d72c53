"""Shared helpers of the integration tests: start real cursor_node processes on
127.0.0.1, wait for their log lines with deadlines, run cursorctl, read the
SQLite file directly.

Every wait here is bounded in time; nothing sleeps to synchronise: waits are
on a condition variable fed by the process's stderr, on process exit, or a
bounded poll for a file.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# Generous: the CI machine has two cores and builds or runs another test
# suite at the same time (ASan makes every process several times slower).
# These bound waits for events; no test passes or fails by how fast a
# machine is.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0
CTL_TIMEOUT = 60.0
# cursorctl's own request timeout unless a test sets one: a flush's fsync
# may wait seconds for a disk shared with a build.
CTL_REQUEST_TIMEOUT = "30s"

LISTENING = re.compile(r"listening on (\S+):(\d+), database '(.*)', (\d+) cursors restored")


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--node", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--example", required=False)
    p.add_argument("--fake-node", required=False)
    p.add_argument("--tailer", required=False,
                   help="cursor_tailer, for the checks it shares with the node")
    p.add_argument("--config", required=False, help="the shipped INI file")
    p.add_argument("--project-version", required=False,
                   help="the CMake project version")
    p.add_argument("--promtool", required=False,
                   help="Prometheus's promtool, for the HTTP endpoint's test")
    return p.parse_args()


class Node:
    """A cursor_node process whose stderr is collected line by line."""

    def __init__(self, binary, args, cwd, name="node", env=None):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        # True once both output readers reached the end of their pipe: until
        # then a line may still be in flight on the other one.
        self.closed = False
        self._open_readers = 2
        self.port = None
        self.restored = None
        cmd = [binary] + list(args)
        print(f"[{name}] starting: {' '.join(cmd)}", flush=True)
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.pid = self.proc.pid
        self.readers = [threading.Thread(target=self._read, args=(s,), daemon=True)
                        for s in (self.proc.stderr, self.proc.stdout)]
        for r in self.readers:
            r.start()

    def _read(self, stream):
        for line in stream:
            line = line.rstrip("\n")
            print(f"[{self.name}] {line}", flush=True)
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self._open_readers -= 1
            self.closed = self._open_readers == 0
            self.cond.notify_all()

    def wait_for(self, pattern, timeout=START_TIMEOUT, start=0):
        """Waits until a line matching `pattern` appears; returns the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            index = start
            while True:
                while index < len(self.lines):
                    m = regex.search(self.lines[index])
                    index += 1
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"{self.name}: no line matching {pattern!r} "
                                      f"within {timeout}s")
                if self.closed and index >= len(self.lines):
                    raise TestFailure(f"{self.name}: exited (code "
                                      f"{self.proc.poll()}) before a line "
                                      f"matching {pattern!r}")
                self.cond.wait(min(left, 1.0))

    def line_count(self):
        with self.cond:
            return len(self.lines)

    def wait_listening(self, timeout=START_TIMEOUT):
        m = self.wait_for(LISTENING.pattern, timeout)
        check(m.group(1) == "127.0.0.1", f"listens on {m.group(1)}, not 127.0.0.1")
        self.port = int(m.group(2))
        self.restored = int(m.group(4))
        return self

    def signal(self, signo):
        self.proc.send_signal(signo)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.name} did not exit within {timeout}s")
        for r in self.readers:
            r.join(5)
        return code

    def output(self):
        with self.cond:
            return "\n".join(self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Env:
    """One test's world: binaries, a temp directory, the processes started."""

    def __init__(self, args, name):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix=f"cursor-{name}-")
        self.nodes = []
        self.helpers = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def node(self, *args, db="cursors.db", port=0, name="node", defaults=True,
             env=None):
        """Starts a node; `env` replaces the environment when given."""
        argv = []
        if defaults:
            argv += [f"--cursor.db-path={self.path(db)}", f"--node.port={port}",
                     "--node.log-level=debug"]
        argv += list(args)
        n = Node(self.args.node, argv, cwd=self.dir, name=name, env=env)
        self.nodes.append(n)
        return n

    def ctl(self, port, *args, timeout=CTL_REQUEST_TIMEOUT, host="127.0.0.1",
            limit=CTL_TIMEOUT):
        cmd = [self.args.ctl, "--host", host, "--port", str(port),
               "--timeout", timeout] + list(args)
        start = time.monotonic()
        try:
            p = subprocess.run(cmd, cwd=self.dir, capture_output=True, text=True,
                               timeout=limit)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"cursorctl {' '.join(args)} did not exit within {limit}s")
        elapsed = time.monotonic() - start
        print(f"[ctl] {' '.join(args)} -> {p.returncode} ({elapsed:.2f}s)\n"
              f"      stdout: {p.stdout!r}\n      stderr: {p.stderr!r}", flush=True)
        return p.returncode, p.stdout, p.stderr, elapsed

    def ctl_ok(self, port, *args):
        code, out, err, _ = self.ctl(port, *args)
        check(code == 0, f"cursorctl {' '.join(args)} exited {code}: {err.strip()}")
        check(err == "", f"cursorctl {' '.join(args)} wrote to stderr: {err!r}")
        return out

    def client(self, mode, port, limit=60):
        cmd = [self.args.client, mode, "127.0.0.1", str(port)]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"peer client {mode} did not exit within {limit}s")
        print(f"[client {mode}] -> {p.returncode}\n{p.stdout}{p.stderr}", flush=True)
        return p.returncode, p.stdout

    def cleanup(self, keep):
        for n in self.nodes:
            n.kill()
        for h in self.helpers:
            try:
                h()
            except Exception:
                pass
        if keep:
            print(f"keeping {self.dir} for inspection", flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def read_rows(db):
    """Every row of the cursors table, read with SQLite itself, not the node."""
    conn = sqlite3.connect(db)
    try:
        return {peer: sid for peer, sid in
                conn.execute("SELECT peer_id, stream_id FROM cursors")}
    finally:
        conn.close()


def one_line_error(stderr, what):
    lines = [l for l in stderr.splitlines() if l.strip()]
    check(len(lines) == 1, f"{what}: expected one line on stderr, got {lines!r}")
    check("error(" not in stderr, f"{what}: raw CAF error on stderr: {stderr!r}")
    return lines[0]


def mount_tmpfs(env, size, skipped):
    """A tmpfs of `size` at env.path("mnt"), unmounted at the end; None (and
    a line naming what is `skipped`) where mounting is not allowed."""
    mnt = env.path("mnt")
    os.mkdir(mnt)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                        mnt], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"cannot mount tmpfs ({p.stderr.strip()}): {skipped} skipped",
              flush=True)
        return None
    env.helpers.append(lambda: subprocess.run(["umount", "-l", mnt]))
    return mnt


def wait_until(predicate, timeout, what):
    """Bounded poll for a condition with no event to block on (a process's
    memory or descriptors in /proc, a counter behind a round trip); fails
    with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TestFailure(f"{what} (waited {timeout}s)")
        threading.Event().wait(0.05)


def wait_for_file(path, predicate=lambda text: True, timeout=START_TIMEOUT):
    """Bounded poll for a file whose content satisfies `predicate`."""
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            with open(path) as f:
                text = f.read()
            if predicate(text):
                return text
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline or attempts > 10000:
            raise TestFailure(f"{path} not as expected within {timeout}s")
        # Waiting on the file system: no event to block on, so poll briefly.
        threading.Event().wait(0.05)


class Skip(Exception):
    """The machine cannot run this scenario (e.g. no permission to mount).
    CTest lists it as skipped, with the reason in its output; where
    CURSOR_NO_SKIP=1 (CI: .ci/run), a skip is a failure."""


SKIP = 77  # CTest's SKIP_RETURN_CODE where a suite declares it


def main(scenario, name, args=None, env_class=None):
    """Runs `scenario(env)`: exit 0 on success, 1 on failure, 77 on Skip.
    `args` defaults to this harness's command line, `env_class` to Env."""
    args = args if args is not None else parse_args()
    env = (env_class or Env)(args, name)
    code = 1
    try:
        scenario(env)
        code = 0
        print(f"PASS {name}", flush=True)
    except Skip as e:
        if os.environ.get("CURSOR_NO_SKIP") == "1":
            print(f"FAIL {name}: skipped where CURSOR_NO_SKIP=1 requires it "
                  f"to run: {e}", flush=True)
        else:
            code = SKIP
            print(f"SKIP {name}: {e}", flush=True)
    except TestFailure as e:
        print(f"FAIL {name}: {e}", flush=True)
    except Exception:
        traceback.print_exc()
        print(f"FAIL {name}: unexpected exception", flush=True)
    finally:
        env.cleanup(keep=code == 1)
    sys.exit(code)


# -- sd_notify ------------------------------------------------------------------

SCM_CREDENTIALS = 0x02  # <sys/socket.h>; Python's socket module lacks it
SO_PASSCRED = 16


def notify_socket(env, address):
    """A datagram socket like systemd's NOTIFY_SOCKET (sd_notify): receives
    the sender's credentials. Closed by env's cleanup."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_PASSCRED, 1)
    s.bind(address)
    env.helpers.append(s.close)
    return s


def receive(s, timeout):
    """One datagram: (fields, sender pid), or (None, None) on timeout."""
    s.settimeout(timeout)
    try:
        data, ancdata, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    except socket.timeout:
        return None, None
    pid = None
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == SCM_CREDENTIALS:
            pid, _, _ = struct.unpack("iII", payload[:12])
    fields = dict(line.split("=", 1) for line in data.decode().splitlines()
                  if "=" in line)
    return fields, pid


def nothing_queued(s):
    s.setblocking(False)
    try:
        data = s.recv(4096)
        return False, data
    except BlockingIOError:
        return True, None
    finally:
        s.setblocking(True)
