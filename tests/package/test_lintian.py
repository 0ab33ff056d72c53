"""package.lintian: lintian finds no error and no warning in the .deb of
package.deb, and every tag it still reports (at info level, or overridden
with a reason in config/debian/lintian-overrides) is one listed below with
its reason. lintian is not in scripts/install-deps.sh (about 130 packages,
three minutes to install on CI's machines): where it is missing the test is
skipped (exit 77, listed by CTest with the reason); `apt-get install
lintian` to run it. CI (.ci/run) installs it and lets no test skip."""

import os
import shutil

from debpkg import check, deb_path, parse_args, run
from harness import Skip, main

# Tags left on purpose, each with its reason.
KNOWN = {
    # --help and the Markdown manuals in /usr/share/doc (overridden).
    "no-manual-page": "O",
    # CPack's plain strip keeps the compilers' version strings (overridden).
    "binary-has-unneeded-section": "O",
    # systemd only, no sysvinit script (overridden).
    "package-supports-alternative-init-but-no-init.d-script": "O",
}


def scenario(env):
    lintian = shutil.which("lintian")
    if lintian is None:
        raise Skip("lintian is not installed (not in install-deps.sh: ~3 "
                   "minutes to install; .ci/run installs it): apt-get "
                   "install --no-install-recommends lintian")
    deb = deb_path(env.args)
    check(os.path.exists(deb), f"{deb} missing: package.deb builds it")
    # Errors and warnings fail (an overridden one is shown as O: and does
    # not); info and pedantic tags are shown too.
    code, out, _ = run([lintian, "--fail-on", "error,warning",
                        "--display-info", "--pedantic", deb], timeout=300,
                       check_rc=False)
    shown = tags_of(out)
    check(code == 0, f"lintian exited {code}: {shown}")
    check(not shown, f"lintian tags not overridden: {shown}")
    # The overridden ones, each known with its reason.
    _, out, _ = run([lintian, "--display-info", "--pedantic",
                     "--show-overrides", deb], timeout=300, check_rc=False)
    overridden = tags_of(out)
    unexpected = [t for t in overridden if KNOWN.get(t[1]) != t[0]]
    check(not unexpected, f"lintian tags not explained: {unexpected}")
    print(f"lintian: clean; {len(overridden)} overridden tags, each "
          "explained", flush=True)


def tags_of(output):
    """(level letter, tag) of every tag line of lintian's output."""
    tags = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("E:", "W:", "I:", "P:", "O:",
                                            "X:", "C:"):
            tags.append((parts[0][0], parts[2]))
    return tags


if __name__ == "__main__":
    main(scenario, "lintian", args=parse_args())
