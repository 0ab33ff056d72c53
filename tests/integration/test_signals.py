"""Every signal whose default action would end the node: SIGINT, SIGTERM,
SIGHUP, SIGQUIT, SIGXCPU and SIGPWR shut it down with the final flush (exit
0, the unflushed change is in the database); SIGUSR1, SIGUSR2, SIGALRM,
SIGVTALRM, SIGPROF, SIGIO, SIGSTKFLT, SIGSYS and the real-time signals are
logged and ignored; SIGPIPE and SIGXFSZ are ignored (the system call fails
instead). The node keeps serving through all of the ignored ones. The table is
in docs/NODE.md."""

import re
import signal

from harness import check, main, read_rows

SHUTDOWN = [signal.SIGHUP, signal.SIGQUIT, signal.SIGXCPU, signal.SIGPWR,
            signal.SIGINT, signal.SIGTERM]
LOGGED = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGVTALRM,
          signal.SIGPROF, signal.SIGIO, signal.SIGSTKFLT, signal.SIGSYS,
          signal.SIGRTMIN, signal.SIGRTMIN + 5, signal.SIGRTMAX]
SILENT = [signal.SIGPIPE, signal.SIGXFSZ]


def name_of(signo):
    if signal.SIGRTMIN <= signo <= signal.SIGRTMAX:
        return "SIGRTMIN" if signo == signal.SIGRTMIN else \
            f"SIGRTMIN+{signo - signal.SIGRTMIN}"
    if signo == signal.SIGIO:
        return "SIGPOLL"  # glibc's abbreviation for 29 (SIGIO = SIGPOLL)
    return signal.Signals(signo).name


def scenario(env):
    # Shutdown signals: one node each, started together; the cursor is set
    # but not flushed (no flush timer), so only the final flush saves it.
    nodes = []
    for signo in SHUTDOWN:
        name = name_of(signo)
        n = env.node("--cursor.flush-interval=0s", db=f"{name}.db", name=name)
        nodes.append((signo, name, n))
    for signo, name, n in nodes:
        n.wait_listening()
        env.ctl_ok(n.port, "set", "uk.node.leeds-2", "7-0")
        check(env.ctl_ok(n.port, "stats", "--json").find('"dirty":1') >= 0,
              f"{name}: the change is not dirty")
        n.signal(signo)
    for signo, name, n in nodes:
        code = n.wait_exit()
        check(code == 0, f"{name}: exit code {code}, expected 0")
        n.wait_for(f"received {name}: shutting down")
        n.wait_for("final flush wrote 1 rows")
        rows = read_rows(env.path(f"{name}.db"))
        check(rows == {"uk.node.leeds-2": "7-0"}, f"{name}: rows {rows}")

    # Ignored signals: one node takes them all and keeps serving.
    n = env.node("--cursor.flush-interval=0s", db="ignored.db", name="ignored")
    n.wait_listening()
    for i, signo in enumerate(LOGGED + SILENT):
        name = name_of(signo)
        start = n.line_count()
        n.signal(signo)
        if signo in LOGGED:
            n.wait_for(f"received {re.escape(name)}: ignored", start=start)
        # Still serving after each one.
        env.ctl_ok(n.port, "set", "uk.node.leeds-2", f"{i + 1}-0")
        check(n.proc.poll() is None, f"{name} ended the node")
    last = f"{len(LOGGED + SILENT)}-0"
    n.signal(signal.SIGTERM)
    check(n.wait_exit() == 0, "the node stops cleanly after the ignored signals")
    rows = read_rows(env.path("ignored.db"))
    check(rows == {"uk.node.leeds-2": last}, f"rows {rows}, expected {last}")

    # The kernel sends SIGXCPU once a second past the soft CPU limit: the
    # repeats do not count as the "second signal" that cuts the shutdown.
    n = env.node("--cursor.flush-interval=0s", db="storm.db", name="storm")
    n.wait_listening()
    env.ctl_ok(n.port, "set", "uk.node.leeds-2", "9-0")
    n.signal(signal.SIGXCPU)
    n.signal(signal.SIGXCPU)  # the kernel repeats XCPU: counted once
    check(n.wait_exit() == 0, "a repeated SIGXCPU does not cut the shutdown")
    check(read_rows(env.path("storm.db")) == {"uk.node.leeds-2": "9-0"},
          "the final flush after SIGXCPU")


if __name__ == "__main__":
    main(scenario, "signals")
