#!/usr/bin/env bash
# Installs what is missing, builds everything (library, node, CLI, examples,
# benchmarks, tests) and runs every test with CTest.
#   scripts/test.sh              normal build in build/
#   CURSOR_SANITIZE=ON scripts/test.sh   ASan + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
sanitize=${CURSOR_SANITIZE:-OFF}
dir=build
[ "$sanitize" = ON ] && dir=build-asan
cmake -S . -B "$dir" -DCURSOR_SANITIZE="$sanitize" >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure --timeout 600 "$@"
