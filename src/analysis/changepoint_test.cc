#include "analysis/changepoint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <random>
#include <string>

namespace perfledger::analysis {
namespace {

// Noise kinds of the generated series: relative Gaussian noise, alone or with heavy tails.
enum class Noise {
  kGaussian,
  kOutliers,  // 1% of points with 3x the noise deviation (a contaminated normal)
  kSpikes,    // harsher: 2% one-sided spikes of +4..+20 noise deviations (a busy runner)
};

const char* Name(Noise noise) {
  switch (noise) {
    case Noise::kGaussian:
      return "gaussian";
    case Noise::kOutliers:
      return "outliers";
    case Noise::kSpikes:
      return "spikes";
  }
  return "";
}

struct Series {
  std::vector<double> values;
  std::vector<size_t> steps;  // true change indexes
};

// A series of `n` points at a random level, `steps` step changes of 5-50% (and at least 3x
// the noise deviation) in either direction, every segment at least `min_gap` points long,
// and relative noise of 1-5%.
Series Generate(std::mt19937_64& rng, size_t n, size_t steps, Noise noise, size_t min_gap = 15) {
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> normal;
  Series s;
  const double sigma = 0.01 + 0.04 * unit(rng);
  // Every segment has min_gap points plus a uniform share of the slack.
  std::uniform_int_distribution<size_t> slack(0, n - (steps + 1) * min_gap);
  for (size_t i = 0; i < steps; ++i) s.steps.push_back(slack(rng));
  std::sort(s.steps.begin(), s.steps.end());
  for (size_t i = 0; i < steps; ++i) s.steps[i] += (i + 1) * min_gap;

  double level = std::exp(std::log(1e3) + unit(rng) * std::log(1e3));
  size_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    if (next < s.steps.size() && s.steps[next] == i) {
      const double size = std::max(0.05, 3 * sigma) + unit(rng) * (0.5 - std::max(0.05, 3 * sigma));
      level *= unit(rng) < 0.5 ? 1 + size : 1 - size;
      ++next;
    }
    double e = sigma * normal(rng);
    if (noise == Noise::kOutliers && unit(rng) < 0.01) e *= 3;
    if (noise == Noise::kSpikes && unit(rng) < 0.02) e = sigma * (4 + 16 * unit(rng));
    s.values.push_back(level * (1 + e));
  }
  return s;
}

struct Score {
  size_t truths = 0, detections = 0, matched = 0;
  size_t series = 0, series_with_alerts = 0;
  double Recall() const { return truths == 0 ? 1 : static_cast<double>(matched) / truths; }
  double Precision() const {
    return detections == 0 ? 1 : static_cast<double>(matched) / detections;
  }
  double AlertRate() const { return static_cast<double>(series_with_alerts) / series; }
};

// Counts detections within `tolerance` points of a true step (each truth matched once).
void Tally(const std::vector<size_t>& truth, const std::vector<ChangePoint>& found, Score* score,
           size_t tolerance = 2) {
  std::vector<bool> used(truth.size());
  for (const ChangePoint& cp : found) {
    for (size_t j = 0; j < truth.size(); ++j) {
      const size_t gap = cp.index > truth[j] ? cp.index - truth[j] : truth[j] - cp.index;
      if (!used[j] && gap <= tolerance) {
        used[j] = true;
        ++score->matched;
        break;
      }
    }
  }
  score->truths += truth.size();
  score->detections += found.size();
  score->series += 1;
  score->series_with_alerts += found.empty() ? 0 : 1;
}

Score Measure(Noise noise, int series, bool with_steps, uint64_t seed, size_t n = 200,
              size_t min_gap = 15) {
  std::mt19937_64 rng(seed);
  Score score;
  for (int i = 0; i < series; ++i) {
    const size_t steps = with_steps ? 1 + i % 3 : 0;
    const Series s = Generate(rng, n, steps, noise, min_gap);
    Tally(s.steps, DetectChanges(s.values), &score);
  }
  if (with_steps) {
    std::printf("%s, 1-3 steps in %zu points: recall %.4f, precision %.4f (%zu series)\n",
                Name(noise), n, score.Recall(), score.Precision(), score.series);
  } else {
    std::printf("%s, no change in %zu points: %zu of %zu series alert (%.4f)\n", Name(noise), n,
                score.series_with_alerts, score.series, score.AlertRate());
  }
  return score;
}

std::vector<double> Noisy(std::mt19937_64& rng, size_t n, double level, double sigma) {
  std::normal_distribution<double> normal;
  std::vector<double> v(n);
  for (double& x : v) x = level * (1 + sigma * normal(rng));
  return v;
}

std::vector<size_t> Indexes(const std::vector<ChangePoint>& found) {
  std::vector<size_t> out;
  for (const ChangePoint& cp : found) out.push_back(cp.index);
  return out;
}

TEST(SeriesNoise, TooShortOrInvalidIsZero) {
  EXPECT_EQ(SeriesNoise({}), 0);
  const std::vector<double> two{1, 2};
  EXPECT_EQ(SeriesNoise(two), 0);
  const std::vector<double> zero{1, 0, 2, 3};
  EXPECT_EQ(SeriesNoise(zero), 0);
  const std::vector<double> inf{1, std::numeric_limits<double>::infinity(), 2, 3};
  EXPECT_EQ(SeriesNoise(inf), 0);
}

TEST(SeriesNoise, ConstantIsZero) {
  const std::vector<double> v(50, 7.5);
  EXPECT_EQ(SeriesNoise(v), 0);
}

TEST(SeriesNoise, RecoversTheRelativeDeviation) {
  std::mt19937_64 rng(1);
  for (double sigma : {0.005, 0.02, 0.05}) {
    const auto v = Noisy(rng, 20'000, 1e6, sigma);
    EXPECT_NEAR(SeriesNoise(v) / sigma, 1, 0.05) << sigma;
  }
}

TEST(SeriesNoise, StepsAndOutliersDoNotInflateIt) {
  std::mt19937_64 rng(2);
  auto v = Noisy(rng, 2'000, 1000, 0.02);
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] *= 1 + 0.3 * static_cast<double>(i / 200);  // ten steps of 30% or more
    if (i % 50 == 7) v[i] *= 5;                      // 2% gross outliers
  }
  EXPECT_NEAR(SeriesNoise(v) / 0.02, 1, 0.12);
}

TEST(ChangePoint, ConstantSeriesHasNone) {
  const std::vector<double> v(100, 42);
  EXPECT_TRUE(DetectChanges(v).empty());
}

TEST(ChangePoint, TooShortSeriesHasNone) {
  EXPECT_TRUE(DetectChanges({}).empty());
  const std::vector<double> five{1, 1, 1, 2, 2};  // shorter than 2 * min_segment
  EXPECT_TRUE(DetectChanges(five).empty());
  const std::vector<double> six{1, 1, 1, 2, 2, 2};  // exactly 2 * min_segment
  EXPECT_EQ(Indexes(DetectChanges(six)), std::vector<size_t>{3});
  EXPECT_TRUE(DetectChanges(six, {.min_segment = 4}).empty());
}

TEST(ChangePoint, InvalidValuesHaveNone) {
  std::vector<double> v{1, 1, 1, 1, 2, 2, 2, 2};
  ASSERT_EQ(DetectChanges(v).size(), 1u);
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    auto w = v;
    w[2] = bad;
    EXPECT_TRUE(DetectChanges(w).empty()) << bad;
  }
}

