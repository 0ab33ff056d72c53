"""The systemd files as `cmake --install` installs them (fixture
package.install), for each unit (cursor-node, cursor-tailer):
`systemd-analyze verify` accepts the installed unit with no warning at all,
its ExecStart is the installed program, its hardening
scores at most 2.0 in `systemd-analyze security --offline`, the same check
rejects a unit with a typo (so it can fail), and systemd-sysusers creates the
unit's user from the installed sysusers.d entry.

systemd-analyze works without systemd running (a container whose PID 1 is
not systemd is fine): `verify` loads the unit file offline. It needs the unit
files it refers to (network.target, multi-user.target), which Debian's
`systemd` package ships, and an executable ExecStart, hence the installed
unit rather than the source one (which names /usr/local/bin/<program>).
`--man=no` keeps it from running man(1) for man: links."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

MAX_EXPOSURE = 2.0


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(cmd, **kw):
    print(f"$ {' '.join(cmd)}", flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    print(p.stdout + p.stderr, flush=True)
    return p


def verify(unit):
    """systemd-analyze verify: (exit code, every line it printed)."""
    p = run(["systemd-analyze", "verify", "--man=no", unit])
    lines = [l for l in (p.stdout + p.stderr).splitlines() if l.strip()]
    return p.returncode, lines


def directives(text):
    result = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+)=(.*)$", line)
        if m:
            result.setdefault(m.group(1), []).append(m.group(2))
    return result


def check_unit(args, unit, program, tmp):
    installed_unit = os.path.join(args.prefix, "lib/systemd/system",
                                  unit + ".service")
    installed_sysusers = os.path.join(args.prefix, "lib/sysusers.d",
                                      unit + ".conf")
    installed_program = os.path.join(args.prefix, args.bindir, program)
    source_unit = os.path.join(args.source_dir, "config/systemd",
                               unit + ".service")
    with open(installed_unit) as f:
        text = f.read()
    with open(source_unit) as f:
        source = f.read()
    d = directives(text)

    # The installed unit is the source one with the prefix's paths.
    exec_start = d["ExecStart"][0].split()
    check(exec_start[0] == os.path.abspath(installed_program),
          f"ExecStart runs {exec_start[0]}, not the installed "
          f"{installed_program}")
    check(text.replace(exec_start[0], f"/usr/local/bin/{program}")
          .replace(os.path.dirname(d["Documentation"][0][len("file://"):]),
                   "/usr/local/share/doc/cursor_actor") == source,
          f"the installed unit differs from config/systemd/{unit}.service "
          f"in more than its paths")
    check(d["Type"] == ["notify"], "Type=notify")
    # The first state directory is the unit's own (the node's also lists
    # its backups subdirectory).
    check(d["User"] == [unit] and d["StateDirectory"][0].split()[0] == unit,
          "own user and state directory")
    binary = run([exec_start[0], "--version"])
    check(binary.returncode == 0 and binary.stdout.startswith(program + " "),
          f"the installed {program} runs")

    # verify: exit 0 and not a single warning.
    code, lines = verify(installed_unit)
    check(code == 0 and not lines,
          f"systemd-analyze verify: exit {code}, output {lines!r}")

    # The check can fail: a typo in a key and in a value are reported.
    broken = os.path.join(tmp, unit + ".service")
    with open(broken, "w") as f:
        f.write(text.replace("ProtectSystem=strict", "ProtectSystem=stricter")
                    .replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"))
    code, lines = verify(broken)
    check(any("stricter" in l for l in lines)
          and any("NoNewPrivilege" in l for l in lines),
          f"a broken unit was not reported: {lines!r}")

    # Hardening: systemd's own exposure score (0 = locked down, 10 = none).
    p = run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
             installed_unit])
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", p.stdout + p.stderr)
    check(m, "systemd-analyze security printed no exposure level")
    exposure = float(m.group(1))
    check(exposure <= MAX_EXPOSURE,
          f"{unit}: exposure {exposure} above {MAX_EXPOSURE}: hardening was lost")
    print(f"{unit}: exposure level {exposure} (at most {MAX_EXPOSURE})", flush=True)

    # The sysusers.d entry creates the unit's user, without a login shell,
    # with the state directory as its home.
    root = os.path.join(tmp, "root-" + unit)
    os.makedirs(os.path.join(root, "etc"))
    p = run(["systemd-sysusers", f"--root={root}", installed_sysusers])
    check(p.returncode == 0, "systemd-sysusers failed")
    with open(os.path.join(root, "etc", "passwd")) as f:
        users = {l.split(":")[0]: l.strip().split(":") for l in f if l.strip()}
    check(d["User"][0] in users, f"sysusers did not create {d['User'][0]}")
    entry = users[d["User"][0]]
    check(entry[5] == "/var/lib/" + d["StateDirectory"][0].split()[0],
          f"home {entry[5]} is not the state directory")
    check(entry[6].endswith("nologin"), f"login shell {entry[6]}")
    print(f"{unit}: verified", flush=True)


def scenario(args, tmp):
    for tool in ("systemd-analyze", "systemd-sysusers"):
        check(shutil.which(tool), f"{tool} is missing (Debian package systemd; "
                                  f"scripts/install-deps.sh installs it)")
    for spec in args.unit:
        unit, program = spec.split(":")
        check_unit(args, unit, program, tmp)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--prefix", required=True, help="the install prefix")
    p.add_argument("--bindir", required=True, help="relative to the prefix")
    p.add_argument("--source-dir", required=True)
    p.add_argument("--unit", action="append", required=True,
                   help="UNIT:PROGRAM, e.g. cursor-node:cursor_node")
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="cursor-systemd-")
    try:
        scenario(args, tmp)
        print("PASS systemd_unit", flush=True)
        code = 0
    except Failure as e:
        print(f"FAIL systemd_unit: {e}", flush=True)
        code = 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
