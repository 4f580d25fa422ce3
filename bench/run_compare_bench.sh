#!/usr/bin/env bash
# Compare accuracy and speed (release build), fixed seeds: the issue's figures (A/A: at most 5%
# of runs of 100 benchmarks x 10 samples report any regression; a 10% regression at 2% noise
# with 10 samples a side found in at least 99% of trials), the same at other effect sizes,
# noise levels and tails, with the minimum effect from the runs' own spread and from history;
# short histories (issue 17: 0, 2, 3, 5, 8, 30 stored runs, a 10% regression at 2% noise found
# in at least 95% of trials and A/A runs reporting one in at most 5%); and the time of
# CompareRuns on 1,000 benchmarks x 30 samples.
# Only the short-history table: bench/run_compare_bench.sh --benchmark_filter=Short/
# Usage: bench/run_compare_bench.sh [benchmark flags, e.g. --benchmark_filter=AA/]
# PERFLEDGER_BUILD_DIR=dir builds there instead of the preset's build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
bench_build compare_bench
out=$(mktemp /tmp/compare-bench-XXXXXX.json)
trap 'rm -f "$out"' EXIT
"$build/bench/compare_bench" --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null
/usr/bin/python3 - "$out" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
def ms(b):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
    return b["real_time"] * scale
def pct(v):
    return f"{100 * v:6.2f}%"
def setting(b):
    parts = b["name"].split("/")
    tail = next(p for p in parts if p in ("gaussian", "outliers", "spikes", "mixed"))
    drift = f" + {100 * b['drift']:.0f}% drift" if b["drift"] > 0 else ""
    return f"{tail:8s} {100 * b['sigma']:.0f}%{drift:11s} n={b['samples']:<2.0f} " \
           f"{'history' if b['history'] else 'within-run':10s}"
aa = [b for b in runs if b["name"].startswith("AA/")]
det = [b for b in runs if b["name"].startswith("Detect/")]
if aa:
    print("A/A: both runs from one distribution, 100 benchmarks a run, "
          f"{aa[0]['trials']:.0f} trials (compares) each")
    print(f"  {'noise':40s} {'runs with any regression':>24s} {'per benchmark':>14s} {'mean min effect':>16s}")
    for b in aa:
        print(f"  {setting(b):40s} {pct(b['any_false_rate']):>24s} {pct(b['false_rate']):>14s}"
              f" {pct(b['mean_min_effect']):>16s}")
    print("  (issue: at most 5% of runs report any regression)")
if det:
    print()
    print("Detection: one benchmark of 100 slower on the head side, "
          f"{det[0]['trials']:.0f} trials each")
    print(f"  {'effect':6s} {'noise':40s} {'found':>8s} {'runs with a false one':>22s} {'mean min effect':>16s}")
    for b in det:
        print(f"  {100 * b['effect']:5.0f}% {setting(b):40s} {pct(b['detection_rate']):>8s}"
              f" {pct(b['any_false_rate']):>22s} {pct(b['mean_min_effect']):>16s}")
    print("  (issue: a 10% regression at 2% noise, 10 samples a side, found in at least 99%)")
short = [b for b in runs if b["name"].startswith("Short/")]
if short:
    print()
    print("Short histories: a 10% regression at 2% noise, 10 samples a side; each series with")
    print("that many stored runs of the same model (RunToRunNoise of their medians, as check loads")
    print("them); 'found': trials where it is a regression; 'A/A': trials with no change where any")
    print("benchmark reports one; 'min effect': the mean minimum effect of the rows")
    settings = {
        "suite:100": "100 benchmarks, 2% noise",
        "suite:1": "1 benchmark, 2% noise",
        "suite:100/mixed": "100 benchmarks, noise 0.5-8% (0: 2%)",
        "suite:100/drift:1pc": "100 benchmarks, 1% noise + 1% run drift",
    }
    print(f"  {'suite':40s} {'stored runs':>11s} {'found':>8s} {'A/A':>8s} {'min effect':>11s} {'trials':>7s}")
    by = {}
    for b in short:
        parts = [p for p in b["name"].split("/") if not p.startswith("iterations:")]
        _, kind, *setting, runs_part = parts
        by[("/".join(setting), int(runs_part.split(":")[1]), kind)] = b
    for setting, label in settings.items():
        for n in sorted({k[1] for k in by if k[0] == setting}):
            d, a = by.get((setting, n, "detect")), by.get((setting, n, "AA"))
            if not d or not a:
                continue
            print(f"  {label:40s} {n:>11d} {pct(d['detection_rate']):>8s} {pct(a['any_false_rate']):>8s}"
                  f" {pct(d['mean_min_effect']):>11s} {d['trials']:>7.0f}")
    print("  (issue 17: at every history length, found in at least 95%, A/A at most 5%)")
speed = next((b for b in runs if b["name"].startswith("BM_Compare1000x30")), None)
if speed:
    print()
    print(f"CompareRuns, 1,000 benchmarks x 30 samples a side: {ms(speed):.1f} ms"
          f" ({1000 * ms(speed) / 1000:.0f} us per benchmark), {speed['regressions']:.0f} regressions"
          " found of 100 true 10% ones")
PY
