#include "analysis/detect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <optional>

#include "analysis/stats.h"

namespace perfledger::analysis {

namespace {

std::string ValueText(double v, const std::string& unit) {
  return fmt::format("{:.6g}{}{}", v, unit.empty() ? "" : " ", unit);
}

// The standard normal quantile z with P(|Z| > z) = p (bisection on erfc; p in (0, 1)).
double TwoSidedZ(double p) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = (lo + hi) / 2;
    (std::erfc(mid / std::numbers::sqrt2) > p ? lo : hi) = mid;
  }
  return hi;
}

// A step with fewer than min_segment points on one side (kYoungSide at least): a young series
// of 4-5 measured commits, or a change among the newest (or oldest) points of an older one,
// which DetectChanges cannot see. The medians alone cannot tell such a step from noise, so the
// test uses the runs' own samples, through each point's spread and sample count: the variance
// of a point's median is (pi / 2) spread^2 / n (the sample median's asymptotic variance under
// normal noise), raised to the run-to-run variance: the larger of the series' noise on the
// longer side (with 3 points or more) and the within-run spread itself (a young history says
// little about how much a run's median moves between runs, so it is taken to move as much as
// one sample does; pooled over the points). The step must exceed the minimum effect and 1.5 times
// that deviation. The difference of the sides' mean log medians is then a z statistic,
// Bonferroni-corrected for every position tried; and every point of the short side must lie beyond
// every point of the other (a single slow run is not a step). Returns the first point after the
// step.
constexpr size_t kYoungSide = 2;

// The within-run spread of a sample pooled over the points (root mean square), or 0 when a
// point carries fewer than 2 samples.
double PooledSpread(const std::vector<SeriesPoint>& points) {
  double sum = 0;
  for (const SeriesPoint& p : points) {
    if (!(p.spread > 0) || p.n < 2) return 0;
    sum += p.spread * p.spread;
  }
  return points.empty() ? 0 : std::sqrt(sum / static_cast<double>(points.size()));
}

struct YoungStep {
  size_t index = 0;
  double confidence = 0;
};

// Tries the splits of points [begin, end) that leave kYoungSide to min_segment - 1 points on
// the side at the end (`tail`) and at the beginning (`head`).
std::optional<YoungStep> FindYoungStep(const std::vector<SeriesPoint>& points, size_t begin,
                                       size_t end, bool head, bool tail, size_t min_segment,
                                       double alpha, double min_effect) {
  const size_t n = end - begin;
  std::vector<size_t> candidates;
  for (size_t k = kYoungSide; k < min_segment && 2 * k <= n; ++k) {
    if (tail) candidates.push_back(end - k);
    if (head && (!tail || begin + k != end - k)) candidates.push_back(begin + k);
  }
  if (candidates.empty()) return std::nullopt;
  const double z_crit = TwoSidedZ(alpha / static_cast<double>(2 * candidates.size()));
  // The within-run spread pooled over the points (one run's MAD from 10 samples varies by
  // about a third; pooled over the points much less).
  double pooled = 0;
  for (size_t i = begin; i < end; ++i) pooled += points[i].spread * points[i].spread;
  pooled = std::sqrt(pooled / static_cast<double>(n));
  std::optional<YoungStep> best;
  double best_z = 0;
  for (size_t t : candidates) {
    std::vector<double> longer;
    const bool short_after = end - t <= t - begin;
    const size_t long_begin = short_after ? begin : t, long_end = short_after ? t : end;
    for (size_t i = long_begin; i < long_end; ++i) longer.push_back(points[i].median);
    const double history = longer.size() >= 3 ? SeriesNoise(longer) : 0;
    double sum_before = 0, sum_after = 0, var_before = 0, var_after = 0;
    double lo_before = INFINITY, hi_before = -INFINITY, lo_after = INFINITY, hi_after = -INFINITY;
    bool usable = true;
    for (size_t i = begin; i < end; ++i) {
      const SeriesPoint& p = points[i];
      if (!(p.median > 0) || !(p.spread > 0) || p.n < 2) usable = false;
      const double within = std::numbers::pi / 2 * p.spread * p.spread / static_cast<double>(p.n);
      const double run_to_run = std::max(history * history, pooled * pooled);
      const double v = std::max(within, run_to_run);
      const double l = std::log(p.median);
      if (i < t) {
        sum_before += l, var_before += v;
        lo_before = std::min(lo_before, l), hi_before = std::max(hi_before, l);
      } else {
        sum_after += l, var_after += v;
        lo_after = std::min(lo_after, l), hi_after = std::max(hi_after, l);
      }
    }
    if (!usable) return std::nullopt;  // no samples behind some point: nothing to test with
    const double floor = std::max(min_effect, kNoiseToEffect * std::max(history, pooled));
    const double a = static_cast<double>(t - begin), b = static_cast<double>(end - t);
    const double d = sum_after / b - sum_before / a;
    const double z = std::abs(d) / std::sqrt(var_before / (a * a) + var_after / (b * b));
    const bool apart = d > 0 ? lo_after > hi_before : hi_after < lo_before;
    // A step moves every point of the short side: the one nearest the longer side's mean must
    // be beyond the minimum effect too, or one point alone (a change at the very newest point,
    // which cannot be placed yet) would pass for a step a point early.
    const double long_mean = short_after ? sum_before / a : sum_after / b;
    const double short_nearest = short_after
                                     ? (d > 0 ? lo_after - long_mean : long_mean - hi_after)
                                     : (d > 0 ? long_mean - hi_before : lo_before - long_mean);
    if (!apart || z < z_crit || std::abs(std::expm1(d)) <= floor ||
        std::expm1(short_nearest) <= floor) {
      continue;
    }
    if (!best || z > best_z) {
      best_z = z;
      best = YoungStep{
          t, 1 - std::erfc(z / std::numbers::sqrt2) * static_cast<double>(candidates.size())};
    }
  }
  return best;
}

}  // namespace

