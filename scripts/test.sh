#!/usr/bin/env bash
# Installs what is missing, builds everything (library, node, CLI, examples,
# benchmarks, tests) and runs every test with CTest but the soak label.
#   scripts/test.sh              normal build in build/
#   CURSOR_SANITIZE=ON scripts/test.sh   ASan + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
sanitize=${CURSOR_SANITIZE:-OFF}
dir=build
[ "$sanitize" = ON ] && dir=build-asan
# Build flags for the tests: no full debug info. -g nearly doubles the
# compile time of a CAF translation unit (app/node/front.cpp: 35 s with
# -O2 -g, 19 s with -O2, on this project's 2-core CI machine kind). The
# sanitizer build keeps -O2 (the tests' time bounds were set at -O2) with
# line tables only (-g1), so its reports still name file:line.
# A build of your own keeps CMake's default, RelWithDebInfo (-O2 -g).
flags="-O2 -DNDEBUG"
# The sanitizer build leaves out the benchmarks (22 translation units, ~2 of
# its ~12.5 minutes on CI's 2 cores): they measure speed, which a sanitized
# build does not have, and their smoke tests run in the normal build.
bench=ON
if [ "$sanitize" = ON ]; then
  flags="-O2 -g1 -DNDEBUG"
  bench=OFF
fi
cmake -S . -B "$dir" -DCURSOR_SANITIZE="$sanitize" -DCURSOR_BUILD_BENCH="$bench" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" >/dev/null
cmake --build "$dir" -j"$(nproc)"
# The soak label (500 nemesis histories, e2e.nemesis runs a CI-sized share)
# is run on its own: ctest --test-dir build -L soak.
ctest --test-dir "$dir" --output-on-failure --timeout 600 -LE soak "$@"
