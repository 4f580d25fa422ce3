#!/usr/bin/env bash
# perfledger's main job, end to end on this machine, with the embedded SQLite store and no
# service to install by hand:
#   1. builds perfledger (release preset), installing missing Debian packages first;
#   2. creates demo/repo, a real git repository: a small C++ library ("ledger": CSV parsing,
#      sorting, an account index, word splitting, a checksum), a Google Benchmark suite over
#      it (5 benchmarks), a Makefile and a suite file (perfledger.toml), and 20 commits over a
#      day and a half, several within the same 15-minute window. One commit in the middle
#      makes one benchmark much slower: the account index drops its hash map for a linear
#      scan. The others change nothing measurable;
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
cd "$repo"
git init -q -b trunk
git config user.name "Demo Developer"
git config user.email "dev@example.com"
mkdir -p src bench tests tools

cat > src/ledger.h <<'CPP'
// ledger: read, sort and summarise transaction records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ledger {

struct Record {
  std::string account;
  int64_t amount_cents = 0;
  int32_t day = 0;
};

// Parses "account,amount_cents,day" lines; malformed lines are skipped.
std::vector<Record> ParseCsv(std::string_view text);

void SortRecords(std::vector<Record>& records);

// Splits on spaces, dropping empty words.
std::vector<std::string_view> SplitWords(std::string_view text);

// 64-bit FNV-1a of the bytes.
uint64_t Checksum(std::string_view data);

}  // namespace ledger
CPP

cat > src/ledger.cc <<'CPP'
#include "ledger.h"

#include <algorithm>
#include <charconv>

namespace ledger {

std::vector<Record> ParseCsv(std::string_view text) {
  std::vector<Record> out;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const size_t a = line.find(',');
    if (a == std::string_view::npos) continue;
    const size_t b = line.find(',', a + 1);
    if (b == std::string_view::npos) continue;
    Record r;
    r.account = std::string(line.substr(0, a));
    const std::string_view amount = line.substr(a + 1, b - a - 1), day = line.substr(b + 1);
    if (std::from_chars(amount.data(), amount.data() + amount.size(), r.amount_cents).ec !=
        std::errc()) {
      continue;
    }
    if (std::from_chars(day.data(), day.data() + day.size(), r.day).ec != std::errc()) continue;
    out.push_back(std::move(r));
  }
  return out;
}

void SortRecords(std::vector<Record>& records) {
  std::sort(records.begin(), records.end(), [](const Record& x, const Record& y) {
    return x.account != y.account ? x.account < y.account : x.day < y.day;
  });
}

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

uint64_t Checksum(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace ledger
CPP

cat > src/account_index.h <<'CPP'
// Dense ids for account names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ledger {

class AccountIndex {
 public:
  int32_t Add(const std::string& account);        // its id, new or existing
  int32_t Find(std::string_view account) const;   // -1 when unknown
  const std::string& Name(int32_t id) const { return names_[static_cast<size_t>(id)]; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t> ids_;
};

}  // namespace ledger
CPP

cat > src/account_index.cc <<'CPP'
#include "account_index.h"

namespace ledger {

int32_t AccountIndex::Add(const std::string& account) {
  auto [it, inserted] = ids_.emplace(account, static_cast<int32_t>(names_.size()));
  if (inserted) names_.push_back(account);
  return it->second;
}

int32_t AccountIndex::Find(std::string_view account) const {
  auto it = ids_.find(std::string(account));
  return it == ids_.end() ? -1 : it->second;
}

}  // namespace ledger
CPP

cat > bench/ledger_bench.cc <<'CPP'
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "account_index.h"
#include "ledger.h"

namespace {

std::string Account(int i) { return "acct-" + std::to_string(100000 + i); }

std::string SampleCsv(int lines) {
  std::mt19937 rng(42);
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += Account(static_cast<int>(rng() % 500)) + "," + std::to_string(rng() % 100000) + "," +
            std::to_string(rng() % 365) + "\n";
  }
  return text;
}

void BM_ParseCsv(benchmark::State& state) {
  const std::string text = SampleCsv(2000);
  for (auto _ : state) benchmark::DoNotOptimize(ledger::ParseCsv(text));
}
BENCHMARK(BM_ParseCsv);

void BM_SortRecords(benchmark::State& state) {
  const auto records = ledger::ParseCsv(SampleCsv(2000));
  for (auto _ : state) {
    auto copy = records;
    ledger::SortRecords(copy);
    benchmark::DoNotOptimize(copy.data());
  }
}
BENCHMARK(BM_SortRecords);

// 1,000 lookups in an index of 100 accounts, one in six unknown.
void BM_IndexLookup(benchmark::State& state) {
  ledger::AccountIndex index;
  for (int i = 0; i < 100; ++i) index.Add(Account(i));
  std::vector<std::string> queries;
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) queries.push_back(Account(static_cast<int>(rng() % 120)));
  for (auto _ : state) {
    int64_t found = 0;
    for (const auto& q : queries) found += index.Find(q) >= 0;
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_IndexLookup);

void BM_SplitWords(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "word" + std::to_string(i % 97) + (i % 7 ? " " : "  ");
  for (auto _ : state) benchmark::DoNotOptimize(ledger::SplitWords(text));
}
BENCHMARK(BM_SplitWords);

void BM_Checksum(benchmark::State& state) {
  const std::string data = SampleCsv(2000);
  for (auto _ : state) benchmark::DoNotOptimize(ledger::Checksum(data));
}
BENCHMARK(BM_Checksum);

}  // namespace

