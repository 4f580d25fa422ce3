#include "analysis/series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "analysis/detect.h"
#include "analysis/index.h"

namespace perfledger::analysis {
namespace {

std::string Sha(int i) {
  std::string s = std::to_string(i);
  return std::string(40 - s.size(), '0') + s;
}

struct RunSpec {
  int commit;
  std::map<std::string, std::vector<double>> benchmarks;  // wall_time samples
  std::string platform = "linux";
  std::optional<int64_t> epoch = 1;
  bool ci = true;
  std::string fingerprint = "fp1";
};

core::Run MakeRun(const RunSpec& spec) {
  core::Run r;
  r.run_id = "run-" + std::to_string(spec.commit) + "-" + spec.platform;
  r.platform = spec.platform;
  r.commit.sha = Sha(spec.commit);
  r.commit.time = base::Timestamp{(1000 + spec.commit) * 1000000000LL};
  if (spec.commit > 0) r.commit_range.from = Sha(spec.commit - 1);
  r.commit_range.to = r.commit.sha;
  r.environment.ci = spec.ci;
  r.environment.fingerprint = spec.fingerprint;
  if (spec.epoch) {
    r.suite = core::SuiteRef{"demo", 1, {}, core::EpochRef{*spec.epoch, {}}};
  }
  for (const auto& [name, samples] : spec.benchmarks) {
    r.benchmarks.push_back(
        {name, std::nullopt, {{"wall_time", "ns", core::Direction::kLower, samples, {}}}});
  }
  return r;
}

TEST(SeriesTest, SplitsByPlatformEpochAndClassAndPoolsRunsOfOneCommit) {
  SeriesBuilder b;
  b.Add(MakeRun({1, {{"a", {10, 12}}}}));
  b.Add(MakeRun({1, {{"a", {11, 13}}}}));  // the same commit again: pooled
  b.Add(MakeRun({2, {{"a", {20}}}}));
  b.Add(MakeRun({3, {{"a", {30}}}, "linux", 2}));         // another epoch
  b.Add(MakeRun({4, {{"a", {40}}}, "linux", 1, false}));  // a local run
  b.Add(MakeRun({5, {{"a", {50}}}, "mac"}));              // another platform
  auto series = b.Finish();
  ASSERT_EQ(series.size(), 4u);
  // Sorted by key: linux/a/wall_time epoch 1 local, epoch 1 ci, epoch 2 ci, then mac.
  EXPECT_EQ(series[0].key.ci, false);
  EXPECT_EQ(series[1].key.epoch, 1);
  ASSERT_EQ(series[1].points.size(), 2u);
  EXPECT_EQ(series[1].points[0].runs, 2);
  EXPECT_EQ(series[1].points[0].n, 4);
  EXPECT_DOUBLE_EQ(series[1].points[0].median, 11.5);
  EXPECT_EQ(series[1].points[1].sha, Sha(2));
  EXPECT_EQ(series[2].key.epoch, 2);
  EXPECT_EQ(series[3].key.platform, "mac");
}

TEST(SeriesTest, FiltersAndSkipsFailuresAndUnusableValues) {
  SeriesBuilder b(SeriesFilter{"linux", "sort/*", {"wall_time"}});
  core::Run r = MakeRun({1, {{"sort/a", {1, 2}}, {"sort/bad", {0, -1}}, {"other", {5}}}});
  r.benchmarks.push_back({"sort/failed", std::string("crashed"), {}});
  b.Add(r);
  b.Add(MakeRun({2, {{"sort/a", {3}}}, "mac"}));
  auto series = b.Finish();
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].key.benchmark, "sort/a");
  EXPECT_TRUE(GlobMatch("sort/*", "sort/a"));
  EXPECT_FALSE(GlobMatch("sort/?", "sort/ab"));
}

