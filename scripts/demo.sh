#!/usr/bin/env bash
# perfledger's main job, end to end on this machine, with the embedded SQLite store and no
# service to install by hand:
#   1. builds perfledger (release preset), installing missing Debian packages first;
#   2. creates demo/repo, a real git repository: a small C++ library ("ledger": CSV parsing,
#      sorting, an account index, word splitting, a checksum), a Google Benchmark suite over
#      it (5 benchmarks), a Makefile and a suite file (perfledger.toml), and 20 commits over a
#      day and a half, several within the same 15-minute window. One commit in the middle
#      makes one benchmark much slower: the account index drops its hash map for a linear
#      scan; one on the second day makes it about 5x faster again (a binary search). The
#      others change nothing measurable. The files and the commits are those of
#      scripts/demo/ (README.md there);
#   3. replays that history as CI would: on every push, `perfledger plan --record` (the real
#      planner: the newest commit of each closed 15-minute window, the rest logged as skips)
#      for two platforms that differ for real, gcc -O2 and gcc -O0 (each with its own epoch in
#      the suite file); each planned job checks out its commit in that platform's own
#      checkout and runs `perfledger run --suite` (the setup step builds the benchmark with
#      the platform's flags), the two platforms in parallel; `perfledger ingest` collects
#      each round's artifacts in one transaction;
#   4. `perfledger detect --record` finds the regression on both platforms and keeps it as
#      alerts; `perfledger plan` then plans bisect jobs inside its commit range; they run,
#      are ingested, and detect narrows the alerts, round after round, until each range is
#      one commit (the culprit);
#   5. prints the alerts, coverage, gaps, epochs, the headline index and a simulated busy
#      day, then starts `perfledger serve` and prints the dashboard's URL.
#
# Environment:
#   PERFLEDGER_DEMO_DIR=DIR     where everything goes (default: demo/ in this checkout; it is
#                               deleted and re-created on every run)
#   PERFLEDGER_BIN=PATH         use this perfledger binary instead of building one
#   PERFLEDGER_DEMO_PORT=N      the dashboard's port (default 8080)
#   PERFLEDGER_DEMO_NO_SERVE=1  stop before starting the server (tests, CI)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ -n "${PERFLEDGER_BIN:-}" ]; then
  pl=$(realpath "$PERFLEDGER_BIN")
else
  scripts/setup-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target perfledger
  pl="$root/build/release/src/cli/perfledger"
fi
for tool in git g++ make jq; do
  command -v "$tool" >/dev/null || { echo "error: the demo needs $tool" >&2; exit 1; }
done
if [ ! -f /usr/include/benchmark/benchmark.h ]; then
  echo "error: the demo needs Google Benchmark (Debian: libbenchmark-dev)" >&2
  exit 1
fi
port=${PERFLEDGER_DEMO_PORT:-8080}

demo=$(realpath -m "${PERFLEDGER_DEMO_DIR:-$root/demo}")
rm -rf "$demo"
mkdir -p "$demo"
repo="$demo/repo" runners="$demo/runners" artifacts="$demo/artifacts" logs="$demo/logs"
mkdir -p "$repo" "$runners" "$artifacts" "$logs"
export PERFLEDGER_DB="$demo/perfledger.db"
started=$SECONDS

arch=$(uname -m | tr _ -)
platforms=("$arch-linux-gcc-O2" "$arch-linux-gcc-O0")

# --- The project: a small C++ library with a Google Benchmark suite. ---------------------------
# Its files and its history are in scripts/demo/ (README.md there): project/ is commit 1,
# commits.txt gives every commit's time and subject, history/NN-*.patch makes commit N.
sources="$root/scripts/demo"
cd "$repo"
git init -q -b trunk
git config user.name "Demo Developer"
git config user.email "dev@example.com"

# Makes commit N's change in the demo repository (the current directory).
change() {  # n
  local p patches
  if [ "$1" = 1 ]; then
    cp -R "$sources/project/." .
    # The suite's platforms, and the epoch each one's runs share. The two build with different
    # optimisation flags (the platform's env reaches the setup step), so they are two
    # environments with their own baselines.
    for p in "${platforms[@]}"; do
      printf '\n[platform.%s]\nepoch = 1\nenvironment = "any"\nenv = { CXXFLAGS = "-%s" }\n' \
        "$p" "${p##*-}" >> perfledger.toml
    done
    return
  fi
  patches=("$sources/history/$(printf %02d "$1")"-*.patch)
  if [ "${#patches[@]}" != 1 ] || [ ! -f "${patches[0]}" ]; then
    echo "error: scripts/demo/history/ should hold one patch for commit $1" >&2
    exit 1
  fi
  git apply "${patches[0]}"
}

