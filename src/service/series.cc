#include "service/series.h"

#include <fmt/format.h>

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "base/json_writer.h"
#include "service/documents.h"

namespace perfledger::service {

namespace {

bool InWindow(const analysis::SeriesPoint& p, const SeriesRequest& r) {
  if (r.from && (!p.commit_time || p.commit_time->unix_nanos < r.from->unix_nanos)) return false;
  if (r.to && (!p.commit_time || p.commit_time->unix_nanos > r.to->unix_nanos)) return false;
  return true;
}

std::string ChooseMetric(const SeriesRequest& request, const std::vector<analysis::Series>& all,
                         const std::vector<store::AlertRecord>& alerts) {
  if (request.metric) return *request.metric;
  std::set<std::string> metrics;
  for (const auto& x : all) metrics.insert(x.key.metric);
  for (auto a = alerts.rbegin(); a != alerts.rend(); ++a) {
    if (a->status == core::AlertStatus::kOpen && a->benchmark == request.benchmark &&
        metrics.contains(a->metric) && (!request.platform || a->platform == *request.platform)) {
      return a->metric;
    }
  }
  for (const char* preferred : {"real_time", "wall_time"}) {
    if (metrics.contains(preferred)) return preferred;
  }
  return metrics.empty() ? "" : *metrics.begin();
}

// Keeps at most `max_points` points of `line` (analysis::DownsampleLine), with the alerts of
// its platform, epoch and project as points that stay; sets points_total and every point's
// elided.
void Downsample(SeriesViewLine& line, const std::vector<store::AlertRecord>& alerts,
                int64_t max_points) {
  std::vector<analysis::PlotPoint> plot;
  plot.reserve(line.points.size());
  for (const auto& [p, changed, elided] : line.points) {
    analysis::PlotPoint q;
    if (p.commit_time) q.x = p.commit_time->unix_nanos;
    q.y = p.median;
    q.sha = p.sha;
    q.fingerprint_changed = changed;
    if (p.range_from) q.range_from = *p.range_from;
    q.range_count = p.range_count;
    plot.push_back(q);
  }
  std::vector<analysis::PlotRange> ranges;
  for (const auto& a : alerts) {
    if (a.platform != line.key.platform || a.epoch != line.key.epoch ||
        a.project != line.key.project) {
      continue;
    }
    ranges.push_back({a.range_from, a.range_to, a.status == core::AlertStatus::kOpen});
    // A drift's shaded range starts at its first commit: kept too.
    if (a.first) ranges.push_back({a.range_from, *a.first, a.status == core::AlertStatus::kOpen});
  }
  const std::vector<size_t> kept =
      analysis::DownsampleLine(plot, ranges, static_cast<size_t>(max_points));
  const std::vector<analysis::Elided> elided = analysis::ElidedBefore(plot, kept);
  std::vector<SeriesViewPoint> points;
  points.reserve(kept.size());
  for (size_t k = 0; k < kept.size(); ++k) {
    points.push_back(std::move(line.points[kept[k]]));
    points.back().elided = elided[k];
  }
  line.points_total = static_cast<int64_t>(line.points.size());
  line.points = std::move(points);
}

}  // namespace

base::Result<SeriesView> SeriesOf(store::Store& store, const SeriesRequest& request) {
  if (request.max_points && *request.max_points < 1) {
    return base::InvalidInput(fmt::format(
        "max_points: expected a whole number of at least 1, got {}", *request.max_points));
  }
  store::SeriesQuery query;
  query.project = request.project;
  query.platform = request.platform;
  query.benchmark = request.benchmark;
  query.with_points = false;
  ASSIGN_OR_RETURN(std::vector<analysis::Series> heads, store.ReadSeries(query));
  if (heads.empty()) {
    return base::NotFound(fmt::format("no run measured a benchmark named '{}'{}", request.benchmark,
                                      request.platform ? " on " + *request.platform : ""));
  }
  ASSIGN_OR_RETURN(std::vector<store::AlertRecord> alerts, store.ListAlerts({}));
  const std::string metric = ChooseMetric(request, heads, alerts);
  query.metrics = {metric};
  query.with_points = true;
  ASSIGN_OR_RETURN(std::vector<analysis::Series> all, store.ReadSeries(query));

  SeriesView view;
  view.benchmark = request.benchmark;
  view.metric = metric;
  for (auto& a : alerts) {
    if (a.benchmark != request.benchmark || a.metric != view.metric) continue;
    if (request.platform && a.platform != *request.platform) continue;
    if (request.project && a.project != *request.project) continue;
    view.alerts.push_back(std::move(a));
  }
  bool found = false;
  for (auto& x : all) {
    if (x.key.metric != view.metric) continue;
    if (!found) {
      view.unit = x.unit;
      view.direction = x.direction;
      found = true;
    }
    SeriesViewLine line;
    line.key = x.key;
    // The points move into the view (a year of one line is tens of megabytes; a copy would
    // double what the answer holds at its peak), the fingerprint before each kept by value.
    std::optional<std::string> previous_fingerprint;
    for (auto& p : x.points) {
      const bool changed = previous_fingerprint && *previous_fingerprint != p.fingerprint;
      if (changed || !previous_fingerprint) previous_fingerprint = p.fingerprint;
      if (!InWindow(p, request)) continue;
      line.points.push_back({std::move(p), changed, std::nullopt});
    }
    x.points = {};
    if (request.max_points) Downsample(line, view.alerts, *request.max_points);
    view.series.push_back(std::move(line));
  }
  if (!found || view.unit.empty()) {
    return base::NotFound(fmt::format("benchmark '{}' has no data points for metric '{}'",
                                      request.benchmark,
                                      view.metric.empty() ? "(any)" : view.metric));
  }
  return view;
}

std::string SeriesJson(const SeriesView& view) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("benchmark").String(view.benchmark);
  w.Key("metric").String(view.metric);
  w.Key("unit").String(view.unit);
  w.Key("direction").String(core::DirectionName(view.direction));
  w.Key("series").BeginArray();
  for (const auto& x : view.series) {
    w.BeginObject();
    w.Key("platform").String(x.key.platform);
    w.Key("epoch");
    WriteOptional(w, x.key.epoch);
    w.Key("environment").String(x.key.ci ? "ci" : "local");
    w.Key("points").BeginArray();
    for (const auto& [p, changed, elided] : x.points) {
      w.BeginObject();
      w.Key("sha").String(p.sha);
      w.Key("run_id").String(p.run_id);
      w.Key("commit_time");
      WriteOptional(w, p.commit_time);
      w.Key("subject");
      WriteOptional(w, p.subject);
      w.Key("median").Number(p.median);
      w.Key("spread").Number(p.spread);
      w.Key("samples").Int(p.n);
      w.Key("runs").Int(p.runs);
      WriteCommitRange(w, p.range_from, p.sha, p.range_count);
      w.Key("reason").String(core::ReasonName(p.reason));
      w.Key("fingerprint").String(p.fingerprint);
      w.Key("fingerprint_changed").Bool(changed);
      if (elided) {
        w.Key("elided").BeginObject();
        w.Key("points").Int(elided->points);
        w.Key("max_range_count");
        WriteOptional(w, elided->max_range_count);
        w.Key("unrepresented").Bool(elided->unrepresented);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray();
    if (x.points_total) w.Key("points_total").Int(*x.points_total);
    w.EndObject();
  }
  w.EndArray();
  w.Key("alerts").BeginArray();
  for (const auto& a : view.alerts) WriteAlert(w, a);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace perfledger::service
