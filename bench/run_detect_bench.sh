#!/usr/bin/env bash
# Change point detection speed (release build), measured in one run: one series of 100,000
# points and 1,000 series of 1,000 points against their limits (1 s, 2 s), and E-divisive means
# with a permutation test (the reference) on the same series of 1,000 and 2,000 points: the ratio
# of times, whether both find the same change points, and both methods' accuracy.
# Usage: bench/run_detect_bench.sh [benchmark flags]
# PERFLEDGER_BUILD_DIR=dir builds there instead of the preset's build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
bench_build detect_bench
out=$(mktemp /tmp/detect-bench-XXXXXX.json)
trap 'rm -f "$out"' EXIT
"$build/bench/detect_bench" --benchmark_counters_tabular=true \
  --benchmark_out="$out" --benchmark_out_format=json "$@"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
runs = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
def ms(b):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
    return b["real_time"] * scale
print()
one = runs.get("BM_Detect100k")
if one:
    t = ms(one)
    print(f"one series of 100,000 points: {t:.1f} ms (limit 1000 ms: {'ok' if t < 1000 else 'TOO SLOW'}), "
          f"{one['changes']:.0f} changes found, recall {one['recall']:.3f}")
batch = runs.get("BM_Detect1000x1000")
if batch:
    t = ms(batch)
    print(f"1,000 series x 1,000 points: {t:.1f} ms (limit 2000 ms: {'ok' if t < 2000 else 'TOO SLOW'})")
def find(prefix):
    return next((b for name, b in runs.items() if name.startswith(prefix)), None)
for n in (1000, 2000):
    ours, edm = find(f"BM_DetectCompare/{n}/"), find(f"BM_EDivisiveCompare/{n}/")
    if not (ours and edm):
        continue
    per_ours = ms(ours) / edm["series"]
    per_edm = ms(edm) / edm["series"]
    print(f"E-divisive / DetectChanges at {n} points: {per_edm:.1f} ms / {per_ours:.3f} ms per series"
          f" = {per_edm / per_ours:.0f}x")
    print(f"  same change points (within 2 points) on {edm['same_series']:.0f} of {edm['series']:.0f} series;"
          f" {edm['agreeing']:.0f} agreeing of {edm['ours_found']:.0f} (ours) and {edm['edm_found']:.0f} (E-divisive);"
          f" true steps found: ours {edm['ours_true']:.0f}, E-divisive {edm['edm_true']:.0f} of {edm['truths']:.0f}")
acc = runs.get("BM_AccuracyVsEDivisive200/iterations:1")
if acc:
    print("accuracy at 200 points (500 series with 1-3 steps, 500 without; within 2 points):")
    for who, name in (("ours", "DetectChanges"), ("edm", "E-divisive")):
        print(f"  {name:13s} recall {acc[who + '_recall']:.3f}  precision {acc[who + '_precision']:.3f}"
              f"  false alarms {acc[who + '_false_alarms']:.3f}  {acc[who + '_us_per_series']:.0f} us per series")
    print(f"  ratio of times: {acc['edm_us_per_series'] / acc['ours_us_per_series']:.0f}x")
PY
