// The API's coverage and triage: coverage, gaps, skips, planned jobs, alerts and their
// status, the headline index.
#include <fmt/format.h>
#if defined(__GLIBC__)
#include <malloc.h>  // mallopt, malloc_trim, mallinfo2: glibc only
#endif
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

Response Api::Impl::GetCoverage(Ctx& c) {
  return CachedJson(
      *c.store, CacheKey(c.req), [&] { return Coverage(c); }, DependsOn::kRunsAndSchedule);
}

Response Api::Impl::Coverage(Ctx& c) {
  service::CoverageRequest req;
  req.platform = Param(c, "platform");
  auto since = TimeParam(c, "since");
  if (!since.ok()) return FromStatus(since.status());
  req.since = *since;
  auto report = service::CoverageOf(*c.store, req);
  if (!report.ok()) return FromStatus(report.status());
  return Json(200, service::CoverageJson(*report));
}

Response Api::Impl::GetGaps(Ctx& c) {
  service::GapsRequest req;
  auto max_commits = IntParam(c, "max_commits", 5, 0, INT64_MAX);
  if (!max_commits.ok()) return FromStatus(max_commits.status());
  req.bounds.max_commits = *max_commits;
  if (auto age = Param(c, "max_age")) {
    auto d = base::ParseDuration(*age);
    if (!d.ok()) return FromStatus(d.status().WithPrefix("max_age"));
    req.bounds.max_age_nanos = *d;
  }
  req.now = Now();
  auto inputs = CachedGapsInputs(*c.store);
  if (!inputs.ok()) return FromStatus(inputs.status());
  return Json(200, service::GapsJson(service::GapsFrom(**inputs, req)));
}

base::Result<std::shared_ptr<const service::GapsInputs>> Api::Impl::CachedGapsInputs(
    store::Store& s) {
  ASSIGN_OR_RETURN(const int64_t runs, s.ChangeMark());
  ASSIGN_OR_RETURN(const int64_t schedule, s.ScheduleMark());
  const std::pair<int64_t, int64_t> marks{runs, schedule};
  std::lock_guard<std::mutex> lock(gaps_mu_);  // one load at a time; the others wait for it
  if (gaps_inputs_ && gaps_marks_ == marks) return gaps_inputs_;
  ASSIGN_OR_RETURN(gaps_inputs_, service::LoadGapsInputs(s, {}));
  gaps_marks_ = marks;
  return gaps_inputs_;
}

Response Api::Impl::GetSkips(Ctx& c) {
  service::SkipsRequest req;
  auto limit = IntParam(c, "limit", 500, 1, 100000);
  if (!limit.ok()) return FromStatus(limit.status());
  req.limit = *limit;
  req.platform = Param(c, "platform");
  auto view = service::SkipsOf(*c.store, req);
  if (!view.ok()) return FromStatus(view.status());
  return Json(200, service::SkipsJson(*view));
}

Response Api::Impl::GetAlerts(Ctx& c) {
  store::AlertFilter filter;
  filter.platform = Param(c, "platform");
  if (auto status = Param(c, "status")) {
    filter.status = core::ParseAlertStatus(*status);
    if (!filter.status) {
      return Error(400, "bad_request",
                   fmt::format("status: expected {}, got '{}'", core::AlertStatusList(), *status));
    }
  }
  if (auto kind = Param(c, "kind")) {
    filter.kind = core::ParseAlertKind(*kind);
    if (!filter.kind) {
      return Error(400, "bad_request",
                   fmt::format("kind: expected {}, got '{}'", core::AlertKindList(), *kind));
    }
  }
  auto alerts = c.store->ListAlerts(filter);
  if (!alerts.ok()) return FromStatus(alerts.status());
  // Overlapping ranges grouped in the order of the history a plan recorded, else of the runs.
  auto order = service::AlertCommitOrder(*c.store, *alerts);
  if (!order.ok()) return FromStatus(order.status());
  auto groups = service::GroupAlerts(*alerts, *order);
  if (auto s = service::AddGroupSubjects(*c.store, *alerts, groups); !s.ok()) return FromStatus(s);
  return Json(200, service::AlertsJson(*alerts, groups));
}

