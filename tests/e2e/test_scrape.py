"""A real Prometheus (Debian package prometheus) scrapes the node and the
tailer over their HTTP endpoints (issue 21):

- a node (the store) and a tailer with a remote store, each with
  http-address on 127.0.0.1 and a 200 ms metrics interval; a Prometheus on
  127.0.0.1 (a free port, its own temporary storage) with a generated
  configuration scraping both every 500 ms and loading the recommended
  alerts (config/prometheus/cursor-actor.rules.yml); `promtool check
  config` and `promtool check metrics` (on both /metrics) pass first;
- the test drives the counters: entries appended to the source, applied by
  the tailer, its positions recorded and flushed by the node; then
  Prometheus's query API shows `up == 1` for both jobs, the tailer's
  entries applied equal to what was appended, the node's flushes above
  zero, and every recommended rule evaluated without error;
- the tailer's probes follow its peer: ready while it replicates; with the
  source Redis stopped (SIGSTOP) /readyz answers 503 naming the unreachable
  source and Prometheus records replication_tailer_ready 0; ready again
  after SIGCONT;
- hostile clients holding every HTTP slot of the tailer with requests that
  never end do not stall its replication, and are cut off at their
  deadline.

Every wait is bounded: a log line, or a poll of Prometheus's API or of the
endpoint with a deadline (the events are scrapes, 500 ms apart)."""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import eharness
from eharness import (PEER_NAMES, TestFailure, check, fill, free_port, main,
                      tailer_config, wait_caught_up)
from http_probe import (HTTP_ENDPOINT, connect, get_ok, read_until_closed,
                        wait_status)

ENTRIES = 300