TEST(ChangePoint, OneStepReportsIndexMediansAndChange) {
  std::mt19937_64 rng(3);
  auto v = Noisy(rng, 120, 100, 0.01);
  for (size_t i = 70; i < v.size(); ++i) v[i] *= 1.2;
  const auto found = DetectChanges(v);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].index, 70u);
  EXPECT_NEAR(found[0].before, 100, 1);
  EXPECT_NEAR(found[0].after, 120, 1.2);
  EXPECT_NEAR(found[0].change, 0.2, 0.02);
  EXPECT_GT(found[0].confidence, 0.999);
  EXPECT_LE(found[0].confidence, 1);
}

TEST(ChangePoint, ImprovementIsANegativeChange) {
  std::mt19937_64 rng(4);
  auto v = Noisy(rng, 60, 100, 0.02);
  for (size_t i = 25; i < v.size(); ++i) v[i] *= 0.8;
  const auto found = DetectChanges(v);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].index, 25u);
  EXPECT_NEAR(found[0].change, -0.2, 0.03);
}

TEST(ChangePoint, ExactStepsAreExact) {
  std::vector<double> v;
  for (int level : {10, 12, 9, 15}) v.insert(v.end(), 20, level);
  const auto found = DetectChanges(v);
  EXPECT_EQ(Indexes(found), (std::vector<size_t>{20, 40, 60}));
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[1].before, 12);
  EXPECT_EQ(found[1].after, 9);
  EXPECT_DOUBLE_EQ(found[1].change, -0.25);
}

