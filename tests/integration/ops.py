"""Helpers of the operator-fault scenarios (issue 8, docs/RELIABILITY.md,
"Operator and environment faults"): refusals at start-up, databases created
with SQLite itself, bounded observation of a process. Every wait is bounded;
nothing sleeps to synchronise."""

import os
import sqlite3
import subprocess
import sys
import threading
import time

from harness import TestFailure, check, one_line_error

# Re-executes a program with resource limits: python3 limits.py N:SOFT:HARD
# ... -- program args. Used instead of a shell's ulimit, whose units vary.
LIMIT_WRAPPER = r"""
import os, resource, signal, sys
# Python ignores SIGPIPE and SIGXFSZ; an ignored disposition survives exec.
# Give the program the defaults a shell would.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
i = sys.argv.index("--")
for spec in sys.argv[1:i]:
    name, soft, hard = spec.split(":")
    resource.setrlimit(getattr(resource, name), (int(soft), int(hard)))
os.execv(sys.argv[i + 1], sys.argv[i + 1:])
"""


def limited(limits, argv):
    """argv run with `limits` ({"RLIMIT_FSIZE": (soft, hard)})."""
    specs = [f"{k}:{v[0]}:{v[1]}" for k, v in limits.items()]
    return [sys.executable, "-c", LIMIT_WRAPPER] + specs + ["--"] + list(argv)


def make_db(path, rows=None):
    """A database of ours (schema, version 1), made with SQLite itself."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id "
                 "TEXT NOT NULL, updated_at INTEGER NOT NULL)")
    for peer, sid in (rows or {}).items():
        conn.execute("INSERT INTO cursors VALUES (?, ?, 1)", (peer, sid))
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def run_refused(env, binary, args, expect, contains, name):
    """Runs `binary args` expecting exit `expect` and one error line holding
    every string of `contains`; returns the line."""
    cmd = [binary] + list(args)
    try:
        p = subprocess.run(cmd, cwd=env.dir, capture_output=True, text=True,
                           timeout=60)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{name}: did not exit within 60s (it started instead of refusing)")
    print(f"[{name}] {' '.join(args)} -> {p.returncode}\n  stderr: "
          f"{p.stderr!r}", flush=True)
    check(p.returncode == expect,
          f"{name}: exit code {p.returncode}, expected {expect}: {p.stderr!r}")
    line = one_line_error(p.stderr, name)
    for text in contains:
        check(text in line, f"{name}: {text!r} not in {line!r}")
    return line


def cpu_seconds(pid):
    """User + system CPU time of process `pid` (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_against_busy_loop(pid, window):
    """CPU seconds used by process `pid` and by a busy loop of this process
    over the same bounded `window`: on a shared machine a spinning thread
    gets about the busy loop's share of a core, an idle process ~nothing."""
    stop = threading.Event()
    used = {}

    def busy():
        start = time.thread_time()
        while not stop.is_set():
            pass
        used["loop"] = time.thread_time() - start

    before = cpu_seconds(pid)
    t = threading.Thread(target=busy, daemon=True)
    t.start()
    stop.wait(window)
    node = cpu_seconds(pid) - before
    stop.set()
    t.join(10)
    return node, used.get("loop", 0.0)
