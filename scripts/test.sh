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
# Build flags for the tests: no full debug info (-g doubles the compile time
# of a CAF translation unit: front.cpp 35 s with -O2 -g, 19 s with -O2);
# the sanitizer build at -O1 with line tables (-g1), which AddressSanitizer's
# documentation recommends and which keeps file:line in its reports
# (front.cpp 116 s at -O2 -g, 58 s at -O1 -g1, measured on this project's
# 2-core CI machine kind). A build of your own keeps CMake's default,
# RelWithDebInfo (-O2 -g).
flags="-O2 -DNDEBUG"
[ "$sanitize" = ON ] && flags="-O1 -g1 -DNDEBUG"
cmake -S . -B "$dir" -DCURSOR_SANITIZE="$sanitize" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure --timeout 600 "$@"
