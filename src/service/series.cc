#include "service/series.h"

#include <fmt/format.h>

#include <set>

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

}  // namespace

base::Result<SeriesView> SeriesOf(store::Store& store, const SeriesRequest& request) {
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
    const std::string* previous_fingerprint = nullptr;
    for (auto& p : x.points) {
      const bool changed =
          previous_fingerprint != nullptr && *previous_fingerprint != p.fingerprint;
      previous_fingerprint = &p.fingerprint;
      if (!InWindow(p, request)) continue;
      line.points.push_back({p, changed});
    }
    view.series.push_back(std::move(line));
  }
  if (!found || view.unit.empty()) {
    return base::NotFound(fmt::format("benchmark '{}' has no data points for metric '{}'",
                                      request.benchmark,
                                      view.metric.empty() ? "(any)" : view.metric));
  }
  for (auto& a : alerts) {
    if (a.benchmark != request.benchmark || a.metric != view.metric) continue;
    if (request.platform && a.platform != *request.platform) continue;
    if (request.project && a.project != *request.project) continue;
    view.alerts.push_back(std::move(a));
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
    for (const auto& [p, changed] : x.points) {
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
      w.EndObject();
    }
    w.EndArray();
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
