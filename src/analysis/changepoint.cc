#include "analysis/changepoint.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

namespace perfledger::analysis {
namespace {

// Values further than this many noise deviations from the running median are clipped to it.
constexpr double kWinsorize = 1.5;
// The running median spans 2 * kMedianHalfWidth + 1 points.
constexpr size_t kMedianHalfWidth = 3;
// Refinement sweeps at most this often before it settles (it almost always does in 1-2).
constexpr int kMaxRefineSweeps = 8;

// Median of `v` (mean of the middle two for an even count); reorders `v`. Empty: 0.
double MedianInPlace(std::span<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + mid)) / 2;
  return m;
}

double NormalTail(double b) { return 0.5 * std::erfc(b / std::numbers::sqrt2); }
double NormalDensity(double b) { return std::exp(-b * b / 2) / std::sqrt(2 * std::numbers::pi); }

// Median absolute successive difference of `logs`, as a standard deviation (see SeriesNoise).
double NoiseOfLogs(std::span<const double> logs) {
  if (logs.size() < 3) return 0;
  std::vector<double> d(logs.size() - 1);
  for (size_t i = 1; i < logs.size(); ++i) d[i - 1] = std::abs(logs[i] - logs[i - 1]);
  return 1.4826 * MedianInPlace(d) / std::numbers::sqrt2;
}

// The scale the tests use. Usually NoiseOfLogs; when more than half the successive differences
// are exactly 0 (quantized metrics such as instruction counts) that is 0, and this falls back
// on the mean absolute successive difference without its largest 10% (steps, outliers), which
// is 2 sigma / sqrt(pi) for Gaussian noise. 0 only for a series that is constant between steps.
double TestScale(std::span<const double> logs) {
  const double noise = NoiseOfLogs(logs);
  if (noise > 0 || logs.size() < 3) return noise;
  std::vector<double> d(logs.size() - 1);
  for (size_t i = 1; i < logs.size(); ++i) d[i - 1] = std::abs(logs[i] - logs[i - 1]);
  std::sort(d.begin(), d.end());
  const size_t keep = std::max<size_t>(1, d.size() * 9 / 10);
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += d[i];
  return std::sqrt(std::numbers::pi) / 2 * sum / static_cast<double>(keep);
}

// P(max over the splits of an interval of `length` points, `m` a side at least, of |CUSUM| >
// b) under Gaussian noise: the standardized Brownian bridge approximation (Siegmund 1988;
// Csörgő & Horváth, "Limit Theorems in Change-Point Analysis", 1997, eq. 1.3.26 without its
// second-order terms) 2 (1 - Phi(b)) + b phi(b) log(u1 (1 - u0) / (u0 (1 - u1))), u0 = m / l,
// u1 = 1 - u0, capped by Bonferroni over the splits. Both are conservative for discrete splits
// (by 1.5-3x in a simulation at the levels that matter).
double SplitPValue(double b, size_t length, size_t m) {
  if (length < 2 * m) return 0;
  const double splits = static_cast<double>(length - 2 * m + 1);
  const double bonferroni = splits * 2 * NormalTail(b);
  const double log_ratio = 2 * std::log(static_cast<double>(length - m) / static_cast<double>(m));
  const double bridge = 2 * NormalTail(b) + b * NormalDensity(b) * log_ratio;
  return std::min({bonferroni, bridge, 1.0});
}

struct Interval {
  size_t begin = 0, end = 0;  // [begin, end)
};

// One scale of the seeded intervals: `count` intervals of at most `length` points.
struct Level {
  size_t count = 0, length = 0;
};

// The seeded intervals of Kovács et al. with decay 1/2: at level k, 2^k - 1 intervals of
// length n / 2^(k-1), evenly shifted to cover [0, n), down to 2m points.
void SeedIntervals(size_t n, size_t m, std::vector<Interval>* intervals,
                   std::vector<Level>* levels) {
  for (size_t count = 1;; count = 2 * count + 1) {
    const double length = static_cast<double>(n) * 2 / static_cast<double>(count + 1);
    if (length < static_cast<double>(2 * m)) break;
    const double shift =
        count == 1 ? 0 : (static_cast<double>(n) - length) / static_cast<double>(count - 1);
    Level level{count, 0};
    for (size_t i = 0; i < count; ++i) {
      const double start = static_cast<double>(i) * shift;
      Interval iv{static_cast<size_t>(std::lround(start)),
                  std::min(n, static_cast<size_t>(std::lround(start + length)))};
      if (iv.end - iv.begin < 2 * m) continue;
      level.length = std::max(level.length, iv.end - iv.begin);
      intervals->push_back(iv);
    }
    levels->push_back(level);
  }
}

