#include "analysis/changepoint.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <utility>

#include "analysis/noise_model.h"
#include "analysis/season.h"
#include "analysis/trend.h"

namespace perfledger::analysis {
namespace {

// Values further than this many noise deviations from the running median are clipped to it.
constexpr double kWinsorize = 1.5;
// The running median spans 2 * kMedianHalfWidth + 1 points.
constexpr size_t kMedianHalfWidth = 3;
// Refinement sweeps at most this often before it settles (it almost always does in 1-2).
constexpr int kMaxRefineSweeps = 8;
// A shift is a step when its jump is this many standard errors beside a line on either side.
constexpr double kJumpZ = 3;
// The shortest ramp that may pass for a drift rather than a step.
constexpr size_t kMinRampPoints = 4;
// The step test's ramp search: a coarse grid is enough to tell a step from a ramp.
constexpr size_t kStepTestGrid = 16;
// Shifts in one direction this close together may be one steep drift (see Classify).
constexpr size_t kRunGap = 8;
// A weak step within a drift's length / kDriftEnds of its range belongs to the drift.
constexpr size_t kDriftEnds = 10;
// Spread changes (see SpreadChanges).
constexpr size_t kSpreadMinSegment = 20;
constexpr size_t kSpreadBlocks = 4096;
constexpr double kSpreadClip = 1.5;
constexpr double kSpreadLongRun = 0.97;
constexpr double kMinSpreadRatio = 1.5;
// A level change from shortly before a rise of the spread to the next spread change, smaller
// than kBimodal times the spread there, is the new spread, not a change of the level.
constexpr double kBimodal = 1.5;
// A season is looked for when the noise model's phi is this high even if the level search
// finds nothing (see DetectChanges).
constexpr double kSeasonPhi = 0.3;
// Oscillations (see Oscillations below).
constexpr size_t kOscillationMoves = 4;
constexpr double kOscillationSize = 1.5;
constexpr double kOscillationGap = 2;

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

// Move each change to the least-squares split between its neighbours, test it there, drop the
// weakest failing ones and repeat until every change holds up: the changes of the level, as
// steps, with the medians either side.
std::vector<ChangePoint> RefineAndPrune(std::span<const double> values, const Cusum& cusum,
                                        std::span<const Level> levels, double alpha,
                                        double min_effect, size_t m, std::vector<size_t>* at_io) {
  std::vector<size_t>& at = *at_io;
  const size_t n = values.size();
  std::vector<double> segment;
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
      ChangePoint c;
      c.index = c.first = c.last = at[i];
      c.before = before;
      c.after = after;
      c.change = after / before - 1;
      c.confidence = 1 - p;
      out.push_back(c);
    }
    if (all_hold) break;
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

struct Context {
  double scale = 0;       // the long-run noise deviation of the log values
  double threshold = 0;   // the CUSUM statistic that is significant at alpha
  double min_effect = 0;  // on the log scale
  std::span<const Level> levels;
  size_t m = 1;
};

// Marks the shifts that belong to an oscillation. Consecutive shifts in one direction form a
// move (a season's slope is often cut twice); an oscillation is at least kOscillationMoves
// moves in a row, each undoing the one before (sizes within a factor kOscillationSize), evenly
// spaced (gaps within a factor kOscillationGap). A season cut by the piecewise-constant search
// looks so; steps of a real history almost never do. FindSeason (season.h) takes out a
// season of a whole period; this catches the rest (a period that is not a whole number of
// points drifts against any fixed profile over thousands of cycles). Where the noise breaks the
// pattern, the shifts no larger than the oscillation's moves belong to it too.
std::vector<bool> Oscillations(const std::vector<ChangePoint>& shifts) {
  const size_t count = shifts.size();
  std::vector<bool> out(count);
  struct Move {
    size_t from = 0, to = 0;  // shifts[from, to)
    double size = 0, center = 0;
  };
  std::vector<Move> moves;
  for (size_t i = 0; i < count; ++i) {
    const double move = std::log(shifts[i].after / shifts[i].before);
    if (moves.empty() || (moves.back().size > 0) != (move > 0)) moves.push_back({i, i, 0, 0});
    Move& mv = moves.back();
    mv.center =
        (mv.center * static_cast<double>(mv.to - mv.from) + static_cast<double>(shifts[i].index)) /
        static_cast<double>(mv.to - mv.from + 1);
    mv.size += move;
    mv.to = i + 1;
  }
  std::vector<double> sizes;
  for (size_t j = 0; j < moves.size();) {
    size_t k = j + 1;
    double gap_lo = INFINITY, gap_hi = 0;
    while (k < moves.size()) {
      const double ratio = std::abs(moves[k].size / moves[k - 1].size);
      if (ratio > kOscillationSize || ratio < 1 / kOscillationSize) break;
      const double gap = moves[k].center - moves[k - 1].center;
      const double lo = std::min(gap_lo, gap), hi = std::max(gap_hi, gap);
      // Half a period apart: a longer cycle is a run of real steps (a season is a daily or
      // weekly load, season.h), and so are irregular ones.
      if (hi > kOscillationGap * lo || 2 * gap > static_cast<double>(kMaxSeasonPeriod)) break;
      gap_lo = lo;
      gap_hi = hi;
      ++k;
    }
    if (k - j >= kOscillationMoves) {
      for (size_t i = j; i < k; ++i) {
        sizes.push_back(std::abs(moves[i].size));
        for (size_t t = moves[i].from; t < moves[i].to; ++t) out[t] = true;
      }
      j = k;
    } else {
      ++j;
    }
  }
  if (sizes.empty()) return out;
  const double size = kOscillationSize * MedianInPlace(sizes);
  for (size_t i = 0; i < count; ++i) {
    out[i] = out[i] || std::abs(std::log(shifts[i].after / shifts[i].before)) <= size;
  }
  return out;
}

// The drifts: with the steps (abrupt) taken out of the series, each run of smooth shifts in
// one direction is one drift, fitted as flat-ramp-flat (trend.h) between the smooth shifts
// either side; it counts when its move is significant and above the minimum effect.
std::vector<ChangePoint> Drifts(const std::vector<ChangePoint>& shifts,
                                std::span<const LocalFits::StepTest> tests,
                                const std::vector<bool>& abrupt,
                                const std::vector<bool>& oscillation,
                                std::span<const double> clipped, const Context& ctx) {
  const size_t n = clipped.size(), count = shifts.size();
  std::vector<size_t> moves;  // the shifts that are neither steps nor oscillation
  for (size_t i = 0; i < count; ++i) {
    if (!abrupt[i] && !oscillation[i]) moves.push_back(i);
  }
  if (moves.empty()) return {};
  std::vector<double> smooth(clipped.begin(), clipped.end());  // the steps taken out
  double offset = 0;
  size_t next = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!abrupt[i]) continue;
    const double jump = std::isfinite(tests[i].jump_se)
                            ? tests[i].jump
                            : std::log(shifts[i].after / shifts[i].before);
    for (; next < shifts[i].index; ++next) smooth[next] -= offset;
    offset += jump;
  }
  for (; next < n; ++next) smooth[next] -= offset;
  const LocalFits smooth_fits(smooth);
  auto direction = [&](size_t i) { return shifts[i].after > shifts[i].before; };
  std::vector<ChangePoint> out;
  for (size_t j = 0; j < moves.size();) {
    size_t k = j + 1;
    while (k < moves.size() && direction(moves[k]) == direction(moves[j])) ++k;
    size_t begin = 0, end = n;
    for (size_t i = moves[j]; i-- > 0;) {
      if (!abrupt[i]) {
        begin = shifts[i].index;
        break;
      }
    }
    for (size_t i = moves[k - 1] + 1; i < count; ++i) {
      if (!abrupt[i]) {
        end = shifts[i].index;
        break;
      }
    }
    const size_t run_begin = j;
    j = k;
    const LocalFits::Ramp ramp = smooth_fits.FitRamp(begin, end);
    const double move = ramp.after - ramp.before;
    const double z = std::abs(move) / (ramp.se * ctx.scale);
    if (!(z >= ctx.threshold) || std::abs(move) <= ctx.min_effect) continue;
    if (ramp.last + 1 < ramp.first + kMinRampPoints) {
      // Too short to be gradual: a step, at the run's largest shift on (or next to) the ramp.
      size_t pick = count;
      for (size_t r = run_begin; r < k; ++r) {
        const ChangePoint& c = shifts[moves[r]];
        if (c.index + 1 < ramp.first || c.index > ramp.last + 1) continue;
        if (pick == count || std::abs(std::log(c.after / c.before)) >
                                 std::abs(std::log(shifts[pick].after / shifts[pick].before))) {
          pick = moves[r];
        }
      }
      if (pick < count) {
        out.push_back(shifts[pick]);
        continue;
      }
    }
    ChangePoint d;
    d.shape = ChangeShape::kDrift;
    d.first = ramp.first;
    d.last = ramp.last;
    d.index = std::clamp(ramp.last + 1, ctx.m, n - ctx.m);
    d.before = std::exp(ramp.before);
    d.after = std::exp(ramp.after);
    d.change = std::expm1(move);
    d.rate = std::expm1(move / static_cast<double>(ramp.last - ramp.first + 1));
    d.confidence = 1 - CorrectedPValue(z, ctx.levels, ctx.m);
    out.push_back(d);
  }
  return out;
}