TEST(SeriesTest, HistoryNoiseComesFromTheMatchingSeries) {
  SeriesBuilder b;
  for (int i = 0; i < 10; ++i) {
    b.Add(MakeRun({i, {{"a", {i % 2 == 0 ? 100.0 : 102.0}}}}));
  }
  auto series = b.Finish();
  NoiseByMetric noise = HistoryNoiseOf(series, "linux", 1, true);
  ASSERT_EQ(noise.count({"a", "wall_time"}), 1u);
  EXPECT_EQ(noise.at({"a", "wall_time"}).runs, 10);
  EXPECT_NEAR(noise.at({"a", "wall_time"}).relative, 1.4826 * std::log(1.02) / std::sqrt(2), 1e-3);
  EXPECT_TRUE(HistoryNoiseOf(series, "linux", 2, true).empty());
  EXPECT_TRUE(HistoryNoiseOf(series, "linux", 1, false).empty());
  EXPECT_TRUE(HistoryNoiseOf(series, "linux", 1, true, 11).empty());
}

// A series of `n` commits at level 100 (with a little deterministic noise), stepping by
// `step` at `at`, with the environment fingerprint changing at `env_at` (0: never).
Series StepSeries(int n, int at, double step, int env_at = 0) {
  SeriesBuilder b;
  for (int i = 1; i <= n; ++i) {
    double v = 100 * (1 + 0.003 * ((i * 7) % 5 - 2)) * (i >= at ? 1 + step : 1);
    b.Add(MakeRun({i, {{"a", {v}}}, "linux", 1, true, env_at && i >= env_at ? "fp2" : "fp1"}));
  }
  return b.Finish().at(0);
}

TEST(DetectTest, AStepIsARegressionBetweenTheMeasuredCommitsAroundIt) {
  Series s = StepSeries(30, 16, 0.15);
  SeriesDetection d = DetectInSeries(s);
  EXPECT_TRUE(d.skipped.empty());
  EXPECT_GT(d.noise, 0);
  ASSERT_EQ(d.changes.size(), 1u);
  const DetectedChange& c = d.changes[0];
  EXPECT_EQ(c.kind, ChangeKind::kRegression);
  EXPECT_EQ(c.from, Sha(15));
  EXPECT_EQ(c.to, Sha(16));
  EXPECT_EQ(c.count, 1);
  EXPECT_NEAR(c.change, 0.15, 0.01);
  EXPECT_NEAR(c.before_median, 100, 1);
  EXPECT_GT(c.confidence, 0.99);
  EXPECT_GE(c.min_effect, 0.01);
}

TEST(DetectTest, AFasterStepIsAnImprovement) {
  SeriesDetection d = DetectInSeries(StepSeries(30, 10, -0.2));
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].kind, ChangeKind::kImprovement);
}

TEST(DetectTest, AStepAtAFingerprintChangeIsTheEnvironmentNeverARegression) {
  // The step is detected within two points of the machine change: it is the machine's.
  SeriesDetection d = DetectInSeries(StepSeries(30, 16, 0.3, 17));
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].kind, ChangeKind::kEnvironment);
  EXPECT_EQ(d.changes[0].to, Sha(17));
  EXPECT_EQ(d.changes[0].fingerprint_before, "fp1");
  EXPECT_EQ(d.changes[0].fingerprint_after, "fp2");
  // Far from it, a step is still a regression.
  SeriesDetection far = DetectInSeries(StepSeries(40, 10, 0.3, 30));
  ASSERT_EQ(far.changes.size(), 1u);
  EXPECT_EQ(far.changes[0].kind, ChangeKind::kRegression);
}

TEST(DetectTest, TooShortAndConstantSeriesSaySoAndReportNothing) {
  SeriesDetection short_one = DetectInSeries(StepSeries(3, 2, 0.5));
  EXPECT_EQ(short_one.skipped, "too short: 3 measured commits, needs at least 4");
  EXPECT_TRUE(short_one.changes.empty());
  // 4 points are analysed, but a step with one point after it is a slow run, not a step.
  SeriesDetection one_after = DetectInSeries(StepSeries(4, 4, 0.5));
  EXPECT_TRUE(one_after.skipped.empty());
  EXPECT_TRUE(one_after.changes.empty());
  SeriesBuilder b;
  for (int i = 1; i <= 10; ++i) b.Add(MakeRun({i, {{"a", {12}}}}));
  SeriesDetection constant = DetectInSeries(b.Finish().at(0));
  EXPECT_EQ(constant.skipped, "constant: every value is 12 ns");
  EXPECT_TRUE(constant.changes.empty());
}

