"""cursorctl held at a known point of a plan-then-apply run (import, rewind):
its stderr is a pseudo-terminal, so it writes a progress line after each
chunk; StoppedCtl waits for the first one (chunk 1 is applied: the plan is
made) and stops cursorctl with SIGSTOP there. The test then changes the
world, resumes it (cont), may wait for a line of its stderr (wait_for), and
collects the end (finish). Used by test_plan_race.py and test_read_back.py.
Every wait is bounded; nothing sleeps to synchronise."""

import os
import pty
import select
import signal
import subprocess
import threading
import time

from harness import CTL_TIMEOUT, TestFailure, check


class StoppedCtl:
    """cursorctl with stderr on a pty, stopped after its first chunk."""

    def __init__(self, env, port, args, timeout="30s"):
        master, slave = pty.openpty()
        cmd = [env.args.ctl, "--port", str(port), "--timeout", timeout] + args
        self.proc = subprocess.Popen(cmd, cwd=env.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        self.master = master
        self.err = b""
        self.cond = threading.Condition()
        self.reader = None
        env.helpers.append(self.kill)
        deadline = time.monotonic() + CTL_TIMEOUT
        while b" of " not in self.err:
            left = deadline - time.monotonic()
            check(left > 0, f"no progress line from cursorctl: {self.err!r}")
            ready, _, _ = select.select([master], [], [], left)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
                check(data != b"", f"cursorctl ended before its first chunk: "
                                   f"{self.err!r}")
                self.err += data
        self.proc.send_signal(signal.SIGSTOP)

    def _drain(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the slave side is closed
                data = b""
            with self.cond:
                if not data:
                    self.reader_done = True
                    self.cond.notify_all()
                    return
                self.err += data
                self.cond.notify_all()

    def cont(self):
        """Resumes cursorctl, reading its stderr from now on."""
        self.reader_done = False
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        self.proc.send_signal(signal.SIGCONT)

    def wait_for(self, text, timeout=CTL_TIMEOUT):
        """Waits until `text` is on cursorctl's stderr (True), or until its
        stderr closed without it (False: cursorctl ended)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while text.encode() not in self.err:
                if self.reader_done:
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"no {text!r} from cursorctl within "
                                      f"{timeout}s: {self.err[-600:]!r}")
                self.cond.wait(min(left, 1.0))
            return True

    def finish(self):
        """Waits for cursorctl's exit: (code, stdout, stderr)."""
        try:
            out, _ = self.proc.communicate(timeout=CTL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise TestFailure("cursorctl did not finish after SIGCONT")
        self.reader.join(timeout=CTL_TIMEOUT)
        os.close(self.master)
        err = self.err.decode().replace("\r\n", "\n")
        print(f"[ctl] -> {self.proc.returncode}\n      stdout: {out.decode()!r}\n"
              f"      stderr (last lines): {err[-900:]!r}", flush=True)
        return self.proc.returncode, out.decode(), err

    def resume(self):
        self.cont()
        return self.finish()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
