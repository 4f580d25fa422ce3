#include "analysis/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/stats.h"

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
  EXPECT_NEAR(c.rows[0].threshold, std::expm1(0.24), 1e-9) << "3x the noise of log medians";
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
  EXPECT_NEAR(one.rows.at(0).threshold, std::expm1(0.03), 1e-12);
  EXPECT_EQ(one.rows.at(0).noise_source, "run-to-run over 30 runs");
  // 100 metrics sharing one noise: the pooled noise is known from all 100 series (970 degrees
  // of freedom), so sqrt(2) x Student's t at 1 - 0.05/100 is nearly the normal 3.2905 x
  // sqrt(2) = 4.65 (3.30 at 1,000 degrees of freedom).
  Comparison hundred = CompareRuns(RunOf(a), RunOf(a), {}, history);
  EXPECT_EQ(hundred.rows.at(0).noise_source, "run-to-run over 30 runs, pooled with 99 series");
  // The pooled noise: their geometric mean, corrected for the estimator's log bias (a log
  // estimate's mean is below the log of the noise).
  const double pooled = 0.01 * std::exp(-RunToRunNoiseModel(30).bias / 2);
  EXPECT_NEAR(hundred.rows.at(0).noise, pooled, 2e-5);  // and a hundredth its own 0.01
  EXPECT_GT(hundred.rows.at(0).threshold, std::expm1(pooled * std::sqrt(2.0) * 3.2905));
  EXPECT_LT(hundred.rows.at(0).threshold, std::expm1(pooled * std::sqrt(2.0) * 3.31));
  // Noises too unlike to pool (0.1%, 1% and 10%): a prior worth half a degree of freedom,
  // each series nearly alone with its own 9.7 (t = 4.56 at 10.2; tables: 4.59 at 10, 4.44 at
  // 11).
  for (int i = 0; i < 100; ++i) {
    history[{"b" + std::to_string(i), "wall_time"}].relative = 0.01 * std::pow(10.0, i % 3 - 1);
  }
  Comparison unlike = CompareRuns(RunOf(a), RunOf(a), {}, history);
  const ComparisonRow& b1 = unlike.rows.at(1);
  ASSERT_EQ(b1.benchmark, "b1");
  EXPECT_NEAR(b1.noise, 0.01, 0.001);
  EXPECT_GT(b1.threshold, std::expm1(b1.noise * std::sqrt(2.0) * 4.44));
  EXPECT_LT(b1.threshold, std::expm1(b1.noise * std::sqrt(2.0) * 4.59));
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

// The run-to-run noise model (issue 17). RunToRunNoise's calibration against a fresh
// simulation of Gaussian series: E[raw^2], then the log bias and variance of the scaled
// estimate (compare.cc's table, 400,000 series per k; here 20,000, another seed).
TEST(RunToRunNoiseTest, CalibrationMatchesASimulation) {
  std::mt19937_64 rng(99);
  std::normal_distribution<double> z;
  for (int k : {3, 5, 8, 30, 100}) {
    const int reps = 20000;
    double mean_square = 0, log_sum = 0, log_squares = 0;
    std::vector<double> logs;
    for (int r = 0; r < reps; ++r) {
      std::vector<double> medians(static_cast<size_t>(k));
      for (double& m : medians) m = std::exp(0.01 * z(rng));
      const auto noise = RunToRunNoise(medians);
      ASSERT_TRUE(noise.has_value());
      const double s2 = noise->relative * noise->relative / 1e-4;
      mean_square += s2;
      logs.push_back(std::log(s2));
      log_sum += logs.back();
    }
    mean_square /= reps;
    const double bias = log_sum / reps;
    for (double v : logs) log_squares += (v - bias) * (v - bias);
    const double variance = log_squares / (reps - 1);
    const NoiseModel model = RunToRunNoiseModel(k);
    EXPECT_NEAR(mean_square, 1, 0.04) << k << " points: the square is unbiased";
    EXPECT_NEAR(bias, model.bias, 0.04) << k;
    EXPECT_NEAR(variance / model.variance, 1, 0.06) << k;
  }
  // Degrees of freedom: exactly 1 for two points (|difference| / sqrt 2 is a chi with 1), about
  // 0.31 (k - 1) for many (the efficiency of the median absolute deviation, less for
  // differences, which are correlated).
  EXPECT_NEAR(RunToRunNoiseModel(2).df, 1, 0.02);
  EXPECT_NEAR(RunToRunNoiseModel(5).df, 2.4, 0.1);
  EXPECT_NEAR(RunToRunNoiseModel(8).df, 3.0, 0.1);
  EXPECT_NEAR(RunToRunNoiseModel(30).df, 9.7, 0.2);
  EXPECT_NEAR(RunToRunNoiseModel(1000).df, 0.31 * 999, 0.03 * 999);
}

TEST(RunToRunNoiseTest, AStepOrAnOutlierBarelyMovesIt) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z;
  std::vector<double> medians;
  for (int i = 0; i < 30; ++i) medians.push_back(1000 * (1 + 0.01 * z(rng)));
  const double quiet = RunToRunNoise(medians)->relative;
  for (int i = 15; i < 30; ++i) medians[static_cast<size_t>(i)] *= 1.3;
  medians[7] *= 2;
  EXPECT_NEAR(RunToRunNoise(medians)->relative / quiet, 1, 0.25);
  EXPECT_FALSE(RunToRunNoise(std::vector<double>{5, 6}).has_value()) << "at least 3 points";
  EXPECT_FALSE(RunToRunNoise(std::vector<double>{5, 5, 5}).has_value()) << "no variation";
  EXPECT_FALSE(RunToRunNoise(std::vector<double>{5, 0, 6}).has_value());
}

