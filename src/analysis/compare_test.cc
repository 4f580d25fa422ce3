#include "analysis/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace perfledger::analysis {
namespace {

core::Metric Wall(std::vector<double> samples) {
  return core::Metric{"wall_time", "ns", core::Direction::kLower, std::move(samples), std::nullopt};
}

core::Run RunOf(std::vector<std::pair<std::string, std::vector<double>>> benchmarks) {
  core::Run r;
  for (auto& [name, samples] : benchmarks) {
    r.benchmarks.push_back({name, std::nullopt, {Wall(std::move(samples))}});
  }
  return r;
}

std::vector<double> Noisy(std::mt19937_64& rng, double center, double noise, int n) {
  std::normal_distribution<double> d(center, center * noise);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(d(rng));
  return out;
}

TEST(CompareTest, VerdictsFollowDirectionSignificanceAndThreshold) {
  core::Run base = RunOf({{"slower", {100, 101, 99, 100, 102, 98, 100, 101}},
                          {"faster", {100, 101, 99, 100, 102, 98, 100, 101}},
                          {"same", {100, 101, 99, 100, 102, 98, 100, 101}},
                          {"tiny", {100, 101, 99, 100, 102, 98, 100, 101}}});
  core::Run head = RunOf({{"slower", {120, 121, 119, 120, 122, 118, 120, 121}},
                          {"faster", {80, 81, 79, 80, 82, 78, 80, 81}},
                          {"same", {101, 99, 100, 100, 102, 98, 101, 100}},
                          {"tiny", {100.5, 101.5, 99.5, 100.5, 102.5, 98.5, 100.5, 101.5}}});
  CompareOptions options;
  options.threshold = 0.10;
  Comparison c = CompareRuns(base, head, options);
  ASSERT_EQ(c.rows.size(), 4u);
  EXPECT_EQ(c.rows[0].benchmark, "faster");
  EXPECT_EQ(c.rows[0].verdict, Verdict::kImprovement);
  EXPECT_NEAR(*c.rows[0].change, -0.20, 0.01);
  EXPECT_EQ(c.rows[1].benchmark, "same");
  EXPECT_EQ(c.rows[1].verdict, Verdict::kUnchanged);
  EXPECT_EQ(c.rows[2].benchmark, "slower");
  EXPECT_EQ(c.rows[2].verdict, Verdict::kRegression);
  EXPECT_NEAR(*c.rows[2].change, 0.20, 0.01);
  EXPECT_LE(*c.rows[2].ci_low, *c.rows[2].change);
  EXPECT_GE(*c.rows[2].ci_high, *c.rows[2].change);
  EXPECT_LE(*c.rows[2].q_value, 0.05);
  EXPECT_EQ(c.rows[3].verdict, Verdict::kUnchanged) << "0.5% is below the 10% threshold";
  EXPECT_EQ(c.regressions, 1);
  EXPECT_EQ(c.improvements, 1);
  EXPECT_EQ(c.unchanged, 2);
}

TEST(CompareTest, HigherIsBetterMetricsRegressWhenTheyDrop) {
  core::Run base, head;
  base.benchmarks.push_back({"io",
                             std::nullopt,
                             {core::Metric{"throughput",
                                           "MB/s",
                                           core::Direction::kHigher,
                                           {100, 101, 99, 100, 100},
                                           std::nullopt}}});
  head.benchmarks.push_back(
      {"io",
       std::nullopt,
       {core::Metric{
           "throughput", "MB/s", core::Direction::kHigher, {70, 71, 69, 70, 70}, std::nullopt}}});
  Comparison c = CompareRuns(base, head, {});
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].verdict, Verdict::kRegression);
}

TEST(CompareTest, TooFewSamplesIsInconclusiveAndSaysHowManyAreNeeded) {
  Comparison c = CompareRuns(RunOf({{"a", {1, 2, 3}}}), RunOf({{"a", {5, 6, 7}}}), {});
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].verdict, Verdict::kInconclusive);
  EXPECT_EQ(c.rows[0].note, "needs at least 4 samples a side, has 3 and 3");
  EXPECT_FALSE(c.rows[0].q_value.has_value());
  EXPECT_EQ(c.inconclusive, 1);
}