Series RandomStepSeries(uint64_t seed, double noise, double step) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(0, noise);
  SeriesBuilder b;
  for (int i = 1; i <= 40; ++i)
    b.Add(MakeRun({i, {{"a", {100 * (1 + d(rng)) * (i > 20 ? 1 + step : 1)}}}}));
  return b.Finish().at(0);
}

TEST(DetectTest, TheSeriesNoiseSetsItsMinimumEffect) {
  // 12% run-to-run noise: a 10% step is noise here; nothing is reported.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SeriesDetection noisy = DetectInSeries(RandomStepSeries(seed, 0.12, 0.10));
    EXPECT_GT(noisy.noise, 0.08) << seed;
    EXPECT_TRUE(noisy.changes.empty()) << seed;
  }
  // 0.5% noise: a 3% step, well under the 10% a fixed threshold would use, is found.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SeriesDetection quiet = DetectInSeries(RandomStepSeries(seed, 0.005, 0.03));
    EXPECT_LT(quiet.noise, 0.01) << seed;
    ASSERT_EQ(quiet.changes.size(), 1u) << seed;
    EXPECT_EQ(quiet.changes[0].to, Sha(21)) << seed;
    EXPECT_GE(quiet.changes[0].min_effect, 0.01) << seed;
    EXPECT_LT(quiet.changes[0].min_effect, 0.02) << seed;
  }
}

// Runs of `samples` samples each with relative noise `within` inside a run and `between`
// from run to run, the level stepping by `step` from commit `at` on (0: never).
Series SampledSeries(uint64_t seed, int n, int at, double step, double within = 0.02,
                     double between = 0.005, int samples = 10) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> unit(0, 1);
  SeriesBuilder b;
  for (int i = 1; i <= n; ++i) {
    const double level = 100 * (1 + between * unit(rng)) * (at > 0 && i >= at ? 1 + step : 1);
    std::vector<double> v;
    for (int k = 0; k < samples; ++k) v.push_back(level * (1 + within * unit(rng)));
    b.Add(MakeRun({i, {{"a", v}}}));
  }
  return b.Finish().at(0);
}

TEST(DetectTest, AStepWithTwoCommitsASideIsFoundFromTheRunsSamples) {
  // A young series: 2 measured commits before a 10% regression and 2 after it (the default
  // minimum segment of 3 cannot place a change there); 10 samples of 2% noise per run. Two
  // points a side cannot show how much a run's median moves between runs, so the test takes it
  // to move as much as one sample does: a 10% step is then about 5 standard deviations, found
  // in nearly every series (a run whose samples happen to spread 1.5x wider can hide it).
  int found = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SeriesDetection d = DetectInSeries(SampledSeries(seed, 4, 3, 0.10));
    ASSERT_LE(d.changes.size(), 1u) << seed;
    if (d.changes.empty()) continue;
    ++found;
    EXPECT_EQ(d.changes[0].kind, ChangeKind::kRegression);
    EXPECT_EQ(d.changes[0].from, Sha(2));
    EXPECT_EQ(d.changes[0].to, Sha(3));
    EXPECT_NEAR(d.changes[0].change, 0.10, 0.03);
  }
  std::printf("a 10%% step, 2 commits a side, 2%% within-run noise: found in %d of 200\n", found);
  EXPECT_GE(found, 190);
  // The newest two commits of a longer history improve by 15%: found at once, before a third
  // commit confirms it.
  found = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SeriesDetection d = DetectInSeries(SampledSeries(seed, 30, 29, -0.15));
    ASSERT_LE(d.changes.size(), 1u) << seed;
    if (d.changes.empty()) continue;
    ++found;
    EXPECT_EQ(d.changes[0].kind, ChangeKind::kImprovement);
    EXPECT_EQ(d.changes[0].to, Sha(29));
  }
  std::printf("a 15%% step at the newest 2 of 30 commits: found in %d of 200\n", found);
  EXPECT_GE(found, 196);
}