// Splits the level shifts into steps (abrupt: a constant either side of the shift fits the
// stretch between its neighbours at least as well as the best continuous line with one bend
// and within kJumpZ^2 noise variances of the best flat-ramp-flat move, or a line either side
// with a jump beats both by kJumpZ^2 noise variances) and smooth ones. With the steps taken
// out, each run of smooth shifts in one direction is one drift, fitted as flat-ramp-flat
// (trend.h). A season was taken out before (season.h); an oscillation is nothing.
std::vector<ChangePoint> Classify(std::span<const double> values, std::span<const double> clipped,
                                  const std::vector<ChangePoint>& shifts, const Context& ctx) {
  const size_t n = values.size(), count = shifts.size();
  if (count == 0) return {};
  const LocalFits fits(clipped);
  const std::vector<bool> oscillation = Oscillations(shifts);
  const double margin = kJumpZ * kJumpZ * ctx.scale * ctx.scale;
  std::vector<bool> abrupt(count), strong(count);
  std::vector<LocalFits::StepTest> tests(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t begin = i == 0 ? 0 : shifts[i - 1].index;
    const size_t end = i + 1 == count ? n : shifts[i + 1].index;
    const LocalFits::StepTest& st = tests[i] = fits.TestStep(begin, shifts[i].index, end);
    // Significant beside a line either side: a step even where the level drifts.
    strong[i] = std::abs(st.jump) >= kJumpZ * st.jump_se * ctx.scale;
    // The smooth alternatives: a continuous line with one bend, and a flat-ramp-flat move of
    // kMinRampPoints or more (a drift that starts and ends inside the stretch, which one bend
    // cannot follow). The ramp must beat the step by as much as a jump must beat a bend.
    // (The ramp is only fitted when the bend alone does not decide: it costs the most.)
    if (oscillation[i] || (st.rss_step > st.rss_kink && st.rss_kink - st.rss_lines < margin)) {
      abrupt[i] = false;
      continue;
    }
    const double rss_ramp = fits.FitRamp(begin, end, kMinRampPoints, kStepTestGrid).rss;
    const double smooth = std::min(st.rss_kink, rss_ramp);
    abrupt[i] =
        st.rss_step <= std::min(st.rss_kink, rss_ramp + margin) || smooth - st.rss_lines >= margin;
  }
  // A steep drift may be cut into a few steps close together, each of which looks abrupt on
  // its own stretch: a run of shifts in one direction, each within kRunGap points of the
  // next, is smooth when one ramp over the run's stretch beats the steps by the margin.
  for (size_t i = 0; i + 1 < count;) {
    size_t j = i + 1;
    const bool up = shifts[i].after > shifts[i].before;
    while (j < count && (shifts[j].after > shifts[j].before) == up &&
           shifts[j].index - shifts[j - 1].index <= kRunGap) {
      ++j;
    }
    if (j - i >= 2) {
      const size_t begin = i == 0 ? 0 : shifts[i - 1].index;
      const size_t end = j == count ? n : shifts[j].index;
      double rss_steps = fits.ConstantRss(begin, shifts[i].index);
      for (size_t r = i; r < j; ++r) {
        rss_steps += fits.ConstantRss(shifts[r].index, r + 1 < j ? shifts[r + 1].index : end);
      }
      const double rss_ramp = fits.FitRamp(begin, end, kMinRampPoints, kStepTestGrid).rss;
      if (rss_ramp + margin < rss_steps) {
        for (size_t r = i; r < j; ++r) abrupt[r] = false;
      }
    }
    i = j;
  }
  std::vector<ChangePoint> drifts;
  for (int pass = 0; pass < 2; ++pass) {
    drifts = Drifts(shifts, tests, abrupt, oscillation, clipped, ctx);
    // A step inside a drift or near its ends (the ramp is fitted with the step taken out), the
    // same way, that is not strong is a part of the drift.
    bool absorbed = false;
    for (const ChangePoint& d : drifts) {
      if (d.shape != ChangeShape::kDrift) continue;
      const size_t near = std::max(ctx.m, (d.last - d.first + 1) / kDriftEnds);
      for (size_t i = 0; i < count; ++i) {
        const size_t at = shifts[i].index;
        if (abrupt[i] && !strong[i] && at + near >= d.first && at <= d.last + near &&
            (shifts[i].after > shifts[i].before) == (d.after > d.before)) {
          abrupt[i] = false;
          absorbed = true;
        }
      }
    }
    if (!absorbed) break;
  }
  std::vector<ChangePoint> out = std::move(drifts);
  for (size_t i = 0; i < count; ++i) {
    if (abrupt[i]) out.push_back(shifts[i]);
  }
  std::sort(out.begin(), out.end(),
            [](const ChangePoint& a, const ChangePoint& b) { return a.index < b.index; });
  return out;
}

