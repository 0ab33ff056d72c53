"""The node as a systemd service (Type=notify) and its self-description:

- with NOTIFY_SOCKET set, the node sends READY=1 (with a STATUS= line) once
  it listens, from its own pid, then STOPPING=1 when SIGTERM starts the
  shutdown, and nothing else; the port answers as soon as READY=1 arrived;
  an abstract socket (`@name`) works too;
- a node that refuses to start sends nothing (systemd then sees the failure);
- a NOTIFY_SOCKET nobody listens on is a warning, not a reason to stop;
- `--help` lists the node's own options and `--version` the project
  version, both without touching anything; cursorctl --version too.

The datagram socket is the test's own: systemd is not needed. Every wait is
bounded (socket timeouts, process exit)."""

import os
import signal
import subprocess

from harness import check, main, notify_socket, nothing_queued, receive

def run_with_notify(env, address, name, db):
    sock = notify_socket(env, address)
    node = env.node(f"--cursor.db-path={env.path(db)}", name=name,
                    env=dict(os.environ, NOTIFY_SOCKET=address if isinstance(
                        address, str) else "@" + address[1:].decode()))
    fields, pid = receive(sock, 60)
    check(fields is not None, f"{name}: no READY=1 within 60s")
    check(fields.get("READY") == "1" and "STOPPING" not in fields,
          f"{name}: the first datagram is not READY=1: {fields}")
    check(pid == node.pid, f"{name}: sent by pid {pid}, not the node's "
                           f"{node.pid} (NotifyAccess=main would drop it)")
    node.wait_listening()
    check(fields.get("STATUS") == f"listening on 127.0.0.1:{node.port}",
          f"{name}: STATUS {fields.get('STATUS')!r}")
    # Ready means ready: the port answers now.
    check(env.ctl_ok(node.port, "get", "peer.x") == "none\n",
          f"{name}: served right after READY=1")
    node.signal(signal.SIGTERM)
    fields, pid = receive(sock, 60)
    check(fields is not None and fields.get("STOPPING") == "1",
          f"{name}: no STOPPING=1 after SIGTERM: {fields}")
    check(pid == node.pid, f"{name}: STOPPING=1 from pid {pid}")
    check(node.wait_exit() == 0, f"{name}: exit code after SIGTERM")
    empty, data = nothing_queued(sock)
    check(empty, f"{name}: unexpected datagram after STOPPING=1: {data!r}")


def scenario(env):
    version = env.args.project_version
    check(version, "the test needs --project-version")

    # --version and --help: printed, exit 0, nothing created.
    for binary, name in ((env.args.node, "cursor_node"), (env.args.ctl, "cursorctl")):
        p = subprocess.run([binary, "--version"], cwd=env.dir, capture_output=True,
                           text=True, timeout=30)
        check(p.returncode == 0 and p.stdout.startswith(f"{name} {version}")
              and p.stderr == "",
              f"{name} --version: {p.returncode} {p.stdout!r} {p.stderr!r}")
    p = subprocess.run([env.args.node, "--help"], cwd=env.dir,
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, f"cursor_node --help exited {p.returncode}")
    for option in ("--node.port=", "--node.bind-address=", "--cursor.db-path=",
                   "--cursor.flush-interval=", "--tls.certificate=",
                   "--config-file=PATH", "--version"):
        check(option in p.stdout, f"cursor_node --help does not list {option}")
    check("--scheduler." not in p.stdout, "--help lists CAF's groups (that is "
                                          "--long-help)")
    check(os.listdir(env.dir) == [], f"--help/--version created "
                                     f"{os.listdir(env.dir)}")

    # READY=1 then STOPPING=1, on a socket path and on an abstract socket.
    run_with_notify(env, env.path("notify.sock"), "path", "a.db")
    run_with_notify(env, b"\0cursor-test-" + str(os.getpid()).encode(),
                    "abstract", "b.db")

    # A node that refuses to start says nothing: systemd sees it fail.
    sock = notify_socket(env, env.path("refused.sock"))
    node = env.node("--node.log-level=loud", name="refused",
                    env=dict(os.environ, NOTIFY_SOCKET=env.path("refused.sock")))
    check(node.wait_exit() == 1, "refused start: exit 1")
    empty, data = nothing_queued(sock)
    check(empty, f"a node that refused to start sent {data!r}")

    # Nobody listens on NOTIFY_SOCKET: a warning; the node serves anyway.
    node = env.node(f"--cursor.db-path={env.path('c.db')}", name="orphan",
                    env=dict(os.environ, NOTIFY_SOCKET=env.path("nobody.sock")))
    node.wait_listening()
    node.wait_for(r"warning.*cannot notify systemd \(READY=1\)")
    env.ctl_ok(node.port, "set", "peer.y", "1-0")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "orphan socket: clean exit")


if __name__ == "__main__":
    main(scenario, "service")
