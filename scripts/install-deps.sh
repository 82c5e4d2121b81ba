#!/usr/bin/env bash
# Installs the Debian packages Sluice needs to build and test. Idempotent and quiet when all are present.
set -euo pipefail
packages=(g++ make cmake ninja-build pkg-config libgtest-dev libgmock-dev libbenchmark-dev
          libabsl-dev libsimdjson-dev libcli11-dev librdkafka-dev libzstd-dev libhiredis-dev
          redis-server libcpp-httplib-dev libspdlog-dev libssl-dev libpq-dev postgresql clang-format clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