// Changes of the spread: seeded binary segmentation, as for the level, on u = log(|d| + c) of
// the second differences d of the log values, which cancel the level and a local trend; a
// change of the noise deviation by a factor r moves u by log r. c = 0.1 sqrt(6) noise bounds
// the left tail; u then has a long-run deviation of kSpreadLongRun for Gaussian noise
// (simulated, 2e6 points). A change counts when the robust noise either side (LocalNoise)
// differs by kMinSpreadRatio at least.
std::vector<ChangePoint> SpreadChanges(std::span<const double> values, std::span<const double> logs,
                                       double noise, double alpha, size_t min_segment) {
  const size_t n = logs.size();
  const size_t m = std::max(min_segment, kSpreadMinSegment);
  if (!(noise > 0) || n < 2 * m + 2) return {};
  std::vector<double> u(n - 2);
  const double floor = 0.1 * std::sqrt(6.0) * noise;
  for (size_t t = 1; t + 1 < n; ++t) {
    u[t - 1] = std::log(std::abs(logs[t + 1] - 2 * logs[t] + logs[t - 1]) + floor);
  }
  // Outliers and steps make a few huge differences: clip them (at kSpreadClip above the median
  // of u, about 4.5 times the typical difference) so they weigh no more than a burst of noise.
  std::vector<double> sorted = u;
  const double top = MedianInPlace(sorted) + kSpreadClip;
  for (double& x : u) x = std::min(x, top);
  // A long series is searched on the means of blocks of `block` differences (a change of the
  // spread lasts kSpreadMinSegment points at least), then each split is placed to the point
  // within a block either side: the cost of a second segmentation stays small.
  const size_t block = std::max<size_t>(1, u.size() / kSpreadBlocks);
  std::vector<double> z;
  if (block > 1) {
    z.resize(u.size() / block);
    for (size_t b = 0; b < z.size(); ++b) {
      double sum = 0;
      for (size_t j = b * block; j < (b + 1) * block; ++j) sum += u[j];
      z[b] = sum / static_cast<double>(block);
    }
  }
  const std::span<const double> search = block > 1 ? std::span<const double>(z) : u;
  const size_t mb = block > 1 ? std::max<size_t>(2, (m + block - 1) / block) : m;
  std::vector<Interval> intervals;
  std::vector<Level> levels;
  SeedIntervals(search.size(), mb, &intervals, &levels);
  const double threshold = Threshold(alpha, levels, mb);
  const Cusum blocks(search, kSpreadLongRun / std::sqrt(static_cast<double>(block)));
  std::vector<size_t> split = GreedySplits(blocks, intervals, threshold, mb);
  std::vector<size_t> at = split;
  if (block > 1) {
    const Cusum cusum(u, kSpreadLongRun);
    for (size_t i = 0; i < at.size(); ++i) {
      const size_t begin = i == 0 ? 0 : split[i - 1] * block;
      const size_t end = i + 1 == at.size() ? u.size() : split[i + 1] * block;
      const size_t t0 = split[i] * block;
      const size_t lo = std::max(begin + m, t0 > block ? t0 - block : 0);
      const size_t hi = std::min(end - std::min(end, m), t0 + block);
      at[i] = t0;
      double best = -1;
      for (size_t t = lo; t <= hi; ++t) {
        const double stat = cusum.At(begin, t, end);
        if (stat > best) best = stat, at[i] = t;
      }
    }
  }
  std::vector<ChangePoint> out;
  std::vector<double> segment;
  auto median_of = [&](size_t begin, size_t end) {
    segment.assign(values.begin() + static_cast<ptrdiff_t>(begin),
                   values.begin() + static_cast<ptrdiff_t>(end));
    return MedianInPlace(segment);
  };
  for (size_t i = 0; i < at.size(); ++i) {
    const size_t begin = i == 0 ? 0 : split[i - 1];
    const size_t end = i + 1 == at.size() ? search.size() : split[i + 1];
    const double p = CorrectedPValue(blocks.At(begin, split[i], end), levels, mb);
    // u[j] is the second difference around point j + 1.
    const size_t index = at[i] + 1;
    const size_t from = i == 0 ? 0 : at[i - 1] + 1, to = i + 1 == at.size() ? n : at[i + 1] + 1;
    const double before = LocalNoise(logs, from, index), after = LocalNoise(logs, index, to);
    if (p > alpha || !(before > 0) || !(after > 0)) continue;
    const double ratio = after / before;
    if (ratio < kMinSpreadRatio && ratio > 1 / kMinSpreadRatio) continue;
    ChangePoint c;
    c.shape = ChangeShape::kNoise;
    c.index = c.first = c.last = index;
    c.spread_ratio = ratio;
    c.before = median_of(from, index);
    c.after = median_of(index, to);
    c.change = c.after / c.before - 1;
    c.confidence = 1 - p;
    out.push_back(c);
  }
  return out;
}

