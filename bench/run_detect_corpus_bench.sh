#!/usr/bin/env bash
# Change point detection on the corpus of issue 17 (release build), in one run:
#  - the figures of tests/accuracy on a larger generated corpus (every family at 100, 1,000
#    and 10,000 points: steps, drifts, seasons, AR(1), variance changes, bimodal noise,
#    outliers, spikes, combinations);
#  - speed on series of 100,000 points (target: under 50 ms);
#  - asv's step detection (bench/asv_step_detect_reference.py, a reimplementation: asv is not
#    installable here) on the same series: accuracy, and on the annotated real histories;
#  - the whole-process time of `perfledger detect` on a store holding one series of 10,000
#    points against the asv reference on the same series, both timed by hyperfine.
# Usage: bench/run_detect_corpus_bench.sh [benchmark flags]
# PERFLEDGER_BUILD_DIR=dir builds there instead of the preset's build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
bench_build detect_corpus_bench perfledger
# Absolute paths: the whole-process runs happen in $tmp.
build=$(cd "$build" && pwd)
root=$PWD
tmp=$(mktemp -d /tmp/detect-corpus-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bench="$build/bench/detect_corpus_bench"
perfledger="$build/src/cli/perfledger"

# asv on the series it is measured on (pure Python: about a minute).
"$bench" --write-asv-corpus="$tmp/asv_in.json"
/usr/bin/python3 bench/asv_step_detect_reference.py "$tmp/asv_in.json" "$tmp/asv_out.json"
"$bench" --asv-results="$tmp/asv_out.json" --benchmark_counters_tabular=true \
  --benchmark_out="$tmp/bench.json" --benchmark_out_format=json "$@" >/dev/null

# Whole process: one series of 10,000 points (3 steps, outliers) in a store, then
# `perfledger detect` and the asv reference on the same values.
truth=$("$bench" --write-values="$tmp/values.txt")
/usr/bin/python3 - "$tmp/values.txt" "$tmp/data.js" <<'PY'
import datetime, hashlib, json, sys
values = [float(l) for l in open(sys.argv[1]) if l.strip()]
entries = []
for i, v in enumerate(values):  # a commit every 10 minutes, oldest first
    sha = hashlib.sha1(f"corpus-{i}".encode()).hexdigest()
    when = datetime.datetime.fromtimestamp(1_600_000_000 + 600 * i, datetime.timezone.utc)
    entries.append({"commit": {"id": sha, "message": f"commit {i}", "url": "",
                               "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
                    "date": int(when.timestamp() * 1000), "tool": "customSmallerIsBetter",
                    "benches": [{"name": "corpus/steps", "value": v, "unit": "ms"}]})
doc = {"lastUpdate": 0, "repoUrl": "https://example.com/corpus", "entries": {"corpus": entries}}
open(sys.argv[2], "w").write("window.BENCHMARK_DATA = " + json.dumps(doc) + "\n")
PY
"$perfledger" import --from github-action-benchmark --platform x86-64-linux --project corpus \
  --out "$tmp/imported" "$tmp/data.js" >/dev/null
"$perfledger" ingest --db "$tmp/store.db" "$tmp/imported" >/dev/null
ours_answer=$(cd "$tmp" && "$perfledger" detect --db "$tmp/store.db" --format json || true)
asv_answer=$(/usr/bin/python3 bench/asv_step_detect_reference.py --values "$tmp/values.txt")
(cd "$tmp" && hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$tmp/hyperfine.json" \
  --ignore-failure \
  "$perfledger detect --db $tmp/store.db --format json" \
  "/usr/bin/python3 $root/bench/asv_step_detect_reference.py --values $tmp/values.txt" \
  >/dev/null)

/usr/bin/python3 - "$tmp/bench.json" "$tmp/hyperfine.json" "$truth" "$ours_answer" "$asv_answer" <<'PY'
import json, sys
runs = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
def ms(b):
    return b["real_time"] * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
groups = ["no change", "steps >= 3x noise", "steps + season/AR(1)", "pure drift",
          "drift + season/step", "noise change"]
def figures(c, p):
    out = [f"{c[p + 'series']:.0f} series", f"cover {c[p + 'cover']:.3f}", f"F1 {c[p + 'f1']:.3f}"]
    if c[p + "step_truths"]:
        out.append(f"steps R {c[p + 'step_recall']:.3f} P {c[p + 'step_precision']:.3f}")
    elif c[p + "step_detections"]:
        out.append(f"{c[p + 'step_detections']:.0f} false steps")
    if c[p + "drift_truths"]:
        out.append(f"drifts as one {c[p + 'drift_recall']:.3f} (P {c[p + 'drift_precision']:.3f})")
    if c[p + "noise_truths"]:
        out.append(f"noise changes R {c[p + 'noise_recall']:.3f} P {c[p + 'noise_precision']:.3f}")
    if c[p + "nochange_series"]:
        out.append(f"alerting {100 * c[p + 'nochange_alert_rate']:.1f}% (issue: <= 1%)")
    if c[p + "puredrift_series"]:
        out.append(f"{c[p + 'puredrift_changes']:.2f} changes per series (issue: <= 1)")
    return ", ".join(out)
print()
corpus = runs.get("BM_Corpus/iterations:1")
if corpus:
    print("DetectChanges on the corpus (every family at 100, 1,000 and 10,000 points, 20 each; "
          f"{corpus['us_per_1000_points']:.0f} us per 1,000 points):")
    for g, name in enumerate(groups):
        print(f"  {name:22s} {figures(corpus, f'g{g}_')}")
for name in ("steps", "drift", "season_trend_ar1"):
    b = runs.get(f"BM_Detect100k/{name}")
    if b:
        t = ms(b)
        print(f"100,000 points, {name}: {t:.1f} ms (target 50 ms: {'ok' if t < 50 else 'TOO SLOW'}),"
              f" {b['changes']:.0f} changes for {b['truths']:.0f} true")
asv = runs.get("BM_AsvCorpus/iterations:1")
if asv:
    print("asv's step detection (reimplemented) and DetectChanges on the same series "
          "(every family at 100 and 500 points, 6 each):")
    print(f"  DetectChanges {figures(asv, 'ours_')}; {asv['ours_seconds']:.3f} s")
    print(f"  asv           {figures(asv, 'asv_')}; {asv['asv_seconds']:.1f} s")
    if asv.get("ours_real_series"):
        print("  real histories (tests/data/histories, our annotation):")
        print(f"    DetectChanges {figures(asv, 'ours_real_')}")
        print(f"    asv           {figures(asv, 'asv_real_')}")
hf = json.load(open(sys.argv[2]))["results"]
print(f"whole process, one series of 10,000 points ({sys.argv[3]}), hyperfine:")
for r, who in zip(hf, ("perfledger detect", "asv reference")):
    print(f"  {who:18s} {r['mean']:.3f} s ± {r['stddev']:.3f} (median {r['median']:.3f} s)")
print(f"  ratio: {hf[1]['mean'] / hf[0]['mean']:.0f}x")
try:
    import hashlib
    ours = json.loads(sys.argv[4])
    # The commits were named sha1("corpus-<index>") above: each change's first commit after it,
    # as an index, to set beside the truth.
    index_of = {hashlib.sha1(f"corpus-{i}".encode()).hexdigest(): i for i in range(100_000)}
    print("  perfledger detect found (kind, index, change):",
          [(c.get("kind"), index_of.get(c.get("commit_range", {}).get("to")), round(c["change"], 3))
           for c in ours.get("changes", [])])
except (ValueError, KeyError):
    print("  perfledger detect output:", sys.argv[4][:300])
print("  asv reference found (indexes):", json.loads(sys.argv[5])["changes"])
PY
