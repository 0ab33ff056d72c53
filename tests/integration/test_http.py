"""The node's HTTP endpoint (docs/NODE.md, "HTTP endpoint") on a real node,
with real sockets, one hostile client after the other:

- the three paths: /metrics (the metrics file's families plus the age and
  ready gauges, `promtool check metrics` clean), /healthz, /readyz; HEAD
  (headers only), a query string (ignored), paths with `..`, percent
  escapes or a trailing slash (404), POST/PUT/DELETE/OPTIONS (405 with
  Allow, the declared body never read), a 1 MiB header (431), a 1 MiB path
  (414), TLS or HTTP/0.9 bytes, a request without Host (400): every one
  answered and closed, and the node serves on;
- a slowloris client trickling a header line every 300 ms: cut off at its
  request deadline (node.http-timeout=4s) although never idle that long,
  while the BASP port serves cursorctl;
- 10,000 connections from one address and every slot held by four more:
  the node's descriptors stay bounded (the connection limit, under a
  descriptor limit of 256), it does not spin (its CPU against a busy
  loop's), the store still opens a
  backup file (the descriptors kept free), and once the held connections
  pass their deadline a new client is served;
- a scrape while the store is busy (another process holds SQLite's write
  lock through every retry): /readyz 503 naming the degraded store,
  /metrics still 200 with replication_cursor_degraded 1, /healthz 200; ready
  again after the lock is gone;
- a request during the shutdown (the final flush waits for the lock):
  /readyz 503 "stopping", /healthz 200, /metrics 200; the port closes with
  the process;
- refusals: the HTTP port in use (exit 2, one line), a malformed address
  and limits without an address (exit 1).

Every wait is on a log line, an exit, or a bounded poll of the endpoint."""

import os
import resource
import signal
import socket
import sqlite3
import subprocess
import threading
import time

from harness import Node, TestFailure, check, main, wait_for_file
from http_probe import (HTTP_ENDPOINT, families, get_ok, metric_value,
                        read_until_closed, request, wait_status, connect)
from ops import cpu_against_busy_loop, limited, open_fds, run_refused

PROMTOOL = None


def start(env, name, *extra, rlimit_nofile=None):
    db = env.path(f"{name}.db")
    argv = [env.args.node, f"--cursor.db-path={db}", "--node.port=0",
            "--node.http-address=127.0.0.1:0", "--node.metrics-interval=200ms",
            "--node.log-level=debug", "--cursor.flush-interval=0s"] + list(extra)
    if rlimit_nofile:
        argv = limited({"RLIMIT_NOFILE": (rlimit_nofile, rlimit_nofile)}, argv)
    n = Node(argv[0], argv[1:], cwd=env.dir, name=name)
    env.nodes.append(n)
    n.wait_listening()
    n.http = int(n.wait_for(HTTP_ENDPOINT.pattern).group(2))
    n.db = db
    return n


