"""cursor_tailer refuses a bad configuration before it opens or connects to
anything, with one line on stderr and exit code 1 (exit 2 for a database
held by another store): unknown options and keys, values of the wrong type
(CAF would drop them silently), invalid values, malformed peer entries,
two peers writing one target stream, store options that would configure
nothing. No Redis is needed: nothing may be contacted."""

import os
import subprocess

from eharness import check, main

PEER = '{id="uk.node.leeds-2", source="127.0.0.1:1", stream="events"}'


def scenario(env):
    def run(*args, ini=None, expect=1, contains=""):
        argv = [env.args.tailer]
        if ini is not None:
            path = env.write_config("t.ini", ini)
            argv.append(f"--config-file={path}")
        argv += list(args)
        p = subprocess.run(argv, cwd=env.dir, capture_output=True, text=True,
                           timeout=30)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        print(f"[tailer] {' '.join(args)} -> {p.returncode}: {p.stderr!r}",
              flush=True)
        check(p.returncode == expect,
              f"{args} {ini!r}: exit {p.returncode}, expected {expect}")
        check(len(lines) == 1 and lines[0].startswith("cursor_tailer: error: "),
              f"one error line expected, got {lines!r}")
        check(contains in lines[0], f"{contains!r} not in {lines[0]!r}")
        check(not os.path.exists(env.path("data")), "created the data dir")

    peers = f"--tailer.peers=[{PEER}]"
    run("--tailer.bogus=1", peers, contains="unknown option '--tailer.bogus")
    run(peers, "stray", contains="unexpected argument 'stray'")
    run(contains="tailer.peers: no peers configured")
    run("--tailer.peers=[]", contains="tailer.peers is empty")
    ini = f"[tailer]\npeers=[{PEER}]\n"
    run(ini=ini + "bogus=1\n",
        contains="unknown option 'tailer.bogus' in config file")
    run(ini=ini + "block=5\n", contains="'tailer.block' in config file")
    run(ini=ini + 'batch-size="10"\n', contains="'tailer.batch-size'")
    run(ini=ini + "[cursor]\nflush-interval=5\n",
        contains="'cursor.flush-interval'")
    run(ini=ini + "[nonsense]\nx=1\n", contains="unknown option 'nonsense.x'")
    run(ini='[tailer]\npeers=[{id="a", source="127.0.0.1:1", stream="s", '
            'port=5}]\n', contains="'port' must be a quoted string")
    for entry, text in [
            ('{source="127.0.0.1:1", stream="s"}', "'id' is missing"),
            ('{id="a", stream="s"}', "'source' (host:port of its Redis)"),
            ('{id="a", source="127.0.0.1:1"}', "'stream' (the key"),
            ('{id="a", source="localhost", stream="s"}', "missing ':port'"),
            ('{id="a", source="h:0", stream="s"}', "from 1 to 65535"),
            ('{id="a", source="::1:6379", stream="s"}', "needs brackets"),
            ('{id="a", source="h:1", stream="s", target="t"}',
             "unknown key 'target'"),
            ('{id="a", source="h:1", stream="s", target-stream=""}',
             "'target-stream' is empty"),
            ('{id="' + "x" * 256 + '", source="h:1", stream="s"}',
             "invalid_peer_id"),
            ('{id="a", source="127.0.0.1:6379", stream="s", '
             'target-stream="s"}', "source and target are the same stream"),
    ]:
        run(f"--tailer.peers=[{entry}]", contains=text)
    run('--tailer.peers=[{id="a", source="h:1", stream="s"}, '
        '{id="a", source="h:2", stream="s"}]', contains="given twice")
    run('--tailer.peers=[{id="a", source="h:1", stream="s", '
        'target-stream="t"}, {id="b", source="h:2", stream="s", '
        'target-stream="t"}]', contains="writes the target stream 't' too")
    run(peers, "--tailer.target=nowhere", contains="tailer.target")
    run(peers, "--tailer.node=nowhere", contains="tailer.node")
    run(peers, "--tailer.batch-size=0", contains="tailer.batch-size")
    run(peers, "--tailer.block=0s", contains="tailer.block")
    # A reader notices a stop only after its XREAD BLOCK: a block as long as
    # the shutdown deadline would turn every stop into a failed one (exit 4).
    run(peers, "--tailer.block=6s", contains="invalid configuration: "
        "tailer.shutdown-timeout: must be at least twice tailer.block")
    run(peers, "--tailer.block=1min", "--tailer.shutdown-timeout=90s",
        contains="tailer.shutdown-timeout")
    run(peers, "--tailer.retry-base-delay=1s", "--tailer.retry-max-delay=10ms",
        contains="tailer.retry-max-delay")
    run(peers, '--tailer.log-level=loud', contains="tailer.log-level")
    run(peers, "--tailer.node=127.0.0.1:4242", "--cursor.db-path=x.db",
        contains="cursor.db-path: the cursor.* options configure the "
                 "embedded store")
    run(peers, "--tls.certificate=c.pem", contains="TLS is for a remote node")
    run(peers, "--tailer.node=127.0.0.1:4242", "--tls.certificate=c.pem",
        contains="tls.")
    run(peers, "--openssl.certificate=c.pem", "--tailer.node=127.0.0.1:4242",
        contains="openssl")
    run(peers, f"--tailer.metrics-file={env.path('no', 'such', 'm.prom')}",
        contains="does not exist")

        # The shipped config/cursor_tailer.ini passes every check of its keys
    # and types: the only complaint is about the value overridden here.
    shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                           "..", "config", "cursor_tailer.ini")
    run(f"--config-file={shipped}", "--tailer.target=nowhere",
        contains="invalid configuration: tailer.target: 'nowhere'")

    # The embedded store takes the node's lock: a database held by a running
    # cursor_node is refused (exit 2), and nothing is contacted.
    db = env.path("held.db")
    node = env.node(db="held.db")
    node.wait_listening()
    run(peers, f"--cursor.db-path={db}", expect=2,
        contains="held by another cursor node or tailer")


if __name__ == "__main__":
    main(scenario, "config")
