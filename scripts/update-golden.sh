#!/usr/bin/env bash
# Rewrites tests/golden/expected/ from a perfledger binary (default: the ci preset's,
# build/ci/src/cli/perfledger), then checks the dashboard's API types against the new files.
# Review what changed before committing it:  git diff tests/golden/expected
# Usage: scripts/update-golden.sh [PERFLEDGER_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
pl=${1:-build/ci/src/cli/perfledger}
if [ ! -x "$pl" ]; then
  echo "error: no perfledger binary at $pl (build one: cmake --preset ci && cmake --build --preset ci)" >&2
  exit 2
fi
tests/golden/golden_test.sh "$pl" "$PWD" --update
rc=0
tests/golden/ts_types_test.sh "$PWD" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 77 ] || exit "$rc"
git status --short -- tests/golden/expected