TEST(NoisePriorTest, SeriesSharingANoiseArePooledUnlikeOnesAreNot) {
  std::mt19937_64 rng(8);
  std::normal_distribution<double> z;
  auto history = [&](double sigma, int k) {
    std::vector<double> medians;
    for (int i = 0; i < k; ++i) medians.push_back(std::exp(sigma * z(rng)));
    return *RunToRunNoise(medians);
  };
  // 50 series of one noise, 5 points each: the prior is that noise, worth (at most) all their
  // degrees of freedom; a series' own estimate, off by 2x, barely counts.
  std::vector<HistoryNoise> alike;
  for (int i = 0; i < 50; ++i) alike.push_back(history(0.01, 5));
  const NoisePrior prior = FitNoisePrior(alike);
  EXPECT_EQ(prior.series, 50);
  EXPECT_NEAR(std::sqrt(prior.variance), 0.01, 0.002);
  EXPECT_GT(prior.df, 30);
  const ModeratedNoise m = ModerateNoise({0.02, 5}, prior);
  EXPECT_LT(m.relative, 0.0125);
  EXPECT_GT(m.df, 30);
  // Noises spread over 100x: a weak prior, each series mostly its own.
  std::vector<HistoryNoise> unlike;
  for (int i = 0; i < 50; ++i) unlike.push_back(history(0.001 * std::pow(100.0, i / 49.0), 5));
  const NoisePrior weak = FitNoisePrior(unlike);
  EXPECT_LT(weak.df, 3);
  EXPECT_GT(ModerateNoise({0.05, 5}, weak).relative, 0.03);
  // Too few series: no prior.
  EXPECT_EQ(FitNoisePrior({alike[0], alike[1]}).df, 0);
}

// Issue 17: the gate keeps its power with short histories. A suite of `benchmarks` with 2%
// Gaussian noise and 10 samples a side, each series with `history_runs` stored runs of the same
// model (0: none); in each trial benchmark 0 is 10% slower on the head side (power) or nothing
// changed (A/A: does any benchmark report a regression?).
struct Rates {
  double power = 0, any_false = 0;
};

Rates SimulateGate(int history_runs, int benchmarks, int trials, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int found = 0, false_alarms = 0;
  for (int t = 0; t < 2 * trials; ++t) {
    const bool aa = t % 2 == 1;
    std::vector<std::pair<std::string, std::vector<double>>> a, b;
    NoiseByMetric history;
    for (int i = 0; i < benchmarks; ++i) {
      const std::string name = "b" + std::to_string(i);
      const double level = 1000 * (1 + i % 7);
      std::vector<double> medians;
      for (int r = 0; r < history_runs; ++r) medians.push_back(Median(Noisy(rng, level, 0.02, 10)));
      if (auto noise = RunToRunNoise(medians)) history[{name, "wall_time"}] = *noise;
      a.emplace_back(name, Noisy(rng, level, 0.02, 10));
      b.emplace_back(name, Noisy(rng, !aa && i == 0 ? level * 1.1 : level, 0.02, 10));
    }
    const Comparison c = CompareRuns(RunOf(a), RunOf(b), {}, history);
    if (aa) {
      false_alarms += c.regressions > 0;
    } else {
      found += c.rows.at(0).verdict == Verdict::kRegression;
    }
  }
  return {static_cast<double>(found) / trials, static_cast<double>(false_alarms) / trials};
}

TEST(CompareShortHistory, TenPercentFoundAndAaQuietAtEveryHistoryLength) {
  // A single benchmark (no pooling: a series alone) and a suite of 40 (pooled from 3 runs on);
  // bench/compare_bench.cc has 100 and more trials.
  for (int runs : {0, 2, 3, 5, 8, 30}) {
    for (int benchmarks : {1, 40}) {
      const Rates r = SimulateGate(runs, benchmarks, benchmarks == 1 ? 400 : 100,
                                   static_cast<uint64_t>(17 + runs + benchmarks));
      EXPECT_GE(r.power, 0.95) << runs << " stored runs, " << benchmarks << " benchmarks";
      EXPECT_LE(r.any_false, 0.05) << runs << " stored runs, " << benchmarks << " benchmarks";
    }
  }
}

// The bug: with 8 stored runs of each of 40 series, the multiple was sqrt(2) t at 1 - 0.05/40
// with 0.37 x 7 = 2.6 degrees of freedom, 16x the noise: a 3% noise made every row's minimum
// effect 50%, and a 40% regression passed.
TEST(CompareShortHistory, EightStoredRunsNoLongerClampEveryRowAtFiftyPercent) {
  std::mt19937_64 rng(40);
  std::vector<std::pair<std::string, std::vector<double>>> a, b;
  NoiseByMetric history;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "b" + std::to_string(i);
    std::vector<double> medians;
    for (int r = 0; r < 8; ++r)
      medians.push_back(1000 * (1 + 0.03 * std::normal_distribution<>()(rng)));
    history[{name, "wall_time"}] = *RunToRunNoise(medians);
    a.emplace_back(name, Noisy(rng, 1000, 0.03, 10));
    b.emplace_back(name, Noisy(rng, i == 0 ? 1400 : 1000, 0.03, 10));
  }
  const Comparison c = CompareRuns(RunOf(a), RunOf(b), {}, history);
  ASSERT_EQ(c.rows.size(), 40u);
  for (const ComparisonRow& row : c.rows) {
    EXPECT_LT(row.threshold, 0.25) << row.benchmark;
    EXPECT_EQ(row.noise_source, "run-to-run over 8 runs, pooled with 39 series");
  }
  EXPECT_EQ(c.rows.at(0).verdict, Verdict::kRegression) << "b0: 40% slower";
  EXPECT_EQ(c.regressions, 1);
}

}  // namespace
}  // namespace perfledger::analysis