BENCHMARK_MAIN();
CPP

cat > Makefile <<'MAKE'
CXX ?= g++
CXXFLAGS ?= -O2
LIB := src/ledger.cc src/account_index.cc
HEADERS := src/ledger.h src/account_index.h

build/ledger_bench: bench/ledger_bench.cc $(LIB) $(HEADERS)
	@mkdir -p build
	$(CXX) $(CXXFLAGS) -std=c++17 -Isrc -o $@ bench/ledger_bench.cc $(LIB) -lbenchmark -lpthread
MAKE

# The suite: what is benchmarked (revision 1) and, per platform, the epoch its runs share. The
# two platforms build with different optimisation flags (the platform's env reaches the setup
# step), so they are two environments with their own baselines.
{
  cat <<'TOML'
[suite]
name = "ledger"
revision = 1

[[benchmark]]
name = "micro"                    # results: micro/BM_ParseCsv, micro/BM_IndexLookup, ...
setup = ["make", "-s", "build/ledger_bench"]   # incremental: each platform has its own checkout
harness = ["./build/ledger_bench", "--benchmark_format=json",
           "--benchmark_min_time=0.05", "--benchmark_repetitions=5"]
adapter = "google-benchmark"
TOML
  for p in "${platforms[@]}"; do
    printf '\n[platform.%s]\nepoch = 1\nenvironment = "any"\nenv = { CXXFLAGS = "-%s" }\n' \
      "$p" "${p##*-}"
  done
} > perfledger.toml
printf 'build/\n' > .gitignore
printf '# ledger\n\nRead, sort and summarise transaction records.\n' > README.md

# Edits made by later commits.
edit() {  # $1: file, $2: a perl substitution applied to the whole file
  perl -0pi -e "$2" "$1"
}
add_line() {  # $1: file, $2: line
  printf '%s\n' "$2" >> "$1"
}
append_test() {  # $1: one more line of the test program's main
  if [ ! -f tests/ledger_test.cc ]; then
    printf '#include <cassert>\n\n#include "account_index.h"\n#include "ledger.h"\n\nint main() {\n}\n' \
      > tests/ledger_test.cc
  fi
  sed -i '$d' tests/ledger_test.cc
  printf '  %s\n}\n' "$1" >> tests/ledger_test.cc
}

# The history: time of day, then subject; change_N makes commit N's change.
day1=$(date -u -d '2 days ago' +%F)
day2=$(date -u -d yesterday +%F)
history=(
  "$day1 09:04:12|Add the ledger library and its benchmark suite"
  "$day1 09:11:40|README: build and run the benchmarks"
  "$day1 10:21:05|ParseCsv: skip blank lines"
  "$day1 10:26:51|Add tests for ParseCsv"
  "$day1 11:47:33|SortRecords: document the order"
  "$day1 13:32:18|Checksum: name the FNV constants"
  "$day1 13:40:02|Add ledger_tool: summarise a CSV file"
  "$day1 14:55:47|Makefile: a check target that runs the tests"
  "$day1 15:18:26|SplitWords: document what counts as a separator"
  "$day1 16:02:09|AccountIndex: keep the names only and find them by a scan"
  "$day1 16:05:44|ledger_tool: print the number of accounts"
  "$day1 16:09:30|README: fix a typo"
  "$day1 16:13:15|Add tests for AccountIndex"
  "$day1 17:26:38|ParseCsv: accept Windows line endings"
  "$day2 09:16:03|README: example output of ledger_tool"
  "$day2 09:22:49|ledger_tool: --help"
  "$day2 10:48:21|Tests: an empty file has no records"
  "$day2 11:34:57|Checksum: a streaming variant"
  "$day2 11:41:10|CHANGES: notes for 0.2"
  "$day2 12:06:44|Version 0.2.0"
)
regression_commit=10  # the one that really makes BM_IndexLookup slower

