// The API's operations: /healthz, /metrics and the dashboard's files.
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

namespace {

std::string ContentTypeOf(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (base::EndsWith(path, ext)) return std::string(type);
  }
  return "application/octet-stream";
}

constexpr std::string_view kNoDashboard =
    "<!doctype html><meta charset=utf-8><title>perfledger</title>"
    "<p>This perfledger was built without its dashboard (web/ needs Node.js and npm at build "
    "time). The API is at <a href=\"/api/v1/projects\">/api/v1/</a>; "
    "<code>perfledger serve --web-root DIR</code> serves a built dashboard.</p>";

}  // namespace

Response Api::Impl::Health() {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return Error(503, "unavailable", lease.status().message());
  auto n = (*lease)->RunCount();
  if (!n.ok()) return Error(503, "unavailable", n.status().message());
  JsonWriter w;
  w.BeginObject();
  w.Key("status").String("ok");
  w.Key("store").String((*lease)->Describe());
  w.Key("runs").Int(*n);
  w.EndObject();
  return Json(200, w.Take());
}

Response Api::Impl::Ready() {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return Error(503, "unavailable", lease.status().message());
  // The newest run's row: an index lookup on either back end, where /healthz counts runs.
  auto mark = (*lease)->ChangeMark();
  if (!mark.ok()) return Error(503, "unavailable", mark.status().message());
  JsonWriter w;
  w.BeginObject();
  w.Key("status").String("ready");
  w.EndObject();
  return Json(200, w.Take());
}

int64_t Api::Impl::QueueDepth(const store::ScheduleState& schedule,
                              const std::vector<store::RunSummary>& runs) {
  int64_t depth = 0;
  for (const auto& [platform, state] : service::StateFromStore(runs, schedule)) {
    depth += static_cast<int64_t>(state.queued.size());
  }
  return depth;
}

Response Api::Impl::MetricsText() {
  Gauges g;
  auto lease = pool_.Acquire();
  if (lease.ok()) {
    store::Store& s = **lease;
    auto runs = s.ListRuns({});
    auto schedule = s.LoadSchedule();
    if (runs.ok() && schedule.ok()) g.queue_depth = QueueDepth(*schedule, *runs);
    if (runs.ok()) g.runs = static_cast<int64_t>(runs->size());
    store::AlertFilter open;
    open.status = core::AlertStatus::kOpen;
    auto alerts = s.ListAlerts(open);
    if (alerts.ok()) g.open_alerts = static_cast<int64_t>(alerts->size());
  }
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = api_->metrics_.Render(g);
  return r;
}

Response Api::Impl::Static(const Request& req) {
  std::string path = req.path == "/" ? "/index.html" : req.path;
  for (const auto& part : base::Split(path, '/')) {
    if (part == "..") return Error(404, "not_found", "no such file");
  }
  Response r;
  r.content_type = ContentTypeOf(path);
  r.headers.emplace_back("Cache-Control", path.starts_with("/assets/")
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  if (!api_->options_.web_root.empty()) {
    // Confined: a link inside the directory that leads out of it is no file of the site.
    auto real = api_->options_.env->ResolveInside(api_->options_.web_root, path);
    if (!real.ok()) return Error(404, "not_found", fmt::format("no file {}", path));
    auto text = api_->options_.env->ReadFile(*real);
    if (!text.ok()) return Error(404, "not_found", fmt::format("no file {}", path));
    r.body = std::move(*text);
    return r;
  }
  if (auto asset = FindWebAsset(path)) {
    std::lock_guard<std::mutex> lock(assets_mu_);
    auto& body = assets_[path];
    if (!body) body = std::make_shared<const SharedBody>(std::string(asset->data));
    r.shared = body;
    return r;
  }
  if (path == "/index.html") {
    r.body = std::string(kNoDashboard);
    return r;
  }
  return Error(404, "not_found", fmt::format("no file {}", path));
}

}  // namespace perfledger::server