# The history: time, then subject.
day1=$(date -u -d '2 days ago' +%F)
day2=$(date -u -d yesterday +%F)
history=()
while read -r day time subject; do
  case $day in
    1) history+=("$day1 $time|$subject") ;;
    2) history+=("$day2 $time|$subject") ;;
  esac
done < "$sources/commits.txt"
regression_commit=10  # history/10-*.patch: the one that really makes BM_IndexLookup slower

# Runs one job: checks out the commit in the platform's own checkout (a git worktree, as a CI
# runner has its own clone) and runs the suite there. Prints one line.
run_job() {  # platform sha reason range_from range_count out_dir
  local platform=$1 sha=$2 reason=$3 from=$4 count=$5 out=$6
  local checkout="$runners/$platform" log="$logs/${sha:0:12}-$platform.log"
  git -C "$checkout" checkout -q --detach "$sha"
  local range=(--range-count "$count")
  [ "$from" != "null" ] && range+=(--range-from "$from")
  local t0 t1
  t0=$(date +%s.%N)
  if ! (cd "$checkout" && "$pl" run --suite perfledger.toml --project ledger --platform "$platform" \
          --reason "$reason" "${range[@]}" --out "$out") > "$log" 2>&1; then
    echo "error: the suite failed on $platform at ${sha:0:12}; its output ($log):" >&2
    cat "$log" >&2
    return 1
  fi
  t1=$(date +%s.%N)
  local lookup
  lookup=$(sed -n 's/^micro\/BM_IndexLookup: .*median \([0-9.]* [a-z]*\),.*/\1/p' "$log")
  printf '    %-22s %s  %-8s stands for %2d commit%s  BM_IndexLookup %10s  (%.1f s)\n' \
    "$platform" "${sha:0:12}" "$reason" "$count" "$([ "$count" = 1 ] && echo " " || echo s)" \
    "$lookup" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

# Runs the jobs of a plan (a `plan --format json` file): each platform's jobs in order, the
# platforms in parallel; then collects their artifacts in one transaction. Prints what ran.
run_plan() {  # plan.json round_name
  local plan=$1 out="$artifacts/$2" pids=() p
  mkdir -p "$out"
  for p in "${platforms[@]}"; do
    jq -r --arg p "$p" '.matrix.include[] | select(.platform == $p)
        | [.sha, .reason, (.commit_range_from // "null"), .commit_range_count] | @tsv' "$plan" \
      > "$out/jobs-$p.tsv"
    (
      while IFS=$'\t' read -r sha reason from count; do
        run_job "$p" "$sha" "$reason" "$from" "$count" "$out"
      done < "$out/jobs-$p.tsv"
    ) > "$out/log-$p.txt" &
    pids+=($!)
  done
  local failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  for p in "${platforms[@]}"; do cat "$out/log-$p.txt"; done
  [ "$failed" = 0 ] || exit 1
  "$pl" ingest --suite "$repo/perfledger.toml" "$out" | sed 's/^/    ingest: /'
}

plan() {  # now, then extra flags; writes the plan's JSON to stdout
  "$pl" plan --repo "$repo" --branch trunk "${platforms[@]/#/--platform=}" --now "$1" --record \
    --format json "${@:2}"
}

# --- Replay the history as CI would: every push plans, runs and collects. ----------------------
echo
echo "== A day and a half of pushes to demo/repo (branch trunk), replayed as CI sees them"
echo "   On every push: perfledger plan --record (15-minute windows) for ${platforms[*]},"
echo "   perfledger run --suite for each planned job (platforms in parallel), perfledger ingest."
git_time() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
round=0
replay_tick() {  # now: plan as of this time, run what it plans
  local now=$1 planfile="$demo/plan-$round.json"
  plan "$now" > "$planfile"
  local jobs skips
  jobs=$(jq '.jobs | length' "$planfile")
  skips=$(jq '.skips | length' "$planfile")
  if [ "$jobs" -gt 0 ]; then
    jq -r '.jobs[] | "    plan: \(.sha[0:12]) \(.reason): \(.reason_detail)"' "$planfile"
    if [ "$skips" -gt 0 ]; then
      jq -r '.skips[] | "    skip: \(.sha[0:12]) on \(.platforms | join(", ")): \(.reason),"
                       + " superseded by \(.superseded_by[0:12])"' "$planfile"
    fi
    run_plan "$planfile" "round-$round"
  fi
  round=$((round + 1))
}
cd "$repo"
for i in "${!history[@]}"; do
  n=$((i + 1))
  when=${history[$i]%%|*} subject=${history[$i]#*|}
  change "$n"
  git add -A
  GIT_AUTHOR_DATE="${when/ /T}Z" GIT_COMMITTER_DATE="${when/ /T}Z" git commit -q -m "$subject"
  [ "$n" = "$regression_commit" ] && culprit=$(git rev-parse HEAD)
  if [ "$n" = 1 ]; then
    for p in "${platforms[@]}"; do git worktree add -q --detach "$runners/$p" HEAD; done
  fi
  printf '%s  %s  %s\n' "${when#* }" "$(git rev-parse --short=12 HEAD)" "$subject"
  replay_tick "$(git_time "$when")"
done
end=$(git_time "@$(($(git log -1 --format=%ct) + 20 * 60))")
echo "$(date -u -d "$end" +%H:%M:%S)  (no push: the last window has closed)"
replay_tick "$end"
cd "$root"

echo
echo "== perfledger runs"
"$pl" runs
echo
echo "== perfledger epochs (one per platform: its runs share the suite revision, flags, sampling)"
"$pl" epochs

# --- Detect, then bisect until every regression is one commit. ---------------------------------
# Detection looks at CPU time, and at changes of at least 20%: on a machine shared with other
# work (this demo's is), wall time includes waiting for a CPU, and other processes' use of the
# caches moves CPU time by up to ~10% for minutes at a time. Those are real changes of the
# environment, not of the code; on a dedicated runner the defaults (every metric, the series'
# own noise, at least 1%) apply.
detect() {
  "$pl" detect --repo "$repo" --branch trunk --metric cpu_time --min-effect 20% --record \
    --now "$end"
}
echo
echo "== perfledger detect --record --metric cpu_time --min-effect 20% (exit 3: a regression)"
detect || [ $? -eq 3 ]
for bisect_round in 1 2 3 4 5; do
  planfile="$demo/plan-bisect-$bisect_round.json"
  plan "$end" > "$planfile"
  if [ "$(jq '.jobs | length' "$planfile")" = 0 ]; then break; fi
  echo
  echo "== bisection, round $bisect_round: perfledger plan, run its bisect jobs, ingest, detect --record"
  jq -r '.jobs[] | "    plan: \(.sha[0:12]) \(.reason) on \(.platforms | join(", ")): \(.reason_detail)"' \
    "$planfile"
  run_plan "$planfile" "bisect-$bisect_round"
  detect | sed 's/^/    /' || [ $? -eq 3 ]
done
echo
echo "== perfledger plan: what is left to bisect"
jq -r '.unplanned_bisect[] | "    \(.platform): \(.detail)"' "$planfile"
found=$(jq -r '[.unplanned_bisect[] | select(.status == "converged") | .sha] | unique | join(" ")' \
  "$planfile")
subject=$(git -C "$repo" show -s --format=%s "$culprit")
if [[ " $found " == *" $culprit "* ]]; then
  echo "   Bisection found the commit this demo made slower on purpose: ${culprit:0:12} \"$subject\""
  others=()
  for sha in $found; do [ "$sha" = "$culprit" ] || others+=("${sha:0:12}"); done
  if [ ${#others[@]} -gt 0 ]; then
    echo "   It also converged on ${others[*]}: most likely a step of this machine's noise"
  fi
else
  echo "   note: the commit made slower on purpose is ${culprit:0:12} \"$subject\"; bisection" \
    "converged on: ${found:-nothing}"
fi

echo
echo "== perfledger alerts (grouped by commit range)"
"$pl" alerts
echo
echo "== perfledger coverage (every commit of trunk: measured, represented by a run's range, skipped)"
"$pl" coverage --repo "$repo" --branch trunk
echo
echo "== perfledger gaps (the stall gate: exit 3 when a platform falls behind)"
"$pl" gaps --repo "$repo" --branch trunk --now "$end"
echo
echo "== perfledger index (the suite's geometric mean against the epoch's first complete run)"
"$pl" index --metric cpu_time
echo
echo "== perfledger simulate: 60 commits/hour, 3 platforms, 90 s jobs, one day"
echo "-- every commit, platforms in sequence, no degradation: the queue never drains"
"$pl" simulate --rate 60/h --duration 24h --platforms 3 --bench-time 90s --execution sequential \
  --sampling every-commit --degrade-widen-above 0 --degrade-reset-above 0
echo "-- 15-minute windows, platforms in parallel (the default policy): bounded"
"$pl" simulate --rate 60/h --duration 24h --platforms 3 --bench-time 90s --execution parallel

"$pl" export --history "$demo/history" >/dev/null
echo
echo "Demo finished in $((SECONDS - started)) s."
echo "Store: $PERFLEDGER_DB   artifacts: $artifacts/   history files: $demo/history/"
echo "Try:   PERFLEDGER_DB=$PERFLEDGER_DB $pl alerts --format json"
if [ "${PERFLEDGER_DEMO_NO_SERVE:-}" = 1 ]; then
  exit 0
fi
echo
echo "Dashboard: http://127.0.0.1:$port/"
echo "  the regression and its commit: http://127.0.0.1:$port/#/alerts"
echo "  coverage and the skip log:     http://127.0.0.1:$port/#/coverage"
echo "  (Ctrl-C stops the server)"
exec "$pl" serve --bind 127.0.0.1 --port "$port"