change_1() { :; }  # the files above
change_2() { printf '\n    make build/ledger_bench && ./build/ledger_bench\n' >> README.md; }
change_3() { edit src/ledger.cc 's/(    text = end == [^\n]*\n)/$1    if (line.empty()) continue;\n/'; }
change_4() {
  append_test 'assert(ledger::ParseCsv("a,1,2\n\nb,3,4\n").size() == 2);'
  add_line Makefile ''
  add_line Makefile 'build/ledger_test: tests/ledger_test.cc $(LIB) $(HEADERS)'
  add_line Makefile '	@mkdir -p build'
  add_line Makefile '	$(CXX) $(CXXFLAGS) -std=c++17 -Isrc -o $@ tests/ledger_test.cc $(LIB)'
}
change_5() { edit src/ledger.h 's/(void SortRecords)/\/\/ By account, then by day; the order of equal records is unspecified.\n$1/'; }
change_6() {
  edit src/ledger.cc 's/(uint64_t Checksum)/constexpr uint64_t kFnvOffset = 14695981039346656037ull;\nconstexpr uint64_t kFnvPrime = 1099511628211ull;\n\n$1/;
                      s/h = 14695981039346656037ull/h = kFnvOffset/; s/h \*= 1099511628211ull/h *= kFnvPrime/'
}
change_7() {
  cat > tools/ledger_tool.cc <<'CPP'
#include <fstream>
#include <iostream>
#include <sstream>

#include "account_index.h"
#include "ledger.h"

int main(int argc, char** argv) {
  std::ifstream in(argc > 1 ? argv[1] : "/dev/stdin");
  std::stringstream text;
  text << in.rdbuf();
  auto records = ledger::ParseCsv(text.str());
  ledger::SortRecords(records);
  int64_t total = 0;
  for (const auto& r : records) total += r.amount_cents;
  std::cout << records.size() << " records, total " << total / 100 << "." << total % 100 << "\n";
}
CPP
  add_line Makefile ''
  add_line Makefile 'build/ledger_tool: tools/ledger_tool.cc $(LIB) $(HEADERS)'
  add_line Makefile '	@mkdir -p build'
  add_line Makefile '	$(CXX) $(CXXFLAGS) -std=c++17 -Isrc -o $@ tools/ledger_tool.cc $(LIB)'
}
change_8() {
  add_line Makefile ''
  add_line Makefile 'check: build/ledger_test'
  add_line Makefile '	./build/ledger_test'
}
change_9() { edit src/ledger.h 's/(\/\/ Splits on spaces, dropping empty words.)/$1 Tabs and newlines are part of a word./'; }
change_10() {  # the regression: a linear scan over the names instead of a hash lookup
  edit src/account_index.h 's/#include <unordered_map>\n//; s/\n  std::unordered_map<std::string, int32_t> ids_;//'
  cat > src/account_index.cc <<'CPP'
#include "account_index.h"

namespace ledger {

int32_t AccountIndex::Add(const std::string& account) {
  const int32_t id = Find(account);
  if (id >= 0) return id;
  names_.push_back(account);
  return static_cast<int32_t>(names_.size() - 1);
}

// Accounts are few: a scan over the names is simpler than keeping a second container.
int32_t AccountIndex::Find(std::string_view account) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == account) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace ledger
CPP
}
change_11() {
  edit tools/ledger_tool.cc 's/(  int64_t total = 0;\n)/  ledger::AccountIndex accounts;\n  for (const auto& r : records) accounts.Add(r.account);\n$1/;
                             s/(<< "\\n";)/<< ", " << accounts.size() << " accounts" $1/'
}
change_12() { printf '\nSee tools/ for a small comand-line tool.\n' >> README.md; }
change_13() { edit README.md 's/comand-line/command-line/'; append_test 'ledger::AccountIndex index; assert(index.Add("a") == 0 && index.Add("b") == 1 && index.Find("b") == 1 && index.Find("c") == -1);'; }
change_14() { edit src/ledger.cc 's/(    if \(line.empty\(\)\) continue;\n)/    if (!line.empty() \&\& line.back() == '"'"'\\r'"'"') line.remove_suffix(1);\n$1/'; }
change_15() { printf '\n    $ ./build/ledger_tool january.csv\n    2000 records, total 998421.37, 500 accounts\n' >> README.md; }
change_16() {
  edit tools/ledger_tool.cc 's/(int main\(int argc, char\*\* argv\) \{\n)/$1  if (argc > 1 \&\& std::string(argv[1]) == "--help") {\n    std::cout << "usage: ledger_tool [FILE.csv]\\n";\n    return 0;\n  }\n/'
}
change_17() { append_test 'assert(ledger::ParseCsv("").empty());'; }
change_18() {
  edit src/ledger.h 's/(}  \/\/ namespace ledger)/\/\/ Checksum over data that arrives in pieces: the same value as Checksum of the whole.\nclass ChecksumStream {\n public:\n  void Add(std::string_view piece);\n  uint64_t value() const { return h_; }\n\n private:\n  uint64_t h_ = 14695981039346656037ull;\n};\n\n$1/'
  edit src/ledger.cc 's/(}  \/\/ namespace ledger)/void ChecksumStream::Add(std::string_view piece) {\n  for (const unsigned char c : piece) {\n    h_ ^= c;\n    h_ *= kFnvPrime;\n  }\n}\n\n$1/'
}
change_19() { printf '# Changes\n\n## 0.2.0\n\n- ledger_tool\n- ParseCsv: blank lines, Windows line endings\n- ChecksumStream\n' > CHANGES.md; }
change_20() { printf '0.2.0\n' > VERSION; }

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
  "change_$n"
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