TEST(CompareTest, UnmatchedAndFailedBenchmarksAreListedNotCompared) {
  core::Run base = RunOf({{"both", {1, 1, 1, 1}}, {"gone", {1, 1, 1, 1}}, {"broke", {1, 1, 1, 1}}});
  core::Run head = RunOf({{"both", {1, 1, 1, 1}}, {"new", {1, 1, 1, 1}}});
  head.benchmarks.push_back({"broke", std::string("exit status 1"), {}});
  Comparison c = CompareRuns(base, head, {});
  EXPECT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.only_base, std::vector<std::string>{"gone"});
  EXPECT_EQ(c.only_head, std::vector<std::string>{"new"});
  EXPECT_EQ(c.failed, std::vector<std::string>{"broke"});
  EXPECT_EQ(c.rows[0].verdict, Verdict::kUnchanged) << "identical constant samples";
}

TEST(CompareTest, MetricsOnlyOneSideMeasuredAreListed) {
  core::Run base = RunOf({{"a", {1, 2, 3, 4, 5}}});
  core::Run head = RunOf({{"a", {1, 2, 3, 4, 5}}});
  base.benchmarks[0].metrics.push_back({"rss", "bytes", core::Direction::kLower, {1, 2}, {}});
  head.benchmarks[0].metrics.push_back({"instructions", "count", core::Direction::kLower, {1}, {}});
  Comparison c = CompareRuns(base, head, {});
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.metrics_only_base, std::vector<std::string>{"a/rss"});
  EXPECT_EQ(c.metrics_only_head, std::vector<std::string>{"a/instructions"});
  CompareOptions only_wall;
  only_wall.metrics = {"wall_time"};
  EXPECT_TRUE(CompareRuns(base, head, only_wall).metrics_only_base.empty());
}

TEST(CompareTest, SummariesUseWelchsTest) {
  core::Run base, head;
  base.benchmarks.push_back(
      {"agg",
       std::nullopt,
       {core::Metric{"wall_time",
                     "ns",
                     core::Direction::kLower,
                     {},
                     core::Summary{20, 100, 2, std::nullopt, std::nullopt, std::nullopt,
                                   std::nullopt, std::nullopt}}}});
  head = base;
  head.benchmarks[0].metrics[0].summary->mean = 130;
  Comparison c = CompareRuns(base, head, {});
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_NEAR(*c.rows[0].change, 0.30, 1e-9);
  EXPECT_EQ(c.rows[0].verdict, Verdict::kRegression);
  EXPECT_EQ(c.rows[0].noise_source, "default (noise unknown)");
  head.benchmarks[0].metrics[0].summary->stddev.reset();
  c = CompareRuns(base, head, {});
  EXPECT_EQ(c.rows[0].verdict, Verdict::kInconclusive);
}

TEST(CompareTest, TheThresholdComesFromTheNoise) {
  std::mt19937_64 rng(7);
  core::Run base = RunOf({{"quiet", Noisy(rng, 100, 0.01, 10)}});
  core::Run head = RunOf({{"quiet", Noisy(rng, 106, 0.01, 10)}});
  Comparison c = CompareRuns(base, head, {});
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0].noise_source, "within-run spread");
  EXPECT_LT(c.rows[0].threshold, 0.06);
  EXPECT_EQ(c.rows[0].verdict, Verdict::kRegression) << "a quiet series catches 6%";

  NoiseByMetric history{{{"quiet", "wall_time"}, HistoryNoise{0.08, 30}}};
  c = CompareRuns(base, head, {}, history);
  EXPECT_EQ(c.rows[0].noise_source, "run-to-run over 30 runs");
  EXPECT_NEAR(c.rows[0].threshold, 0.24, 1e-9);
  EXPECT_EQ(c.rows[0].verdict, Verdict::kUnchanged) << "a noisy series does not alert for 6%";
}

// Accuracy floors (issue 5): A/A data raises at most 5% false alarms; a true 10% regression at
// 2% noise with 10 samples a side is found in at least 99% of trials.
TEST(CompareAccuracy, AaRunsRarelyReportARegression) {
  std::mt19937_64 rng(2026);
  int runs_with_regression = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    std::vector<std::pair<std::string, std::vector<double>>> a, b;
    for (int i = 0; i < 100; ++i) {
      const double center = 1000 + 37 * i;
      a.emplace_back("b" + std::to_string(i), Noisy(rng, center, 0.03, 10));
      b.emplace_back("b" + std::to_string(i), Noisy(rng, center, 0.03, 10));
    }
    Comparison c = CompareRuns(RunOf(a), RunOf(b), {});
    if (c.regressions > 0) ++runs_with_regression;
  }
  EXPECT_LE(runs_with_regression, trials * 5 / 100) << runs_with_regression << " of " << trials;
}

