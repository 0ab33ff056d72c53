"""A second process holding SQLite's lock on a database, driven by stdin:
`lock` takes BEGIN EXCLUSIVE and answers `locked`; `release` rolls back and
answers `released`; end of input exits."""

import sqlite3
import sys

conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "lock":
        conn.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
    elif cmd == "release":
        conn.execute("ROLLBACK")
        print("released", flush=True)
conn.close()