def answers(env):
    prom = env.path("node.prom")
    n = start(env, "answers", f"--node.metrics-file={prom}",
              "--node.http-timeout=2s",
              "--cursor.retry-max-attempts=2", "--cursor.retry-base-delay=5ms",
              "--cursor.retry-max-delay=10ms")
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "1-0")
    env.ctl_ok(n.port, "flush")
    r = wait_status(n.http, "/metrics", 200,
                    r"(?m)^replication_cursor_flushes_total 1$")
    check(r.headers.get("content-type")
          == "text/plain; version=0.0.4; charset=utf-8",
          f"content type {r.headers}")
    text = r.text()
    # A refresh that waited too long for the store writes the file without
    # the store's families (docs/NODE.md): the next one has them.
    file_text = wait_for_file(
        prom, lambda t: "replication_cursor_flushes_total 1\n" in t)
    extra = families(text) - families(file_text)
    check(families(file_text) <= families(text),
          f"families of the file missing: {families(file_text) - families(text)}")
    check(extra == {"replication_cursor_node_metrics_age_seconds",
                    "replication_cursor_node_ready"}, f"extra families {extra}")
    check(metric_value(text, "replication_cursor_node_ready") == 1, "ready gauge")
    lint = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                          capture_output=True, text=True, timeout=60)
    check(lint.returncode == 0, f"promtool check metrics: {lint.returncode} "
                                f"{lint.stdout!r} {lint.stderr!r}")
    check(get_ok(n.http, "/healthz").text() == "live: serving\n", "healthz")
    # Ready, as far as each refresh finds the store answering within the
    # 200 ms the test's metrics interval leaves it: waited for, not assumed.
    wait_status(n.http, "/readyz", 200, "^ready\n$")
    # A query string is ignored; percent escapes are decoded.
    wait_status(n.http, "/readyz?full=1&x=%2F", 200, "^ready\n$")
    get_ok(n.http, "/%6Detrics")
    # HEAD: the headers of GET and no body (the server closes after them).
    r = request(n.http, "HEAD", "/metrics")
    check(r.status == 200 and r.body == b"" and r.closed, f"HEAD {r!r}")
    check(int(r.headers["content-length"]) > 1000, f"HEAD {r.headers}")
    for path in ("/", "/nope", "/../metrics", "/metrics/..", "/%2e%2e/metrics",
                 "/metrics/", "//metrics", "/METRICS", "/healthz/x",
                 "http://127.0.0.1/metrics"):
        r = request(n.http, "GET", path)
        check(r.status == 404 and r.closed, f"GET {path}: {r!r}")
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        r = request(n.http, method, "/metrics", body=b"x" * 1000)
        check(r.status == 405 and r.headers.get("allow") == "GET, HEAD"
              and r.closed, f"{method}: {r!r} {r.headers}")
    # A declared body that never comes is not waited for.
    r = request(n.http, raw=b"POST /readyz HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Length: 1000000000\r\n\r\n", timeout=10)
    check(r.status == 405 and r.closed, f"POST with a missing body: {r!r}")
    r = request(n.http, "GET", "/metrics", headers={"X-Big": "a" * (1 << 20)})
    check(r.status == 431 and r.closed, f"1 MiB header: {r!r}")
    r = request(n.http, raw=b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n"
                            b"Host: x\r\n\r\n")
    check(r.status == 414 and r.closed, f"1 MiB path: {r!r}")
    r = request(n.http, raw=b"GET /metrics HTTP/1.1\r\n\r\n")
    check(r.status == 400 and r.closed, f"no Host header: {r!r}")
    r = request(n.http, raw=b"GET /metrics\r\n\r\n")
    check(r.status == 400 and r.closed, f"HTTP/0.9: {r!r}")
    # A TLS hello has no line end: the library waits for the request line,
    # until the request deadline (2 s) closes the connection.
    r = request(n.http, raw=b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                            + bytes(300))
    check(r.closed, f"a TLS hello: {r!r}")
    # After all of that: the endpoint and the store serve on.
    wait_status(n.http, "/readyz", 200, "^ready\n$")
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "2-0")

    # A busy store: another process holds SQLite's write lock through every
    # retry of a flush.
    holder = sqlite3.connect(n.db, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err, _ = env.ctl(n.port, "flush")
        check(code == 3 and "busy" in err, f"flush under the lock: {code} {err!r}")
        r = wait_status(n.http, "/readyz", 503, "degraded")
        check(r.text() == "not ready: the cursor store is degraded (its last "
                          "write failed)\n", f"readyz: {r.text()!r}")
        text = wait_status(n.http, "/metrics", 200,
                           r"(?m)^replication_cursor_degraded 1$").text()
        check(metric_value(text, "replication_cursor_node_ready") == 0, "ready 0")
        check(get_ok(n.http, "/healthz").text() == "live: serving\n",
              "a degraded store is live")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    env.ctl_ok(n.port, "flush")
    wait_status(n.http, "/readyz", 200, "^ready")
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "the node stops cleanly")


