"""Plan-then-apply commands racing another client (issue 17): `cursorctl
rewind` and `cursorctl import --force` read the cursors, plan, and then set
them in chunks. A peer deleted, or moved by another client, between the plan
and its chunk must not come back or be overwritten: the conditional set
refuses it with `conflict`, cursorctl names it on stderr, counts it in the
summary, applies every other entry, flushes, and exits 1.

The interleaving is forced, not hoped for (stopped_ctl.py): cursorctl runs
with its stderr on a pseudo-terminal, so it writes a progress line after each
chunk (chunks of one entry here). The test waits for the first progress line
(chunk 1 is applied: the plan is made), stops cursorctl with SIGSTOP, reads
which peers are already set (they are a prefix of the plan's order: chunks go one after
another), changes a peer cursorctl cannot have sent yet (the one after the
first not yet set: at most one request is in flight), and resumes it with
SIGCONT. Every wait is bounded; nothing sleeps to synchronise."""

import json

from harness import check, main, read_rows
from stopped_ctl import StoppedCtl

COUNT = 3000


def positions(env, port):
    return {x["peer"]: x["stream_id"]
            for x in json.loads(env.ctl_ok(port, "list", "--json"))}


def peer(i):
    return f"r.{i:06d}"


def first_not_at(env, port, order, value):
    now = positions(env, port)
    for i, p in enumerate(order):
        if now.get(p) != value:
            return i
    return len(order)


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    order = [peer(i) for i in range(COUNT)]
    lines = "".join(json.dumps({"peer": x, "stream_id": "9-0"}) + "\n"
                    for x in order)
    with open(env.path("start.jsonl"), "w") as f:
        f.write(lines)
    env.ctl_ok(p, "import", env.path("start.jsonl"))

    # -- rewind racing a delete -------------------------------------------------
    run = StoppedCtl(env, p, ["rewind", "--to", "5-0", "--prefix", "r.",
                           "--chunk-size", "1"])
    m = first_not_at(env, p, order, "5-0")
    check(1 <= m < COUNT - 1,
          f"cursorctl was stopped after {m} of {COUNT} chunks (the pty holds "
          f"back a writer long before the end)")
    victim = order[m + 1]
    check(env.ctl_ok(p, "delete", victim).strip() == "deleted", "deleted")
    code, out, err = run.resume()
    check(code == 1, f"rewind with a conflict: exit {code}")
    check(f"line {m + 2}: '{victim}' changed since it was read; not applied: "
          f"conflict: batch entry 0 of 1: cursor of '{victim}': expected 9-0, "
          f"found no cursor; not set to 5-0" in err, f"conflict named: {err!r}")
    check(f"rewound: 0 new, 0 advanced, {COUNT} moved back, 0 unchanged; "
          f"1 changed since read, not applied ({COUNT - 1} entries in {COUNT} "
          f"chunks)" in out, f"summary: {out!r}")
    check("flushed" in out, f"the rest was flushed: {out!r}")
    now = positions(env, p)
    check(victim not in now, f"{victim} was brought back: {now.get(victim)}")
    check(len(now) == COUNT - 1 and set(now.values()) == {"5-0"},
          "every other peer rewound")
    rows = read_rows(env.path("cursors.db"))
    check(victim not in rows and len(rows) == COUNT - 1, "and durable")

    # -- import --force racing a set ----------------------------------------------
    back = "".join(json.dumps({"peer": x, "stream_id": "3-0"}) + "\n"
                   for x in order if x != victim)
    with open(env.path("back.jsonl"), "w") as f:
        f.write(back)
    order.remove(victim)
    run = StoppedCtl(env, p, ["import", env.path("back.jsonl"), "--force",
                           "--chunk-size", "1"])
    m = first_not_at(env, p, order, "3-0")
    check(1 <= m < len(order) - 1, f"stopped after {m} chunks")
    moved = order[m + 1]
    env.ctl_ok(p, "set", moved, "12-0")  # a replicator moves it forwards
    code, out, err = run.resume()
    check(code == 1, f"import with a conflict: exit {code}")
    check(f"'{moved}' changed since it was read; not applied: conflict: batch "
          f"entry 0 of 1: cursor of '{moved}': expected 5-0, found 12-0; not "
          f"set to 3-0" in err, f"conflict named: {err!r}")
    check("; 1 changed since read, not applied" in out, f"summary: {out!r}")
    now = positions(env, p)
    check(now[moved] == "12-0", f"{moved} overwritten: {now[moved]}")
    check(sum(1 for v in now.values() if v == "3-0") == len(order) - 1,
          "every other peer imported")


if __name__ == "__main__":
    main(scenario, "plan_race")
