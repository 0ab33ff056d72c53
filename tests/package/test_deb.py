"""package.deb: `cpack -G DEB` builds cursor-actor_<version>_amd64.deb from
this build tree (cmake/deb.cmake), and it holds what a Debian user expects:
the three programs in /usr/bin, the units in /lib/systemd/system with the
paths of /usr, the sysusers.d entries, the default configurations in
/etc/cursor-actor as conffiles, the documentation with the copyright and
changelog, the maintainer scripts, the dependencies dpkg-shlibdeps found.
No root needed; package.deb_install and package.lintian use the .deb."""

import os
import shutil

from debpkg import PACKAGE, check, deb_path, parse_args, run
from harness import main

EXPECTED = [
    "./usr/bin/cursor_node",
    "./usr/bin/cursorctl",
    "./usr/bin/cursor_tailer",
    "./lib/systemd/system/cursor-node.service",
    "./lib/systemd/system/cursor-tailer.service",
    "./usr/lib/sysusers.d/cursor-node.conf",
    "./usr/lib/sysusers.d/cursor-tailer.conf",
    "./etc/cursor-actor/cursor_node.ini",
    "./etc/cursor-actor/cursor_tailer.ini",
    "./usr/share/doc/cursor-actor/NODE.md",
    "./usr/share/doc/cursor-actor/TAILER.md",
    "./usr/share/doc/cursor-actor/CLI.md",
    "./usr/share/doc/cursor-actor/copyright",
    "./usr/share/doc/cursor-actor/changelog.gz",
    "./usr/share/doc/cursor-actor/examples/cursor-actor.rules.yml",
    "./usr/share/lintian/overrides/cursor-actor",
]


def scenario(env):
    args = env.args
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    run([args.cpack, "-G", "DEB", "--config",
         os.path.join(args.build_dir, "CPackConfig.cmake"), "-B", args.out],
        timeout=600)
    deb = deb_path(args)
    check(os.path.exists(deb), f"no {os.path.basename(deb)} in {args.out}: "
                               f"{os.listdir(args.out)}")
    _, listing, _ = run(["dpkg-deb", "--contents", deb])
    entries = {line.split()[-1]: line.split()[0] for line in listing.splitlines()}
    for path in EXPECTED:
        check(path in entries, f"the package lacks {path}")
    for program in ("cursor_node", "cursorctl", "cursor_tailer"):
        check(entries[f"./usr/bin/{program}"] == "-rwxr-xr-x",
              f"{program}: {entries[f'./usr/bin/{program}']}")
    # Nothing of the library's development files, nothing under /usr/local.
    stray = [p for p in entries if "/include/" in p or "/local/" in p
             or p.endswith(".a") or "/cmake/" in p]
    check(not stray, f"files that do not belong in the package: {stray}")

    _, control, _ = run(["dpkg-deb", "--field", deb])
    fields = dict(line.split(": ", 1) for line in control.splitlines()
                  if ": " in line and not line.startswith(" "))
    check(fields.get("Package") == PACKAGE, f"Package: {fields}")
    check(fields.get("Version") == args.project_version, f"Version: {fields}")
    check(fields.get("Architecture") == "amd64", f"Architecture: {fields}")
    depends = fields.get("Depends", "")
    for lib in ("libcaf-core0.17", "libsqlite3-0", "libmicrohttpd12",
                "libhiredis0.14", "libsystemd0", "systemd |"):
        check(lib in depends, f"Depends lacks {lib}: {depends}")

    control_dir = env.path("control")
    run(["dpkg-deb", "--control", deb, control_dir])
    with open(os.path.join(control_dir, "conffiles")) as f:
        conffiles = f.read().split()
    check(conffiles == ["/etc/cursor-actor/cursor_node.ini",
                        "/etc/cursor-actor/cursor_tailer.ini"],
          f"conffiles: {conffiles}")
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(control_dir, script)
        check(os.access(path, os.X_OK), f"{script} is not executable")
        run(["sh", "-n", path])

    unit_dir = env.path("data")
    run(["dpkg-deb", "--extract", deb, unit_dir])
    with open(os.path.join(unit_dir, "lib/systemd/system/cursor-node.service")) as f:
        unit = f.read()
    for text in ("ExecStart=/usr/bin/cursor_node --config-file="
                 "/etc/cursor-actor/cursor_node.ini",
                 "Documentation=file:///usr/share/doc/cursor-actor/NODE.md",
                 "ConfigurationDirectory=cursor-actor"):
        check(text in unit, f"the packaged unit lacks {text!r}")
    check("/usr/local" not in unit.split("[Unit]", 1)[1],
          "the packaged unit names /usr/local")
    with open(os.path.join(unit_dir, "usr/share/doc/cursor-actor/copyright")) as f:
        copyright_text = f.read()
    check("GNU AFFERO GENERAL PUBLIC LICENSE" in copyright_text
          and copyright_text.startswith("Format: "), "copyright file")


if __name__ == "__main__":
    main(scenario, "deb", args=parse_args())
