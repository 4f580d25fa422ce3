// The level search of change point detection (changepoint.h, steps 2-4): seeded binary
// segmentation (Kovács, Li, Bühlmann, Haubner & Munk, "Seeded binary segmentation",
// Biometrika 2023) with the CUSUM statistic, its threshold from the standardized Brownian
// bridge, and refinement and pruning of the changes it selects.
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <utility>

#include "analysis/changepoint_detail.h"

namespace perfledger::analysis {
namespace {

// The running median spans at most 2 * kMedianHalfWidth + 1 points.
constexpr size_t kMedianHalfWidth = 3;
// Refinement sweeps at most this often before it settles (it almost always does in 1-2).
constexpr int kMaxRefineSweeps = 8;

double NormalTail(double b) { return 0.5 * std::erfc(b / std::numbers::sqrt2); }
double NormalDensity(double b) { return std::exp(-b * b / 2) / std::sqrt(2 * std::numbers::pi); }

// P(max over the splits of an interval of `length` points, `m` a side at least, of |CUSUM| >
// b) under Gaussian noise: the standardized Brownian bridge approximation (Siegmund 1988;
// Csörgő & Horváth, "Limit Theorems in Change-Point Analysis", 1997, eq. 1.3.26 without its
// second-order terms) 2 (1 - Phi(b)) + b phi(b) log(u1 (1 - u0) / (u0 (1 - u1))), u0 = m / l,
// u1 = 1 - u0, capped by Bonferroni over the splits. Both are conservative for discrete splits
// (by 1.5-3x in a simulation at the levels that matter). `tail` is 1 - Phi(b) and `density`
// phi(b): the same for every interval, computed once.
double SplitPValue(double b, double tail, double density, const Level& level, size_t m) {
  if (level.length < 2 * m) return 0;
  const double splits = static_cast<double>(level.length - 2 * m + 1);
  const double bonferroni = splits * 2 * tail;
  const double bridge = 2 * tail + b * density * level.log_ratio;
  return std::min({bonferroni, bridge, 1.0});
}

// Calls visit(count, interval) for every seeded interval of [0, n) of at least 2m points,
// `count` the number of intervals of its level: at level k, 2^k - 1 intervals of length
// n / 2^(k-1), evenly shifted to cover [0, n). Generated, never stored: at 100,000 points
// they are 66,000.
template <class Visit>
void ForEachSeededInterval(size_t n, size_t m, Visit visit) {
  for (size_t count = 1;; count = 2 * count + 1) {
    const double length = static_cast<double>(n) * 2 / static_cast<double>(count + 1);
    if (length < static_cast<double>(2 * m)) break;
    const double shift =
        count == 1 ? 0 : (static_cast<double>(n) - length) / static_cast<double>(count - 1);
    for (size_t i = 0; i < count; ++i) {
      const double start = static_cast<double>(i) * shift;
      const Interval iv{static_cast<size_t>(std::lround(start)),
                        std::min(n, static_cast<size_t>(std::lround(start + length)))};
      if (iv.end - iv.begin >= 2 * m) visit(count, iv);
    }
  }
}

}  // namespace

double MedianInPlace(std::span<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + mid)) / 2;
  return m;
}

std::vector<Level> SeedLevels(size_t n, size_t m) {
  std::vector<Level> levels;
  ForEachSeededInterval(n, m, [&](size_t count, Interval iv) {
    if (levels.empty() || levels.back().count != count) levels.push_back({count, 0, 0});
    levels.back().length = std::max(levels.back().length, iv.end - iv.begin);
  });
  for (Level& level : levels) {
    if (level.length >= 2 * m) {
      level.log_ratio =
          2 * std::log(static_cast<double>(level.length - m) / static_cast<double>(m));
    }
  }
  return levels;
}

double CorrectedPValue(double b, std::span<const Level> levels, size_t m) {
  const double tail = NormalTail(b), density = NormalDensity(b);
  double p = 0;
  for (const Level& level : levels) {
    p += static_cast<double>(level.count) * SplitPValue(b, tail, density, level, m);
  }
  return std::min(p, 1.0);
}

double Threshold(double alpha, std::span<const Level> levels, size_t m) {
  double lo = 0, hi = 40;  // bisection: CorrectedPValue is decreasing in b
  for (int i = 0; i < 100 && hi - lo > 1e-9; ++i) {
    const double mid = (lo + hi) / 2;
    (CorrectedPValue(mid, levels, m) > alpha ? lo : hi) = mid;
  }
  return hi;
}

Cusum::Cusum(std::span<const double> z) : prefix_(z.size() + 1) {
  for (size_t i = 0; i < z.size(); ++i) prefix_[i + 1] = prefix_[i] + z[i];
}

double Cusum::At(size_t begin, size_t t, size_t end) const {
  const double l = static_cast<double>(end - begin), k = static_cast<double>(t - begin);
  const double d = prefix_[t] - prefix_[begin] - k / l * (prefix_[end] - prefix_[begin]);
  return std::abs(d) * std::sqrt(l / (k * (l - k)));
}

