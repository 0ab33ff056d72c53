"""Every protocol message crosses a real middleman connection between two
processes: the C++ peer client sends set, set force, get, get_or_start, list,
dirty, flush, delete, checkpoint, stats, the batched set, and close and the
internal retry/tick (refused by the front: close is not a remote operation,
writes go on afterwards), plus exit and stray messages the front must
survive.
Afterwards the rows on disk are checked with sqlite3."""

import signal

from harness import check, main, read_rows


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    code, out = env.client("protocol", node.port)
    check(code == 0 and "all steps passed" in out, "protocol steps failed")
    # The front refused the close; the node stops cleanly.
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "node stops cleanly after a refused close")
    rows = read_rows(env.path("cursors.db"))
    check(rows == {"peer.one": "8-0", "peer.three": "3-3", "batch.a": "1-0",
                   "batch.b": "2-0"}, f"rows on disk: {rows}")


if __name__ == "__main__":
    main(scenario, "protocol")
