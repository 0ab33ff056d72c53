"""The facts of Redis the tailer's checks rest on (docs/TAILER.md, "What can
happen to a stream: the model"), checked against the real redis-server, so
that a Redis that behaves otherwise fails here, by name, instead of making
the checks wrong in silence:

- XINFO STREAM reports length, last-generated-id, max-deleted-entry-id,
  entries-added, first-entry and last-entry (with its fields), also inside
  MULTI, and "no such key" for a missing stream;
- entries-added counts every XADD (trimming ones too, failed ones not);
  XDEL and trims leave it; only XSETID ENTRIESADDED lowers it;
- max-deleted-entry-id is raised by XDEL, never by a trim;
- a trim removes the oldest entries only;
- XSETID refuses an ID below the last entry, ENTRIESADDED below the length,
  MAXDELETEDID above the ID, and a missing key; it can move the last ID back
  down to the last entry;
- WATCH makes EXEC write nothing after XADD, XDEL, XTRIM, DEL, FLUSHALL or
  an expiry by another client; an XSETID by another client between WATCH
  and EXEC shows in the XINFO STREAM inside that EXEC (7.0 does not count it
  as a write for WATCH); one moving the last ID up into a batch's IDs makes
  the XADDs at or below it fail inside EXEC and the later ones succeed;
- XADD NOMKSTREAM on a missing key writes nothing;
- a replica, and a DUMP/RESTORE copy, report the same XINFO STREAM."""

import threading

from eharness import RedisError, check, main

FIELDS = ["length", "last-generated-id", "max-deleted-entry-id",
          "entries-added", "first-entry", "last-entry"]


def info(c, key):
    x = c.xinfo(key)
    check(x is not None, f"{key} exists")
    return x


