"""The node and the tailer run on one process host (app/common/host.hpp), so
what used to differ between them is one behaviour now. This drives both
programs through the parts that differed:

- a database that did not exist is named in a warning once the start
  succeeded, before the start line, with the directory created for it; so
  is an empty file (the lock of an earlier start creates the file before
  SQLite writes it: issue 16, point 5, where the tailer's check ran after
  its lock had created the file and never fired); a database with content
  is not;
- both say "received SIGTERM: shutting down", run the final flush and exit 0;
- both refuse a request timeout under 10ms, with one line and exit 1,
  before they create anything.

The tailer's peer points at ports nothing listens on: it starts, retries
its Redis connections with backoff and stops cleanly; no Redis is needed.
Every wait is on a log line or an exit, bounded."""

import os
import re
import signal

from harness import Node, check, main
from ops import run_refused

NEW = "did not exist: created it, empty"
PEERS = '--tailer.peers=[{id="uk.node.leeds-2", source="127.0.0.1:1", stream="events"}]'


def programs(env):
    """(name, binary, argv for database db, the start line's pattern, the
    note after the new-database warning)."""
    yield ("node", env.args.node,
           lambda db: [f"--cursor.db-path={db}", "--node.port=0"],
           r"listening on 127\.0\.0\.1:\d+, database", "")
    if env.args.tailer:
        yield ("tailer", env.args.tailer,
               lambda db: [PEERS, "--tailer.target=127.0.0.1:2",
                           f"--cursor.db-path={db}"],
               r"started: 1 peer into 127\.0\.0\.1:2, cursor store: embedded",
               " (every peer starts from the beginning of its stream)")


def run_once(env, name, binary, argv, started):
    """Starts the program, waits for its start line, stops it with SIGTERM;
    returns the lines logged before the start line."""
    p = Node(binary, argv, cwd=env.dir, name=name)
    env.nodes.append(p)
    p.wait_for(started)
    with p.cond:
        lines = list(p.lines)
    index = next(i for i, line in enumerate(lines)
                 if re.search(started, line))
    p.signal(signal.SIGTERM)
    # The exit first: it joins the output readers, so every line is in.
    code = p.wait_exit()
    check(code == 0, f"{name}: exit code {code} after SIGTERM")
    after = p.output().splitlines()[index:]
    for text in ("received SIGTERM: shutting down",
                 "database checkpointed and closed"):
        check(any(text in line for line in after),
              f"{name}: no line {text!r} after SIGTERM")
    check(not any(NEW in line for line in lines[index:]),
          f"{name}: the new-database warning came after the start line")
    return lines[:index]


def scenario(env):
    for name, binary, argv, started, note in programs(env):
        db = env.path(f"{name}-data", "cursors.db")
        # A missing directory and database: both named, as warnings.
        before = run_once(env, name, binary, argv(db), started)
        warning = f"the database '{db}' {NEW}{note}"
        check(any("warn" in l and warning in l for l in before),
              f"{name}: no warning {warning!r} before the start line")
        check(any("created the missing database directory" in l
                  for l in before),
              f"{name}: the created directory was not named")
        # The same database again: it exists now, nothing to say.
        before = run_once(env, name, binary, argv(db), started)
        check(not any(NEW in l for l in before),
              f"{name}: warned about a database that exists")
        # An empty file holds no database: SQLite creates one, say so.
        empty = env.path(f"{name}-empty.db")
        open(empty, "w").close()
        before = run_once(env, name, binary, argv(empty), started)
        check(any(f"the database '{empty}' {NEW}" in l for l in before),
              f"{name}: no warning for an empty database file")

        # One rule for the request timeout, refused before anything exists.
        fresh = env.path(f"{name}-refused.db")
        run_refused(env, binary, argv(fresh) + [f"--{name}.request-timeout=5ms"],
                    1, [f"invalid configuration: {name}.request-timeout: must "
                        "be at least 10ms"], f"{name} request timeout")
        check(not os.path.exists(fresh), f"{name}: a refusal created the database")


if __name__ == "__main__":
    main(scenario, "host")
