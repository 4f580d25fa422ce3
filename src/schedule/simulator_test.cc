#include "schedule/simulator.h"

#include <gtest/gtest.h>

namespace perfledger::schedule {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;

SimulationConfig EveryCommitInSequence(int64_t duration) {
  SimulationConfig c;
  c.rate_per_hour = 60;
  c.duration_nanos = duration;
  c.platforms = 3;
  c.bench_nanos = 90 * kSecond;
  c.execution = Execution::kSequential;
  c.policy.sampling = Sampling::kEveryCommit;
  c.policy.widen_above = 0;
  c.policy.reset_above = 0;
  return c;
}

SimulationResult MustSimulate(const SimulationConfig& c) {
  auto r = Simulate(c);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SimulationResult{};
}

TEST(Simulator, EveryCommitOnThreePlatformsInSequenceNeverDrains) {
  // 60 commits an hour, 3 x 90 s = 270 s each: the runner does 13.3 an hour.
  SimulationResult day = MustSimulate(EveryCommitInSequence(24 * kHour));
  SimulationResult two = MustSimulate(EveryCommitInSequence(48 * kHour));
  EXPECT_GT(day.max_queue_depth, 800);
  EXPECT_GT(two.max_queue_depth, 1.7 * day.max_queue_depth) << "grows with time: no bound";
  EXPECT_EQ(two.final_queue_depth, two.max_queue_depth);
  // What did run measured its commit: the rest waits.
  EXPECT_LT(day.coverage_represented, 0.35);
  EXPECT_EQ(day.skips_by_reason.size(), 0u);
  // The queue series climbs.
  ASSERT_GT(day.queue_series.size(), 10u);
  EXPECT_LT(day.queue_series[1], day.queue_series[day.queue_series.size() / 2]);
  EXPECT_LT(day.queue_series[day.queue_series.size() / 2], day.queue_series.back());
}

TEST(Simulator, ParallelPlatformsWithWindowsStayBounded) {
  SimulationConfig c;
  c.rate_per_hour = 60;
  c.duration_nanos = 7 * 24 * kHour;
  c.platforms = 3;
  c.bench_nanos = 120 * kSecond;
  c.execution = Execution::kParallel;
  SimulationResult r = MustSimulate(c);
  EXPECT_LE(r.max_queue_depth, 2);
  EXPECT_GT(r.coverage_represented, 0.99);
  EXPECT_LT(r.coverage_measured, 0.2);
  EXPECT_GT(r.skips_by_reason["window"], 0);
  EXPECT_EQ(r.skips_by_reason.count("queue-reset"), 0u);
  // A result within a window plus a run for nearly every commit.
  EXPECT_LT(r.p95_latency_s, 15 * 60 + 3 * 60 + 60);
  EXPECT_GT(r.mean_latency_s, 60);
  // About one job per window per platform.
  EXPECT_NEAR(static_cast<double>(r.jobs_run), 7 * 24 * 4 * 3, 7 * 24 * 4 * 3 * 0.05);
}

TEST(Simulator, DefaultDegradationBoundsTheSequentialCase) {
  SimulationConfig c = EveryCommitInSequence(48 * kHour);
  c.policy.widen_above = 10;
  c.policy.reset_above = 20;
  SimulationResult r = MustSimulate(c);
  EXPECT_LE(r.max_queue_depth, 25);
  EXPECT_GT(r.skips_by_reason["queue-reset"], 0);
  EXPECT_GT(r.coverage_represented, 0.95);
}

TEST(Simulator, SameSeedSameResult) {
  SimulationConfig c;
  c.duration_nanos = 6 * kHour;
  c.bursts = {{2 * kHour, kHour, 600}};
  SimulationResult a = MustSimulate(c), b = MustSimulate(c);
  EXPECT_EQ(a.commits, b.commits);
  EXPECT_EQ(a.queue_series, b.queue_series);
  EXPECT_EQ(a.mean_latency_s, b.mean_latency_s);
  c.seed = 2;
  EXPECT_NE(MustSimulate(c).commits, a.commits);
}

TEST(Simulator, BurstsRaiseTheArrivalRate) {
  SimulationConfig c;
  c.duration_nanos = 4 * kHour;
  const int64_t plain = MustSimulate(c).commits;
  c.bursts = {{kHour, kHour, 600}};
  const int64_t burst = MustSimulate(c).commits;
  EXPECT_NEAR(static_cast<double>(plain), 240, 60);
  EXPECT_NEAR(static_cast<double>(burst), 180 + 600, 120);
}

TEST(Simulator, ReplaysARepositorysCommitTimes) {
  SimulationConfig c;
  for (int i = 0; i < 30; ++i) {
    BranchCommit bc;
    bc.sha = "sha" + std::to_string(i);
    // Two bursts of 15 commits, a day apart, out of order in the input.
    bc.time = base::Timestamp{1'800'000'000LL * kSecond + (i % 2) * 24 * kHour + i * 30 * kSecond};
    c.history.push_back(bc);
  }
  c.platforms = 2;
  SimulationResult r = MustSimulate(c);
  EXPECT_EQ(r.commits, 30);
  EXPECT_EQ(r.uncovered_commits, 0);
  EXPECT_DOUBLE_EQ(r.coverage_represented, 1.0);
}

TEST(Simulator, MergesOnlyAndTaggedSamplingRun) {
  SimulationConfig c;
  c.duration_nanos = 12 * kHour;
  c.merge_fraction = 0.2;
  c.policy.sampling = Sampling::kMergesOnly;
  SimulationResult merges = MustSimulate(c);
  EXPECT_GT(merges.skips_by_reason["not-merge"], 0);
  EXPECT_NEAR(static_cast<double>(merges.jobs_run) / 3, merges.commits * 0.2,
              merges.commits * 0.2 * 0.3);
  c.merge_fraction = 0;
  c.tagged_fraction = 0.1;
  c.policy.sampling = Sampling::kTagged;
  EXPECT_GT(MustSimulate(c).skips_by_reason["untagged"], 0);
}

TEST(Simulator, BadConfigIsRefused) {
  SimulationConfig c;
  c.platforms = 0;
  EXPECT_EQ(Simulate(c).status().code(), base::StatusCode::kInvalidInput);
  c = {};
  c.bench_jitter = 1.5;
  EXPECT_EQ(Simulate(c).status().code(), base::StatusCode::kInvalidInput);
}

}  // namespace
}  // namespace perfledger::schedule
