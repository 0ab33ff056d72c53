"""Mutual TLS between the node and its clients (tls.* / --tls-*).

At test time, in the test's temporary directory, the `openssl` tool makes a
throw-away CA, a second unrelated CA, a server and a client certificate signed
by the first, a client certificate signed by the second and a self-signed one
(no key is committed). Then:

- a client with a certificate from the configured CA works (set, get, list,
  flush round trip; also through the raw CAF peer client, whose exit(kill)
  makes the node republish its front under TLS);
- a client with no certificate, a self-signed one, or one from the other CA
  is refused, and so is a client that does not trust the node's CA;
- a plain (non-TLS) cursorctl and peer client are refused without hanging
  (exit 2 with the refusal's line, not a timeout), and a TLS cursorctl
  against a plain node too;
- the huge BASP header attack (32 bytes announcing 0xFFFFFFF0 bytes of
  payload), sent raw to the TLS port or inside a TLS connection without a
  client certificate, never reaches BASP: the node's VmHWM stays small (it is
  measured and printed) and it keeps serving;
- a missing, unreadable or invalid certificate, key or CA file, an incomplete
  set, an encrypted key without (or with a wrong) passphrase make the node
  and cursorctl refuse with one clear line (exit 1), before touching
  anything; an encrypted key with its passphrase works;
- the node reads the files once: deleting them while it runs changes nothing
  (CAF 0.17.6 would re-read them at the next connection and abort).

Every wait is bounded; nothing sleeps to synchronise."""

import json
import os
import random
import shutil
import socket
import ssl
import subprocess
import tempfile

from rharness import check, main
import harness
from test_hostile import basp_header, status_kib

OPENSSL_TIMEOUT = 60
PASSPHRASE = "correct horse battery staple"


def openssl(env, *args):
    cmd = ["openssl"] + list(args)
    try:
        p = subprocess.run(cmd, cwd=env.path("pki"), capture_output=True,
                           text=True, timeout=OPENSSL_TIMEOUT)
    except FileNotFoundError:
        raise harness.TestFailure("the openssl tool is missing "
                                  "(scripts/install-deps.sh installs it)")
    except subprocess.TimeoutExpired:
        raise harness.TestFailure(f"openssl {' '.join(args)} did not finish")
    check(p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr.strip()}")


EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]


