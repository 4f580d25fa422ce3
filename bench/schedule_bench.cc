// Scheduler benchmarks: the pure planner over a 100,000-commit history, reading that history
// with libgit2 (against `git log --first-parent` in run_schedule_bench.sh), and a one-year
// simulation at 60 commits an hour on 3 platforms.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>

#include "schedule/commit_source.h"
#include "schedule/planner.h"
#include "schedule/simulator.h"

namespace perfledger::schedule {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::vector<BranchCommit> History(int n) {
  std::vector<BranchCommit> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    BranchCommit c;
    c.sha = fmt::format("{:040x}", 0x1000000 + i);
    if (i > 0) c.parents.push_back(out.back().sha);
    c.time = base::Timestamp{(1'790'000'000LL + i * 60) * kSecond};
    c.subject = i % 20 == 0 ? "change [bench]" : "change";
    out.push_back(std::move(c));
  }
  return out;
}

// 100,000 commits; each platform measured every 15th commit up to an hour ago; plan now.
void BM_Plan100kCommits(benchmark::State& state) {
  PlannerInput in;
  in.commits = History(100'000);
  in.platforms = {"linux", "macos", "windows"};
  for (const auto& p : in.platforms) {
    for (int i = 0; i < 100'000 - 60; i += 15) in.state[p].measured.insert(in.commits[i].sha);
  }
  in.now = base::Timestamp{in.commits.back().time.unix_nanos + 60 * kSecond};
  for (auto _ : state) {
    auto plan = MakePlan(in);
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * 100'000);
}
BENCHMARK(BM_Plan100kCommits)->Unit(benchmark::kMillisecond);

// A platform with nothing stored: the baseline scan over the whole history.
void BM_PlanFirstRun100kCommits(benchmark::State& state) {
  PlannerInput in;
  in.commits = History(100'000);
  in.platforms = {"linux", "macos", "windows"};
  in.now = base::Timestamp{in.commits.back().time.unix_nanos + 60 * kSecond};
  for (auto _ : state) {
    auto plan = MakePlan(in);
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * 100'000);
}
BENCHMARK(BM_PlanFirstRun100kCommits)->Unit(benchmark::kMillisecond);

// Reading the first-parent history of $PERFLEDGER_BENCH_REPO (made by make_history_repo.sh).
void BM_ReadBranch(benchmark::State& state) {
  const char* repo = std::getenv("PERFLEDGER_BENCH_REPO");
  if (repo == nullptr) {
    state.SkipWithError("set PERFLEDGER_BENCH_REPO to a repository (bench/make_history_repo.sh)");
    return;
  }
  size_t commits = 0;
  for (auto _ : state) {
    auto h = ReadBranch(repo, {});
    if (!h.ok()) {
      state.SkipWithError(h.status().message().c_str());
      return;
    }
    commits = h->commits.size();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(commits));
  state.counters["commits"] = static_cast<double>(commits);
}
BENCHMARK(BM_ReadBranch)->Unit(benchmark::kMillisecond);

void BM_SimulateOneYear(benchmark::State& state) {
  SimulationConfig c;
  c.rate_per_hour = 60;
  c.duration_nanos = 365LL * 24 * 3600 * kSecond;
  c.platforms = 3;
  c.bench_nanos = 90 * kSecond;
  c.execution = state.range(0) == 0 ? Execution::kParallel : Execution::kSequential;
  int64_t commits = 0;
  for (auto _ : state) {
    auto r = Simulate(c);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      return;
    }
    commits = r->commits;
    state.counters["max_queue_depth"] = r->max_queue_depth;
  }
  state.SetItemsProcessed(state.iterations() * commits);
  state.counters["commits"] = static_cast<double>(commits);
}
BENCHMARK(BM_SimulateOneYear)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace perfledger::schedule

BENCHMARK_MAIN();
