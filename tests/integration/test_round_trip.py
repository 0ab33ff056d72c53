"""Node on port 0 with a temp database: the CLI's set/get/list/flush/delete/
stats round trip; SIGTERM -> exit 0 and the rows are on disk (read with
sqlite3); restart -> the cursors are restored."""

import json
import signal

from harness import check, main, read_rows


def scenario(env):
    db = env.path("cursors.db")
    # No automatic flush: what is on disk is what a flush or the shutdown wrote.
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    check(node.restored == 0, f"fresh database restored {node.restored} cursors")
    port = node.port

    check(env.ctl_ok(port, "set", "uk.node.manchester-1", "1700000000000-0") == "ok\n",
          "set prints ok")
    env.ctl_ok(port, "set", "uk.node.leeds-2", "1700000000001-5")
    env.ctl_ok(port, "set", "to.delete", "5-5")
    check(env.ctl_ok(port, "get", "uk.node.manchester-1") == "1700000000000-0\n",
          "get returns the value just set")
    check(env.ctl_ok(port, "get", "nobody") == "none\n", "get of an unknown peer")
    got = json.loads(env.ctl_ok(port, "get", "uk.node.leeds-2", "--json"))
    check(got == {"peer": "uk.node.leeds-2", "found": True,
                  "stream_id": "1700000000001-5", "durable": False},
          f"get --json: {got}")

    table = env.ctl_ok(port, "list").splitlines()
    check(table[0].split() == ["PEER", "STREAM_ID", "UPDATED", "(UTC)", "DURABLE"],
          f"list header: {table[0]!r}")
    check([l.split()[0] for l in table[1:]] ==
          ["to.delete", "uk.node.leeds-2", "uk.node.manchester-1"],
          f"list rows sorted by peer: {table[1:]}")
    check(all(l.split()[-1] == "no" for l in table[1:]), "nothing durable yet")
    check(read_rows(db) == {}, "nothing on disk before a flush")

    check(env.ctl_ok(port, "flush") == "flushed 3 rows\n", "flush writes 3 rows")
    check(read_rows(db) == {"uk.node.manchester-1": "1700000000000-0",
                            "uk.node.leeds-2": "1700000000001-5",
                            "to.delete": "5-5"},
          "a flush puts the rows on disk")
    listed = json.loads(env.ctl_ok(port, "list", "--json"))
    check([x["peer"] for x in listed] ==
          ["to.delete", "uk.node.leeds-2", "uk.node.manchester-1"]
          and all(x["durable"] and x["updated_at"] > 0 for x in listed),
          f"list --json after flush: {listed}")

    check(env.ctl_ok(port, "delete", "to.delete") == "deleted\n", "delete")
    check("nothing deleted" in env.ctl_ok(port, "delete", "to.delete"),
          "deleting an unknown peer is not an error")
    check("to.delete" not in read_rows(db), "delete is committed before its answer")

    stats = json.loads(env.ctl_ok(port, "stats", "--json"))
    check(stats["entries"] == 2 and stats["dirty"] == 0 and stats["flushes"] == 2
          and stats["rows_written"] == 4 and not stats["degraded"],
          f"stats --json: {stats}")
    text = env.ctl_ok(port, "stats")
    check("entries" in text and "degraded" in text, f"stats table: {text!r}")
    prom = env.ctl_ok(port, "stats", "--prometheus")
    for name in ["replication_cursor_flushes_total 2",
                 "replication_cursor_flushed_count 4",
                 "replication_cursor_flush_errors_total 0",
                 'replication_cursor_retries_total{operation="cursor_flush"} 0',
                 "replication_cursor_dirty 0"]:
        check(name in prom, f"stats --prometheus lacks {name!r}")
    check("checkpoint complete" in env.ctl_ok(port, "checkpoint"), "checkpoint")

    # A change the shutdown must persist.
    env.ctl_ok(port, "set", "uk.node.manchester-1", "1700000000002-0")
    node.signal(signal.SIGTERM)
    code = node.wait_exit()
    check(code == 0, f"SIGTERM: exit code {code}")
    node.wait_for(r"final flush wrote 1 rows")
    check(read_rows(db) == {"uk.node.manchester-1": "1700000000002-0",
                            "uk.node.leeds-2": "1700000000001-5"},
          f"rows on disk after SIGTERM: {read_rows(db)}")
    with open(db + ".lock") as f:
        check(f.read() == "", "the lock file is emptied on exit")

    again = env.node(name="restarted").wait_listening()
    check(again.restored == 2, f"restart restored {again.restored} cursors, not 2")
    check(env.ctl_ok(again.port, "get", "uk.node.manchester-1") == "1700000000002-0\n",
          "restored value")
    listed = json.loads(env.ctl_ok(again.port, "list", "--json"))
    check(len(listed) == 2 and all(x["durable"] for x in listed),
          f"restored cursors are durable: {listed}")
    again.signal(signal.SIGINT)
    check(again.wait_exit() == 0, "SIGINT: exit code 0")


if __name__ == "__main__":
    main(scenario, "round_trip")
