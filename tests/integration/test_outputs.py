"""Every output is checked (issue 17, point 3): a failed write, flush or close
of stdout or of export's file is a non-zero exit with one line on stderr,
never partial output with exit 0.

- every cursorctl command that prints (get, set, delete, list, export in both
  formats, stats in its three forms, health, flush, checkpoint, backup,
  import and rewind summaries, --help, --version) with stdout on /dev/full:
  exit 1, `cannot write to stdout: No space left on device`; the node's and
  its --help too;
- stdout closed (`>&-`): cursorctl refuses before connecting and changes
  nothing (a `set` is not applied); the node's --help exits 1;
- a reader that stops early (`| head -1`): export and list are larger than a
  pipe holds, so a write must fail with EPIPE: exit 1, `Broken pipe`;
- a full file system (a 64 KiB tmpfs, when the test may mount one): export
  to stdout redirected there exits 1; `export -o FILE` there exits 1 and
  leaves neither FILE nor its temporary file.

Every wait is bounded; nothing sleeps to synchronise (the pipe case waits
for the reader's first line, then for the writer's exit)."""

import json
import os
import subprocess

from harness import (CTL_TIMEOUT, check, main, mount_tmpfs,
                     one_line_error)

NOSPACE = "cannot write to stdout: No space left on device"
# 3000 cursors of about 100 bytes: 300 KB, more than a pipe (64 KiB) and a
# stopped reader's buffer hold, so the writer must meet the closed pipe.
COUNT = 3000


def run(env, argv, stdout, preexec=None):
    """Runs argv with `stdout` (a file object, or subprocess.PIPE); returns
    (exit code, stderr)."""
    p = subprocess.run(argv, cwd=env.dir, stdout=stdout,
                       stderr=subprocess.PIPE, text=True, timeout=CTL_TIMEOUT,
                       preexec_fn=preexec)
    print(f"[run] {' '.join(argv[1:])} -> {p.returncode}: {p.stderr!r}",
          flush=True)
    return p.returncode, p.stderr


def ctl_argv(env, port, *args):
    return [env.args.ctl, "--port", str(port), "--timeout", "30s"] + list(args)


def expect_failure(env, argv, stdout, needle, preexec=None, code=1):
    got, err = run(env, argv, stdout, preexec)
    what = " ".join(argv[1:])
    check(got == code, f"{what}: exit {got}, expected {code} ({err!r})")
    line = one_line_error(err, what)
    check(needle in line, f"{what}: {needle!r} not in {line!r}")


def fill(env, port):
    path = env.path("many.jsonl")
    with open(path, "w") as f:
        for i in range(COUNT):
            f.write(json.dumps({"peer": f"peer-{i:05d}-" + "p" * 40,
                                "stream_id": f"{i + 1}-0"}) + "\n")
    env.ctl_ok(port, "import", path)


def dev_full_cases(env, port):
    with open(env.path("peers.txt"), "w") as f:
        f.write("peer-00001-" + "p" * 40 + "\n")
    with open(env.path("one.jsonl"), "w") as f:
        f.write(json.dumps({"peer": "imported", "stream_id": "9-0"}) + "\n")
    commands = [
        ["get", "peer-00001-" + "p" * 40], ["get", "x", "--json"],
        ["set", "s", "5-0"], ["delete", "s"], ["list"], ["list", "--json"],
        ["export"], ["export", "--format", "csv"], ["stats"],
        ["stats", "--json"], ["stats", "--prometheus"], ["health"],
        ["flush"], ["checkpoint"], ["backup", "b1"],
        ["import", env.path("one.jsonl")],
        ["import", env.path("one.jsonl"), "--dry-run"],
        ["rewind", "--to", "1-0", "--peers-file", env.path("peers.txt")],
        ["--help"], ["--version"], ["export", "--help"],
    ]
    with open("/dev/full", "w") as full:
        for args in commands:
            expect_failure(env, ctl_argv(env, port, *args), full, NOSPACE)
        for args in (["--help"], ["--version"]):
            expect_failure(env, [env.args.node] + args, full, NOSPACE)
    # The commands did their work; only the output failed.
    out = env.ctl_ok(port, "get", "imported")
    check(out == "9-0\n", f"import to /dev/full was not applied: {out!r}")


def closed_stdout_cases(env, port):
    def close_stdout():
        os.close(1)

    expect_failure(env, ctl_argv(env, port, "set", "closed", "1-0"), None,
                   "stdout is closed; nothing was done", close_stdout)
    out = env.ctl_ok(port, "get", "closed")
    check(out == "none\n", f"a set with stdout closed was applied: {out!r}")
    expect_failure(env, ctl_argv(env, port, "list"), None,
                   "stdout is closed", close_stdout)
    expect_failure(env, [env.args.node, "--help"], None,
                   "cannot write to stdout: Bad file descriptor", close_stdout)


def early_reader_cases(env, port):
    for args in (["export"], ["list"], ["export", "--page-size", "100"]):
        argv = ctl_argv(env, port, *args)
        p = subprocess.Popen(argv, cwd=env.dir, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            first = p.stdout.readline()
            check(first != "", f"{args}: no first line")
            p.stdout.close()  # the reader stops, as `head -1` does
            err = p.stderr.read()
            code = p.wait(CTL_TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        print(f"[run] {' '.join(args)} | head -1 -> {code}: {err!r}",
              flush=True)
        check(code == 1, f"{args} | head -1: exit {code}, expected 1")
        line = one_line_error(err, f"{args} | head -1")
        check("cannot write to stdout: Broken pipe" in line, line)


def full_file_system_cases(env, port):
    mnt = mount_tmpfs(env, "64k",
                      "full file system cases (/dev/full covers stdout)")
    if mnt is None:
        return
    with open(os.path.join(mnt, "stdout.jsonl"), "w") as f:
        expect_failure(env, ctl_argv(env, port, "export"), f, NOSPACE)
    os.unlink(os.path.join(mnt, "stdout.jsonl"))
    target = os.path.join(mnt, "export.jsonl")
    expect_failure(env, ctl_argv(env, port, "export", "-o", target),
                   subprocess.DEVNULL, "No space left on device")
    left = os.listdir(mnt)
    check(left == [], f"export -o on a full file system left {left}")


def scenario(env):
    node = env.node("--cursor.flush-interval=0s",
                    f"--node.backup-dir={env.dir}").wait_listening()
    fill(env, node.port)
    dev_full_cases(env, node.port)
    closed_stdout_cases(env, node.port)
    early_reader_cases(env, node.port)
    full_file_system_cases(env, node.port)


if __name__ == "__main__":
    main(scenario, "outputs")
