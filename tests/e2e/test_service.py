"""cursor_tailer as a systemd service (Type=notify) and its self-description:

- `--version` prints the project version and `--help` the tailer's own
  options (tailer.*, cursor.*, tls.*, its default INI file), both with exit 0
  and without creating anything;
- with NOTIFY_SOCKET set, the tailer sends READY=1 (with a STATUS= line) from
  its own pid once its peers run, and it replicates from then on; SIGTERM
  sends STOPPING=1, then the final flush and exit 0;
- a tailer that refuses to start sends nothing.

The datagram socket is the test's own: systemd is not needed. Every wait is
bounded (socket timeouts, log lines, process exit)."""

import os
import signal
import subprocess

from eharness import (PEER_NAMES, check, fill, main, read_cursors,
                      tailer_config, wait_caught_up)
from harness import notify_socket, nothing_queued, receive


def scenario(env):
    version = env.args.project_version
    check(version, "the test needs --project-version")
    p = subprocess.run([env.args.tailer, "--version"], cwd=env.dir,
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and p.stdout.startswith(f"cursor_tailer {version}")
          and p.stderr == "", f"--version: {p.returncode} {p.stdout!r} "
                              f"{p.stderr!r}")
    p = subprocess.run([env.args.tailer, "--help"], cwd=env.dir,
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, f"--help exited {p.returncode}")
    for text in ("usage: cursor_tailer", "--tailer.peers=", "--tailer.target=",
                 "--cursor.db-path=", "--tls.certificate=", "cursor_tailer.ini",
                 "--version"):
        check(text in p.stdout, f"--help does not show {text!r}")
    check("--scheduler." not in p.stdout and "caf-application.ini"
          not in p.stdout, "--help shows CAF's own groups or default file")
    check(os.listdir(env.dir) == [], f"--help/--version created "
                                     f"{os.listdir(env.dir)}")

    source, target = env.redis("source"), env.redis("target")
    sc, tc = source.client(), target.client()
    fill(sc, "events", 500, env.rng)
    peer = PEER_NAMES[0]
    db = env.path("cursors.db")
    address = env.path("notify.sock")
    sock = notify_socket(env, address)
    notify_env = dict(os.environ, NOTIFY_SOCKET=address)

    # A refused start says nothing to systemd.
    bad = subprocess.run([env.args.tailer, "--tailer.bogus=1"], cwd=env.dir,
                         capture_output=True, text=True, timeout=30,
                         env=notify_env)
    check(bad.returncode == 1, f"a bad option exits {bad.returncode}")
    empty, data = nothing_queued(sock)
    check(empty, f"a refused start notified systemd: {data!r}")

    config = env.write_config("tailer.ini", tailer_config(
        [(peer, source, "events")], target, db=db,
        extra_tailer="block=250ms\n", extra_cursor="flush-interval=200ms\n"))
    tailer = env.tailer(config, env=notify_env)
    fields, pid = receive(sock, 30)
    check(fields is not None, "no READY=1 within 30s")
    check(fields.get("READY") == "1" and "STOPPING" not in fields,
          f"the first datagram is not READY=1: {fields}")
    check(pid == tailer.pid, f"sent by pid {pid}, not the tailer's "
                             f"{tailer.pid} (NotifyAccess=main would drop it)")
    check(fields.get("STATUS") == f"replicating 1 peer into "
                                  f"{target.address()}",
          f"STATUS {fields.get('STATUS')!r}")
    wait_caught_up([(sc, "events", tc, f"events:{peer}")], timeout=60)

    tailer.signal(signal.SIGTERM)
    fields, pid = receive(sock, 30)
    check(fields is not None and fields.get("STOPPING") == "1",
          f"no STOPPING=1 after SIGTERM: {fields}")
    check(pid == tailer.pid, f"STOPPING=1 from pid {pid}")
    check(tailer.wait_exit() == 0, "exit code after SIGTERM")
    empty, data = nothing_queued(sock)
    check(empty, f"unexpected datagram after STOPPING=1: {data!r}")
    check(read_cursors(db).get(peer) == sc.last_id("events"),
          "the final flush recorded the source's last ID")


if __name__ == "__main__":
    main(scenario, "service")