Response Api::Impl::PatchAlert(Ctx& c) {
  const int64_t id = AlertId(c.params["id"]).value_or(0);  // checked by Authorize
  nlohmann::json body = nlohmann::json::parse(c.req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Error(400, "bad_request",
                 "request body: expected a JSON object like {\"status\": \"acknowledged\"}");
  }
  auto field = body.find("status");
  std::optional<core::AlertStatus> status;
  if (field != body.end() && field->is_string()) {
    status = core::ParseAlertStatus(field->get<std::string>());
  }
  if (!status) {
    return Error(400, "bad_request",
                 fmt::format("request body: /status: expected {}", core::AlertStatusList()),
                 "/status");
  }
  std::optional<std::string> note;
  if (auto n = body.find("note"); n != body.end() && !n->is_null()) {
    if (!n->is_string()) {
      return Error(400, "bad_request", "request body: /note: expected a string", "/note");
    }
    note = n->get<std::string>();
  }
  base::Status s = c.store->SetAlertStatus(id, *status, note, Now());
  if (!s.ok()) return FromStatus(s);
  auto alerts = c.store->ListAlerts({});
  if (!alerts.ok()) return FromStatus(alerts.status());
  for (const auto& a : *alerts) {
    if (a.id != id) continue;
    JsonWriter w;
    service::WriteAlert(w, a);
    return Json(200, w.Take());
  }
  return Error(404, "not_found", fmt::format("no alert with id {}", id));
}

Response Api::Impl::GetIndex(Ctx& c) {
  return CachedJson(*c.store, CacheKey(c.req), [&] { return Index(c, nullptr); });
}

std::shared_ptr<service::IndexCache> Api::Impl::IndexCacheFor(
    const service::IndexRequest& request) {
  std::string key =
      fmt::format("{}|{}", request.runs.project.value_or(""), request.runs.platform.value_or(""));
  for (const std::string& m : request.metrics) key += "|" + m;
  std::lock_guard<std::mutex> lock(index_mu_);
  // The whole index (the overview's) is also kept in the store, so a restart continues from
  // it (service::IndexCache).
  const bool whole = !request.runs.project && !request.runs.platform && request.metrics.empty();
  auto make = [&] {
    return std::make_shared<service::IndexCache>(
        request, whole ? std::optional<std::string>("index") : std::nullopt);
  };
  auto& cache = indexes_[key];
  if (!cache) {
    if (indexes_.size() > 16) {
      indexes_.clear();
      return indexes_[key] = make();
    }
    cache = make();
  }
  return cache;
}

Response Api::Impl::Index(Ctx& c, const std::function<bool()>* cancelled) {
  std::optional<int64_t> max_points;
  if (Param(c, "max_points")) {
    auto n = IntParam(c, "max_points", 0, 1, kMaxSeriesPoints);
    if (!n.ok()) return FromStatus(n.status());
    max_points = *n;
  }
  service::IndexRequest req;
  req.runs = FilterOf(c);
  req.metrics = Params(c, "metric");
  // Reading every series, platforms are read side by side on a second pooled connection.
  req.another_store = [this]() -> base::Result<std::shared_ptr<store::Store>> {
    ASSIGN_OR_RETURN(StorePool::Lease lease, pool_.Acquire());
    auto held = std::make_shared<StorePool::Lease>(std::move(lease));
    return std::shared_ptr<store::Store>(held, &**held);
  };
  auto index = IndexCacheFor(req)->Get(
      *c.store, cancelled != nullptr ? *cancelled : std::function<bool()>(),
      max_points ? std::optional<size_t>(static_cast<size_t>(*max_points)) : std::nullopt);
  if (!index.ok()) return FromStatus(index.status());
  return Json(200, service::IndexJson(*index->index));
}

void Api::Impl::WarmUp(const std::function<bool()>& cancelled) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return;
  // The index first, as the dashboard's overview asks for it (its sparklines are 160 px wide):
  // that reads every series, or continues from the checkpoint; the full answer is made when
  // someone asks for it.
  Request req;
  req.method = "GET";
  req.path = "/api/v1/index";
  req.query.emplace("max_points", "320");
  Ctx c{req, {}, &**lease, std::nullopt};
  CachedJson(**lease, CacheKey(req), [&] { return Index(c, &cancelled); });
  if (cancelled()) return;
  (void)Catalog(**lease);
#if defined(__GLIBC__)
  malloc_trim(0);  // reading every series freed far more than it kept
#endif
}

Response Api::Impl::GetJobs(Ctx& c) {
  service::JobsRequest req;
  req.platform = Param(c, "platform");
  if (auto state = Param(c, "state")) {
    req.state = core::ParseJobState(*state);
    if (!req.state) {
      return Error(400, "bad_request",
                   fmt::format("state: expected {}, got '{}'", core::JobStateList(), *state));
    }
  }
  auto view = service::JobsOf(*c.store, req);
  if (!view.ok()) return FromStatus(view.status());
  return Json(200, service::JobsJson(*view));
}

}  // namespace perfledger::server
