"""Helpers of the reliability suite, on top of the integration harness
(tests/integration/harness.py): the workload client, stream-ID parsing,
integrity checks. Every wait is bounded; nothing sleeps to synchronise."""

import argparse
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))

import harness  # noqa: E402
from harness import Skip, TestFailure, check  # noqa: E402,F401


def parse_sid(text):
    """'0' or '<ms>-<seq>' -> (ms, seq)."""
    if text == "0":
        return (0, 0)
    ms, seq = text.split("-")
    return (int(ms), int(seq))


def integrity(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


class Workload:
    """A cursor_workload process whose stdout lines are collected."""

    def __init__(self, binary, args, name="workload"):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.proc = subprocess.Popen([binary] + [str(a) for a in args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_lines(self, count, timeout):
        """Waits until `count` lines arrived or the process closed its
        output; returns the number of lines seen."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.lines) < count and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"{self.name}: {len(self.lines)} of "
                                      f"{count} lines within {timeout}s")
                self.cond.wait(min(left, 1.0))
            return len(self.lines)

    def wait_exit(self, timeout):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise TestFailure(f"{self.name} did not exit within {timeout}s")
        self.reader.join(10)
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Env(harness.Env):
    def workload(self, *args, name="workload"):
        w = Workload(self.args.workload, args, name=name)
        self.helpers.append(w.kill)
        return w


def parse_args(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument("--node", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--workload", required=True)
    if extra:
        extra(p)
    return p.parse_args()


def main(scenario, name, extra_args=None):
    """Runs `scenario(env)` through the integration harness's main with this
    suite's arguments and Env."""
    harness.main(scenario, name, args=parse_args(extra_args), env_class=Env)
