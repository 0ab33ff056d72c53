"""Refusals that change nothing:
- a SQLite file of another application (its own tables, no `cursors` table,
  or only a user_version / application_id of its own) is refused untouched:
  byte-identical, no -wal created, user_version and journal mode unchanged,
  one line saying why;
- a key or a section given twice in the INI file is refused naming it, by
  the node and by the tailer (CAF would silently keep one value);
- `close` sent through the front is answered with an error saying it is not
  a remote operation; the store stays open and writable;
- a stream ID with a trailing or leading blank is refused naming the blank,
  not as a "leading zero";
- (issue 17) a db-path ending in '/' or longer than SQLite opens is refused
  with one clear line and exit 1, and nothing is created (no directory, no
  lock file, no empty database); an import line giving a field twice is
  refused naming it, nothing changed."""

import os
import signal
import sqlite3

from harness import check, main, one_line_error, read_rows
from ops import make_db, read_bytes, run_refused

PEER = '{id="uk.node.leeds-2", source="127.0.0.1:1", stream="events"}'


def pragma(path, name):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def foreign_files(env):
    cases = {
        "tables": "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);"
                  "INSERT INTO invoices VALUES (1, 9.5);"
                  "CREATE INDEX by_total ON invoices (total);",
        "view only": "CREATE VIEW answer AS SELECT 42;",
        "app id": "PRAGMA application_id = 1234;",
        "user version": "PRAGMA user_version = 1;",
    }
    for name, sql in cases.items():
        db = env.path(name.replace(" ", "_") + ".db")
        conn = sqlite3.connect(db)
        conn.executescript(sql)
        conn.commit()
        conn.close()
        before = read_bytes(db)
        version = pragma(db, "user_version")
        line = run_refused(env, env.args.node,
                           [f"--cursor.db-path={db}", "--node.port=0"], 2,
                           ["another application", "not modified"], name)
        check(db in line, f"{name}: the refusal does not name the file: {line!r}")
        check(read_bytes(db) == before, f"{name}: the file changed")
        for suffix in ("-wal", "-shm", "-journal"):
            check(not os.path.exists(db + suffix), f"{name}: {suffix} created")
        check(pragma(db, "user_version") == version, f"{name}: user_version")
        check(pragma(db, "journal_mode") == "delete", f"{name}: journal mode")
    # Its neighbours still open: an empty file, a database of the Rust
    # store (the table, no version), one of ours.
    open(env.path("empty.db"), "w").close()
    rust = env.path("rust.db")
    conn = sqlite3.connect(rust)
    conn.execute("CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id "
                 "TEXT NOT NULL, updated_at INTEGER NOT NULL)")
    conn.execute("INSERT INTO cursors VALUES ('uk.node.leeds-2', '3-0', 1)")
    conn.commit()
    conn.close()
    for db, count in (("empty.db", 0), ("rust.db", 1)):
        n = env.node(db=db, name=db).wait_listening()
        check(n.restored == count, f"{db}: restored {n.restored}")
        n.signal(signal.SIGTERM)
        check(n.wait_exit() == 0, f"{db}: clean stop")


