// Periodic components (season.h) and how change point detection (changepoint.h) treats them: a
// season is found and taken out, so it raises nothing, and steps under it are still found
// exactly; series without one (noise, AR(1) noise, steps, trends) get none.
#include "analysis/season.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <vector>

#include "analysis/changepoint.h"
#include "analysis/noise_model.h"

namespace perfledger::analysis {
namespace {

// Log values: a level path plus AR(1) noise of marginal deviation sigma.
std::vector<double> LogSeries(std::mt19937_64& rng, size_t n, double sigma, double phi,
                              double (*level)(size_t, double), double arg) {
  std::normal_distribution<double> normal;
  std::vector<double> x(n);
  double e = normal(rng);
  for (size_t i = 0; i < n; ++i) {
    e = phi * e + std::sqrt(1 - phi * phi) * normal(rng);
    x[i] = level(i, arg) + sigma * e;
  }
  return x;
}

Season Find(const std::vector<double>& x) { return FindSeason(x); }

double Sine(size_t i, double period) {
  return 0.04 * std::sin(2 * std::numbers::pi * static_cast<double>(i) / period);
}

TEST(Season, FindsTheDailyAndWeeklyPeriod) {
  std::mt19937_64 rng(41);
  for (double period : {7.0, 24.0}) {
    int exact = 0;
    for (int s = 0; s < 20; ++s) {
      // Amplitude 2 noise deviations.
      const auto x = LogSeries(rng, 500, 0.02, 0, Sine, period);
      const Season season = Find(x);
      if (season.period != static_cast<size_t>(period)) continue;
      ++exact;
      // The profile is the sine: its root mean square is 0.04 / sqrt 2.
      double ss = 0;
      for (double v : season.profile) ss += v * v;
      EXPECT_NEAR(std::sqrt(ss / period), 0.04 / std::numbers::sqrt2, 0.008) << period;
    }
    EXPECT_GE(exact, 19) << period;
  }
}

TEST(Season, NoneWithoutAPeriodicComponent) {
  std::mt19937_64 rng(42);
  int found = 0, series = 0;
  auto flat = [](size_t, double) { return 0.0; };
  auto steps = [](size_t i, double) { return i < 70 ? 0.0 : i < 150 ? 0.2 : -0.1; };
  auto trend = [](size_t i, double) { return 0.3 * static_cast<double>(i) / 200; };
  for (int s = 0; s < 100; ++s) {
    for (double phi : {0.0, 0.6}) {
      found += Find(LogSeries(rng, 200, 0.02, phi, flat, 0)).period > 0 ? 1 : 0;
      found += Find(LogSeries(rng, 200, 0.02, phi, steps, 0)).period > 0 ? 1 : 0;
      found += Find(LogSeries(rng, 200, 0.02, phi, trend, 0)).period > 0 ? 1 : 0;
      series += 3;
    }
  }
  std::printf("no periodic component: a season found in %d of %d series\n", found, series);
  EXPECT_LE(found, series / 100);
}

TEST(Season, StepsUnderADailyLoadAreFoundExactly) {
  // A daily cycle of 24 points with an amplitude of 2 noise deviations and two steps of 8%.
  std::mt19937_64 rng(43);
  int exact = 0, other = 0;
  for (int s = 0; s < 50; ++s) {
    auto level = [](size_t i, double) {
      return Sine(i, 24) + (i >= 180 ? std::log(1.08) : 0) + (i >= 330 ? std::log(0.92) : 0);
    };
    const auto x = LogSeries(rng, 500, 0.02, 0, level, 0);
    std::vector<double> v(x.size());
    for (size_t i = 0; i < x.size(); ++i) v[i] = 100 * std::exp(x[i]);
    const auto found = DetectChanges(v);
    for (const ChangePoint& c : found) {
      const bool hit = c.shape == ChangeShape::kStep && (c.index == 180 || c.index == 330);
      exact += hit ? 1 : 0;
      other += hit ? 0 : 1;
    }
  }
  std::printf("two 8%% steps under a daily season: %d of 100 found exactly, %d other changes\n",
              exact, other);
  EXPECT_GE(exact, 95);
  EXPECT_LE(other, 5);
}

TEST(Season, RegularStepsFarApartAreStepsNotASeason) {
  // Alternating steps every 1,000 points: a periodic pattern, but far longer than a daily or
  // weekly load (kMaxSeasonPeriod), so every one is a step.
  std::mt19937_64 rng(44);
  auto level = [](size_t i, double) { return (i / 1000) % 2 == 1 ? std::log(1.2) : 0.0; };
  const auto x = LogSeries(rng, 20'000, 0.02, 0, level, 0);
  std::vector<double> v(x.size());
  for (size_t i = 0; i < x.size(); ++i) v[i] = 100 * std::exp(x[i]);
  const auto found = DetectChanges(v);
  ASSERT_EQ(found.size(), 19u);
  for (size_t k = 0; k < found.size(); ++k) {
    EXPECT_EQ(found[k].shape, ChangeShape::kStep);
    EXPECT_EQ(found[k].index, 1000 * (k + 1));
  }
}

TEST(NoiseModel, TwoLargeStepsInAShortSeriesAreNotAutocorrelation) {
  // 50 points of white noise with two steps of 10-20 deviations: the second differences that
  // straddle a step are left out, so phi stays near 0 (it went to the 0.9 cap before).
  std::mt19937_64 rng(45);
  int low = 0, close = 0;
  for (int s = 0; s < 100; ++s) {
    auto level = [](size_t i, double) { return i < 17 ? 0.0 : i < 34 ? -0.3 : -0.1; };
    const NoiseModel model = EstimateNoise(LogSeries(rng, 50, 0.02, 0, level, 0));
    low += model.phi < 0.5 ? 1 : 0;
    close += std::abs(model.sigma / 0.02 - 1) < 0.4 ? 1 : 0;
  }
  std::printf("two large steps in 50 points: phi < 0.5 in %d of 100, sigma within 40%% in %d\n",
              low, close);
  // (Before the jumps were left out: phi < 0.5 in 25, sigma within 40% in 4.) Known weakness:
  // 3 lags of 50 points leave phi uncertain, and a few series still take it high.
  EXPECT_GE(low, 90);
  EXPECT_GE(close, 85);
}

}  // namespace
}  // namespace perfledger::analysis
