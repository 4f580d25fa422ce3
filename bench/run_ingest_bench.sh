#!/usr/bin/env bash
# Builds the release preset and runs the ingest benchmark; prints the ratios of the end-to-end
# ingest rate to both plain-SQLite references, measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target ingest_bench >/dev/null
out=$(mktemp /tmp/ingest-bench-XXXXXX.json)
build/release/bench/ingest_bench --benchmark_counters_tabular=true \
  --benchmark_out="$out" --benchmark_out_format=json "$@"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
runs = {b["name"].split("/")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
e2e = runs["BM_IngestEndToEnd"]["items_per_second"]
for ref in ("BM_PlainSqliteInsertRows", "BM_PlainSqliteInsertBlobs"):
    r = runs[ref]["items_per_second"]
    print(f"end-to-end ingest / {ref}: {e2e / 1e6:.2f} M / {r / 1e6:.2f} M samples/s = {e2e / r:.2f}x")
for name, b in runs.items():
    print(f"{name}: {b['bytes_per_M_samples'] / 1e6:.2f} MB per million samples")
PY
rm -f "$out"
