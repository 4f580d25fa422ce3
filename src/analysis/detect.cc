#include "analysis/detect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace perfledger::analysis {

namespace {

std::string ValueText(double v, const std::string& unit) {
  return fmt::format("{:.6g}{}{}", v, unit.empty() ? "" : " ", unit);
}

}  // namespace

SeriesDetection DetectInSeries(const Series& series, const SeriesDetectOptions& options) {
  SeriesDetection out;
  const auto& points = series.points;
  const size_t min_segment = std::max<size_t>(options.min_segment, 1);
  if (points.size() < 2 * min_segment) {
    out.skipped = fmt::format("too short: {} measured commit{}, needs at least {}", points.size(),
                              points.size() == 1 ? "" : "s", 2 * min_segment);
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
  for (const ChangePoint& cp : DetectChanges(medians, detect)) {
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
    if (env_at) {
      c.index = *env_at;
      c.kind = ChangeKind::kEnvironment;
      c.fingerprint_before = points[*env_at - 1].fingerprint;
      c.fingerprint_after = points[*env_at].fingerprint;
    } else {
      const bool worse =
          series.direction == core::Direction::kLower ? cp.change > 0 : cp.change < 0;
      c.kind = worse ? ChangeKind::kRegression : ChangeKind::kImprovement;
    }
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
