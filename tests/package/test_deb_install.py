"""package.deb_install: the .deb of package.deb on this machine, for real,
as root (`dpkg -i` into /usr, /etc, /lib):

- installed: the conffiles registered, the users cursor-node and
  cursor-tailer created from the sysusers.d entries, their state
  directories (0700, theirs), each INI file readable by its service only
  (root:<user> 0640, a dpkg statoverride);
- the installed node runs as the unit runs it: user cursor-node, working
  directory /var/lib/cursor-node, the installed configuration (only the
  ports moved to free ones, and the HTTP endpoint turned on): `cursorctl
  health` answers healthy, a cursor is set and flushed, /readyz answers
  200; SIGTERM stops it cleanly; the installed tailer answers --version;
- purged: the programs, units, sysusers.d entries, configuration and
  statoverrides are gone; what is left is the data (the database with the
  cursor, readable by SQLite) and the users (Debian removes no system user),
  no lock file, no empty directory.

The machine is left as it was, also on failure: a cleanup registered
before the install purges the package and removes the users and
directories this test created. It refuses to run (exit 77, listed by CTest
as skipped with the reason) without root, and where cursor-actor, its users
or its directories exist already (it would change or remove them). CI
(.ci/run) runs as root with CURSOR_NO_SKIP=1, which turns such a refusal
into a failure."""

import grp
import os
import pwd
import signal
import sqlite3
import stat

from debpkg import PACKAGE, check, deb_path, parse_args, run
from harness import LISTENING, Node, Skip, main
from http_probe import HTTP_ENDPOINT, get_ok

USERS = ["cursor-node", "cursor-tailer"]
STATE = ["/var/lib/cursor-node", "/var/lib/cursor-tailer"]
CONF = "/etc/cursor-actor"
INSTALLED = [
    "/usr/bin/cursor_node", "/usr/bin/cursorctl", "/usr/bin/cursor_tailer",
    "/lib/systemd/system/cursor-node.service",
    "/lib/systemd/system/cursor-tailer.service",
    "/usr/lib/sysusers.d/cursor-node.conf",
    "/usr/lib/sysusers.d/cursor-tailer.conf",
    "/etc/cursor-actor/cursor_node.ini", "/etc/cursor-actor/cursor_tailer.ini",
    "/usr/share/doc/cursor-actor/NODE.md",
]


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def package_status():
    code, out, _ = run(["dpkg-query", "--show", "--showformat=${Status}",
                        PACKAGE], check_rc=False)
    return out if code == 0 else ""


def refuse_unless_clean_machine():
    if os.geteuid() != 0:
        raise Skip(f"installing a .deb needs root (euid {os.geteuid()}); CI "
                   "runs as root")
    found = []
    status = package_status()
    if status and "not-installed" not in status:
        found.append(f"the package {PACKAGE} ({status})")
    found += [f"the user {u}" for u in USERS if user_exists(u)]
    found += [f"the group {u}" for u in USERS if group_exists(u)]
    found += [d for d in STATE + [CONF] if os.path.exists(d)]
    if found:
        raise Skip("this machine has cursor-actor's state already ("
                   + ", ".join(found) + "); the test would change or remove "
                   "it. Remove it (dpkg --purge cursor-actor; userdel "
                   "cursor-node cursor-tailer; rm -r /var/lib/cursor-node "
                   "/var/lib/cursor-tailer) to run the test")


def cleanup(env):
    """Leaves the machine as it was before the test (which refused to run
    unless none of this existed)."""
    for n in env.nodes:
        n.kill()
    if "installed" in package_status() or "config-files" in package_status():
        run(["dpkg", "--purge", PACKAGE], check_rc=False)
    for d in STATE + [CONF]:
        run(["rm", "-rf", "--one-file-system", d], check_rc=False)
    for u in USERS:
        if user_exists(u):
            run(["userdel", u], check_rc=False)
        if group_exists(u):
            run(["groupdel", u], check_rc=False)


def mode_owner(path):
    st = os.stat(path)
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def files_under(top):
    result = []
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            result.append(os.path.relpath(os.path.join(root, name), top))
    return sorted(result)