SeriesDetection DetectInSeries(const Series& series, const SeriesDetectOptions& options) {
  SeriesDetection out;
  const auto& points = series.points;
  const size_t min_segment = std::max<size_t>(options.min_segment, 1);
  const size_t shortest = 2 * std::min(min_segment, kYoungSide);
  if (points.size() < shortest) {
    out.skipped = fmt::format("too short: {} measured commit{}, needs at least {}", points.size(),
                              points.size() == 1 ? "" : "s", shortest);
    return out;
  }
  std::vector<double> medians;
  medians.reserve(points.size());
  for (const SeriesPoint& p : points) medians.push_back(p.median);
  if (std::all_of(medians.begin(), medians.end(), [&](double v) { return v == medians[0]; })) {
    out.skipped = "constant: every value is " + ValueText(medians[0], series.unit);
    return out;
  }
  out.noise = SeriesNoise(medians);
  DetectOptions detect;
  detect.min_effect = std::max(options.min_effect, kNoiseToEffect * out.noise);
  detect.alpha = options.alpha;
  detect.min_segment = min_segment;
  detect.run_noise = PooledSpread(points);
  std::vector<ChangePoint> found = DetectChanges(medians, detect);
  // Steps with fewer than min_segment points on one side, at the newest and oldest points.
  // The false alarms of a series of pure noise are shared: half each for the segmentation
  // and the young-step test, where the series is long enough for both.
  const double young_alpha = points.size() >= 2 * min_segment ? options.alpha / 2 : options.alpha;
  auto young = [&](size_t begin, size_t end, bool head, bool tail) {
    auto step =
        FindYoungStep(points, begin, end, head, tail, min_segment, young_alpha, options.min_effect);
    if (!step) return;
    std::vector<double> side(medians.begin() + static_cast<ptrdiff_t>(begin),
                             medians.begin() + static_cast<ptrdiff_t>(step->index));
    ChangePoint cp;
    cp.index = cp.first = cp.last = step->index;
    cp.before = Median(side);
    side.assign(medians.begin() + static_cast<ptrdiff_t>(step->index),
                medians.begin() + static_cast<ptrdiff_t>(end));
    cp.after = Median(side);
    cp.change = cp.after / cp.before - 1;
    cp.confidence = step->confidence;
    found.push_back(cp);
  };
  const size_t n = points.size();
  if (found.empty()) {
    young(0, n, /*head=*/true, /*tail=*/true);
  } else {
    const size_t first = found.front().index, last = found.back().index;
    young(0, first, /*head=*/true, /*tail=*/false);
    young(last, n, /*head=*/false, /*tail=*/true);
  }
  std::sort(found.begin(), found.end(),
            [](const ChangePoint& a, const ChangePoint& b) { return a.index < b.index; });
  for (const ChangePoint& cp : found) {
    DetectedChange c;
    c.key = series.key;
    c.unit = series.unit;
    c.direction = series.direction;
    c.index = cp.index;
    c.before_median = cp.before;
    c.after_median = cp.after;
    c.change = cp.change;
    c.confidence = cp.confidence;
    c.noise = out.noise;
    c.min_effect = detect.min_effect;
    // The nearest fingerprint change within the window makes it the environment's doing.
    std::optional<size_t> env_at;
    const size_t lo =
        cp.index > options.environment_window ? cp.index - options.environment_window : 1;
    const size_t hi = std::min(points.size() - 1, cp.index + options.environment_window);
    for (size_t i = lo; i <= hi; ++i) {
      if (points[i].fingerprint == points[i - 1].fingerprint) continue;
      if (!env_at || std::abs(static_cast<long>(i) - static_cast<long>(cp.index)) <
                         std::abs(static_cast<long>(*env_at) - static_cast<long>(cp.index))) {
        env_at = i;
      }
    }
    if (cp.shape == ChangeShape::kDrift) {
      // A drift spans points first..last: its range runs from the last commit before it to
      // its last, and an environment change inside it does not make it one.
      c.kind = ChangeKind::kDrift;
      c.rate = cp.rate;
      const size_t first = std::max<size_t>(cp.first, 1);
      const size_t last = std::clamp(cp.last, first, points.size() - 1);
      c.index = last;
      c.first_index = first;
      c.first = points[first].sha;
      c.from = points[first - 1].sha;
      c.to = points[last].sha;
      // The commits in (from, to] when every run of the stretch says its range joins the last.
      int64_t count = 0;
      bool joined = true;
      for (size_t i = first; i <= last && joined; ++i) {
        joined = points[i].range_from && *points[i].range_from == points[i - 1].sha;
        count += points[i].range_count;
      }
      if (joined) c.count = count;
      out.changes.push_back(std::move(c));
      continue;
    }
    if (cp.shape == ChangeShape::kNoise) {
      // The spread changed, not the level: `change` is the spread's relative change.
      c.kind = ChangeKind::kNoise;
      c.spread_ratio = cp.spread_ratio;
      c.change = cp.spread_ratio - 1;
    } else if (env_at) {
      c.index = *env_at;
      c.kind = ChangeKind::kEnvironment;
      c.fingerprint_before = points[*env_at - 1].fingerprint;
      c.fingerprint_after = points[*env_at].fingerprint;
    } else {
      const bool worse =
          series.direction == core::Direction::kLower ? cp.change > 0 : cp.change < 0;
      c.kind = worse ? ChangeKind::kRegression : ChangeKind::kImprovement;
    }
    c.first_index = c.index;
    const SeriesPoint& before = points[c.index - 1];
    const SeriesPoint& after = points[c.index];
    c.from = before.sha;
    c.to = after.sha;
    if (after.range_from && *after.range_from == before.sha) c.count = after.range_count;
    out.changes.push_back(std::move(c));
  }
  return out;
}