def slowloris(env):
    timeout = 4.0
    n = start(env, "slow", f"--node.http-timeout={int(timeout)}s")
    s = connect(n.http)
    env.helpers.append(s.close)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    opened = time.monotonic()
    sends = [opened]
    closed = False
    # Meanwhile the BASP port serves (a thread, so the trickle goes on).
    ctl = {}

    def use_basp():
        ctl["set"] = env.ctl(n.port, "set", "uk.node.leeds-2", "1-0")[0]
        ctl["flush"] = env.ctl(n.port, "flush")[0]
    worker = threading.Thread(target=use_basp, daemon=True)
    worker.start()
    # One header line every 300 ms: never idle for the library's idle
    # timeout (twice the deadline: 8 s, app/common/http_endpoint.cpp), so
    # only the request deadline can end it, checked every second; the loop
    # gives up at 30 s.
    while time.monotonic() - opened < 30 and not closed:
        try:
            s.sendall(b"X-Slow-%d: 1\r\n" % len(sends))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        sends.append(time.monotonic())
        _, closed = read_until_closed(s, 0.3)
    ended = time.monotonic()
    lasted = ended - opened
    gaps = [b - a for a, b in zip(sends, sends[1:] + [ended])]
    print(f"slowloris: {len(sends)} sends, closed after {lasted:.2f}s, "
          f"longest pause {max(gaps):.2f}s", flush=True)
    check(closed, "the trickling client was never cut off")
    check(lasted >= timeout, f"cut off after {lasted:.2f}s, before its "
                             f"{timeout}s deadline")
    # Not an oracle of speed but the scenario's premise: had this client
    # (on a loaded machine) paused for the idle timeout, that timeout and
    # not the deadline could have closed it.
    check(max(gaps) < 2 * timeout, f"the client paused {max(gaps):.2f}s: "
                                   "the idle timeout may have closed it")
    worker.join(60)
    check(ctl == {"set": 0, "flush": 0}, f"cursorctl during the slowloris: {ctl}")
    get_ok(n.http, "/healthz")
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "the node stops cleanly")


def flood(env):
    limit = 256
    os.mkdir(env.path("backups"))
    n = start(env, "flood", "--node.http-timeout=10s", "--node.log-level=info",
              f"--node.backup-dir={env.path('backups')}", rlimit_nofile=limit)
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "1-0")
    wait_status(n.http, "/readyz", 200, "^ready")
    base = open_fds(n.pid)
    # Our own descriptors: 10,000 sockets and some.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 11000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    count = min(10000, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 1000)
    socks = []

    def close_all():
        for s in socks:
            s.close()
        socks.clear()
    env.helpers.append(close_all)
    # The node's descriptors, sampled every 20 ms until the flood is over.
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], open_fds(n.pid))
            done.wait(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # `count` (10,000 unless our own descriptor limit is lower) connections
    # from 127.0.0.1, without waiting for any: 8 are served (the limit per
    # address), the others closed as soon as they are accepted; the
    # kernel's backlog takes what it can meanwhile and the rest retry their
    # SYN.
    for i in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", n.http))
        socks.append(s)
    # Every other slot held too: 8 per address from 127.0.0.2 to 127.0.0.4,
    # so that newcomers wait in the kernel's backlog.
    for i in range(2, 5):
        for _ in range(8):
            socks.append(connect(n.http, source=f"127.0.0.{i}"))
    # A spinning event loop would burn as much CPU as a busy loop of ours
    # gets meanwhile. Measured in 1 s windows (within the 10 s deadline of
    # the held connections) until the busy loop got 0.5 s, so that a loaded
    # machine does not leave too little to compare; at most 6 windows.
    used = loop = window = 0.0
    while loop < 0.5 and window < 6:
        u, l = cpu_against_busy_loop(n.pid, 1.0)
        used, loop, window = used + u, loop + l, window + 1
    done.set()
    sampler.join(10)
    print(f"flood: {len(socks)} sockets, node descriptors {base} -> peak "
          f"{peak[0]}; CPU over {window}s: node {used:.2f}s, busy loop "
          f"{loop:.2f}s", flush=True)
    # The slots were full (32 connections; the base may have held a
    # descriptor or two of its own, a cursorctl connection closing), and no
    # more than that.
    check(peak[0] >= base + 30, f"peak {peak[0]}: the flood never filled the "
                                f"32 slots above {base}")
    check(peak[0] <= base + 32 + 4,
          f"{peak[0]} descriptors in the node: more than the connection "
          f"limit (32) above its {base}")
    check(loop > 0.2, f"the busy loop got {loop:.2f}s of CPU in {window}s: "
                      "too little to compare")
    check(used < 0.25 * loop, f"the node spins under the flood: {used:.2f}s "
          f"of CPU against {loop:.2f}s of a busy loop")
    # The store still opens files (the descriptors the guard keeps free) and
    # the BASP port serves.
    out = env.ctl_ok(n.port, "backup", "during-flood.db")
    check("1 cursor" in out, f"backup during the flood: {out!r}")
    code, out, _, _ = env.ctl(n.port, "health")
    check(code == 0, f"health during the flood: {code} {out!r}")
    # The held connections reach their deadline (10 s) without any help from
    # their clients; then a newcomer is served (from an address of its own:
    # late SYNs of the flood keep taking the slots of 127.0.0.1 for a while).
    r = wait_status(n.http, "/readyz", 200, "^ready", timeout=60,
                    source="127.0.0.9")
    check(r.status == 200, "served after the deadlines")
    close_all()
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "the node stops cleanly")