Cusum::Best Cusum::Max(size_t begin, size_t end, size_t m) const {
  // The hot loop of the search (every seeded interval runs it): the squared statistic over l,
  // d^2 / (k (l - k)), with selects rather than branches so that it pipelines.
  const double l = static_cast<double>(end - begin);
  const double base = prefix_[begin];
  const double mean = (prefix_[end] - base) / l;
  size_t best_t = begin + m;
  double best = -1, k = static_cast<double>(m);
  for (size_t t = begin + m; t + m <= end; ++t, k += 1) {
    const double d = prefix_[t] - base - k * mean;
    const double s = d * d / (k * (l - k));
    best_t = s > best ? t : best_t;
    best = s > best ? s : best;
  }
  return {best_t, best > 0 ? std::sqrt(best * l) : 0};
}

std::vector<Candidate> BestSplits(const Cusum& cusum, size_t n, size_t m, double min_statistic) {
  std::vector<Candidate> out;
  ForEachSeededInterval(n, m, [&](size_t, Interval iv) {
    const Cusum::Best best = cusum.Max(iv.begin, iv.end, m);
    if (best.statistic >= min_statistic) out.push_back({iv, best});
  });
  return out;
}

std::vector<size_t> GreedySplits(std::span<const Candidate> candidates, double statistic) {
  std::vector<const Candidate*> strong;
  for (const Candidate& c : candidates) {
    if (c.best.statistic >= statistic) strong.push_back(&c);
  }
  std::stable_sort(strong.begin(), strong.end(), [](const Candidate* a, const Candidate* b) {
    return a->best.statistic > b->best.statistic;
  });
  std::set<size_t> taken;
  for (const Candidate* c : strong) {
    auto next = taken.upper_bound(c->interval.begin);
    if (next == taken.end() || *next >= c->interval.end) taken.insert(c->best.t);
  }
  return {taken.begin(), taken.end()};
}

std::vector<double> Winsorize(std::span<const double> logs, double clip, size_t m) {
  // In a short series a stretch of m points must hold the majority of the window centred in
  // it, or the clipping would take a change of the shortest length allowed for an outlier
  // burst: 2m - 1 points (5 for the default of 3). A longer series keeps 7, so that a burst of
  // 3 outliers is clipped (a spike of 3 commits in a history of hundreds is more likely than
  // two steps 3 commits apart).
  const size_t n = logs.size();
  const size_t half =
      n < kShortSeries ? std::clamp<size_t>(m, 2, kMedianHalfWidth + 1) - 1 : kMedianHalfWidth;
  std::vector<double> out(n);
  // Near the ends, or for a window other than 7, a sorted copy of the window.
  auto sorted = [&](size_t i) {
    const size_t begin = i >= half ? i - half : 0;
    const size_t end = std::min(n, i + half + 1);
    double window[2 * kMedianHalfWidth + 1] = {};
    size_t size = 0;
    for (size_t j = begin; j < end && size < std::size(window); ++j) window[size++] = logs[j];
    const std::span<double> w(window, size);
    std::sort(w.begin(), w.end());
    // As MedianInPlace: the middle one, or the mean of the middle two.
    const size_t mid = w.size() / 2;
    return w.size() % 2 == 0 ? (w[mid] + w[mid - 1]) / 2 : w[mid];
  };
  for (size_t i = 0; i < n; ++i) {
    double center = 0;
    if (half != 3 || i < half || i + half >= n) {
      center = sorted(i);
    } else {
      // The median of 7 by a network of 13 compare-exchanges, without branches (Devillard,
      // "Fast median search: an ANSI C implementation", 1998, opt_med7).
      double p[7];
      std::copy(logs.begin() + static_cast<ptrdiff_t>(i - 3),
                logs.begin() + static_cast<ptrdiff_t>(i + 4), p);
      auto sort2 = [](double& a, double& b) {
        const double lo = std::min(a, b);
        b = std::max(a, b);
        a = lo;
      };
      sort2(p[0], p[5]);
      sort2(p[0], p[3]);
      sort2(p[1], p[6]);
      sort2(p[2], p[4]);
      sort2(p[0], p[1]);
      sort2(p[3], p[5]);
      sort2(p[2], p[6]);
      sort2(p[2], p[3]);
      sort2(p[3], p[6]);
      sort2(p[4], p[5]);
      sort2(p[1], p[4]);
      sort2(p[1], p[3]);
      sort2(p[3], p[4]);
      center = p[3];
    }
    out[i] = std::clamp(logs[i], center - clip, center + clip);
  }
  return out;
}