TEST(DetectTest, YoungSeriesWithoutAStepStayQuiet) {
  // A/A: no step, 4-8 commits, run-to-run noise as large as the within-run noise. alpha is 1%
  // per series: at most 2% of 2,000 series alert (the expected count is at most 20, with a
  // standard deviation of about 4.5).
  int alarms = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    const int n = 4 + static_cast<int>(seed % 5);
    alarms += !DetectInSeries(SampledSeries(seed, n, 0, 0, 0.02, 0.02)).changes.empty();
  }
  std::printf("A/A, 4-8 commits: %d of 2000 series alert\n", alarms);
  EXPECT_LE(alarms, 40);
  // Two runs a side whose samples overlap (a 2% step in 5% noise): not a step.
  int found = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    found += !DetectInSeries(SampledSeries(seed, 4, 3, 0.02, 0.05, 0.01)).changes.empty();
  }
  std::printf("a 2%% step in 5%% noise, 2 commits a side: %d of 200 series alert\n", found);
  EXPECT_LE(found, 4);
  // A point without samples (a summary): nothing to test a short side with.
  SeriesDetection summaries = DetectInSeries(StepSeries(4, 3, 0.5));
  EXPECT_TRUE(summaries.changes.empty());
}

// The demo's BM_IndexLookup cpu_time on gcc -O0 (scripts/demo.sh on this VM, 2026-12-06, the
// harness's 5 samples per run, in ns): 7 commits at 120 us, the regression (1.1-1.9 ms, the
// runs disagreeing by 2x), the fix 3 commits later (0.3-0.55 ms). 13 points are too few for
// the series' noise model, and the two steps spoil most of its differences: before the runs'
// samples bounded the scale of a short series, detect found neither step.
TEST(DetectTest, TheDemosTwoStepsThreeCommitsApartAreFoundWithTheRunsSamples) {
  const std::vector<std::vector<double>> runs = {
      {154632, 136538, 115212, 116140, 116988},      {121864, 120990, 120937, 120235, 121477},
      {156383, 146749, 118809, 121269, 123487},      {153834, 150777, 118768, 119154, 118007},
      {117264, 120298, 118651, 117668, 119296},      {120227, 121211, 120912, 119633, 118785},
      {120492, 118171, 116505, 117133, 120545},      {1106938, 1076603, 1086392, 924940, 883139},
      {1997187, 1863812, 1952220, 1283186, 1269198}, {906054, 903814, 905669, 899982, 892766},
      {563787, 554781, 568359, 542447, 379779},      {354592, 353294, 542682, 544212, 530748},
      {295750, 288753, 292889, 298793, 296383}};
  SeriesBuilder b;
  for (size_t i = 0; i < runs.size(); ++i) {
    b.Add(MakeRun({static_cast<int>(i + 1), {{"a", runs[i]}}}));
  }
  SeriesDetection d = DetectInSeries(b.Finish().at(0), {.min_effect = 0.2});
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[0].kind, ChangeKind::kRegression);
  EXPECT_EQ(d.changes[0].to, Sha(8));
  EXPECT_GT(d.changes[0].change, 5);
  EXPECT_EQ(d.changes[1].kind, ChangeKind::kImprovement);
  EXPECT_EQ(d.changes[1].to, Sha(11));
  EXPECT_LT(d.changes[1].change, -0.4);
}

TEST(DetectTest, ShortSeriesWithSamplesAndNoStepStayQuiet) {
  // A/A, 9-29 commits, where the runs' samples bound the scale: run-to-run noise as large as
  // the within-run noise, and twice as large (then the series' own successive differences
  // set the scale). Both tests share alpha = 1% per series: at most 2% of 1,000 series alert.
  for (const double between : {0.02, 0.04}) {
    int alarms = 0;
    for (uint64_t seed = 1; seed <= 1000; ++seed) {
      const int n = 9 + static_cast<int>(seed % 21);
      alarms += !DetectInSeries(SampledSeries(seed, n, 0, 0, 0.02, between)).changes.empty();
    }
    std::printf("A/A, 9-29 commits, run-to-run noise %.0f%%: %d of 1000 series alert\n",
                100 * between, alarms);
    EXPECT_LE(alarms, 20);
  }
}

