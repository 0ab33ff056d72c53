#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: installs the packages that are
# missing (apt-get, via scripts/install-deps.sh), builds the node and the CLI,
# and runs cursor_node in the foreground with config/cursor_node.ini.
#
#   scripts/run-node.sh                      port 4242, data/replication_cursors.db
#   scripts/run-node.sh --node.port=0        any extra argument goes to the node
#   CURSOR_BUILD_DIR=build-x scripts/run-node.sh   another build directory
#
# Stop it with Ctrl-C (SIGINT) or SIGTERM: final flush, checkpoint, exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CURSOR_BUILD_DIR:-build}
scripts/install-deps.sh
cmake -S . -B "$build_dir" >/dev/null
# Only what the node needs; scripts/test.sh builds everything.
cmake --build "$build_dir" -j"$(nproc)" --target cursor_node cursorctl
echo "starting cursor_node (config/cursor_node.ini); cursorctl is $build_dir/app/cursorctl"
exec "$build_dir/app/cursor_node" --config-file=config/cursor_node.ini "$@"