std::vector<ChangePoint> RefineAndPrune(std::span<const double> values, const Cusum& cusum,
                                        std::span<const Level> levels, const LevelTest& test,
                                        std::vector<size_t>* at_io) {
  std::vector<size_t>& at = *at_io;
  const size_t n = values.size(), m = test.m;
  std::vector<double> segment;
  segment.reserve(n);  // grown once: a long series' segments are megabytes
  // Each round mostly sees the segments of the round before: their medians are kept.
  std::map<std::pair<size_t, size_t>, double> medians;
  auto median_of = [&](size_t begin, size_t end) {
    const auto [it, added] = medians.try_emplace({begin, end}, 0.0);
    if (!added) return it->second;
    segment.assign(values.begin() + static_cast<ptrdiff_t>(begin),
                   values.begin() + static_cast<ptrdiff_t>(end));
    return it->second = MedianInPlace(segment);
  };
  std::vector<ChangePoint> out;
  // A change needs refining again only when a neighbour moved (or went): the best split
  // between the same neighbours is the same.
  std::vector<bool> dirty(at.size(), true);
  bool exact = false;
  while (true) {
    for (int sweep = 0; sweep < kMaxRefineSweeps; ++sweep) {
      bool moved = false;
      for (size_t i = 0; i < at.size(); ++i) {
        if (!dirty[i]) continue;
        dirty[i] = false;
        const size_t begin = i == 0 ? 0 : at[i - 1], end = i + 1 == at.size() ? n : at[i + 1];
        const size_t t = cusum.Max(begin, end, m).t;
        if (t == at[i]) continue;
        moved = true;
        at[i] = t;
        if (i > 0) dirty[i - 1] = true;
        if (i + 1 < at.size()) dirty[i + 1] = true;
      }
      if (!moved) break;
    }
    // Test each change on the stretch between its neighbours. weakness > 1 fails. The effect
    // is measured by the means of the clipped logs while changes keep failing (a long series
    // cut in many pieces by a trend is pruned over several rounds), then by the medians of the
    // values, which are reported, from the round where every change holds by the means on:
    // a median costs a copy and a selection of its segment.
    out.clear();
    std::vector<double> weakness(at.size());
    bool all_hold = true;
    for (size_t i = 0; i < at.size(); ++i) {
      const size_t begin = i == 0 ? 0 : at[i - 1], end = i + 1 == at.size() ? n : at[i + 1];
      const double p = CorrectedPValue(cusum.At(begin, at[i], end) / test.scale, levels, m);
      double before = 0, after = 0, effect = 0;
      if (exact) {
        before = median_of(begin, at[i]);
        after = median_of(at[i], end);
        effect = std::abs(std::log(after / before));
      } else {
        before = std::exp(cusum.Mean(begin, at[i]));
        after = std::exp(cusum.Mean(at[i], end));
        effect = std::abs(cusum.Mean(at[i], end) - cusum.Mean(begin, at[i]));
      }
      weakness[i] = std::max(p / test.alpha, effect > 0 ? test.min_effect / effect : 2.0);
      // A change the end of the series cuts off: at the split nearest the end that m allows,
      // while the first point after it is nearer the level before (the series moved only at
      // its newest points). Placed there it would be misplaced, its short side mixed; it
      // fails, and shows once m points follow the move (DetectInSeries tests the newest points
      // with their samples meanwhile). Likewise at the start.
      auto nearer = [&](double x, double to, double than) {
        return std::abs(std::log(x / to)) < std::abs(std::log(x / than));
      };
      const bool cut_off =
          (i + 1 == at.size() && at[i] + m == n && nearer(values[at[i]], before, after)) ||
          (i == 0 && at[i] == m && nearer(values[at[i] - 1], after, before));
      // The effect must exceed the floor strictly: a floor of 0 still needs some change.
      if (p > test.alpha || effect <= test.min_effect || cut_off) {
        weakness[i] = std::max(weakness[i], 1.0 + 1e-9);
        all_hold = false;
      }
      ChangePoint c;
      c.index = c.first = c.last = at[i];
      c.before = before;
      c.after = after;
      c.change = after / before - 1;
      c.confidence = 1 - p;
      out.push_back(c);
    }
    if (all_hold && exact) break;
    if (all_hold) {
      exact = true;  // the same changes again, by their medians
      continue;
    }
    // Drop each failing change that is weaker than its neighbours, then refine again.
    std::vector<bool> drop(at.size());
    for (size_t i = 0; i < at.size(); ++i) {
      const bool fails = weakness[i] > 1;
      const bool weakest = (i == 0 || weakness[i] >= weakness[i - 1]) &&
                           (i + 1 == at.size() || weakness[i] > weakness[i + 1]);
      drop[i] = fails && weakest;
    }
    std::vector<size_t> kept;
    std::vector<bool> kept_dirty;
    for (size_t i = 0; i < at.size(); ++i) {
      if (drop[i]) continue;
      kept.push_back(at[i]);
      kept_dirty.push_back(dirty[i] || (i > 0 && drop[i - 1]) ||
                           (i + 1 < at.size() && drop[i + 1]));
    }
    at = std::move(kept);
    dirty = std::move(kept_dirty);
  }
  return out;
}

}  // namespace perfledger::analysis