// Runs drift as a whole (each run's level moves by 2%, on top of 1% within-run noise): the
// samples of one run cannot show it, the history can. With the noise learned from history, 100
// benchmarks together alert in at most about alpha of comparisons.
TEST(CompareAccuracy, RunToRunDriftKnownFromHistoryRarelyReportsARegression) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> drift(0, 0.02);
  int runs_with_regression = 0;
  const int trials = 200;
  NoiseByMetric history;
  // What the history of medians shows: the drift and the median's own within-run noise.
  for (int i = 0; i < 100; ++i) history[{"b" + std::to_string(i), "wall_time"}] = {0.0204, 30};
  for (int t = 0; t < trials; ++t) {
    std::vector<std::pair<std::string, std::vector<double>>> a, b;
    for (int i = 0; i < 100; ++i) {
      a.emplace_back("b" + std::to_string(i), Noisy(rng, 1000 * (1 + drift(rng)), 0.01, 10));
      b.emplace_back("b" + std::to_string(i), Noisy(rng, 1000 * (1 + drift(rng)), 0.01, 10));
    }
    Comparison c = CompareRuns(RunOf(a), RunOf(b), {}, history);
    if (c.regressions > 0) ++runs_with_regression;
  }
  EXPECT_LE(runs_with_regression, trials * 8 / 100) << runs_with_regression << " of " << trials;
}

TEST(CompareTest, HistoryNoiseThresholdGrowsWithTheNumberOfMetricsCompared) {
  std::mt19937_64 rng(3);
  NoiseByMetric history;
  std::vector<std::pair<std::string, std::vector<double>>> a;
  for (int i = 0; i < 100; ++i) {
    history[{"b" + std::to_string(i), "wall_time"}] = {0.01, 30};
    a.emplace_back("b" + std::to_string(i), Noisy(rng, 1000, 0.01, 10));
  }
  // One metric: 3x the noise.
  Comparison one = CompareRuns(RunOf({a[0]}), RunOf({a[0]}), {}, history);
  EXPECT_NEAR(one.rows.at(0).threshold, 0.03, 1e-12);
  EXPECT_EQ(one.rows.at(0).noise_source, "run-to-run over 30 runs");
  // 100 metrics with a noise known from 30 runs: sqrt(2) x Student's t at 1 - 0.05/100 with
  // 0.37 x 29 = 10.7 degrees of freedom (4.49, tables: 4.59 at 10, 4.44 at 11).
  Comparison hundred = CompareRuns(RunOf(a), RunOf(a), {}, history);
  EXPECT_GT(hundred.rows.at(0).threshold, 0.01 * std::sqrt(2.0) * 4.44);
  EXPECT_LT(hundred.rows.at(0).threshold, 0.01 * std::sqrt(2.0) * 4.59);
  // Known from a very long history: the normal quantile, 3.2905.
  for (auto& [key, noise] : history) noise.runs = 1'000'000;
  Comparison long_history = CompareRuns(RunOf(a), RunOf(a), {}, history);
  EXPECT_NEAR(long_history.rows.at(0).threshold, 0.01 * std::sqrt(2.0) * 3.2905, 1e-4);
  // Within-run noise keeps the plain multiple.
  Comparison within = CompareRuns(RunOf(a), RunOf(a), {});
  EXPECT_EQ(within.rows.at(0).noise_source, "within-run spread");
  EXPECT_NEAR(within.rows.at(0).threshold, std::max(0.01, 3 * within.rows.at(0).noise), 1e-12);
}

TEST(CompareAccuracy, ATenPercentRegressionAtTwoPercentNoiseIsFound) {
  std::mt19937_64 rng(11);
  int found = 0;
  const int trials = 1000;
  for (int t = 0; t < trials; ++t) {
    Comparison c = CompareRuns(RunOf({{"x", Noisy(rng, 1000, 0.02, 10)}}),
                               RunOf({{"x", Noisy(rng, 1100, 0.02, 10)}}), {});
    if (c.regressions == 1) ++found;
  }
  EXPECT_GE(found, trials * 99 / 100) << found << " of " << trials;
}

}  // namespace
}  // namespace perfledger::analysis