// The p-value of a split statistic b, corrected for every split of every seeded interval.
double CorrectedPValue(double b, std::span<const Level> levels, size_t m) {
  double p = 0;
  for (const Level& level : levels) {
    p += static_cast<double>(level.count) * SplitPValue(b, level.length, m);
  }
  return std::min(p, 1.0);
}

// The statistic CorrectedPValue maps to alpha (bisection; it is decreasing in b).
double Threshold(double alpha, std::span<const Level> levels, size_t m) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 100 && hi - lo > 1e-9; ++i) {
    const double mid = (lo + hi) / 2;
    (CorrectedPValue(mid, levels, m) > alpha ? lo : hi) = mid;
  }
  return hi;
}

// The winsorized log series as prefix sums, and the CUSUM statistic over it.
class Cusum {
 public:
  Cusum(std::span<const double> z, double scale) : prefix_(z.size() + 1), scale_(scale) {
    for (size_t i = 0; i < z.size(); ++i) prefix_[i + 1] = prefix_[i] + z[i];
  }

  // |mean(z[begin, t)) - mean(z[t, end))| * sqrt(k (l - k) / l) / scale, k = t - begin,
  // l = end - begin: a standard normal for one fixed split of Gaussian noise.
  double At(size_t begin, size_t t, size_t end) const {
    const double l = static_cast<double>(end - begin), k = static_cast<double>(t - begin);
    const double d = prefix_[t] - prefix_[begin] - k / l * (prefix_[end] - prefix_[begin]);
    return std::abs(d) * std::sqrt(l / (k * (l - k))) / scale_;
  }

  struct Best {
    size_t t = 0;
    double statistic = 0;
  };
  // The split of [begin, end) with m points a side at least that maximizes At.
  Best Max(size_t begin, size_t end, size_t m) const {
    const double l = static_cast<double>(end - begin);
    const double total = prefix_[end] - prefix_[begin];
    Best best{begin + m, -1};
    for (size_t t = begin + m; t + m <= end; ++t) {
      const double k = static_cast<double>(t - begin);
      const double d = prefix_[t] - prefix_[begin] - k / l * total;
      const double s = d * d * l / (k * (l - k));  // the squared statistic, unscaled
      if (s > best.statistic) best = {t, s};
    }
    best.statistic = std::sqrt(std::max(best.statistic, 0.0)) / scale_;
    return best;
  }

 private:
  std::vector<double> prefix_;
  double scale_;
};

// logs clipped to within `clip` of their running median. The window (kMedianHalfWidth either
// side, cut at the ends) is kept sorted as it slides: each step adds a point and drops one.
std::vector<double> Winsorize(std::span<const double> logs, double clip) {
  const size_t n = logs.size();
  std::vector<double> out(n), window;
  size_t lo = 0, hi = 0;  // the window holds logs[lo, hi)
  for (size_t i = 0; i < n; ++i) {
    for (const size_t end = std::min(n, i + kMedianHalfWidth + 1); hi < end; ++hi) {
      window.insert(std::upper_bound(window.begin(), window.end(), logs[hi]), logs[hi]);
    }
    for (const size_t begin = i >= kMedianHalfWidth ? i - kMedianHalfWidth : 0; lo < begin; ++lo) {
      window.erase(std::lower_bound(window.begin(), window.end(), logs[lo]));
    }
    // As MedianInPlace: the middle one, or the mean of the middle two.
    const size_t mid = window.size() / 2;
    double center = window[mid];
    if (window.size() % 2 == 0) center = (center + window[mid - 1]) / 2;
    out[i] = std::clamp(logs[i], center - clip, center + clip);
  }
  return out;
}

// The best split of each interval that beats `threshold`, taken strongest first as long as no
// split taken before lies inside its interval (seeded binary segmentation's greedy selection).
std::vector<size_t> GreedySplits(const Cusum& cusum, std::span<const Interval> intervals,
                                 double threshold, size_t m) {
  struct Candidate {
    Interval interval;
    Cusum::Best best;
  };
  std::vector<Candidate> candidates;
  for (const Interval& iv : intervals) {
    const Cusum::Best best = cusum.Max(iv.begin, iv.end, m);
    if (best.statistic >= threshold) candidates.push_back({iv, best});
  }
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const Candidate& a, const Candidate& b) { return a.best.statistic > b.best.statistic; });
  std::set<size_t> taken;
  for (const Candidate& c : candidates) {
    auto next = taken.upper_bound(c.interval.begin);
    if (next == taken.end() || *next >= c.interval.end) taken.insert(c.best.t);
  }
  return {taken.begin(), taken.end()};
}

}  // namespace