def shutdown(env):
    # The final flush retries for ~20 s while the lock is held.
    n = start(env, "stopping", "--cursor.retry-max-attempts=100",
              "--cursor.retry-base-delay=50ms", "--cursor.retry-max-delay=200ms",
              "--node.shutdown-timeout=60s")
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "1-0")
    holder = sqlite3.connect(n.db, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        n.signal(signal.SIGTERM)
        # Logged after the phase changed to stopping.
        n.wait_for("stopped accepting connections")
        r = request(n.http, "GET", "/readyz")
        check(r.status == 503 and r.text() == "not ready: stopping\n",
              f"readyz while stopping: {r!r} {r.text()!r}")
        r = request(n.http, "GET", "/healthz")
        check(r.status == 200 and r.text() == "live: stopping\n",
              f"healthz while stopping: {r!r}")
        text = get_ok(n.http, "/metrics").text()
        check(metric_value(text, "replication_cursor_node_ready") == 0,
              "ready gauge while stopping")
        check(n.proc.poll() is None, "the node exited while the lock was held")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    check(n.wait_exit() == 0, "the final flush ran once the lock was gone")
    try:
        connect(n.http, timeout=5).close()
        raise TestFailure("the HTTP port is still open after the exit")
    except ConnectionRefusedError:
        pass


def refusals(env):
    n = start(env, "taken")
    run_refused(env, env.args.node,
                [f"--cursor.db-path={env.path('second.db')}", "--node.port=0",
                 f"--node.http-address=127.0.0.1:{n.http}"], 2,
                [f"cannot listen for HTTP on 127.0.0.1:{n.http}: Address "
                 "already in use"], "http port in use")
    run_refused(env, env.args.node,
                [f"--cursor.db-path={env.path('third.db')}",
                 "--node.http-address=localhost"], 1,
                ["invalid configuration: node.http-address: 'localhost': "
                 "missing ':port'"], "malformed http address")
    run_refused(env, env.args.node,
                [f"--cursor.db-path={env.path('third.db')}",
                 "--node.http-timeout=3s"], 1,
                ["node.http-timeout: only with node.http-address"],
                "http limits without an address")
    check(not os.path.exists(env.path("third.db")),
          "a configuration refusal created the database")
    wait_status(n.http, "/readyz", 200, "^ready")
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "the node stops cleanly")


def scenario(env):
    global PROMTOOL
    PROMTOOL = env.args.promtool
    check(PROMTOOL is not None, "promtool not found: install the prometheus "
                                "package (scripts/install-deps.sh)")
    answers(env)
    slowloris(env)
    flood(env)
    shutdown(env)
    refusals(env)


if __name__ == "__main__":
    main(scenario, "http")
