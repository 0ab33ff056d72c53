#!/usr/bin/env bash
# Fails when a C++ file differs from what clang-format makes of it with the
# repository's .clang-format; prints the differences. CI runs it before
# building (.ci/run).
#   scripts/check-format.sh              every tracked .cpp/.hpp/.h file
#   scripts/check-format.sh FILE...      just these
# Formatting differs between clang-format versions: this is Debian 12's
# clang-format 14 (package clang-format, installed by scripts/install-deps.sh).
# To fix a file: clang-format-14 -i FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$tool" ]; then
  echo "check-format: clang-format 14 is missing (scripts/install-deps.sh)" >&2
  exit 2
fi
if ! "$tool" --version | grep -q "version 14\."; then
  echo "check-format: $tool is not clang-format 14: $("$tool" --version)" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h')
fi
# One clang-format run names the files that differ (a warning each, exit 0);
# each of those gets a diff. Any other failure (a bad .clang-format, a
# missing file) stops the check.
if ! report=$("$tool" --style=file --dry-run "${files[@]}" 2>&1); then
  echo "$report" >&2
  echo "check-format: clang-format failed" >&2
  exit 2
fi
mapfile -t differ < <(sed -n \
  's/^\(.*\):[0-9]*:[0-9]*: warning: code should be clang-formatted.*/\1/p' \
  <<<"$report" | sort -u)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for f in "${differ[@]}"; do
  "$tool" --style=file "$f" >"$tmp"
  diff -u --label "$f" --label "$f (clang-format)" "$f" "$tmp" || true
done
if [ ${#differ[@]} -gt 0 ]; then
  echo "check-format: ${#differ[@]} of ${#files[@]} files differ from" \
       ".clang-format (fix: $tool -i FILE)" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
