// The simulator: a discrete-event simulation that drives the real planner (MakePlan, not a
// copy of its rules) with a commit arrival process and platform jobs of given durations, to
// show queue depth, latency and coverage before a team commits to a policy.
//
// Model: commits arrive (Poisson, with optional bursts, or at a repository's real commit
// times); the planner runs on every push and on a cron (like the generated CI workflow), with
// the queue depth it would see in CI; each planned sha x platform becomes a task. With
// parallel execution every platform has its own runner; with sequential execution one
// runner does all platforms' tasks one after another. A finished task measures its commit and
// represents the commits of its range. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "schedule/planner.h"

namespace perfledger::schedule {

struct Burst {
  int64_t start_nanos = 0;  // from the start of the simulation
  int64_t duration_nanos = 0;
  double rate_per_hour = 0;  // replaces the base rate while it lasts
};

enum class Execution { kParallel, kSequential };

struct SimulationConfig {
  // Arrivals: either real commit times (from a repository, any order) ...
  std::vector<BranchCommit> history;
  // ... or a Poisson process.
  double rate_per_hour = 60;
  int64_t duration_nanos = 24LL * 3600 * 1'000'000'000;
  std::vector<Burst> bursts;
  double merge_fraction = 0;   // of generated commits that are merges (for merges-only)
  double tagged_fraction = 0;  // of generated commits whose subject has the marker

  int platforms = 3;
  int64_t bench_nanos = 90LL * 1'000'000'000;
  double bench_jitter = 0.3;  // durations uniform in bench * (1 +- jitter)
  Execution execution = Execution::kParallel;
  Policy policy;
  int64_t cron_nanos = 15LL * 60 * 1'000'000'000;  // the plan also runs on this cron
  uint64_t seed = 1;
  int max_series_points = 500;
};

struct SimulationResult {
  int64_t commits = 0;
  int64_t plans = 0;
  int max_queue_depth = 0;
  int p95_queue_depth = 0;    // over one-minute samples
  int final_queue_depth = 0;  // when the simulation ends
  double mean_latency_s = 0;  // commit arrival to a run standing for it on every platform
  double p95_latency_s = 0;
  int64_t uncovered_commits = 0;    // no run stands for them on some platform by the end
  double coverage_measured = 0;     // of commit x platform pairs
  double coverage_represented = 0;  // measured or inside a finished run's range
  std::map<std::string, int64_t> skips_by_reason;  // commit x platform pairs
  int64_t jobs_run = 0;                            // sha x platform tasks finished
  int64_t simulated_nanos = 0;
  // Queue depth over time: the maximum in each interval of `series_step_nanos`.
  int64_t series_step_nanos = 0;
  std::vector<int> queue_series;
};

base::Result<SimulationResult> Simulate(const SimulationConfig& config);

}  // namespace perfledger::schedule
