"""A remote peer sends exit(kill) to the published front: the node notices,
republishes a fresh front on the same port, new clients connect and the
cursors are intact. A foreign CAF application fails the handshake."""

import json
import signal

from harness import Node, check, main


def scenario(env):
    node = env.node("--cursor.flush-interval=0s").wait_listening()
    p = node.port
    env.ctl_ok(p, "set", "peer.kept", "42-7")
    env.ctl_ok(p, "set", "peer.flushed", "43-0")
    env.ctl_ok(p, "flush")
    env.ctl_ok(p, "set", "peer.dirty", "44-0")

    for round in (1, 2):
        mark = node.line_count()
        code, out = env.client("kill-front", p)
        check(code == 0, f"round {round}: the peer client could not kill the front")
        node.wait_for(r"the front actor terminated", start=mark)
        m = node.wait_for(r"republished the front on 127\.0\.0\.1:(\d+) \(restart (\d+)\)",
                          start=mark)
        check(int(m.group(1)) == p, f"republished on port {m.group(1)}, not {p}")
        check(int(m.group(2)) == round, f"restart count {m.group(2)}")
        check(env.ctl_ok(p, "get", "peer.kept") == "42-7\n",
              f"round {round}: a new client reads the cursor")
        listed = {x["peer"]: (x["stream_id"], x["durable"])
                  for x in json.loads(env.ctl_ok(p, "list", "--json"))}
        check(listed == {"peer.kept": ("42-7", True), "peer.flushed": ("43-0", True),
                         "peer.dirty": ("44-0", False)},
              f"round {round}: the store is untouched: {listed}")

    code, out = env.client("foreign", p)
    check(code == 0, "a foreign CAF application connected")
    env.ctl_ok(p, "stats")

    # A client still connected at shutdown does not keep the node alive.
    holder = Node(env.args.client, ["hold", "127.0.0.1", str(p)], cwd=env.dir,
                  name="holder")
    env.nodes.append(holder)
    holder.wait_for(r"^connected$")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "node stops cleanly after republishing")
    node.wait_for(r"final flush wrote 1 rows")
    check(holder.wait_exit() == 0, "the connected client saw the front go away")


if __name__ == "__main__":
    main(scenario, "front")