def scenario(env):
    server = env.redis("primary")
    c = server.client()
    other = server.client()

    # XINFO STREAM's fields, also inside MULTI, with the entry at a position.
    c.call("XADD", "s", "1-0", "a", "1")
    c.call("XADD", "s", "2-0", "b", "2")
    x = info(c, "s")
    for f in FIELDS:
        check(f in x, f"XINFO STREAM reports {f}")
    check(x["last-entry"] == [b"2-0", [b"b", b"2"]], "last-entry with fields")
    r = c.pipeline([["MULTI"], ["XINFO", "STREAM", "s"],
                    ["XRANGE", "s", "1-0", "1-0"], ["XRANGE", "s", "3-0", "3-0"],
                    ["XINFO", "STREAM", "nokey"], ["EXEC"]])[-1]
    check(isinstance(r[0], list) and r[1] == [[b"1-0", [b"a", b"1"]]]
          and r[2] == [], f"XINFO and XRANGE p p inside MULTI: {r[:3]}")
    check(isinstance(r[3], RedisError) and "no such key" in str(r[3]),
          f"a missing stream inside MULTI: {r[3]!r}")

    # entries-added and max-deleted-entry-id.
    c.call("DEL", "s")
    for i in range(1, 11):
        c.call("XADD", "s", "MAXLEN", "=", "8", f"{i}-0", "f", str(i))
    x = info(c, "s")
    check(x["entries-added"] == 10 and x["length"] == 8,
          f"trimming XADDs count: {x['entries-added']}, {x['length']}")
    check(x["max-deleted-entry-id"] == b"0-0",
          "a trim does not raise max-deleted-entry-id")
    check(x["first-entry"][0] == b"3-0", "a trim removes the oldest entries")
    try:
        c.call("XADD", "s", "5-0", "f", "x")
        check(False, "an XADD below the last ID is refused")
    except RedisError:
        pass
    c.call("XTRIM", "s", "MINID", "=", "5-0")
    c.call("XDEL", "s", "7-0")
    x = info(c, "s")
    check(x["entries-added"] == 10, "failed XADDs, XTRIM, XDEL leave "
                                    f"entries-added: {x['entries-added']}")
    check(x["max-deleted-entry-id"] == b"7-0", "XDEL raises it")
    check(x["first-entry"][0] == b"5-0" and x["length"] == 5,
          "MINID removes the entries below it")
    c.call("XDEL", "s", "6-0")
    check(info(c, "s")["max-deleted-entry-id"] == b"7-0",
          "it is the highest deleted ID")

    # XSETID.
    for args, what in [(["9-0"], "an ID below the last entry"),
                       (["10-0", "ENTRIESADDED", "2"], "ENTRIESADDED below "
                                                       "the length"),
                       (["10-0", "MAXDELETEDID", "11-0"], "MAXDELETEDID "
                                                          "above the ID")]:
        try:
            c.call("XSETID", "s", *args)
            check(False, f"XSETID refuses {what}")
        except RedisError:
            pass
    try:
        c.call("XSETID", "nokey", "1-0")
        check(False, "XSETID cannot create a key")
    except RedisError:
        pass
    check(c.call("EXISTS", "nokey") == 0, "XSETID created nothing")
    c.call("XSETID", "s", "20-0", "ENTRIESADDED", "40", "MAXDELETEDID", "0-3")
    c.call("XSETID", "s", "10-0")
    x = info(c, "s")
    check(x["last-generated-id"] == b"10-0" and x["entries-added"] == 40
          and x["max-deleted-entry-id"] == b"0-3",
          f"XSETID moves them, the last ID back to the last entry: {x}")

    # XADD NOMKSTREAM.
    check(c.call("XADD", "gone", "NOMKSTREAM", "1-0", "f", "v") is None
          and c.call("EXISTS", "gone") == 0, "NOMKSTREAM writes nothing")

    # WATCH: EXEC writes nothing after another client's write.
    def aborted(touch, key="w"):
        c.call("DEL", key)
        c.call("XADD", key, "1-0", "f", "v")
        c.pipeline([["WATCH", key]])
        touch()
        r = c.pipeline([["MULTI"], ["XADD", key, "NOMKSTREAM", "99-0", "f", "v"],
                        ["EXEC"]])
        return r[-1] is None

    def expire():
        other.call("PEXPIRE", "w", 1)
        deadline = threading.Event()
        for _ in range(200):  # bounded: the key expires within milliseconds
            if other.call("EXISTS", "w") == 0:
                return
            deadline.wait(0.005)
        check(False, "the key did not expire")

    for name, touch in [
            ("XADD", lambda: other.call("XADD", "w", "2-0", "f", "v")),
            ("XDEL", lambda: other.call("XDEL", "w", "1-0")),
            ("XTRIM", lambda: other.call("XTRIM", "w", "MAXLEN", "0")),
            ("DEL", lambda: other.call("DEL", "w")),
            ("FLUSHALL", lambda: other.call("FLUSHALL")),
            ("an expiry", expire)]:
        check(aborted(touch), f"WATCH: EXEC writes nothing after {name}")
    check(not aborted(lambda: other.call("XREAD", "STREAMS", "w", "0")),
          "a reader does not abort the transaction")

    # XSETID between WATCH and EXEC is seen in that EXEC, one way or other.
    c.call("DEL", "w")
    c.call("XADD", "w", "1-0", "f", "v")
    c.pipeline([["WATCH", "w"]])
    other.call("XSETID", "w", "1-0", "ENTRIESADDED", "7")
    r = c.pipeline([["MULTI"], ["XADD", "w", "NOMKSTREAM", "2-0", "f", "v"],
                    ["XINFO", "STREAM", "w"], ["EXEC"]])[-1]
    if r is None:
        print("XSETID aborts a WATCHed transaction on this Redis", flush=True)
    else:
        flat = r[1]
        added = flat[flat.index(b"entries-added") + 1]
        check(added == 8, f"the XINFO inside EXEC shows the XSETID: {added}")
        print("XSETID does not abort a WATCHed transaction; the XINFO inside "
              "EXEC shows it", flush=True)

    # An XSETID moving the last ID up between WATCH and EXEC, into the IDs
    # of a batch: the XADDs at or below the new last ID fail inside EXEC,
    # the later ones succeed, and the stream misses the failed ones below
    # the written ones (the tailer's target_hole, TAILER.md T6).
    c.call("DEL", "w")
    c.call("XADD", "w", "1-0", "f", "v")
    c.pipeline([["WATCH", "w"]])
    other.call("XSETID", "w", "3-0")
    r = c.pipeline([["MULTI"]]
                   + [["XADD", "w", "NOMKSTREAM", f"{k}-0", "f", "v"]
                      for k in range(2, 6)] + [["EXEC"]])[-1]
    if r is None:
        print("XSETID aborts a WATCHed batch on this Redis: no hole",
              flush=True)
    else:
        check(all(isinstance(x, RedisError)
                  and "equal or smaller than the target stream top item"
                  in str(x) for x in r[:2]),
              f"the XADDs at or below the new last ID fail: {r[:2]}")
        check(r[2:] == [b"4-0", b"5-0"], f"the later ones succeed: {r[2:]}")
        check([e[0] for e in c.call("XRANGE", "w", "-", "+")]
              == [b"1-0", b"4-0", b"5-0"], "the stream has a hole")
        print("XSETID up between WATCH and EXEC: the batch is written with "
              "a hole", flush=True)

    # A replica and a DUMP/RESTORE copy report the same XINFO STREAM.
    c.call("DEL", "r")
    for i in range(300):
        c.call("XADD", "r", "MAXLEN", "~", "50", "*", "f", str(i))
    first = c.call("XRANGE", "r", "-", "+", "COUNT", 3)
    c.call("XDEL", "r", first[2][0])
    c.call("XTRIM", "r", "MINID", "=", first[1][0])
    # No 5 s delay before the full sync (repl-diskless-sync-delay).
    c.call("CONFIG", "SET", "repl-diskless-sync-delay", "0")
    replica = env.redis("replica")
    rc = replica.client()
    rc.call("REPLICAOF", "127.0.0.1", server.port)
    want = info(c, "r")
    pause = threading.Event()
    for _ in range(600):  # bounded wait for the initial sync: up to 30 s
        if rc.xinfo("r") == want:
            break
        pause.wait(0.05)
    check(rc.xinfo("r") == want, "the replica reports the same XINFO STREAM")
    c.call("RESTORE", "copy", 0, c.call("DUMP", "r"))
    check(info(c, "copy") == want, "a DUMP/RESTORE copy reports the same")
    print("every fact holds", flush=True)


if __name__ == "__main__":
    main(scenario, "redis_facts")
