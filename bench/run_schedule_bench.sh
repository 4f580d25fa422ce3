#!/usr/bin/env bash
# Scheduler performance, measured in one run (release build):
#  - `perfledger plan` end to end on a 100,000-commit repository, against
#    `git log --first-parent` reading the same history (hyperfine);
#  - `perfledger simulate` over one year at 60 commits/hour on 3 platforms (hyperfine), and
#    the simulator's speed in simulated commits per second;
#  - the planner and the libgit2 commit source alone (Google Benchmark).
# Usage: bench/run_schedule_bench.sh [WORKDIR]   (default: a fresh temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target perfledger schedule_bench >/dev/null
bin=$root/build/release/src/cli/perfledger
work=${1:-$(mktemp -d /tmp/perfledger-schedule-bench-XXXXXX)}
mkdir -p "$work"
repo=$work/history
if [ ! -d "$repo/.git" ] && [ ! -f "$repo/HEAD" ]; then
  rm -rf "$repo"
  secs=$(bench/make_history_repo.sh "$repo" 100000)
  echo "made a 100,000-commit repository with git fast-import in ${secs} s"
fi
db=$work/plan.db
rm -f "$db" "$db-wal" "$db-shm"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$bin" --db "$db" plan --repo "$repo" --platform linux --platform macos --platform windows \
  --now "$now" --record >/dev/null
echo
echo "== plan over 100,000 commits (store holds a recorded plan) vs git log --first-parent"
hyperfine --warmup 1 --runs 10 --style basic --export-json "$work/plan.json" \
  -n "perfledger plan" \
  "$bin --db $db plan --repo $repo --platform linux --platform macos --platform windows --now $now --format json" \
  -n "git log --first-parent" \
  "git -C $repo log --first-parent --format='%H %P %ct %s' main"
echo
echo "== one simulated year, 60 commits/hour, 3 platforms"
hyperfine --warmup 1 --runs 5 --style basic --export-json "$work/simulate.json" \
  -n "simulate parallel" "$bin simulate --rate 60/h --duration 365d --platforms 3 --bench-time 90s --execution parallel --format json" \
  -n "simulate sequential" "$bin simulate --rate 60/h --duration 365d --platforms 3 --bench-time 90s --execution sequential --format json"
commits=$("$bin" simulate --rate 60/h --duration 365d --platforms 3 --bench-time 90s --format json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["commits"])')
/usr/bin/python3 - "$work/plan.json" "$work/simulate.json" "$commits" <<'PY'
import json, sys
plan = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
sim = {r["command"]: r for r in json.load(open(sys.argv[2]))["results"]}
p, g = plan["perfledger plan"]["mean"], plan["git log --first-parent"]["mean"]
print(f"\nplan over 100,000 commits: {p*1000:.0f} ms; git log --first-parent: {g*1000:.0f} ms; ratio {p/g:.2f}x")
n = int(sys.argv[3])
for name, r in sim.items():
    print(f"{name}: {r['mean']*1000:.0f} ms for one year ({n} commits): {n / r['mean'] / 1e6:.2f} M simulated commits/s")
PY
echo
PERFLEDGER_BENCH_REPO=$repo build/release/bench/schedule_bench --benchmark_counters_tabular=true
[ $# -ge 1 ] || rm -rf "$work"