// The changes of the level of `logs` (`values` their exponentials) under the noise `model`: the
// seeded binary segmentation, refined and pruned, then classified into steps and drifts.
// *any_split: whether the search found any split at all.
std::vector<ChangePoint> LevelChanges(std::span<const double> values, std::span<const double> logs,
                                      const NoiseModel& model, const DetectOptions& options,
                                      size_t m, bool* any_split) {
  const size_t n = logs.size();
  // Without a model (quantized) the noise is TestScale's, as white noise. A series constant
  // between its steps has scale 0: any step is then certain, so a tiny scale keeps the
  // statistic finite without changing any decision.
  const double noise = model.sigma > 0 ? model.sigma : TestScale(logs);
  const double long_run = model.sigma > 0 ? model.long_run : noise;
  const double scale = std::max(long_run, 1e-12);
  const double min_effect =
      std::max(std::log1p(std::max(options.min_effect, 0.0)), kNoiseToEffect * noise);
  const std::vector<double> clipped = Winsorize(logs, kWinsorize * noise);
  const Cusum cusum(clipped, scale);

  std::vector<Interval> intervals;
  std::vector<Level> levels;
  SeedIntervals(n, m, &intervals, &levels);
  const double alpha = std::min(options.alpha, 1.0);
  const double threshold = Threshold(alpha, levels, m);

  std::vector<size_t> at = GreedySplits(cusum, intervals, threshold, m);
  *any_split = !at.empty();
  if (at.empty()) return {};
  std::vector<ChangePoint> shifts =
      RefineAndPrune(values, cusum, levels, alpha, min_effect, m, &at);
  return Classify(values, clipped, shifts, {scale, threshold, min_effect, levels, m});
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

  // The noise model (noise_model.h); a quantized series has none and falls back on TestScale.
  NoiseModel model = EstimateNoise(logs);
  bool any_split = false;
  std::vector<ChangePoint> out = LevelChanges(values, logs, model, options, m, &any_split);
  // A periodic component (season.h) is no change: it is taken out of the series, and the
  // changes are those of the level around it (Lu, Lund & Lee 2010); the reported medians are
  // then of the series without it. It is looked for only where it could matter: when the level
  // search found a shift, or the noise looks autocorrelated (a short period passes for AR(1)
  // noise). Most series have neither and pay nothing for it.
  std::vector<double> adjusted;
  if (model.sigma > 0 && (any_split || model.phi >= kSeasonPhi)) {
    const Season season = FindSeason(logs);
    if (season.period > 0) {
      adjusted.resize(n);
      for (size_t i = 0; i < n; ++i) {
        logs[i] -= season.profile[i % season.period];
        adjusted[i] = std::exp(logs[i]);
      }
      values = adjusted;
      model = EstimateNoise(logs);
      out = LevelChanges(values, logs, model, options, m, &any_split);
    }
  }
  const double alpha = std::min(options.alpha, 1.0);
  std::vector<ChangePoint> spread =
      SpreadChanges(values, logs, model.sigma > 0 ? LocalNoise(logs, 0, n) : 0, alpha, m);
  if (spread.empty()) return out;
  // A level change where the series has become much noisier must be large against that noise:
  // a bimodal series moves its median and its running means by chance, and the more so the
  // shorter the segment either side (a burst of one mode is a short bump: the bound grows as
  // the square root of kSpreadMinSegment over the shorter side).
  std::vector<bool> drop(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const ChangePoint& c = out[i];
    const size_t left = c.first - (i == 0 ? 0 : out[i - 1].index);
    const size_t right = (i + 1 == out.size() ? n : out[i + 1].first) - c.index;
    const double shorter = static_cast<double>(std::max<size_t>(1, std::min(left, right)));
    const double widen = std::max(1.0, std::sqrt(static_cast<double>(kSpreadMinSegment) / shorter));
    for (size_t j = 0; j < spread.size(); ++j) {
      const ChangePoint& v = spread[j];
      const size_t from = v.index > kSpreadMinSegment ? v.index - kSpreadMinSegment : 0;
      const size_t to = j + 1 == spread.size() ? n : spread[j + 1].index;
      if (v.spread_ratio <= 1 || c.index < from || c.index >= to) continue;
      const double after = LocalNoise(logs, v.index, to);
      if (std::abs(std::log(c.after / c.before)) < kBimodal * widen * after) drop[i] = true;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!drop[i]) out[kept++] = out[i];
  }
  out.resize(kept);
  out.insert(out.end(), spread.begin(), spread.end());
  std::sort(out.begin(), out.end(),
            [](const ChangePoint& a, const ChangePoint& b) { return a.index < b.index; });
  return out;
}

}  // namespace perfledger::analysis
