"""`cursorctl list` and `export` page through the node's paged `list`.

- over 103 cursors (host-like peers set in random order, some committed, some
  dirty), `list --json --page-size 7` (15 pages) equals `list --json` with the
  default page size (one page), sorted by peer, each peer once;
- `export --page-size 7` writes the same cursors; `--older-than` still works;
- `--page-size` outside 1..100000 exits 1 before connecting.

Every wait is bounded; nothing sleeps to synchronise."""

import json
import os
import random

from harness import check, main, one_line_error


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    rng = random.Random(11)
    peers = [f"node-{rng.randrange(10**6)}.dc{i % 3}.example" for i in range(103)]
    rng.shuffle(peers)
    def write(name, entries):
        path = env.path(name)
        with open(path, "w") as f:
            for peer, sid in entries:
                f.write(json.dumps({"peer": peer, "stream_id": sid}) + "\n")
        return path

    env.ctl_ok(p, "import", write("committed.jsonl", [
        (peer, f"{i + 1}-0") for i, peer in enumerate(peers[:60])]))
    # The rest stay dirty: set (in one process) and not flushed.
    env.ctl_ok(p, "import", "--no-flush", write("dirty.jsonl", [
        (peer, f"{1000 + i}-1") for i, peer in enumerate(peers[60:])]))
    check(json.loads(env.ctl_ok(p, "stats", "--json"))["dirty"] == 43,
          "43 cursors dirty")
    whole = json.loads(env.ctl_ok(p, "list", "--json"))
    check(len(whole) == len(set(peers)), f"list: {len(whole)} cursors")
    check([x["peer"] for x in whole] == sorted(set(peers), key=lambda s: s.encode()),
          "list is sorted by peer")
    paged = json.loads(env.ctl_ok(p, "list", "--json", "--page-size", "7"))
    check(paged == whole, "list --page-size 7 differs from the one-page list")
    one = json.loads(env.ctl_ok(p, "list", "--json", "--page-size", "1"))
    check(one == whole, "list --page-size 1 differs")
    out = env.ctl_ok(p, "export", "--page-size", "7")
    check([json.loads(l) for l in out.splitlines()] == whole,
          "export --page-size 7 differs from list --json")
    check(json.loads(env.ctl_ok(p, "list", "--json", "--page-size", "7",
                                "--older-than", "1h")) == [],
          "--older-than 1h keeps nothing just set")
    table = env.ctl_ok(p, "list", "--page-size", "5").splitlines()
    check(len(table) == len(whole) + 1, f"table: {len(table)} lines")
    for bad in ["0", "100001", "x", "-3"]:
        code, out, err, _ = env.ctl(p, "list", f"--page-size={bad}")
        check(code == 1, f"--page-size {bad}: exit {code} ({err!r})")
        line = one_line_error(err, f"--page-size {bad}")
        check("page size" in line or "page-size" in line, line)


if __name__ == "__main__":
    main(scenario, "list_pages")
