"""cursorctl's exit codes and error lines: usage errors and refused input exit
1, an unreachable or silent node exits 2 within the timeout, a storage error
exits 3; every error is one readable line on stderr."""

import json
import socket
import sqlite3
import threading

from harness import check, main, one_line_error


def expect(env, port, args, code, needle, **kw):
    got, out, err, elapsed = env.ctl(port, *args, **kw)
    check(got == code, f"cursorctl {' '.join(args)}: exit {got}, expected {code}")
    line = one_line_error(err, f"cursorctl {' '.join(args)}")
    check(needle in line, f"cursorctl {' '.join(args)}: {needle!r} not in {line!r}")
    check(out == "", f"cursorctl {' '.join(args)}: unexpected stdout {out!r}")
    return elapsed


def silent_listener(env):
    """A TCP peer on 127.0.0.1 that accepts connections and never says a word."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except socket.timeout:
                continue
            except OSError:
                return

    t = threading.Thread(target=accept, daemon=True)
    t.start()

    def close():
        stop.set()
        t.join(5)
        for c in held:
            c.close()
        srv.close()

    env.helpers.append(close)
    return srv.getsockname()[1], held


def closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # bound but never listening: connections are refused
    return port


def scenario(env):
    # Usage errors need no node (port 9 is never reached).
    expect(env, 9, [], 1, "missing command")
    expect(env, 9, ["frobnicate"], 1, "unknown command 'frobnicate'")
    expect(env, 9, ["set", "only-a-peer"], 1, "missing argument")
    expect(env, 9, ["get", "a", "b"], 1, "too many arguments")
    expect(env, 9, ["get", "a", "--force"], 1, "--force only applies to set")
    expect(env, 9, ["stats", "--json", "--prometheus"], 1, "choose one")
    expect(env, 9, ["list", "--bogus"], 1, "unknown option '--bogus'")
    expect(env, 9, ["list"], 1, "invalid timeout", timeout="soon")
    # TLS options are parsed and checked before any connection (their files
    # in detail: tests/reliability/test_tls.py).
    expect(env, 9, ["list", "--tls-bogus", "x"], 1, "unknown option '--tls-bogus'")
    expect(env, 9, ["list", "--tls-cert"], 1, "option '--tls-cert' needs a value")
    expect(env, 9, ["list", "--tls-ca="], 1, "needs a non-empty value")
    expect(env, 9, ["list", "--tls-cert", env.path("c.pem")], 1,
           "TLS needs --tls-cert, --tls-key and --tls-ca together; "
           "not set: --tls-key, --tls-ca")
    expect(env, 9, ["list", "--tls-cert", env.path("c.pem"), "--tls-key",
                    env.path("k.pem"), "--tls-ca", env.path("ca.pem")], 1,
           f"--tls-cert '{env.path('c.pem')}' does not exist")
    expect(env, 9, ["list", "--tls-passphrase-file", env.path("pw")], 1,
           f"--tls-passphrase-file '{env.path('pw')}' does not exist")
    # A command's own options are checked wherever they stand.
    expect(env, 9, ["--json", "flush"], 1,
           "--json only applies to get, list, stats and health")
    expect(env, 9, ["list", "-x"], 1, "unknown option '-x'")
    expect(env, 9, ["list", "list"], 1, "too many arguments")
    code, out, err, _ = env.ctl(9, "--help")
    check(code == 0 and "usage: cursorctl" in out and err == "", "--help")
    check("--tls-cert FILE" in out, "--help names the TLS options")
    for command in ("get PEER [--json]", "set PEER ID [--force]", "health [--json]",
                    "export [--format jsonl|csv]"):
        check(command in out, f"--help lists {command!r}")
    code, out, err, _ = env.ctl(9, "set", "--help")
    check(code == 0 and err == "" and
          out.startswith("usage: cursorctl [OPTIONS] set PEER ID [--force]\n")
          and "--force" in out, f"set --help: {out!r}")

    # Nothing listens: refused, not timed out. The timeout is far longer than
    # the harness waits for cursorctl (CTL_TIMEOUT), so only the refusal can
    # have ended it, and the line says which it was.
    port = closed_port()
    expect(env, port, ["list"], 2, f"cannot connect to 127.0.0.1:{port} "
           "(connection refused", timeout="10m")

    # A peer that accepts and stays silent: the handshake never completes and
    # CAF has no handshake timeout, so only cursorctl's own timeout (1s) can
    # end it. The duration is the point here: the exit (bounded by the
    # harness's CTL_TIMEOUT, 60 times the timeout) and its line prove the
    # timeout fired; not before the timeout is a bound no slow machine can
    # break (monotonic clock, measured around the whole process).
    port, held = silent_listener(env)
    elapsed = expect(env, port, ["get", "x"], 2,
                     f"no answer from 127.0.0.1:{port} within 1s", timeout="1s")
    check(len(held) >= 1, "the silent listener saw no connection")
    check(elapsed >= 1.0, f"silent peer: gave up after {elapsed:.2f}s, before "
                          f"its 1s timeout")

    # Input refused by the store: exit 1 with the store's message.
    node = env.node("--cursor.flush-interval=0s", "--cursor.retry-max-attempts=2",
                    "--cursor.retry-base-delay=5ms",
                    "--cursor.retry-max-delay=10ms").wait_listening()
    p = node.port
    env.ctl_ok(p, "set", "peer.a", "10-0")
    expect(env, p, ["set", "peer.a", "9-0"], 1, "regression")
    expect(env, p, ["set", "peer.a", "banana"], 1, "invalid_stream_id")
    expect(env, p, ["set", "peer.a", "01-0"], 1, "invalid_stream_id")
    expect(env, p, ["get", "bad\u0001peer"], 1, "invalid_peer_id")
    expect(env, p, ["delete", ""], 1, "invalid_peer_id")
    check(env.ctl_ok(p, "get", "peer.a") == "10-0\n", "refused input changed nothing")
    env.ctl_ok(p, "set", "peer.a", "9-0", "--force")
    check(env.ctl_ok(p, "get", "peer.a") == "9-0\n", "--force moves a cursor back")
    # A peer ID starting with '-' after '--'.
    env.ctl_ok(p, "set", "--", "-dash", "1-1")
    check(env.ctl_ok(p, "get", "--", "-dash") == "1-1\n", "'--' ends the options")
    # A command's option before the command.
    check(json.loads(env.ctl_ok(p, "--json", "get", "--", "-dash"))["stream_id"]
          == "1-1", "--json before the command")

    # Storage error: another process holds SQLite's write lock, the flush
    # stays busy through every retry.
    holder = sqlite3.connect(env.path("cursors.db"), isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        expect(env, p, ["flush"], 3, "busy")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    check(env.ctl_ok(p, "flush") == "flushed 2 rows\n", "flush works once the lock is gone")
    # A peer named like a command is an operand.
    env.ctl_ok(p, "set", "list", "2-0")
    check(env.ctl_ok(p, "get", "list") == "2-0\n", "a peer named 'list'")


if __name__ == "__main__":
    main(scenario, "cli_errors")
