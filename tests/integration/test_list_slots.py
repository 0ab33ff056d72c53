"""The paged-list limit (issue 17, point 6): a node runs at most 16 paged
lists at once and refuses more with `invalid_list_request`; cursorctl waits
and asks again, with backoff, within its --timeout.

- a fake node that refuses the first 3 pages: `list`, `export` succeed
  (before: exit 3 at the first refusal);
- a fake node that refuses every page, `--timeout 500ms`: exit 3 and one
  line naming the missing slot, the timeout and the store's error (the
  duration is the point here: the bound on the exit is CTL_TIMEOUT, far
  above 500 ms, only to catch a cursorctl that retries forever);
- a real node with 20,000 cursors and 24 concurrent `export --page-size
  200` processes (more than 16 page requests in flight at once is likely,
  not certain, on any machine): every one exits 0 with every cursor.

Waits are for events: the fake node's listening line, process exits."""

import json
import subprocess

from harness import CTL_TIMEOUT, check, main, one_line_error
from test_health import fake_node

COUNT = 20000
PROCESSES = 24


def busy_then_free(env):
    _, port = fake_node(env, "lists-busy-3")
    out = env.ctl_ok(port, "list", "--json")
    check([x["peer"] for x in json.loads(out)] == ["p"], f"list: {out!r}")


def always_busy(env):
    _, port = fake_node(env, "lists-busy")
    for args in (["list"], ["export"]):
        code, out, err, _ = env.ctl(port, *args, timeout="500ms")
        check(code == 3, f"{args}: exit {code}, expected 3 ({err!r})")
        check(out == "", f"{args}: stdout {out!r}")
        line = one_line_error(err, " ".join(args))
        for needle in ("no free paged-list slot within 500ms",
                       "invalid_list_request", "16 paged lists"):
            check(needle in line, f"{args}: {needle!r} not in {line!r}")


def many_listers(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    path = env.path("many.jsonl")
    with open(path, "w") as f:
        for i in range(COUNT):
            f.write(json.dumps({"peer": f"peer-{i:06d}",
                                "stream_id": f"{i + 1}-0"}) + "\n")
    env.ctl_ok(node.port, "import", path)
    argv = [env.args.ctl, "--port", str(node.port), "--timeout", "60s",
            "export", "--page-size", "200"]
    procs = [subprocess.Popen(argv, cwd=env.dir, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(PROCESSES)]
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=CTL_TIMEOUT * 3)
            results.append((p.returncode, out.count("\n"), err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    print(f"[export x{PROCESSES}] {[(c, n) for c, n, _ in results]}",
          flush=True)
    for code, lines, err in results:
        check(code == 0 and err == "", f"a concurrent export failed: {code} "
                                       f"{err!r}")
        check(lines == COUNT, f"a concurrent export wrote {lines} lines")


def scenario(env):
    busy_then_free(env)
    always_busy(env)
    many_listers(env)


if __name__ == "__main__":
    main(scenario, "list_slots")