def scenario(env):
    refuse_unless_clean_machine()
    deb = deb_path(env.args)
    check(os.path.exists(deb), f"{deb} missing: package.deb builds it")
    env.helpers.append(lambda: cleanup(env))

    run(["dpkg", "--install", deb], timeout=300)
    check("install ok installed" in package_status(), "not installed")
    for path in INSTALLED:
        check(os.path.exists(path), f"{path} was not installed")
    _, conffiles, _ = run(["dpkg-query", "--show", "--showformat=${Conffiles}",
                           PACKAGE])
    for name in ("cursor_node.ini", "cursor_tailer.ini"):
        check(f"{CONF}/{name}" in conffiles, f"{name} is not a conffile")
    for user, state in zip(USERS, STATE):
        entry = pwd.getpwnam(user)
        check(entry.pw_dir == state and entry.pw_shell.endswith("nologin")
              and entry.pw_uid < 1000, f"user {user}: {entry}")
        check(mode_owner(state) == (0o700, user, user),
              f"{state}: {mode_owner(state)}")
        program = user.replace("-", "_")
        check(mode_owner(f"{CONF}/{program}.ini") == (0o640, "root", user),
              f"{program}.ini: {mode_owner(f'{CONF}/{program}.ini')}")
    check(mode_owner("/var/lib/cursor-node/backups")
          == (0o700, "cursor-node", "cursor-node"), "the backups directory")

    # The installed node with the installed configuration, as its unit runs
    # it; only the ports are moved to free ones.
    node = Node("/usr/bin/setpriv",
                ["--reuid=cursor-node", "--regid=cursor-node", "--init-groups",
                 "/usr/bin/cursor_node",
                 f"--config-file={CONF}/cursor_node.ini", "--node.port=0",
                 "--node.http-address=127.0.0.1:0"],
                cwd="/var/lib/cursor-node", name="installed-node")
    env.nodes.append(node)
    node.wait_listening()
    m = node.wait_for(LISTENING.pattern)
    db = m.group(3)
    check(db == "data/replication_cursors.db", f"database {db!r}")
    http = int(node.wait_for(HTTP_ENDPOINT.pattern).group(2))
    ctl = ["/usr/bin/cursorctl", "--port", str(node.port), "--timeout", "10s"]
    _, out, _ = run(ctl + ["health"])
    check(out.startswith("healthy: "), f"health: {out!r}")
    run(ctl + ["set", "uk.node.leeds-2", "1700000000000-7"])
    run(ctl + ["flush"])
    check(get_ok(http, "/readyz").text() == "ready\n", "readyz")
    db_path = "/var/lib/cursor-node/data/replication_cursors.db"
    check(mode_owner(db_path)[1] == "cursor-node", f"{db_path} owner")
    node.signal(signal.SIGTERM)
    check(node.wait_exit() == 0, "the installed node stops cleanly")
    _, out, _ = run(["/usr/bin/cursor_tailer", "--version"])
    check(out.startswith(f"cursor_tailer {env.args.project_version}"),
          f"tailer --version: {out!r}")

    run(["dpkg", "--purge", PACKAGE], timeout=300)
    check(package_status() == "", f"after the purge: {package_status()!r}")
    for path in INSTALLED:
        check(not os.path.exists(path), f"{path} is left after the purge")
    check(not os.path.exists(CONF), f"{CONF} is left after the purge")
    for conf in ("cursor_node.ini", "cursor_tailer.ini"):
        code, out, _ = run(["dpkg-statoverride", "--list", f"{CONF}/{conf}"],
                           check_rc=False)
        check(code != 0 and out == "", f"statoverride of {conf} left: {out!r}")
    # The data stays, and only the data.
    left = files_under("/var/lib/cursor-node")
    check(left == ["data", "data/replication_cursors.db"],
          f"left in /var/lib/cursor-node: {left}")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = dict(conn.execute("SELECT peer_id, stream_id FROM cursors"))
    finally:
        conn.close()
    check(rows == {"uk.node.leeds-2": "1700000000000-7"}, f"data: {rows}")
    check(not os.path.exists("/var/lib/cursor-tailer"),
          "the tailer's empty state directory is left")
    for user in USERS:
        check(user_exists(user), f"the system user {user} was removed")


if __name__ == "__main__":
    main(scenario, "deb_install", args=parse_args())