def duplicates(env):
    db = env.path("dup.db")
    cases = [
        ("key", '[cursor]\ndb-path="a.db"\nflush-interval=1s\ndb-path="b.db"\n',
         ["cursor.db-path", "twice", "lines 2 and 4"]),
        ("section", '[node]\nport=0\n[cursor]\nflush-interval=1s\n[node]\n'
                    'log-level="debug"\n', ["section [node]", "twice"]),
        ("key in repeated section",
         '[node]\nport=0\n[cursor]\n[node]\nport=1\n', ["[node]", "twice"]),
        ("key with comment", '[node]\nport=0 ; first\n; port=2\nport = 1\n',
         ["node.port", "lines 2 and 4"]),
    ]
    for name, text, contains in cases:
        ini = env.path(name.replace(" ", "_") + ".ini")
        with open(ini, "w") as f:
            f.write(text)
        run_refused(env, env.args.node,
                    [f"--config-file={ini}", f"--cursor.db-path={db}"], 1,
                    contains, f"node {name}")
        check(not os.path.exists(db), f"node {name}: created the database")
    # A list of maps with the same keys in each entry is not a duplicate.
    ok = env.path("ok.ini")
    with open(ok, "w") as f:
        f.write('[node]\nlog-level="debug" ; "x=1"\n[cursor]\n'
                'flush-interval=1s\n')
    n = env.node(f"--config-file={ok}", db="ok.db", name="ok-ini").wait_listening()
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "a file without duplicates is accepted")
    if env.args.tailer:
        base = f'[tailer]\npeers=[{PEER},\n  {PEER.replace("leeds-2", "york-1")}]\n'
        for name, text, contains in [
                ("tailer key", base + 'block="1s"\nblock="2s"\n',
                 ["tailer.block", "twice"]),
                ("tailer section", base + '[cursor]\n[tailer]\nblock="1s"\n',
                 ["section [tailer]", "twice"])]:
            ini = env.path(name.replace(" ", "_") + ".ini")
            with open(ini, "w") as f:
                f.write(text)
            run_refused(env, env.args.tailer,
                        [f"--config-file={ini}",
                         f"--cursor.db-path={env.path('t.db')}"], 1,
                        contains, name)


def close_and_stream_ids(env):
    n = env.node("--cursor.flush-interval=0s", db="close.db",
                 name="close").wait_listening()
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "1-0")
    code, out = env.client("close", n.port)
    check(code == 0 and "all steps passed" in out, "close through the front")
    check("not a remote operation" in out, f"close answer: {out!r}")
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "5-0")
    for sid, reason in (("1-0 ", "trailing space"), (" 1-0", "leading space"),
                        ("1-0\t", "trailing whitespace"),
                        ("1-", "empty seq part"),
                        ("01-0", "leading zero in the ms part"),
                        ("1-x", "'x' is not a decimal digit")):
        code, out, err, _ = env.ctl(n.port, "set", "uk.node.leeds-2", sid)
        check(code != 0, f"{sid!r} accepted")
        check(reason in err, f"{sid!r}: {reason!r} not in {err!r}")
        check("leading zero" not in err or "leading zero" in reason,
              f"{sid!r} reported as a leading zero: {err!r}")
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "clean stop")
    check(read_rows(env.path("close.db")) == {"uk.node.leeds-2": "5-0"},
          "the writes after the refused close are persisted")


def bad_db_paths(env):
    long_path = env.path("d" * 200, "e" * 200, "x" * 200 + ".db")
    for path, needle in [(env.path("slash") + "/", "names a directory"),
                         (long_path, "SQLite opens at most 504")]:
        before = sorted(os.listdir(env.dir))
        n = env.node(db=path, name="bad-path")
        check(n.wait_exit() == 1, f"{path[:40]}: exit 1 expected")
        lines = [l for l in n.lines if "error" in l]
        check(len(lines) == 1 and needle in lines[0] and "db-path" in lines[0],
              f"{path[:40]}: {n.output()}")
        after = sorted(os.listdir(env.dir))
        check(after == before, f"{path[:40]}: created {set(after) - set(before)}")


def duplicate_json_key(env):
    node = env.node("--cursor.flush-interval=0s", db="dupkey.db",
                    name="dup").wait_listening()
    env.ctl_ok(node.port, "set", "p", "9-0")
    path = env.path("dupkey.jsonl")
    with open(path, "w") as f:
        f.write('{"peer":"p","stream_id":"9-0","stream_id":"5-0"}\n')
    code, out, err, _ = env.ctl(node.port, "import", path, "--force")
    check(code == 1, f"import with a repeated key: exit {code}")
    line = one_line_error(err, "import")
    check("line 1: the field 'stream_id' is given twice" in line, line)
    check(env.ctl_ok(node.port, "get", "p") == "9-0\n", "p changed")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "clean stop")


def scenario(env):
    bad_db_paths(env)
    duplicate_json_key(env)
    foreign_files(env)
    duplicates(env)
    close_and_stream_ids(env)


if __name__ == "__main__":
    main(scenario, "refusals")
