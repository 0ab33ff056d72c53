"""A chunk whose answer is lost (issue 17, point 5): the node is stopped with
SIGSTOP while `cursorctl import` runs, so a chunk sent to it is only queued;
cursorctl's --timeout passes, it says that it reads the chunk's peers back,
and the node is resumed (SIGCONT) at that event: it applies the queued chunk
and then answers the gets, which came after it on the same connection.
cursorctl must report that chunk applied (main reported "the rest was not
applied"), exit 2, and the node's cursors must be exactly what the report
says.

cursorctl is held at a known point first (stopped_ctl.py: stopped after its
first progress line), so the node is stopped in the middle of the run, not
after it. --timeout is 5 s: the chunk's timeout must fire while the node is
stopped (it does whatever the machine's speed: the node stays stopped until
cursorctl says it reads back), and the resumed node must answer the gets
within another 5 s, generous for a get on a loaded machine. Then the same
with the node stopped through the read-back: the chunk must be reported
unknown. Every wait is bounded; nothing sleeps to synchronise."""

import json
import re
import signal

from harness import CTL_TIMEOUT, check, main
from stopped_ctl import StoppedCtl

COUNT = 400


def positions(env, port):
    return {x["peer"]: x["stream_id"]
            for x in json.loads(env.ctl_ok(port, "list", "--json"))}


def write(env, name, order, value):
    with open(env.path(name), "w") as f:
        for x in order:
            f.write(json.dumps({"peer": x, "stream_id": value}) + "\n")
    return env.path(name)


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    order = [f"s.{i:05d}" for i in range(COUNT)]
    env.ctl_ok(p, "import", write(env, "start.jsonl", order, "5-0"))
    target = write(env, "next.jsonl", order, "7-0")

    run = StoppedCtl(env, p, ["import", target, "--chunk-size", "1"],
                     timeout="5s")
    now = positions(env, p)
    done = sum(1 for x in order if now[x] == "7-0")
    check(1 <= done < COUNT - 1,
          f"cursorctl was stopped after {done} of {COUNT} chunks")
    # The chunk cursorctl sends next (or has in flight) reaches a stopped
    # node: queued, not handled.
    node.signal(signal.SIGSTOP)
    env.helpers.append(lambda: node.signal(signal.SIGCONT))
    run.cont()
    reading = run.wait_for("reading its", timeout=CTL_TIMEOUT)
    node.signal(signal.SIGCONT)
    code, out, err = run.finish()
    m = re.search(r"chunk (\d+) of (\d+) \(line (\d+)\): no answer from the "
                  r"node within 5s", err)
    check(m is not None, f"a chunk timed out: {err[-600:]!r}")
    k = int(m.group(1))
    check(int(m.group(2)) == COUNT and int(m.group(3)) == k,
          f"chunk {k} is line {k}: {m.group(0)!r}")
    now = positions(env, p)
    applied = now[order[k - 1]] == "7-0"
    check(applied, f"the resumed node applied the queued chunk {k}: "
                   f"{order[k - 1]} = {now[order[k - 1]]}")
    check(not (applied and "the rest was not applied" in err),
          f"chunk {k} reported not applied although the node applied it: "
          f"{err[-600:]!r}")
    check(reading, f"cursorctl did not read the chunk back: {err[-600:]!r}")
    check(code == 2, f"exit {code}, not 2")
    check("flushed" not in out, f"a stopped run is not flushed: {out!r}")
    check(f"cursorctl: import: chunk {k} of {COUNT} (line {k}) read back: "
          f"1 applied, 0 not applied, 0 unknown\n" in err,
          f"the chunk's line: {err[-600:]!r}")
    rest = f"; chunks {k + 1}-{COUNT} were not sent" if k < COUNT else ""
    check(f"cursorctl: import: stopped at chunk {k} of {COUNT} (line {k}): "
          f"{k} of {COUNT} entries applied, 0 unknown, {COUNT - k} not "
          f"applied{rest}; running the same import again is safe\n" in err,
          f"the summary: {err[-600:]!r}")
    # The cursors are what the report says: the first k applied, the rest
    # untouched.
    want = {x: ("7-0" if i < k else "5-0") for i, x in enumerate(order)}
    wrong = [x for x in order if now[x] != want[x]]
    check(not wrong, f"{len(wrong)} cursors differ from the report, first "
                     f"{wrong[:1]}")

    # Running the same import again finishes the job.
    out = env.ctl_ok(p, "import", target)
    check(f"imported: 0 new, {COUNT - k} advanced, 0 moved back, {k} "
          f"unchanged" in out, f"the rerun: {out!r}")

    # The node stays stopped through the read-back too: nothing can be read,
    # so the chunk is unknown, never "not applied" (the node applies it when
    # it resumes, after cursorctl has ended).
    last = write(env, "last.jsonl", order, "9-0")
    run = StoppedCtl(env, p, ["import", last, "--chunk-size", "1"],
                     timeout="5s")
    node.signal(signal.SIGSTOP)
    run.cont()
    code, out, err = run.finish()
    node.signal(signal.SIGCONT)
    m = re.search(r"chunk (\d+) of \d+ \(line \d+\): no answer", err)
    check(m is not None, f"a chunk timed out: {err[-600:]!r}")
    k = int(m.group(1))
    check(code == 2, f"exit {code}, not 2")
    check(f"chunk {k} of {COUNT} (line {k}) read back: 0 applied, 0 not "
          f"applied, 1 unknown (1 not read: no answer within 5s)\n" in err,
          f"the chunk is unknown: {err[-600:]!r}")
    check(f"stopped at chunk {k} of {COUNT} (line {k}): {k - 1} of {COUNT} "
          f"entries applied, 1 unknown, {COUNT - k} not applied" in err,
          f"the summary: {err[-600:]!r}")
    now = positions(env, p)
    wrong = [x for i, x in enumerate(order)
             if i != k - 1 and now[x] != ("9-0" if i < k - 1 else "7-0")]
    check(not wrong, f"{len(wrong)} cursors differ from the report, first "
                     f"{wrong[:1]}")
    check(now[order[k - 1]] in ("7-0", "9-0"), "the unknown one is either")


if __name__ == "__main__":
    main(scenario, "read_back")
