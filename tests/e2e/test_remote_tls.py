"""The tailer with its store on a remote cursor_node over mutual TLS: the
tailer's [tls] files (as cursorctl's) are checked and used, it replicates
and records through the TLS connection, its final flush reaches the node's
database. A tailer without a certificate is refused by the node's TLS: it
says so (once) and keeps retrying, replicates nothing it could not record
the start of, and stops with exit 3 (the final flush could not reach the
node). The CA and certificates are made at test time with the openssl tool
(no key is committed)."""

import os
import signal
import subprocess

from eharness import (PEER_NAMES, STARTED, TestFailure, check, compare_streams,
                      fill, main, read_cursors, tailer_config,
                      wait_caught_up)

EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]


def make_pki(env):
    pki = env.path("pki")
    os.mkdir(pki)

    def openssl(*args):
        try:
            p = subprocess.run(["openssl"] + list(args), cwd=pki,
                               capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            raise TestFailure("the openssl tool is missing "
                              "(scripts/install-deps.sh installs it)")
        check(p.returncode == 0, f"openssl {args[0]}: {p.stderr.strip()}")

    openssl("req", "-x509", *EC_KEY, "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=cursor test CA")
    for serial, name in enumerate(["node", "tailer"], start=1):
        openssl("req", "-new", *EC_KEY, "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-set_serial", str(serial), "-days", "2",
                "-out", f"{name}.pem")
    return lambda f: os.path.join(pki, f)


def scenario(env):
    pki = make_pki(env)
    source, target = env.redis("source"), env.redis("target")
    peer = PEER_NAMES[0]
    cs, tc = source.client(), target.client()
    tkey = f"events:{peer}"
    fill(cs, "events", 2000, env.rng)
    node = env.node(f"--tls.certificate={pki('node.pem')}",
                    f"--tls.key={pki('node.key')}",
                    f"--tls.ca-file={pki('ca.pem')}", db="node.db")
    node.wait_listening()
    base = tailer_config([(peer, source, "events")], target,
                         node=f"127.0.0.1:{node.port}",
                         extra_tailer="block=250ms\nretry-max-delay=200ms\n")

    # Without a certificate: refused by the node's TLS, loudly, and nothing
    # is applied (the peer cannot learn where to resume).
    plain = env.tailer(env.write_config("plain.ini", base), name="plain")
    plain.wait_for(STARTED)
    plain.wait_for(r"cannot reach the cursor node at 127\.0\.0\.1:\d+: the node "
                   r"closed the connection during the handshake \(a node with "
                   r"TLS needs tls\.certificate")
    check(tc.xinfo(tkey) is None, "a tailer without its store applied entries")
    plain.signal(signal.SIGTERM)
    code = plain.wait_exit()
    check(code == 3, f"without the store the final flush fails: exit {code}")
    plain.wait_for(r"final flush on the cursor node failed")

    # With its certificate: replicated and recorded through TLS.
    tls = base + (f'[tls]\ncertificate="{pki("tailer.pem")}"\n'
                  f'key="{pki("tailer.key")}"\nca-file="{pki("ca.pem")}"\n')
    t = env.tailer(env.write_config("tls.ini", tls), name="tls")
    t.wait_for(r"mutual TLS to the cursor node: certificate '.*tailer\.pem' "
               r"\(subject CN=tailer")
    t.wait_for(r"connected to the cursor node at")
    wait_caught_up([(cs, "events", tc, tkey)])
    fill(cs, "events", 500, env.rng, start=2000)
    wait_caught_up([(cs, "events", tc, tkey)])
    t.signal(signal.SIGTERM)
    check(t.wait_exit() == 0, "the TLS tailer stops with exit 0")
    t.wait_for(r"final flush on the cursor node wrote 1 rows")
    check(compare_streams(cs, "events", tc, tkey) == 2500, "2500 entries")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "the node stops with exit 0")
    check(read_cursors(env.path("node.db")).get(peer) == cs.last_id("events"),
          "the node's database holds the last ID")


if __name__ == "__main__":
    main(scenario, "remote_tls")