AlertMatch MatchAlert(const Series& series, const DetectedChange& change,
                      const std::vector<KnownAlert>& known) {
  auto position = [&](const std::string& sha) -> std::optional<size_t> {
    for (size_t i = 0; i < series.points.size(); ++i) {
      if (series.points[i].sha == sha) return i;
    }
    return std::nullopt;
  };
  const auto cf = position(change.from), ct = position(change.to);
  AlertMatch best;
  for (const KnownAlert& a : known) {
    if (a.key != change.key) continue;
    if ((a.kind == ChangeKind::kEnvironment) != (change.kind == ChangeKind::kEnvironment)) continue;
    // A change of the spread and one of the level are different findings even where their
    // ranges overlap: neither absorbs (or narrows) the other's alert.
    if ((a.kind == ChangeKind::kNoise) != (change.kind == ChangeKind::kNoise)) continue;
    if (a.from == change.from && a.to == change.to) return {AlertMatch::Action::kExisting, a.id};
    const auto af = position(a.from), at = position(a.to);
    if (!cf || !ct || !af || !at) continue;
    // (af, at] and (cf, ct] share a commit.
    if (!(*af < *ct && *cf < *at)) continue;
    if (*cf >= *af && *ct <= *at) {
      best = {AlertMatch::Action::kNarrow, a.id};  // strictly inside: narrows it
    } else if (best.action == AlertMatch::Action::kNew) {
      best = {AlertMatch::Action::kExisting, a.id};
    }
  }
  return best;
}

}  // namespace perfledger::analysis
