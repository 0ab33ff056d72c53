"""An HTTP/1.1 client on raw sockets for the tests of the HTTP endpoint
(/metrics, /healthz, /readyz): it sends exactly the bytes a test gives (a
path with `..` unchanged, a method of any name, a header of any size) from a
chosen loopback source address, and reports what came back and whether the
server closed the connection. Every read is bounded by a timeout."""

import re
import socket
import threading
import time

from harness import TestFailure, check

HTTP_ENDPOINT = re.compile(r"HTTP endpoint on (\S+):(\d+):")


class Response:
    def __init__(self, raw, closed):
        self.raw = raw
        self.closed = closed
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0] if lines and lines[0] else ""
        parts = self.status_line.split(" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def text(self):
        return self.body.decode()

    def __repr__(self):
        return f"<{self.status_line!r} {len(self.body)} bytes, closed={self.closed}>"


def connect(port, source="127.0.0.1", timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_until_closed(s, timeout):
    """Everything the server sends until it closes the connection (True) or
    `timeout` passes (False)."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, False
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk


def request(port, method="GET", path="/metrics", headers=None, body=b"",
            source="127.0.0.1", timeout=10.0, raw=None):
    """One request with `Connection: close`; waits (bounded) for the server
    to close. `raw` replaces the whole request."""
    if raw is None:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1",
                 "Connection: close"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if body:
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    s = connect(port, source, timeout)
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered and closed before reading everything: the
            # answer may still be in our receive buffer.
            pass
        data, closed = read_until_closed(s, timeout)
    finally:
        s.close()
    r = Response(data, closed)
    print(f"[http] {method} {path} from {source} -> {r!r}", flush=True)
    return r


def get_ok(port, path, source="127.0.0.1"):
    r = request(port, "GET", path, source=source)
    check(r.status == 200, f"GET {path}: {r.status_line!r} {r.body[:200]!r}")
    return r


def wait_status(port, path, status, pattern="", timeout=30.0,
                source="127.0.0.1"):
    """Bounded poll until GET `path` answers `status` with a body matching
    `pattern`: the endpoint answers from the host's last refresh, which comes
    every metrics interval."""
    deadline = time.monotonic() + timeout
    last = "nothing"
    while True:
        try:
            r = request(port, "GET", path, source=source,
                        timeout=max(1.0, min(10.0, deadline - time.monotonic())))
            if r.status == status and re.search(pattern, r.text()):
                return r
            last = f"{r.status_line!r} {r.text()!r}"
        except OSError as e:
            # Not accepted yet (a full backlog drops the SYN): try again.
            last = repr(e)
        if time.monotonic() > deadline:
            raise TestFailure(f"GET {path} did not answer {status} matching "
                              f"{pattern!r} within {timeout}s: last {last}")
        threading.Event().wait(0.05)


def metric_value(text, name):
    """The value of the sample `name` (with its labels, if any), or None."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def families(text):
    """The metric family names declared by # TYPE lines."""
    return {line.split()[2] for line in text.splitlines()
            if line.startswith("# TYPE ")}
