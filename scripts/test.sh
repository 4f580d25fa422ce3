#!/usr/bin/env bash
# Builds perfledger the way CI does (preset "ci": -Werror, AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs the whole test suite with CTest, then fuzzes every
# libFuzzer target for 20 s (scripts/fuzz.sh: preset "fuzz", clang 14).
# Installs missing Debian packages first (needs root or sudo the first time).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci
scripts/fuzz.sh 20