double SeriesNoise(std::span<const double> values) {
  if (values.size() < 3) return 0;
  std::vector<double> logs(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] > 0) || !std::isfinite(values[i])) return 0;
    logs[i] = std::log(values[i]);
  }
  return NoiseOfLogs(logs);
}

std::vector<ChangePoint> DetectChanges(std::span<const double> values,
                                       const DetectOptions& options) {
  const size_t n = values.size();
  const size_t m = std::max<size_t>(1, options.min_segment);
  if (n < 2 * m || n < 2 || !(options.alpha > 0)) return {};
  std::vector<double> logs(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(values[i] > 0) || !std::isfinite(values[i])) return {};
    logs[i] = std::log(values[i]);
  }
  const auto [lo, hi] = std::minmax_element(logs.begin(), logs.end());
  if (*lo == *hi) return {};

  // A series constant between its steps has scale 0: any step is then certain, so a tiny
  // scale keeps the statistic finite without changing any decision.
  const double noise = TestScale(logs);
  const double scale = std::max(noise, 1e-12);
  const double min_effect =
      std::max(std::log1p(std::max(options.min_effect, 0.0)), kNoiseToEffect * noise);
  const Cusum cusum(Winsorize(logs, kWinsorize * noise), scale);

  std::vector<Interval> intervals;
  std::vector<Level> levels;
  SeedIntervals(n, m, &intervals, &levels);
  const double alpha = std::min(options.alpha, 1.0);
  const double threshold = Threshold(alpha, levels, m);

  std::vector<size_t> at = GreedySplits(cusum, intervals, threshold, m);

  // Refine and prune until every change holds up between its neighbours.
  std::vector<double> segment;
  auto median_of = [&](size_t begin, size_t end) {
    segment.assign(values.begin() + static_cast<ptrdiff_t>(begin),
                   values.begin() + static_cast<ptrdiff_t>(end));
    return MedianInPlace(segment);
  };
  std::vector<ChangePoint> out;
  while (true) {
    // Move each change to the least-squares split between its neighbours.
    for (int sweep = 0; sweep < kMaxRefineSweeps; ++sweep) {
      bool moved = false;
      for (size_t i = 0; i < at.size(); ++i) {
        const size_t begin = i == 0 ? 0 : at[i - 1], end = i + 1 == at.size() ? n : at[i + 1];
        const size_t t = cusum.Max(begin, end, m).t;
        moved |= t != at[i];
        at[i] = t;
      }
      if (!moved) break;
    }
    // Test each change on the stretch between its neighbours. weakness > 1 fails.
    out.clear();
    std::vector<double> weakness(at.size());
    bool all_hold = true;
    for (size_t i = 0; i < at.size(); ++i) {
      const size_t begin = i == 0 ? 0 : at[i - 1], end = i + 1 == at.size() ? n : at[i + 1];
      const double p = CorrectedPValue(cusum.At(begin, at[i], end), levels, m);
      const double before = median_of(begin, at[i]), after = median_of(at[i], end);
      const double effect = std::abs(std::log(after / before));
      weakness[i] = std::max(p / alpha, effect > 0 ? min_effect / effect : 2.0);
      // The effect must exceed the floor strictly: a floor of 0 still needs some change.
      if (p > alpha || effect <= min_effect) {
        weakness[i] = std::max(weakness[i], 1.0 + 1e-9);
        all_hold = false;
      }
      out.push_back({at[i], before, after, after / before - 1, 1 - p});
    }
    if (all_hold) break;
    // Drop each failing change that is weaker than its neighbours, then refine again.
    std::vector<size_t> kept;
    for (size_t i = 0; i < at.size(); ++i) {
      const bool fails = weakness[i] > 1;
      const bool weakest = (i == 0 || weakness[i] >= weakness[i - 1]) &&
                           (i + 1 == at.size() || weakness[i] > weakness[i + 1]);
      if (!(fails && weakest)) kept.push_back(at[i]);
    }
    at = std::move(kept);
  }
  return out;
}

}  // namespace perfledger::analysis