TEST(ChangePoint, SingleOutlierIsNoChange) {
  for (size_t at : {0, 1, 2, 50, 97, 98, 99}) {
    std::mt19937_64 rng(5);
    auto v = Noisy(rng, 100, 100, 0.01);
    v[at] *= 3;
    EXPECT_TRUE(DetectChanges(v).empty()) << at;
  }
}

TEST(ChangePoint, StepAtTheEdgesRespectsMinSegment) {
  // A 30% step 3 points from either end is found (min_segment 3), one 2 points from an end is
  // not reported closer than min_segment.
  std::mt19937_64 rng(6);
  const auto base = Noisy(rng, 100, 100, 0.01);
  auto from = [&](size_t at) {
    auto v = base;
    for (size_t i = at; i < v.size(); ++i) v[i] *= 1.3;
    return v;
  };
  EXPECT_EQ(Indexes(DetectChanges(from(3))), std::vector<size_t>{3});
  EXPECT_EQ(Indexes(DetectChanges(from(97))), std::vector<size_t>{97});
  for (size_t at : {1, 2, 98, 99}) {
    for (const ChangePoint& cp : DetectChanges(from(at))) {
      EXPECT_GE(cp.index, 3u) << at;
      EXPECT_LE(cp.index, 97u) << at;
    }
  }
  for (const ChangePoint& cp : DetectChanges(from(4), {.min_segment = 6})) {
    EXPECT_GE(cp.index, 6u);
  }
}

TEST(ChangePoint, MinEffectSuppressesSmallChanges) {
  std::mt19937_64 rng(7);
  auto v = Noisy(rng, 200, 100, 0.005);
  for (size_t i = 100; i < v.size(); ++i) v[i] *= 1.03;
  EXPECT_EQ(Indexes(DetectChanges(v)), std::vector<size_t>{100});
  EXPECT_EQ(Indexes(DetectChanges(v, {.min_effect = 0.02})), std::vector<size_t>{100});
  EXPECT_TRUE(DetectChanges(v, {.min_effect = 0.05}).empty());
}

