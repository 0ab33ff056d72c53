"""Helpers of the Debian package's tests (package.deb, package.deb_install,
package.lintian): the command line they share, and running a command with a
time limit."""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))

from harness import TestFailure, check  # noqa: E402,F401

PACKAGE = "cursor-actor"


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--cpack", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--out", required=True,
                   help="where package.deb leaves the .deb for the others")
    p.add_argument("--project-version", required=True)
    return p.parse_args()


def deb_path(args):
    return os.path.join(args.out, f"{PACKAGE}_{args.project_version}_amd64.deb")


def run(cmd, timeout=120, check_rc=True, **kw):
    """Runs `cmd` (a list); returns (code, stdout, stderr)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{' '.join(cmd)} did not finish within {timeout}s")
    print(f"[run] {' '.join(cmd)} -> {p.returncode}", flush=True)
    if p.stdout.strip():
        print("  stdout: " + p.stdout.strip().replace("\n", "\n          "),
              flush=True)
    if p.stderr.strip():
        print("  stderr: " + p.stderr.strip().replace("\n", "\n          "),
              flush=True)
    if check_rc:
        check(p.returncode == 0, f"{' '.join(cmd)} exited {p.returncode}: "
                                 f"{p.stderr.strip()!r}")
    return p.returncode, p.stdout, p.stderr
