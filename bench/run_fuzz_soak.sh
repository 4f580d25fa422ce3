#!/usr/bin/env bash
# A longer fuzzing run than CI's 30 s per target: scripts/fuzz.sh with SECONDS_PER_TARGET
# (default 600, ten minutes; six targets two at a time take about half an hour), keeping the
# corpora it grows under build/fuzz/corpus/ so the next soak starts where this one stopped.
# A crash is reported as scripts/fuzz.sh reports it; README.md "Fuzzing" says what to do next.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
PERFLEDGER_FUZZ_KEEP_CORPUS=1 exec scripts/fuzz.sh "${1:-600}"
