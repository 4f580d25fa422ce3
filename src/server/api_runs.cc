// The API's runs: uploads, projects, platforms, the benchmark catalog, runs, one benchmark's
// series, comparing two commits.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "analysis/parameters.h"
#include "analysis/series.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "base/time.h"
#include "core/artifact.h"
#include "core/token.h"
#include "env/env.h"
#include "server/api_impl.h"
#include "server/web_assets.h"
#include "service/batch.h"
#include "service/catalog.h"
#include "service/comparison.h"
#include "service/detection.h"
#include "service/documents.h"
#include "service/jobs.h"
#include "service/plan.h"
#include "service/series.h"
#include "store/collector.h"

namespace perfledger::server {

using base::JsonWriter;

Response Api::Impl::PostRuns(Ctx& c) {
  const std::string& project = c.params["project"];
  auto batch = service::ReadUploadBody(c.req.body, project);
  if (!batch.ok()) return FromStatus(batch.status());
  std::vector<std::string> run_ids;
  for (const auto& r : batch->runs) run_ids.push_back(r.run.run_id);
  const int64_t artifacts = batch->artifacts;
  auto stats = committer_.Collect(*c.store, std::move(batch->runs));
  if (!stats.ok()) return FromStatus(stats.status());
  api_->metrics_.AddIngested(stats->ingested, stats->samples);
  JsonWriter w;
  w.BeginObject();
  w.Key("artifacts").Int(artifacts);
  w.Key("ingested").Int(stats->ingested);
  w.Key("already_present").Int(stats->already_present);
  w.Key("samples").Int(stats->samples);
  w.Key("run_ids").BeginArray();
  for (const auto& id : run_ids) w.String(id);
  w.EndArray();
  w.EndObject();
  return Json(stats->ingested > 0 ? 201 : 200, w.Take());
}

// Both read every run (each page of the dashboard asks for the projects): kept, like the
// index, while the store's change mark stays the same.
Response Api::Impl::GetProjects(Ctx& c) {
  return CachedJson(*c.store, CacheKey(c.req), [&] {
    auto doc = service::ProjectsDocument(*c.store, api_->options_.repository);
    if (!doc.ok()) return FromStatus(doc.status());
    return Json(200, std::move(*doc));
  });
}

Response Api::Impl::GetPlatforms(Ctx& c) {
  return CachedJson(*c.store, CacheKey(c.req), [&] {
    auto doc = service::PlatformsDocument(*c.store, Param(c, "project"));
    if (!doc.ok()) return FromStatus(doc.status());
    return Json(200, std::move(*doc));
  });
}

base::Result<std::shared_ptr<const std::vector<store::BenchmarkInfo>>> Api::Impl::Catalog(
    store::Store& s) {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  ASSIGN_OR_RETURN(int64_t n, s.RunCount());
  if (catalog_ && catalog_runs_ == n) return catalog_;
  ASSIGN_OR_RETURN(auto delta, s.ListBenchmarks({}, catalog_runs_));
  for (auto& info : delta) {
    auto key = std::make_tuple(info.project, info.benchmark, info.metric);
    auto it = catalog_map_.find(key);
    if (it == catalog_map_.end()) {
      catalog_map_.emplace(std::move(key), std::move(info));
      continue;
    }
    std::vector<std::string> platforms;
    std::set_union(it->second.platforms.begin(), it->second.platforms.end(), info.platforms.begin(),
                   info.platforms.end(), std::back_inserter(platforms));
    it->second.platforms = std::move(platforms);
    it->second.unit = std::move(info.unit);  // as the newer runs store it
    it->second.direction = info.direction;
  }
  auto list = std::make_shared<std::vector<store::BenchmarkInfo>>();
  list->reserve(catalog_map_.size());
  for (const auto& [key, info] : catalog_map_) list->push_back(info);
  catalog_ = std::move(list);
  catalog_runs_ = n;
  return catalog_;
}

Response Api::Impl::GetBenchmarks(Ctx& c) {
  auto limit = IntParam(c, "limit", 1000, 1, 100000);
  if (!limit.ok()) return FromStatus(limit.status());
  auto catalog = Catalog(*c.store);
  if (!catalog.ok()) return FromStatus(catalog.status());
  service::BenchmarksQuery query;
  query.q = Param(c, "q");
  query.platform = Param(c, "platform");
  query.project = Param(c, "project");
  query.limit = *limit;
  return Json(200, service::BenchmarksJson(**catalog, query));
}

Response Api::Impl::GetProjectRuns(Ctx& c) {
  const std::string& project = c.params["project"];
  if (auto query = Param(c, "project"); query && *query != project) {
    return Error(
        400, "bad_request",
        fmt::format("project: the path names '{}', the query '{}': give one", project, *query));
  }
  return GetRuns(c);
}

Response Api::Impl::GetRuns(Ctx& c) {
  service::RunsRequest req;
  req.runs = FilterOf(c);
  if (auto it = c.params.find("project"); it != c.params.end()) req.runs.project = it->second;
  auto limit = IntParam(c, "limit", 100, 1, 10000);
  if (!limit.ok()) return FromStatus(limit.status());
  req.limit = *limit;
  auto offset = IntParam(c, "offset", 0, 0, INT64_MAX);
  if (!offset.ok()) return FromStatus(offset.status());
  req.offset = *offset;
  auto doc = service::RunsDocument(*c.store, req);
  if (!doc.ok()) return FromStatus(doc.status());
  return Json(200, std::move(*doc));
}

Response Api::Impl::GetSeries(Ctx& c) {
  service::SeriesRequest req;
  const auto benchmark = Param(c, "benchmark");
  if (!benchmark) {
    return Error(400, "bad_request", "benchmark: required, the benchmark's exact name");
  }
  req.benchmark = *benchmark;
  auto from = TimeParam(c, "from");
  if (!from.ok()) return FromStatus(from.status());
  req.from = *from;
  auto to = TimeParam(c, "to");
  if (!to.ok()) return FromStatus(to.status());
  req.to = *to;
  req.platform = Param(c, "platform");
  req.project = Param(c, "project");
  req.metric = Param(c, "metric");
  if (Param(c, "max_points")) {
    auto max_points = IntParam(c, "max_points", 0, 1, kMaxSeriesPoints);
    if (!max_points.ok()) return FromStatus(max_points.status());
    req.max_points = *max_points;
  }
  // Kept until a run or an alert is stored or triaged: the series shows both.
  return CachedJson(
      *c.store, CacheKey(c.req),
      [&] {
        auto view = service::SeriesOf(*c.store, req);
        if (!view.ok()) return FromStatus(view.status());
        return Json(200, service::SeriesJson(*view));
      },
      DependsOn::kRunsAndAlerts);
}

Response Api::Impl::GetCompare(Ctx& c) {
  return CachedJson(*c.store, CacheKey(c.req), [&] { return Compare(c); });
}

Response Api::Impl::Compare(Ctx& c) {
  const auto base_param = Param(c, "base");
  const auto head_param = Param(c, "head");
  if (!base_param || !head_param) {
    return Error(400, "bad_request", "base and head: required, commit shas or prefixes");
  }
  service::CompareRequest request;
  request.options.metrics = Params(c, "metric");
  if (auto alpha = Param(c, "alpha")) {
    char* end = nullptr;
    request.options.alpha = std::strtod(alpha->c_str(), &end);
    if (end != alpha->c_str() + alpha->size()) {
      return Error(400, "bad_request",
                   fmt::format("alpha: expected a probability like 0.05, got '{}'", *alpha));
    }
  }
  auto doc = service::CompareCommitsDocument(*c.store, *base_param, *head_param,
                                             Param(c, "platform").value_or(""), request);
  if (!doc.ok()) return FromStatus(doc.status());
  return Json(200, std::move(*doc));
}

}  // namespace perfledger::server
