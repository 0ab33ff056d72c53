"""The node refuses to start, with one clear line and a non-zero exit, on an
unknown option or key, a value of the wrong type (CAF would drop it silently),
an invalid value, a stray argument, a database it cannot open or that is not
its format, and a metrics file it cannot write. A refusal changes nothing.
The shipped config/cursor_node.ini is accepted."""

import hashlib
import os
import signal
import socket
import sqlite3

from harness import check, main, one_line_error


def refused(env, args, code, needles, db="cursors.db", ini=None, name="refused"):
    argv = list(args)
    if ini is not None:
        path = env.path(f"{name}.ini")
        with open(path, "w") as f:
            f.write(ini)
        argv.append(f"--config-file={path}")
    node = env.node(*argv, db=db, name=name)
    got = node.wait_exit()
    check(got == code, f"{name}: exit code {got}, expected {code}")
    line = one_line_error(node.output(), name)
    for needle in needles:
        check(needle in line, f"{name}: {needle!r} not in {line!r}")
    check(line.startswith("cursor_node: error: "), f"{name}: {line!r}")
    return line


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def scenario(env):
    db = env.path("cursors.db")
    # Options and keys nobody declared.
    refused(env, ["--node.bogus=1"], 1, ["unknown option", "--node.bogus=1"],
            name="unknown_cli_option")
    refused(env, [], 1, ["unknown option 'cursor.flush-intervall'"],
            ini='[cursor]\nflush-intervall=1s\n', name="unknown_ini_key")
    refused(env, [], 1, ["unknown option 'nodes.port'"],
            ini='[nodes]\nport=1\n', name="unknown_ini_group")
    # Wrong types in the INI file: CAF drops these silently.
    refused(env, [], 1, ["cursor.flush-interval", "wrong type", "expected timespan"],
            ini='[cursor]\nflush-interval=5\n', name="ini_number_for_duration")
    refused(env, [], 1, ["node.port", "wrong type"],
            ini='[node]\nport="4242"\n', name="ini_string_for_port")
    refused(env, [], 1, ["node.port", "out of range"],
            ini='[node]\nport=70000\n', name="ini_port_out_of_range")
    refused(env, [], 1, ["cursor.db-path", "wrong type"],
            ini='[cursor]\ndb-path=42\n', name="ini_number_for_string")
    refused(env, [], 1, ["syntax error", "line 2"],
            ini='[cursor]\ndb-path=unquoted/path.db\n', name="ini_syntax_error")
    # Wrong types and invalid values on the command line.
    refused(env, ["--cursor.flush-interval=soon"], 1, ["invalid value",
            "--cursor.flush-interval=soon"], name="cli_wrong_type")
    refused(env, ["--cursor.journal-mode=sideways"], 1, ["journal-mode", "sideways"],
            name="cli_invalid_value")
    refused(env, ["--node.log-level=loud"], 1, ["node.log-level", "loud"],
            name="cli_invalid_log_level")
    refused(env, ["stray"], 1, ["unexpected argument 'stray'"], name="stray_argument")
    refused(env, [f"--config-file={env.path('missing.ini')}"], 1,
            ["cannot read config file", "missing.ini"], name="missing_config_file")
    refused(env, [f"--node.metrics-file={env.path('no', 'such', 'dir', 'c.prom')}"], 1,
            ["metrics file", "does not exist"], name="metrics_dir_missing")
    check(not os.path.exists(db), "a refused configuration created the database")
    check(not os.path.exists(db + ".lock"), "a refused configuration created the lock file")

    # A file that is not a SQLite database: refused, left untouched.
    with open(env.path("garbage.db"), "wb") as f:
        f.write(b"this is not a database, just some bytes\n" * 200)
    before = digest(env.path("garbage.db"))
    refused(env, [], 2, ["cannot open the database", "not_a_database"],
            db="garbage.db", name="not_a_database")
    check(digest(env.path("garbage.db")) == before, "the foreign file was modified")
    # A SQLite database of someone else's format.
    other = sqlite3.connect(env.path("other.db"))
    other.execute("CREATE TABLE cursors(name TEXT, value BLOB)")
    other.execute("INSERT INTO cursors VALUES ('x', 'y')")
    other.commit()
    other.close()
    before = digest(env.path("other.db"))
    refused(env, [], 2, ["cannot open the database", "incompatible_schema"],
            db="other.db", name="foreign_schema")
    check(digest(env.path("other.db")) == before, "the foreign database was modified")
    # A path that cannot be a database: its directory is a regular file.
    refused(env, [], 2, ["cannot create the database directory"],
            db=os.path.join("garbage.db", "x.db"), name="directory_is_a_file")
    # A directory where the database file should be.
    os.mkdir(env.path("a_directory.db"))
    refused(env, [], 2, ["cannot open the database"], db="a_directory.db",
            name="database_is_a_directory")

    # A port that is taken.
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        refused(env, [f"--node.port={taken.getsockname()[1]}"], 2,
                ["cannot listen on 127.0.0.1:"], name="port_taken")
    finally:
        taken.close()

    # The shipped default configuration parses and runs (overriding where it
    # would touch the repository: the database path and the port).
    node = env.node(f"--config-file={env.args.config}", "--node.port=0",
                    f"--cursor.db-path={db}", defaults=False, name="shipped_config")
    node.wait_listening()
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "the node with the shipped config stops cleanly")
    # --help prints and exits 0 without opening anything.
    helped = env.node("--long-help", defaults=False, name="help")
    check(helped.wait_exit() == 0, "--long-help exits 0")
    check("node.metrics-file" in helped.output(), "--long-help lists the node options")


if __name__ == "__main__":
    main(scenario, "config")
