#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the node need,
# skipping the update when everything is present already.
# libssl-dev: the node and cursorctl check their TLS files with OpenSSL's API
# at start-up (libcaf-dev does not pull it in); openssl: the TLS test makes
# its throw-away CA with the command-line tool.
# libsystemd-dev: the node's sd_notify() (READY=1/STOPPING=1 for the
# Type=notify unit); systemd: systemd-analyze and systemd-sysusers, with
# which the tests check config/systemd/ (they run without systemd as PID 1).
# libcli11-dev: cursorctl's command line; nlohmann-json3-dev: its JSON
# output and input (both header-only).
# libhiredis-dev: cursor_tailer's Redis client (hiredis 0.14); redis-server:
# the Redis the tailer replicates, started by its end-to-end tests and its
# benchmark (those tests fail without it, they are never skipped).
# ninja-build: scripts/test.sh builds with Ninja, which compiles a target's
# sources while the libraries it links are still being built (both cores
# busy); clang-format (Debian 12: version 14): scripts/check-format.sh, CI's
# formatting check.
set -euo pipefail
packages=(build-essential cmake ninja-build libcaf-dev libsqlite3-dev
          libspdlog-dev libssl-dev sqlite3 openssl python3 procps
          libsystemd-dev systemd libcli11-dev nlohmann-json3-dev
          libhiredis-dev redis-server clang-format)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "installing: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
