#!/usr/bin/env bash
# Installs the Debian packages perfledger needs to build, test and run its demo
# (--build-only: to build it, as the setup action does on a CI runner).
# Idempotent: only missing packages are installed. Needs root (or sudo) the first time.
set -euo pipefail

# What a release build needs (the setup action on a CI runner: scripts/setup-deps.sh --build-only).
packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates help2man
  libfmt-dev libsimdjson-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev libssl-dev
  libgit2-dev libtomlplusplus-dev libpugixml-dev libboost-dev libboost-math-dev zlib1g-dev
  libcpp-httplib-dev libpq-dev
)
# And what the tests, the benchmarks and the demo need.
if [ "${1:-}" != "--build-only" ]; then
  packages+=(
    libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
    sqlite3 python3 python3-jsonschema clang-format hyperfine jq valgrind shellcheck zip unzip time
    catch2 golang-go python3-pytest python3-pytest-benchmark
    chromium clang-14 libclang-rt-14-dev postgresql-15
  )
fi

missing=()
# The dashboard (web/) is built with Node.js and npm; a machine without them gets Debian's.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "perfledger: installing missing Debian packages: ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "error: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# The tests start PostgreSQL servers of their own (tests/support/pg_server.h): Debian's
# package is told not to create (and start) its default cluster, unless one already exists.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && [ ! -d /etc/postgresql/15 ]; then
  "${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" |
    "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/perfledger.conf >/dev/null
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