TEST(DetectTest, MatchingNewChangesAgainstKeptAlerts) {
  Series s = StepSeries(30, 16, 0.15);
  DetectedChange c = DetectInSeries(s).changes.at(0);
  // Nothing kept: new.
  EXPECT_EQ(MatchAlert(s, c, {}).action, AlertMatch::Action::kNew);
  KnownAlert same{7, s.key, c.from, c.to, ChangeKind::kRegression};
  EXPECT_EQ(MatchAlert(s, c, {same}).action, AlertMatch::Action::kExisting);
  EXPECT_EQ(MatchAlert(s, c, {same}).alert_id, 7);
  // A wider alert holding the change: bisection narrowed it.
  KnownAlert wide{8, s.key, Sha(12), Sha(18), ChangeKind::kRegression};
  AlertMatch m = MatchAlert(s, c, {wide});
  EXPECT_EQ(m.action, AlertMatch::Action::kNarrow);
  EXPECT_EQ(m.alert_id, 8);
  // Overlapping but not inside it: the same change, left as it is.
  KnownAlert overlapping{9, s.key, Sha(13), Sha(16), ChangeKind::kRegression};
  c.from = Sha(15);
  c.to = Sha(17);
  EXPECT_EQ(MatchAlert(s, c, {overlapping}).action, AlertMatch::Action::kExisting);
  EXPECT_EQ(MatchAlert(s, c, {overlapping}).alert_id, 9);
  KnownAlert disjoint{10, s.key, Sha(2), Sha(3), ChangeKind::kRegression};
  EXPECT_EQ(MatchAlert(s, c, {disjoint}).action, AlertMatch::Action::kNew);
  KnownAlert other_series = same;
  other_series.key.platform = "mac";
  EXPECT_EQ(MatchAlert(s, c, {other_series}).action, AlertMatch::Action::kNew);
  // A noise change over a kept regression's range is a finding of its own, and the other way.
  KnownAlert noise_over = overlapping;
  noise_over.kind = ChangeKind::kNoise;
  EXPECT_EQ(MatchAlert(s, c, {noise_over}).action, AlertMatch::Action::kNew);
  DetectedChange spread = c;
  spread.kind = ChangeKind::kNoise;
  EXPECT_EQ(MatchAlert(s, spread, {overlapping}).action, AlertMatch::Action::kNew);
  EXPECT_EQ(MatchAlert(s, spread, {noise_over}).action, AlertMatch::Action::kExisting);
}

TEST(IndexTest, GeometricMeanOfRatiosFromTheEpochsFirstCompleteRun) {
  SeriesBuilder b;
  b.Add(MakeRun({1, {{"a", {100}}}}));                           // before the base
  b.Add(MakeRun({2, {{"a", {100}}, {"b", {10}}}}));              // the first complete run
  b.Add(MakeRun({3, {{"a", {200}}, {"b", {10}}}}));              // a doubled
  b.Add(MakeRun({4, {{"a", {400}}, {"b", {2.5}}}}));             // x4 and x0.25
  b.Add(MakeRun({5, {{"b", {20}}}}));                            // only b: x2
  b.Add(MakeRun({6, {{"a", {100}}, {"b", {10}}}, "linux", 2}));  // another epoch
  auto series = b.Finish();
  auto index = ComputeIndex(series, {{{"linux", 1}, Sha(2)}});
  ASSERT_EQ(index.size(), 2u);
  const IndexSeries& e1 = index[0];
  EXPECT_EQ(e1.epoch, 1);
  EXPECT_EQ(e1.base_sha, Sha(2));
  EXPECT_EQ(e1.base_source, "first complete run of epoch 1");
  EXPECT_EQ(e1.base_benchmarks, 2);
  ASSERT_EQ(e1.points.size(), 4u);
  EXPECT_DOUBLE_EQ(e1.points[0].value, 1.0);
  EXPECT_NEAR(e1.points[1].value, std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(e1.points[2].value, 1.0, 1e-12);
  EXPECT_NEAR(e1.points[3].value, 2.0, 1e-12);
  EXPECT_EQ(e1.points[3].benchmarks, 1);
  // Without a known base, the first commit measuring every benchmark.
  const IndexSeries& e2 = index[1];
  EXPECT_EQ(e2.base_sha, Sha(6));
  EXPECT_EQ(e2.base_source, "first run measuring all 2 benchmarks");
}

}  // namespace
}  // namespace perfledger::analysis