class Prometheus:
    """A prometheus server on 127.0.0.1 with its own storage directory."""

    def __init__(self, env, binary, config):
        self.env = env
        self.proc = None
        for _ in range(5):
            self.port = free_port()
            log = open(env.path("prometheus.log"), "ab")
            self.proc = subprocess.Popen(
                [binary, f"--config.file={config}",
                 f"--storage.tsdb.path={env.path('prometheus-data')}",
                 f"--web.listen-address=127.0.0.1:{self.port}",
                 "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT, cwd=env.dir)
            log.close()
            env.helpers.append(self.stop)
            if self.wait_ready():
                print(f"[prometheus] on 127.0.0.1:{self.port} (pid "
                      f"{self.proc.pid})", flush=True)
                return
        raise TestFailure("prometheus did not start: see prometheus.log in "
                          f"{env.dir}")

    def wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # e.g. the port was taken meanwhile: retry
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{self.port}/-/ready", timeout=5) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            threading.Event().wait(0.1)
        return False

    def api(self, path, **params):
        url = (f"http://127.0.0.1:{self.port}/api/v1/{path}?"
               + urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        check(body.get("status") == "success", f"{path}: {body}")
        return body["data"]

    def query(self, expr):
        """The instant vector of `expr`: {labels as a tuple: value}."""
        data = self.api("query", query=expr)
        return {tuple(sorted(x["metric"].items())): float(x["value"][1])
                for x in data["result"]}

    def wait(self, expr, what, timeout=60.0):
        """Bounded poll until `expr` returns a non-empty vector (a
        comparison filters the series): returns it."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if result:
                print(f"[prometheus] {expr} -> {result}", flush=True)
                return result
            if time.monotonic() > deadline:
                raise TestFailure(f"{what}: `{expr}` stayed empty for "
                                  f"{timeout}s")
            threading.Event().wait(0.2)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def http_port(process):
    return int(process.wait_for(HTTP_ENDPOINT.pattern).group(2))


def promtool(env, *args, stdin=None):
    p = subprocess.run([env.args.promtool] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"promtool {' '.join(args)}: {p.returncode} "
                             f"{p.stdout!r} {p.stderr!r}")


def scenario(env):
    check(env.args.prometheus and env.args.promtool and env.args.rules,
          "the test needs --prometheus, --promtool and --rules (the "
          "prometheus package: scripts/install-deps.sh)")
    source, target = env.redis("source"), env.redis("target")
    sc, tc = source.client(), target.client()
    peer = PEER_NAMES[0]
    node = env.node("--node.http-address=127.0.0.1:0",
                    "--node.metrics-interval=200ms",
                    "--cursor.flush-interval=200ms").wait_listening()
    node_http = http_port(node)
    config = env.write_config("tailer.ini", tailer_config(
        [(peer, source, "events")], target, node=f"127.0.0.1:{node.port}",
        extra_tailer='http-address="127.0.0.1:0"\nhttp-timeout=3s\n'
                     'metrics-interval=200ms\n'
                     'io-timeout=1s\nblock=200ms\nretry-max-delay=200ms\n'))
    tailer = env.tailer(config)
    tailer.wait_for(eharness.STARTED)
    tailer_http = http_port(tailer)
    wait_status(tailer_http, "/readyz", 200, "^ready")
    for port in (node_http, tailer_http):
        promtool(env, "check", "metrics",
                 stdin=get_ok(port, "/metrics").text())

    prom_config = env.write_config("prometheus.yml", f"""
global:
  scrape_interval: 500ms
  scrape_timeout: 400ms
  evaluation_interval: 500ms
rule_files:
  - {env.args.rules}
scrape_configs:
  - job_name: cursor_node
    static_configs:
      - targets: ['127.0.0.1:{node_http}']
  - job_name: cursor_tailer
    static_configs:
      - targets: ['127.0.0.1:{tailer_http}']
""")
    promtool(env, "check", "config", prom_config)
    prometheus = Prometheus(env, env.args.prometheus, prom_config)

    fill(sc, "events", ENTRIES, env.rng)
    wait_caught_up([(sc, "events", tc, f"events:{peer}")])
    prometheus.wait('up{job="cursor_node"} == 1', "the node is scraped")
    prometheus.wait('up{job="cursor_tailer"} == 1', "the tailer is scraped")
    prometheus.wait(f'replication_tailer_entries_applied_total{{peer="{peer}"}}'
                    f' == {ENTRIES}', "the applied entries reach Prometheus")
    prometheus.wait('replication_cursor_flushes_total{job="cursor_node"} > 0',
                    "the node's flushes reach Prometheus")
    prometheus.wait('replication_cursor_node_ready == 1', "the node is ready")

    # Every recommended rule evaluated against real series, without error.
    deadline = time.monotonic() + 60
    while True:
        groups = prometheus.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        unevaluated = [r["name"] for r in rules
                       if r.get("lastEvaluation", "").startswith("0001")]
        broken = [(r["name"], r.get("lastError")) for r in rules
                  if r.get("health") not in ("ok", "unknown")]
        check(not broken, f"rules failing to evaluate: {broken}")
        if rules and not unevaluated and all(r.get("health") == "ok"
                                             for r in rules):
            break
        check(time.monotonic() < deadline,
              f"rules not all evaluated within 60s: {unevaluated}")
        threading.Event().wait(0.2)
    check(len(rules) >= 10, f"only {len(rules)} rules loaded")
    firing = prometheus.api("alerts")["alerts"]
    check(not [a for a in firing if a["state"] == "firing"],
          f"alerts fire on a healthy pair: {firing}")

    # The tailer's readiness follows its peer's source.
    source.proc.send_signal(signal.SIGSTOP)
    try:
        r = wait_status(tailer_http, "/readyz", 503, "source is unreachable")
        check(r.text() == f"not ready: peer '{peer}': its source is "
                          "unreachable (retrying)\n", f"readyz: {r.text()!r}")
        check(get_ok(tailer_http, "/healthz").text() == "live: serving\n",
              "a tailer with a source down is live")
        prometheus.wait('replication_tailer_ready == 0',
                        "Prometheus sees the tailer not ready")
        prometheus.wait(f'replication_tailer_up{{peer="{peer}",party="source"}}'
                        " == 0", "Prometheus sees the source down")
    finally:
        source.proc.send_signal(signal.SIGCONT)
    wait_status(tailer_http, "/readyz", 200, "^ready")
    fill(sc, "events", 10, env.rng, start=ENTRIES)
    wait_caught_up([(sc, "events", tc, f"events:{peer}")])

    prometheus.stop()

    # Hostile clients cannot stall the tailer: every one of its 32 HTTP
    # slots held by a client whose request headers never end (8 per
    # address, its per-address limit), the tailer still replicates, and
    # each held connection is cut at its request deadline (http-timeout=3s,
    # whether or not it sends), after which a newcomer is served.
    held = []
    try:
        for i in range(3, 7):
            for _ in range(8):
                s = connect(tailer_http, source=f"127.0.0.{i}")
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
                held.append(s)
        fill(sc, "events", 10, env.rng, start=ENTRIES + 10)
        wait_caught_up([(sc, "events", tc, f"events:{peer}")])
        for s in held:
            data, closed = read_until_closed(s, 60)
            check(closed and data == b"", f"a held connection: closed={closed} "
                                           f"{data[:100]!r}")
        wait_status(tailer_http, "/readyz", 200, "^ready", timeout=60,
                    source="127.0.0.9")
    finally:
        for s in held:
            s.close()

    tailer.signal(signal.SIGTERM)
    check(tailer.wait_exit() == 0, "the tailer stops cleanly")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "the node stops cleanly")


if __name__ == "__main__":
    main(scenario, "scrape")
