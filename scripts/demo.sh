#!/usr/bin/env bash
# perfledger's main job, end to end on this machine with the embedded SQLite store:
#   1. builds perfledger (release preset), installing missing Debian packages first;
#   2. creates a real git repository (demo/repo) with a small C++ program and six commits at
#      realistic times, one of which makes the program slower;
#   3. at every commit, runs the repository's suite file (perfledger.toml) with
#      `perfledger run --suite`: builds the program once (setup), times it (1 warm-up, 5 runs:
#      wall, CPU time, peak RSS) and writes one artifact carrying the suite revision and epoch;
#   4. collects them all with `perfledger ingest --suite` in one transaction (runs that do not
#      match their epoch are refused), lists the runs and epochs, and writes the per-platform
#      history files;
#   5. looks for change points (`detect --record`), lists the alerts and the headline index,
#      reports coverage and gaps, plans, and simulates a day of pushes.
# Everything lands under demo/ (re-created on every run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target perfledger
pl="$root/build/release/src/cli/perfledger"

demo="$root/demo"
rm -rf "$demo"
mkdir -p "$demo/repo" "$demo/artifacts"
export PERFLEDGER_DB="$demo/perfledger.db"
platform="$(uname -m | tr _ -)-$(uname -s | tr '[:upper:]' '[:lower:]')"

# --- A small real project: count word frequencies in a text. ---------------------------------
cd "$demo/repo"
git init -q -b trunk
git config user.name "Demo Developer"
git config user.email "dev@example.com"
awk 'BEGIN { srand(7); for (i = 0; i < 300000; i++) printf "w%d%s", int(rand() * rand() * 3000), (i % 12 == 11 ? "\n" : " ") }' \
  > words.txt

write_program() {  # $1: the container the program counts with
  cat > wordfreq.cc <<CPP
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

int main(int argc, char** argv) {
  std::ifstream in(argc > 1 ? argv[1] : "words.txt");
  $1
  std::cout << "distinct words: " << distinct << "\n";
}
CPP
}

hash_map='std::unordered_map<std::string, int> counts;
  for (std::string w; in >> w;) ++counts[w];
  size_t distinct = counts.size();'
tree_map='std::map<std::string, int> counts;
  for (std::string w; in >> w;) ++counts[w];
  size_t distinct = counts.size();'
linear='std::vector<std::pair<std::string, int>> counts;  // "simpler", and slow
  for (std::string w; in >> w;) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](auto& p) { return p.first == w; });
    if (it == counts.end()) counts.emplace_back(w, 1); else ++it->second;
  }
  size_t distinct = counts.size();'

cat > perfledger.toml <<TOML
# The suite: what is benchmarked (revision 1) and, per platform, the epoch its runs share.
[suite]
name = "wordfreq"
revision = 1
warmup = 1
runs = 5

[[benchmark]]
name = "wordfreq/count"
setup = ["g++", "-O2", "-std=c++17", "-o", "wordfreq", "wordfreq.cc"]
command = ["./wordfreq", "words.txt"]

[platform.$platform]
epoch = 1
environment = "any"
TOML
printf 'wordfreq\n' > .gitignore

day=$(date -u -d yesterday +%Y-%m-%d)
commit() {  # $1: time of day, $2: subject
  git add -A
  GIT_AUTHOR_DATE="${day}T$1:00Z" GIT_COMMITTER_DATE="${day}T$1:00Z" git commit -q -m "$2"
}
write_program "$tree_map";  commit 09:02 "Count words with std::map"
echo "# wordfreq" > README.md; commit 09:14 "Add a README"
write_program "$hash_map";  commit 09:31 "Use unordered_map for counting"
echo "Counts words." >> README.md; commit 09:47 "Describe the program"
write_program "$linear";    commit 10:05 "Simplify counting with a vector"
echo "Usage: wordfreq FILE" >> README.md; commit 10:12 "Document usage"

# --- Run the suite at every commit: one artifact each. ----------------------------------------
echo
echo "== perfledger run --suite perfledger.toml at each of $(git rev-list --count HEAD) commits on $platform"
previous=""
for sha in $(git rev-list --reverse trunk); do
  git checkout -q "$sha"
  range=(); [ -n "$previous" ] && range=(--range-from "$previous")
  summary=$("$pl" run --suite perfledger.toml --project wordfreq --platform "$platform" \
    --reason push "${range[@]}" --out "$demo/artifacts" 2>&1 | grep '^wordfreq/count:')
  printf '  %s  %-34s %s\n' "${sha:0:12}" "$(git show -s --format=%s "$sha")" \
    "${summary#wordfreq/count: }"
  previous=$sha
done
git checkout -q trunk
cd "$root"

# --- Collect atomically, list, and write the history a perf branch would hold. ----------------
echo
echo "== perfledger ingest"
"$pl" ingest --suite "$demo/repo/perfledger.toml" "$demo/artifacts" --history "$demo/history"
echo
echo "== perfledger runs"
"$pl" runs
echo
echo "== perfledger epochs"
"$pl" epochs
echo
echo "== perfledger coverage (every commit of trunk was measured)"
"$pl" coverage --repo "$demo/repo" --branch trunk
echo
echo "== perfledger gaps (the stall gate: exit 3 when a platform falls behind)"
"$pl" gaps --repo "$demo/repo" --branch trunk
echo
echo "== perfledger detect --record (change points per series; exit 3 means a regression)"
# Six commits are few: --min-segment 2 lets a change with two measured commits on a side count.
"$pl" detect --repo "$demo/repo" --branch trunk --min-segment 2 --record || [ $? -eq 3 ]
echo
echo "== perfledger alerts (grouped by commit range)"
"$pl" alerts
echo
echo "== perfledger index (the suite's geometric mean against the epoch's first complete run)"
"$pl" index --metric wall_time
echo
echo "== perfledger plan (a new platform gets one baseline job; $platform has nothing new)"
"$pl" plan --repo "$demo/repo" --branch trunk --platform "$platform" --platform arm64-darwin
echo
echo "== perfledger simulate: 60 commits/hour, 3 platforms, 90 s jobs, one day"
echo "-- every commit, platforms in sequence, no degradation: the queue never drains"
"$pl" simulate --rate 60/h --duration 24h --platforms 3 --bench-time 90s --execution sequential \
  --sampling every-commit --degrade-widen-above 0 --degrade-reset-above 0
echo "-- 15-minute windows, platforms in parallel (the default policy): bounded"
"$pl" simulate --rate 60/h --duration 24h --platforms 3 --bench-time 90s --execution parallel
echo
echo "Store: $PERFLEDGER_DB    history files: $demo/history/    artifacts: $demo/artifacts/"
echo "Try:   PERFLEDGER_DB=$PERFLEDGER_DB $pl export | head -1"