def make_pki(env):
    """Returns a dict name -> absolute path of every file made."""
    os.mkdir(env.path("pki"))
    pki = {}

    def self_signed(name, cn):
        openssl(env, "req", "-x509", *EC_KEY, "-nodes", "-keyout",
                f"{name}.key", "-out", f"{name}.pem", "-days", "2",
                "-subj", f"/CN={cn}")

    def signed(name, cn, ca, serial):
        openssl(env, "req", "-new", *EC_KEY, "-nodes", "-keyout",
                f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        openssl(env, "x509", "-req", "-in", f"{name}.csr", "-CA",
                f"{ca}.pem", "-CAkey", f"{ca}.key", "-set_serial", str(serial),
                "-days", "2", "-out", f"{name}.pem")

    self_signed("ca", "cursor test CA")
    self_signed("ca2", "unrelated test CA")
    signed("server", "cursor node", "ca", 1)
    signed("client", "cursor client", "ca", 2)
    signed("other", "client of another CA", "ca2", 3)
    self_signed("self", "self-signed client")
    openssl(env, "pkey", "-in", "server.key", "-aes256", "-passout",
            f"pass:{PASSPHRASE}", "-out", "server.enc.key")
    openssl(env, "pkey", "-in", "client.key", "-aes256", "-passout",
            f"pass:{PASSPHRASE}", "-out", "client.enc.key")
    with open(env.path("pki", "passphrase"), "w") as f:
        f.write(PASSPHRASE + "\n")
    with open(env.path("pki", "wrong-passphrase"), "w") as f:
        f.write("not it\n")
    with open(env.path("pki", "garbage.pem"), "w") as f:
        f.write("this is not PEM\n")
    for name in os.listdir(env.path("pki")):
        pki[name] = env.path("pki", name)
    return pki


def node_tls(pki, cert="server.pem", key="server.key", ca="ca.pem"):
    return [f"--tls.certificate={pki[cert]}", f"--tls.key={pki[key]}",
            f"--tls.ca-file={pki[ca]}"]


def ctl_tls(pki, cert="client.pem", key="client.key", ca="ca.pem"):
    return ["--tls-cert", pki[cert], "--tls-key", pki[key], "--tls-ca", pki[ca]]


def ctl_ok(env, port, pki, *args, **tls):
    code, out, err, _ = env.ctl(port, *ctl_tls(pki, **tls), *args)
    check(code == 0, f"cursorctl (TLS) {' '.join(args)} exited {code}: "
                     f"{err.strip()}")
    check(err == "", f"cursorctl (TLS) {' '.join(args)} wrote to stderr")
    return out


def listing(env, port, pki):
    return [(e["peer"], e["stream_id"], e["durable"]) for e in
            json.loads(ctl_ok(env, port, pki, "list", "--json"))]


def refused(env, port, args, what, needle):
    """cursorctl must exit 2 with one line naming the refusal. Its timeout is
    longer than the harness waits for it, so a client that hung until the
    timeout fails here, and the refusal's own line (not "no answer from")
    is the event."""
    code, out, err, elapsed = env.ctl(port, *args, timeout="10m")
    check(code == 2, f"{what}: exit {code}, expected 2")
    line = harness.one_line_error(err, what)
    check(out == "", f"{what}: unexpected stdout {out!r}")
    check(needle in line, f"{what}: {needle!r} not in {line!r}")
    print(f"refused as expected: {what} ({elapsed:.2f}s): {line}", flush=True)


def peer_client(env, mode, port, *tls, limit=60):
    cmd = [env.args.client, mode, "127.0.0.1", str(port)] + list(tls)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        raise harness.TestFailure(f"peer client {mode} did not exit within "
                                  f"{limit}s")
    print(f"[client {mode}{' TLS' if tls else ''}] -> {p.returncode}\n"
          f"{p.stdout}{p.stderr}", flush=True)
    return p.returncode, p.stdout


def tls_probe(pki, port, cert=None, key=None, payload=b""):
    """A TLS client in Python that trusts the node's CA and presents `cert`
    (or nothing). Returns the first bytes the node sends after the
    handshake (BASP's server handshake when the node accepted us), or a
    string naming how the node refused us."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # CAF 0.17 does not check host names either
    ctx.load_verify_locations(pki["ca.pem"])
    if cert:
        ctx.load_cert_chain(pki[cert], pki[key])
    raw = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        conn = ctx.wrap_socket(raw)
        if payload:
            conn.sendall(payload)
        data = conn.recv(64)
        return data if data else "closed"
    except ssl.SSLError as e:
        return f"TLS error: {e.reason or e}"
    except (ConnectionResetError, BrokenPipeError) as e:
        return f"connection reset: {e}"
    except socket.timeout:
        return "TIMEOUT"
    finally:
        raw.close()


def closed_by_node(sock):
    """Waits (bounded by the socket's timeout) until the node closes a raw
    connection; returns what it said before (nothing, for a TLS server that
    got no ClientHello it understands, or a TLS alert record)."""
    got = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return got
            got += chunk
            check(len(got) < 65536, "the node keeps sending to a raw peer")
    except ConnectionResetError:
        return got
    except socket.timeout:
        raise harness.TestFailure("the node kept a raw connection with "
                                  "garbage open for 60s")


def run_refusing(env, cmd, what, needle, cwd=None):
    """A node or cursorctl that must refuse at once: exit 1, one line."""
    try:
        p = subprocess.run(cmd, cwd=cwd or env.dir, capture_output=True,
                           text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise harness.TestFailure(f"{what}: did not exit within 30s")
    check(p.returncode == 1, f"{what}: exit {p.returncode}, expected 1 "
                             f"({p.stderr.strip()!r})")
    line = harness.one_line_error(p.stderr, what)
    check(needle in line, f"{what}: {needle!r} not in {line!r}")
    print(f"refused as expected: {what}: {line}", flush=True)


def refusals(env, pki):
    """Bad TLS files: the node and cursorctl refuse with one line, exit 1,
    and the node creates nothing."""
    db = env.path("refused", "cursors.db")
    node = [env.args.node, f"--cursor.db-path={db}", "--node.port=0"]
    ctl = [env.args.ctl, "--port", "9", "--timeout", "2s"]
    missing = env.path("pki", "missing.pem")
    os.mkdir(env.path("pki", "a-directory"))
    cases = [
        # (what, node tls args, ctl tls args, needle in the node's line,
        #  needle in cursorctl's line)
        ("certificate alone",
         [f"--tls.certificate={pki['server.pem']}"],
         ["--tls-cert", pki["client.pem"]],
         "TLS needs tls.certificate, tls.key and tls.ca-file together; "
         "not set: tls.key, tls.ca-file",
         "TLS needs --tls-cert, --tls-key and --tls-ca together"),
        ("passphrase alone",
         [f"--tls.passphrase={PASSPHRASE}"],
         ["--tls-passphrase-file", pki["passphrase"]],
         "not set: tls.certificate, tls.key, tls.ca-file",
         "not set: --tls-cert, --tls-key, --tls-ca"),
        ("missing certificate",
         [f"--tls.certificate={missing}", f"--tls.key={pki['server.key']}",
          f"--tls.ca-file={pki['ca.pem']}"],
         ["--tls-cert", missing, "--tls-key", pki["client.key"],
          "--tls-ca", pki["ca.pem"]],
         f"tls.certificate '{missing}' does not exist",
         f"--tls-cert '{missing}' does not exist"),
        ("missing key",
         [f"--tls.certificate={pki['server.pem']}", f"--tls.key={missing}",
          f"--tls.ca-file={pki['ca.pem']}"],
         ["--tls-cert", pki["client.pem"], "--tls-key", missing,
          "--tls-ca", pki["ca.pem"]],
         f"tls.key '{missing}' does not exist",
         f"--tls-key '{missing}' does not exist"),
        ("missing CA file",
         [f"--tls.certificate={pki['server.pem']}",
          f"--tls.key={pki['server.key']}", f"--tls.ca-file={missing}"],
         ["--tls-cert", pki["client.pem"], "--tls-key", pki["client.key"],
          "--tls-ca", missing],
         f"tls.ca-file '{missing}' does not exist",
         f"--tls-ca '{missing}' does not exist"),
        ("a directory as certificate",
         [f"--tls.certificate={env.path('pki', 'a-directory')}",
          f"--tls.key={pki['server.key']}", f"--tls.ca-file={pki['ca.pem']}"],
         ["--tls-cert", env.path("pki", "a-directory"), "--tls-key",
          pki["client.key"], "--tls-ca", pki["ca.pem"]],
         "is not a regular file", "is not a regular file"),
        ("garbage certificate",
         node_tls(pki, cert="garbage.pem"),
         ctl_tls(pki, cert="garbage.pem"),
         f"tls.certificate '{pki['garbage.pem']}' holds no PEM certificate",
         f"--tls-cert '{pki['garbage.pem']}' holds no PEM certificate"),
        ("a key as certificate",
         node_tls(pki, cert="server.key"),
         ctl_tls(pki, cert="client.key"),
         "holds no PEM certificate", "holds no PEM certificate"),
        ("garbage key",
         node_tls(pki, key="garbage.pem"),
         ctl_tls(pki, key="garbage.pem"),
         f"tls.key '{pki['garbage.pem']}' holds no PEM private key",
         f"--tls-key '{pki['garbage.pem']}' holds no PEM private key"),
        ("a key of another certificate",
         node_tls(pki, key="client.key"),
         ctl_tls(pki, key="server.key"),
         f"tls.key '{pki['client.key']}' does not match tls.certificate "
         f"'{pki['server.pem']}'",
         f"--tls-key '{pki['server.key']}' does not match --tls-cert "
         f"'{pki['client.pem']}'"),
        ("an encrypted key without passphrase",
         node_tls(pki, key="server.enc.key"),
         ctl_tls(pki, key="client.enc.key"),
         "is encrypted: set tls.passphrase",
         "is encrypted: set --tls-passphrase-file"),
        ("an encrypted key with a wrong passphrase",
         node_tls(pki, key="server.enc.key") + ["--tls.passphrase=not it"],
         ctl_tls(pki, key="client.enc.key")
         + ["--tls-passphrase-file", pki["wrong-passphrase"]],
         "cannot be decrypted with tls.passphrase (wrong passphrase?)",
         "cannot be decrypted with --tls-passphrase-file (wrong passphrase?)"),
        ("garbage CA file",
         node_tls(pki, ca="garbage.pem"),
         ctl_tls(pki, ca="garbage.pem"),
         f"tls.ca-file '{pki['garbage.pem']}' holds no PEM certificate",
         f"--tls-ca '{pki['garbage.pem']}' holds no PEM certificate"),
        ("a key as CA file",
         node_tls(pki, ca="server.key"),
         ctl_tls(pki, ca="client.key"),
         "holds no PEM certificate", "holds no PEM certificate"),
    ]
    for what, node_args, ctl_args, node_needle, ctl_needle in cases:
        run_refusing(env, node + node_args, f"node: {what}", node_needle)
        run_refusing(env, ctl + ctl_args + ["list"], f"cursorctl: {what}",
                     ctl_needle)
    run_refusing(env, node + [f"--openssl.certificate={pki['server.pem']}"],
                 "node: CAF's own openssl.* option",
                 "CAF's openssl.* options are not used by cursor_node")
    check(not os.path.exists(env.path("refused")),
          "a node refusing its TLS files created its database directory")
    unreadable(env, pki)


def unreadable(env, pki):
    """A key file we may not read. Root reads everything, so as root the
    node and cursorctl run as `nobody` (setpriv) on copies in a directory
    nobody may enter, with the key's mode 000."""
    as_root = os.geteuid() == 0
    prefix = []
    if as_root:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            print("NOTE unreadable-file case not run: root without setpriv",
                  flush=True)
            return
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                  "--"]
    work = tempfile.mkdtemp(prefix="cursor-tls-perm-")
    try:
        os.chmod(work, 0o755)
        for name in ("server.pem", "server.key", "client.pem", "client.key",
                     "ca.pem"):
            shutil.copy(pki[name], os.path.join(work, name))
            os.chmod(os.path.join(work, name), 0o644)
        os.chmod(os.path.join(work, "server.key"), 0)
        os.chmod(os.path.join(work, "client.key"), 0)
        f = lambda n: os.path.join(work, n)  # noqa: E731
        if as_root:
            probe = subprocess.run(prefix + [env.args.node, "--help"],
                                   capture_output=True, timeout=30)
            if probe.returncode != 0:
                print("NOTE unreadable-file case not run: nobody cannot run "
                      f"{env.args.node}", flush=True)
                return
        run_refusing(env, prefix + [
            env.args.node, f"--cursor.db-path={f('x.db')}", "--node.port=0",
            f"--tls.certificate={f('server.pem')}",
            f"--tls.key={f('server.key')}", f"--tls.ca-file={f('ca.pem')}"],
            "node: unreadable key",
            f"tls.key '{f('server.key')}' cannot be read: Permission denied",
            cwd=work)
        run_refusing(env, prefix + [
            env.args.ctl, "--port", "9", "--tls-cert", f("client.pem"),
            "--tls-key", f("client.key"), "--tls-ca", f("ca.pem"), "list"],
            "cursorctl: unreadable key",
            f"--tls-key '{f('client.key')}' cannot be read: Permission denied",
            cwd=work)
        check(not os.path.exists(f("x.db")), "the refusing node created x.db")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def scenario(env):
    pki = make_pki(env)

    # The files are checked before anything else happens.
    refusals(env, pki)

    # A TLS node on an explicit loopback address. It works on copies of the
    # files taken at start-up: the originals are deleted below.
    live = {}
    os.mkdir(env.path("live"))
    for name in ("server.pem", "server.key", "ca.pem"):
        live[name] = env.path("live", name)
        shutil.copy(pki[name], live[name])
    node = env.node("--node.bind-address=127.0.0.1",
                    "--cursor.flush-interval=0s", "--node.log-level=info",
                    *node_tls(live))
    node.wait_listening()
    p = node.port
    node.wait_for(r"mutual TLS: certificate '.*' \(subject CN=cursor node, "
                  r"issuer CN=cursor test CA")

    # 1. A client with a certificate from the configured CA: round trip.
    check(ctl_ok(env, p, pki, "set", "tls.a", "10-0") == "ok\n", "set")
    check(ctl_ok(env, p, pki, "set", "tls.b", "20-1") == "ok\n", "set")
    check(ctl_ok(env, p, pki, "get", "tls.a") == "10-0\n", "get")
    check(listing(env, p, pki) == [("tls.a", "10-0", False),
                                   ("tls.b", "20-1", False)], "list")
    check(ctl_ok(env, p, pki, "flush") == "flushed 2 rows\n", "flush")
    check(harness.read_rows(env.path("cursors.db"))
          == {"tls.a": "10-0", "tls.b": "20-1"}, "flushed rows on disk")
    before = listing(env, p, pki)
    check(before == [("tls.a", "10-0", True), ("tls.b", "20-1", True)],
          "list after flush")

    # The node read its files once: without them it still accepts clients.
    shutil.rmtree(env.path("live"))
    check(ctl_ok(env, p, pki, "get", "tls.b") == "20-1\n",
          "served after the node's certificate files were deleted")

    # 2. Refused clients: exit 2 with one line naming the refusal.
    refused(env, p, ["get", "tls.a"], "plain cursorctl against the TLS node",
            needle="closed the connection")
    refused(env, p, ctl_tls(pki, cert="self.pem", key="self.key")
            + ["get", "tls.a"], "cursorctl with a self-signed certificate",
            needle="TLS handshake failed")
    refused(env, p, ctl_tls(pki, cert="other.pem", key="other.key")
            + ["get", "tls.a"], "cursorctl with a certificate of another CA",
            needle="TLS handshake failed")
    refused(env, p, ctl_tls(pki, ca="ca2.pem") + ["get", "tls.a"],
            "cursorctl that does not trust the node's CA",
            needle="TLS handshake failed")
    code, out = peer_client(env, "kill-front", p)
    check(code != 0 and "FAIL connect" in out,
          "a plain CAF peer cannot reach the front to kill it")
    # A TLS client without a certificate (CAF cannot be one: it needs all
    # three files), with a positive control first.
    got = tls_probe(pki, p, cert="client.pem", key="client.key")
    check(isinstance(got, bytes) and len(got) > 0,
          f"control: a Python TLS client with the client certificate gets "
          f"BASP bytes ({got!r})")
    for cert, key, what in ((None, None, "no certificate"),
                            ("self.pem", "self.key", "a self-signed one"),
                            ("other.pem", "other.key", "another CA's")):
        got = tls_probe(pki, p, cert=cert, key=key)
        check(not isinstance(got, bytes) and got != "TIMEOUT",
              f"a TLS client with {what} is refused: {got!r}")
        print(f"refused as expected: a TLS client with {what}: {got}",
              flush=True)
    check(listing(env, p, pki) == before, "refused clients changed nothing")

    # 3. The huge BASP header no longer reaches BASP: raw on the TLS port,
    # raw with random bytes, and inside a TLS connection without a
    # certificate. The node answers each with a TLS alert or a close.
    hwm_before = status_kib(node.pid, "VmHWM")
    header = basp_header(1, 0xFFFFFFF0)
    s = socket.create_connection(("127.0.0.1", p), timeout=60)
    s.sendall(header)
    said = closed_by_node(s)
    s.close()
    print(f"raw huge header: the node closed the connection after sending "
          f"{len(said)} bytes (a TLS alert, if any)", flush=True)
    # Random bytes: too short for a TLS record header, the connection just
    # idles (as any connection that never handshakes); otherwise TLS fails.
    rng = random.Random(20261125)
    for size in (1, 32, 1000, 65536):
        s = socket.create_connection(("127.0.0.1", p), timeout=60)
        try:
            s.sendall(bytes(rng.getrandbits(8) for _ in range(size)))
        except OSError:
            pass
        s.close()
    got = tls_probe(pki, p, payload=header)
    check(not isinstance(got, bytes) and got != "TIMEOUT",
          f"huge header inside TLS without a certificate refused: {got!r}")
    print(f"huge header inside TLS without a certificate: {got}", flush=True)
    check(ctl_ok(env, p, pki, "get", "tls.a") == "10-0\n",
          "served after the huge header")
    hwm_after = status_kib(node.pid, "VmHWM")
    print(f"huge header on the TLS port: node VmHWM {hwm_before} KiB before, "
          f"{hwm_after} KiB after ({hwm_after // 1024} MiB)", flush=True)
    check(hwm_after - hwm_before < 64 * 1024,
          f"the node's peak memory grew by {hwm_after - hwm_before} KiB")
    check(listing(env, p, pki) == before, "cursors unchanged by the attack")

    # 4. A raw CAF peer with a good certificate: exit(kill) to the front;
    # the node republishes it with TLS on the same address and port.
    mark = node.line_count()
    code, out = peer_client(env, "kill-front", p, pki["client.pem"],
                            pki["client.key"], pki["ca.pem"])
    check(code == 0, "exit(kill) delivered over TLS")
    node.wait_for(r"republished the front on 127\.0\.0\.1:%d" % p, start=mark)
    code, out, err, _ = env.ctl(p, *ctl_tls(pki), "get", "tls.a",
                                timeout="30s", limit=60)
    check(code == 0 and out == "10-0\n", "served by the republished front")
    refused(env, p, ["get", "tls.a"], "plain cursorctl after the republish",
            needle="closed the connection")
    node.signal(15)
    check(node.wait_exit() == 0, "the TLS node stops cleanly")

    # 5. A TLS cursorctl against a plain node is refused (not timed out).
    plain = env.node("--cursor.flush-interval=0s", db="plain.db",
                     name="plain").wait_listening()
    plain_hwm = status_kib(plain.pid, "VmHWM")
    refused(env, plain.port, ctl_tls(pki) + ["get", "tls.a"],
            "TLS cursorctl against a plain node",
            needle="TLS handshake failed")
    # The plain node reads the ClientHello as a BASP header: an invalid
    # operation, closed, nothing allocated.
    grew = status_kib(plain.pid, "VmHWM") - plain_hwm
    print(f"TLS client against the plain node: its VmHWM {plain_hwm} KiB "
          f"before, {plain_hwm + grew} KiB after", flush=True)
    check(grew < 64 * 1024, f"a ClientHello grew the plain node by {grew} KiB")
    check(env.ctl_ok(plain.port, "get", "tls.a") == "none\n",
          "the plain node serves plain clients")
    plain.signal(15)
    check(plain.wait_exit() == 0, "the plain node stops cleanly")

    # 6. Encrypted keys with their passphrases, on both sides.
    enc = env.node("--cursor.flush-interval=0s",
                   *node_tls(pki, key="server.enc.key"),
                   f"--tls.passphrase={PASSPHRASE}", db="enc.db",
                   name="enc").wait_listening()
    args = ctl_tls(pki, key="client.enc.key") + [
        "--tls-passphrase-file", pki["passphrase"]]
    code, out, err, _ = env.ctl(enc.port, *args, "set", "enc.peer", "1-1")
    check(code == 0 and out == "ok\n", f"encrypted keys: set ({err.strip()})")
    code, out, err, _ = env.ctl(enc.port, *args, "get", "enc.peer")
    check(code == 0 and out == "1-1\n", f"encrypted keys: get ({err.strip()})")
    enc.signal(15)
    check(enc.wait_exit() == 0, "the node with an encrypted key stops cleanly")
    # The passphrase from a file, as the tailer and cursorctl take it (one
    # host reads tls.* for every program).
    enc = env.node("--cursor.flush-interval=0s",
                   *node_tls(pki, key="server.enc.key"),
                   f"--tls.passphrase-file={pki['passphrase']}", db="enc.db",
                   name="enc-file").wait_listening()
    code, out, err, _ = env.ctl(enc.port, *args, "get", "enc.peer")
    check(code == 0 and out == "1-1\n",
          f"passphrase file: get ({err.strip()})")
    enc.signal(15)
    check(enc.wait_exit() == 0, "the node with a passphrase file stops cleanly")


if __name__ == "__main__":
    main(scenario, "tls")