TEST(ChangePoint, NoiseFloorHidesSignificantButTinyChanges) {
  // 0.5 noise deviations over 10,000 points a side: highly significant, below the noise floor.
  std::mt19937_64 rng(8);
  auto v = Noisy(rng, 20'000, 100, 0.02);
  for (size_t i = 10'000; i < v.size(); ++i) v[i] *= 1.01;
  EXPECT_TRUE(DetectChanges(v).empty());
  EXPECT_EQ(Indexes(DetectChanges(v, {.min_effect = 0.005})).size(), 0u)
      << "min_effect only raises the floor";
}

TEST(ChangePoint, AMoveOfFewerThanMinSegmentNewestPointsWaitsForMore) {
  // The newest 2 of 30 points drop by 15%: min_segment 3 cannot place the change between them,
  // and the split it allows (3 from the end) would be misplaced, so nothing is reported (the
  // caller tests the newest points with their samples); with a third point down it is found
  // where it is.
  std::mt19937_64 rng(12);
  int quiet = 0, found = 0;
  for (int s = 0; s < 100; ++s) {
    auto v = Noisy(rng, 31, 100, 0.005);
    for (size_t i = 28; i < 31; ++i) v[i] *= 0.85;
    quiet += DetectChanges(std::span<const double>(v).first(30)).empty() ? 1 : 0;
    found += Indexes(DetectChanges(v)) == std::vector<size_t>{28} ? 1 : 0;
  }
  EXPECT_GE(quiet, 98);
  EXPECT_GE(found, 98);
}

TEST(ChangePoint, AlphaZeroFindsNothing) {
  std::mt19937_64 rng(9);
  auto v = Noisy(rng, 100, 100, 0.01);
  for (size_t i = 50; i < v.size(); ++i) v[i] *= 1.5;
  EXPECT_EQ(DetectChanges(v).size(), 1u);
  EXPECT_TRUE(DetectChanges(v, {.alpha = 0}).empty());
}

TEST(ChangePoint, QuantizedMetricWithBlips) {
  // Instruction counts: mostly identical, an odd blip, one real step of 1%.
  std::vector<double> v(300, 1'000'000);
  for (size_t i = 150; i < v.size(); ++i) v[i] = 1'010'000;
  for (size_t i : {20, 77, 140, 151, 230}) v[i] += 1;
  v[260] = 1'200'000;
  EXPECT_EQ(SeriesNoise(v), 0);
  EXPECT_EQ(Indexes(DetectChanges(v)), std::vector<size_t>{150});
}

TEST(ChangePoint, ShortBumpInALongSeries) {
  // 20 points 10% slower in 2,000: plain binary segmentation's first split misses this.
  std::mt19937_64 rng(10);
  auto v = Noisy(rng, 2'000, 100, 0.01);
  for (size_t i = 1'000; i < 1'020; ++i) v[i] *= 1.1;
  EXPECT_EQ(Indexes(DetectChanges(v)), (std::vector<size_t>{1'000, 1'020}));
}

TEST(ChangePoint, ManyStepsInALongSeriesAreSortedAndSeparated) {
  std::mt19937_64 rng(11);
  const Series s = Generate(rng, 20'000, 40, Noise::kOutliers, 100);
  const auto found = DetectChanges(s.values);
  Score score;
  Tally(s.steps, found, &score);
  EXPECT_EQ(score.matched, 40u);
  EXPECT_EQ(found.size(), 40u);
  for (size_t i = 1; i < found.size(); ++i) EXPECT_GE(found[i].index, found[i - 1].index + 3);
}

// The accuracy floors: 200 points, 1-3 steps of 5-50% (>= 3 noise deviations, segments >= 15
// points), noise 1-5%; a detection is true within 2 points of the step.
TEST(ChangePointAccuracy, GaussianSteps) {
  const Score s = Measure(Noise::kGaussian, 2'000, true, 101);
  EXPECT_GE(s.Recall(), 0.95);
  EXPECT_GE(s.Precision(), 0.95);
}

TEST(ChangePointAccuracy, OutlierSteps) {
  const Score s = Measure(Noise::kOutliers, 2'000, true, 102);
  EXPECT_GE(s.Recall(), 0.95);
  EXPECT_GE(s.Precision(), 0.95);
}

TEST(ChangePointAccuracy, SpikeSteps) {
  const Score s = Measure(Noise::kSpikes, 2'000, true, 103);
  EXPECT_GE(s.Recall(), 0.95);
  EXPECT_GE(s.Precision(), 0.95);
}

TEST(ChangePointAccuracy, GaussianNoChangeRarelyAlerts) {
  EXPECT_LE(Measure(Noise::kGaussian, 5'000, false, 201).AlertRate(), 0.01);
}

TEST(ChangePointAccuracy, OutlierNoChangeRarelyAlerts) {
  EXPECT_LE(Measure(Noise::kOutliers, 5'000, false, 202).AlertRate(), 0.01);
}

TEST(ChangePointAccuracy, SpikeNoChangeRarelyAlerts) {
  EXPECT_LE(Measure(Noise::kSpikes, 5'000, false, 203).AlertRate(), 0.01);
}

// The same floors on series of 1,000 points: more room for chance alerts.
TEST(ChangePointAccuracy, LongSeries) {
  for (Noise noise : {Noise::kGaussian, Noise::kOutliers, Noise::kSpikes}) {
    const Score steps = Measure(noise, 300, true, 301, 1'000);
    EXPECT_GE(steps.Recall(), 0.95) << Name(noise);
    EXPECT_GE(steps.Precision(), 0.95) << Name(noise);
    EXPECT_LE(Measure(noise, 1'000, false, 302, 1'000).AlertRate(), 0.01) << Name(noise);
  }
}

// --- Trends, seasons, autocorrelation and spread (issue 17) ----------------------------------

// Relative Gaussian noise of deviation sigma, AR(1) with coefficient phi (marginal deviation
// sigma), around level(i).
template <typename Level>
std::vector<double> Around(std::mt19937_64& rng, size_t n, double sigma, double phi, Level level) {
  std::normal_distribution<double> normal;
  std::vector<double> v(n);
  double e = normal(rng);
  for (size_t i = 0; i < n; ++i) {
    e = phi * e + std::sqrt(1 - phi * phi) * normal(rng);
    v[i] = level(i) * std::exp(sigma * e);
  }
  return v;
}

size_t Count(const std::vector<ChangePoint>& found, ChangeShape shape) {
  return static_cast<size_t>(std::count_if(found.begin(), found.end(),
                                           [&](const ChangePoint& c) { return c.shape == shape; }));
}

TEST(ChangePointTrend, LinearDriftIsOneDrift) {
  // A slow 20% regression over 100 points between two flat stretches: one drift, reported once
  // with its range, total change and rate per point.
  std::mt19937_64 rng(21);
  int exact = 0;
  const int kSeries = 100;
  for (int s = 0; s < kSeries; ++s) {
    const auto v = Around(rng, 300, 0.01, 0, [](size_t i) {
      return 100 * (1 + 0.2 * std::clamp((static_cast<double>(i) - 99.5) / 100, 0.0, 1.0));
    });
    const auto found = DetectChanges(v);
    if (found.size() != 1 || found[0].shape != ChangeShape::kDrift) continue;
    ++exact;
    const ChangePoint& d = found[0];
    EXPECT_NEAR(static_cast<double>(d.first), 100, 12) << s;
    EXPECT_NEAR(static_cast<double>(d.last), 199, 12) << s;
    EXPECT_EQ(d.index, d.last + 1);
    EXPECT_NEAR(d.before, 100, 1.5) << s;
    EXPECT_NEAR(d.change, 0.2, 0.03) << s;
    EXPECT_NEAR(d.rate, std::pow(1 + d.change, 1.0 / static_cast<double>(d.last - d.first + 1)) - 1,
                1e-9);
  }
  std::printf("linear drift of 20%% over 100 of 300 points: one drift in %d of %d\n", exact,
              kSeries);
  EXPECT_GE(exact, kSeries * 9 / 10);
}

TEST(ChangePointTrend, TrendOverTheWholeSeriesIsOneDrift) {
  std::mt19937_64 rng(22);
  int exact = 0;
  for (int s = 0; s < 50; ++s) {
    const auto v = Around(rng, 500, 0.02, 0.3, [](size_t i) {
      return 100 * std::exp(0.5 * static_cast<double>(i) / 500);
    });
    const auto found = DetectChanges(v);
    exact += found.size() == 1 && found[0].shape == ChangeShape::kDrift ? 1 : 0;
  }
  std::printf("exponential growth of 65%% over 500 points, AR(1) 0.3: one drift in %d of 50\n",
              exact);
  EXPECT_GE(exact, 45);
}

TEST(ChangePointTrend, CurvedDriftIsAtMostOneChange) {
  // A logistic move of 30%: a curve, not a staircase.
  std::mt19937_64 rng(23);
  int drifts = 0, more = 0;
  for (int s = 0; s < 50; ++s) {
    const auto v = Around(rng, 400, 0.01, 0, [](size_t i) {
      return 100 * (1 + 0.3 / (1 + std::exp(-(static_cast<double>(i) - 200) / 15)));
    });
    const auto found = DetectChanges(v);
    more += found.size() > 1 ? 1 : 0;
    drifts += found.size() == 1 && found[0].shape == ChangeShape::kDrift ? 1 : 0;
  }
  std::printf("logistic move of 30%% in 400 points: one drift in %d of 50, more in %d\n", drifts,
              more);
  EXPECT_GE(drifts, 45);
  EXPECT_LE(more, 2);
}

TEST(ChangePointTrend, SeasonThatReturnsToItsLevelIsNothing) {
  std::mt19937_64 rng(24);
  int quiet = 0;
  for (int s = 0; s < 50; ++s) {
    const double period = 20 + s;  // 20..69 points
    const auto v = Around(rng, 500, 0.01, 0, [&](size_t i) {
      return 100 * (1 + 0.05 * std::sin(2 * std::numbers::pi * static_cast<double>(i) / period));
    });
    const auto found = DetectChanges(v);
    quiet += found.empty() ? 1 : 0;
  }
  std::printf("5%% season, periods 20-69, in 500 points: nothing in %d of 50\n", quiet);
  EXPECT_GE(quiet, 49);
}

TEST(ChangePointTrend, AutocorrelatedNoiseRarelyAlerts) {
  std::mt19937_64 rng(25);
  int alerts = 0;
  const int kSeries = 400;
  for (int s = 0; s < kSeries; ++s) {
    const size_t n = s % 2 == 0 ? 200 : 1'000;
    const auto v = Around(rng, n, 0.02, 0.6, [](size_t) { return 100.0; });
    alerts += DetectChanges(v).empty() ? 0 : 1;
  }
  std::printf("AR(1) noise, phi 0.6, 200 and 1,000 points: %d of %d series alert\n", alerts,
              kSeries);
  EXPECT_LE(alerts, kSeries / 100);
}

TEST(ChangePointTrend, AClearStepInAShortWhiteSeriesIsFound) {
  // 40 points of 0.5% white noise with a 3% step in the middle (6 deviations). phi estimated
  // from 40 points comes out above 0.4 for about one series in eight, which alone would test
  // the step against a long-run deviation several times the noise and miss it (355 of 400
  // were found before the residual check); the residuals around the step show no
  // autocorrelation, so it is found.
  std::mt19937_64 rng(26);
  int exact = 0;
  for (int s = 0; s < 400; ++s) {
    const auto v = Around(rng, 40, 0.005, 0, [](size_t i) { return i < 20 ? 100.0 : 103.0; });
    const auto found = DetectChanges(v);
    exact += found.size() == 1 && found[0].shape == ChangeShape::kStep && found[0].index == 20;
  }
  std::printf("3%% step in 40 points of 0.5%% white noise: found exactly in %d of 400\n", exact);
  EXPECT_GE(exact, 390);
}

TEST(ChangePointTrend, ShortAutocorrelatedSeriesRarelyAlert) {
  // The other side of the residual check: AR(1) noise in a series as short keeps its
  // autocorrelation around any segments, so it does not pass for steps.
  std::mt19937_64 rng(27);
  int alerts = 0;
  for (int s = 0; s < 1000; ++s) {
    const auto v = Around(rng, 40, 0.02, 0.6, [](size_t) { return 100.0; });
    alerts += DetectChanges(v).empty() ? 0 : 1;
  }
  std::printf("AR(1) noise, phi 0.6, 40 points: %d of 1000 series alert\n", alerts);
  EXPECT_LE(alerts, 25);
}

TEST(ChangePointTrend, StepOnATrendIsOneStep) {
  std::mt19937_64 rng(26);
  int exact = 0;
  for (int s = 0; s < 50; ++s) {
    auto v = Around(rng, 300, 0.01, 0, [](size_t i) {
      return 100 * (1 + 0.3 * static_cast<double>(i) / 300) * (i >= 170 ? 1.1 : 1.0);
    });
    const auto found = DetectChanges(v);
    ASSERT_EQ(Count(found, ChangeShape::kStep), 1u) << s;
    for (const ChangePoint& c : found) {
      if (c.shape == ChangeShape::kStep) exact += c.index == 170 ? 1 : 0;
    }
  }
  EXPECT_GE(exact, 48);
}

TEST(ChangePointTrend, NoisierSeriesIsOneNoiseChange) {
  // The noise doubles at point 300 of 600; the level does not move.
  std::mt19937_64 rng(27);
  int exact = 0;
  for (int s = 0; s < 50; ++s) {
    auto v = Around(rng, 300, 0.01, 0, [](size_t) { return 100.0; });
    const auto w = Around(rng, 300, 0.02, 0, [](size_t) { return 100.0; });
    v.insert(v.end(), w.begin(), w.end());
    const auto found = DetectChanges(v);
    EXPECT_EQ(Count(found, ChangeShape::kStep), 0u) << s;
    if (found.size() == 1 && found[0].shape == ChangeShape::kNoise && found[0].index + 30 >= 300 &&
        found[0].index <= 330) {
      ++exact;
      EXPECT_NEAR(found[0].spread_ratio, 2, 0.7) << s;
    }
  }
  std::printf("noise doubling at 300 of 600 points: one noise change in %d of 50\n", exact);
  EXPECT_GE(exact, 45);
}

TEST(ChangePointTrend, BimodalSeriesIsANoiseChangeNotAStep) {
  // From point 200 on, every run lands at random on one of two levels 10% apart.
  std::mt19937_64 rng(28);
  std::bernoulli_distribution coin(0.5);
  int noise = 0, level = 0;
  for (int s = 0; s < 50; ++s) {
    auto v = Around(rng, 400, 0.01, 0, [](size_t) { return 100.0; });
    for (size_t i = 200; i < v.size(); ++i) v[i] *= coin(rng) ? 1.1 : 1;
    const auto found = DetectChanges(v);
    level += found.size() > Count(found, ChangeShape::kNoise) ? 1 : 0;
    for (const ChangePoint& c : found) {
      if (c.shape == ChangeShape::kNoise && c.index + 10 >= 200 && c.index <= 210) ++noise;
    }
  }
  std::printf("bimodal from 200 of 400 points: a noise change in %d of 50, level changes in %d\n",
              noise, level);
  EXPECT_GE(noise, 45);
  // Known weakness: the level search still takes chance runs of one mode for steps or drifts.
  EXPECT_LE(level, 25);
}

}  // namespace
}  // namespace perfledger::analysis
