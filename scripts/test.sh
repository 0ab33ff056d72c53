#!/usr/bin/env bash
# Installs what is missing, builds everything (library, node, CLI, examples,
# benchmarks, tests) and runs every test with CTest but the soak label (500
# nemesis histories, of which e2e.nemesis runs a CI-sized share; run it on
# its own: ctest --test-dir build -L soak).
#   scripts/test.sh                      normal build in build/
#   CURSOR_SANITIZE=ON scripts/test.sh   ASan + UBSan build in build-asan/
#   scripts/test.sh --build-only | --test-only   one half (CI overlaps them)
# Further arguments go to ctest (e.g. -L unit, -R tls).
# Environment: CURSOR_JOBS (default: the number of cores) for the build and
# for ctest -j; CURSOR_CCACHE=ON compiles through ccache (a warm cache kept
# on the machine; CI's cold path does not use it), OFF without.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
test=1
case "${1:-}" in
  --build-only) test=0; shift ;;
  --test-only) build=0; shift ;;
esac
sanitize=${CURSOR_SANITIZE:-OFF}
jobs=${CURSOR_JOBS:-$(nproc)}
dir=build
[ "$sanitize" = ON ] && dir=build-asan

if [ "$build" = 1 ]; then
  scripts/install-deps.sh
  # Build flags for the tests: no full debug info. -g nearly doubles the
  # compile time of a CAF translation unit (app/node/front.cpp: 35 s with
  # -O2 -g, 19 s with -O2, on this project's 2-core CI machine kind). The
  # sanitizer build uses -O1 (what the sanitizers' authors recommend; its
  # compile takes about 20 % less CPU than -O2 with the same checks) with
  # line tables only (-g1), so its reports still name file:line.
  # A build of your own keeps CMake's default, RelWithDebInfo (-O2 -g).
  flags="-O2 -DNDEBUG"
  # The sanitizer build leaves out the benchmarks: they measure speed, which
  # a sanitized build does not have, and their smoke tests run in the normal
  # build.
  bench=ON
  if [ "$sanitize" = ON ]; then
    flags="-O1 -g1 -DNDEBUG"
    bench=OFF
  fi
  args=(-DCURSOR_SANITIZE="$sanitize" -DCURSOR_BUILD_BENCH="$bench"
        -DCURSOR_WERROR=ON -DCURSOR_UNITY_BUILD=ON
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags")
  # Unset, a build directory keeps the launcher it was configured with (a
  # fresh one, CI's, has none).
  case "${CURSOR_CCACHE:-}" in
    ON) args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache) ;;
    OFF) args+=(-UCMAKE_CXX_COMPILER_LAUNCHER) ;;
  esac
  # Ninja starts a target's compiles before the libraries it links are
  # built, which keeps both cores busy; a build directory made earlier with
  # another generator keeps it.
  [ -f "$dir/CMakeCache.txt" ] || args+=(-G Ninja)
  cmake -S . -B "$dir" "${args[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs"
fi

if [ "$test" = 1 ]; then
  ctest --test-dir "$dir" --output-on-failure --timeout 900 -j"$jobs" -LE soak "$@"
fi
