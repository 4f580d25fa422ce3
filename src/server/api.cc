#include "server/api.h"

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
namespace {

using base::JsonWriter;

base::Timestamp Now() {
  return base::Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count()};
}

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Error(int status, std::string_view code, std::string_view message,
               std::optional<std::string> pointer = std::nullopt) {
  JsonWriter w;
  w.BeginObject();
  w.Key("error").BeginObject();
  w.Key("code").String(code);
  w.Key("message").String(message);
  if (pointer) w.Key("pointer").String(*pointer);
  w.EndObject();
  w.EndObject();
  Response r = Json(status, w.Take());
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"perfledger\"");
  return r;
}

Response FromStatus(const base::Status& s) {
  switch (s.code()) {
    case base::StatusCode::kInvalidInput: {
      const base::Location* at = s.location();
      if (at != nullptr && !at->pointer.empty()) {
        return Error(400, "bad_request", s.message(), at->pointer);
      }
      return Error(400, "bad_request", s.message());
    }
    case base::StatusCode::kNotFound:
      return Error(404, "not_found", s.message());
    case base::StatusCode::kConflict:
      return Error(409, "conflict", s.message());
    case base::StatusCode::kBusy:
      return Error(503, "unavailable", s.message());
    default:
      return Error(500, "internal", s.message());
  }
}

// A request parameter that failed to parse: the response to send.
struct BadParam {
  Response response;
};

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  for (auto& part : base::Split(path, '/')) {
    if (!part.empty()) out.push_back(std::move(part));
  }
  return out;
}

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

StorePool::Lease::~Lease() {
  if (pool_ == nullptr || store_ == nullptr) return;
  std::lock_guard<std::mutex> lock(pool_->mu_);
  if (pool_->idle_.size() < pool_->keep_) pool_->idle_.push_back(std::move(store_));
}

base::Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(s));
    }
  }
  store::OpenOptions options;
  options.create_if_missing = true;
  options.busy_timeout = std::chrono::seconds(30);
  ASSIGN_OR_RETURN(auto s, store::OpenStore(location_, options));
  return Lease(this, std::move(s));
}

struct Api::Impl {
  struct Ctx {
    const Request& req;
    std::map<std::string, std::string> params;  // from the path
    store::Store* store = nullptr;
    std::optional<store::TokenRecord> token;
  };
  using Handler = Response (Impl::*)(Ctx&);
  // A write changes the record (an upload, a triage): it needs a token of the project it
  // writes to. A read needs none unless the server is private.
  enum class Access { kRead, kWrite };
  struct Entry {
    Route route;
    std::vector<std::string> segments;
    Handler handler;
    Access access = Access::kRead;
    size_t body_limit = 0;  // the largest body, decoded; 0: takes none
  };

  explicit Impl(Api* api) : api_(api), pool_(api->options_.db, 16) {
    auto add = [&](std::string method, std::string pattern, Handler h,
                   Access access = Access::kRead, size_t body_limit = 0) {
      Entry e{{std::move(method), pattern}, SplitPath(pattern), h, access, body_limit};
      routes_.push_back(std::move(e));
    };
    add("POST", "/api/v1/projects/{project}/runs", &Impl::PostRuns, Access::kWrite,
        api->options_.max_body);
    add("GET", "/api/v1/projects", &Impl::GetProjects);
    add("GET", "/api/v1/platforms", &Impl::GetPlatforms);
    add("GET", "/api/v1/benchmarks", &Impl::GetBenchmarks);
    add("GET", "/api/v1/runs", &Impl::GetRuns);
    add("GET", "/api/v1/series", &Impl::GetSeries);
    add("GET", "/api/v1/compare", &Impl::GetCompare);
    add("GET", "/api/v1/coverage", &Impl::GetCoverage);
    add("GET", "/api/v1/gaps", &Impl::GetGaps);
    add("GET", "/api/v1/skips", &Impl::GetSkips);
    add("GET", "/api/v1/alerts", &Impl::GetAlerts);
    add("PATCH", "/api/v1/alerts/{id}", &Impl::PatchAlert, Access::kWrite, kMaxTriageBody);
    add("GET", "/api/v1/index", &Impl::GetIndex);
    add("GET", "/api/v1/plan/jobs", &Impl::GetJobs);
  }

  Api* api_;
  StorePool pool_;
  std::vector<Entry> routes_;
  // The benchmark catalog, kept current by reading only the runs stored since the last
  // refresh (runs are never deleted). One refresh at a time; readers share the result.
  std::mutex catalog_mu_;
  int64_t catalog_runs_ = 0;
  std::map<std::tuple<std::string, std::string, std::string>, store::BenchmarkInfo> catalog_map_;
  std::shared_ptr<const std::vector<store::BenchmarkInfo>> catalog_;
  // Documents that depend only on the stored runs (index, compare), per request, valid while
  // the store holds the same number of runs; one computation per key at a time.
  struct Cached {
    int64_t runs = 0;
    std::string body;
  };
  std::mutex cache_mu_;
  std::map<std::string, Cached> cache_;
  std::map<std::string, std::shared_ptr<std::mutex>> cache_locks_;

  // ---- parameters ----

  static std::optional<std::string> Param(const Ctx& c, const std::string& name) {
    auto it = c.req.query.find(name);
    if (it == c.req.query.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }

  static std::vector<std::string> Params(const Ctx& c, const std::string& name) {
    std::vector<std::string> out;
    auto [lo, hi] = c.req.query.equal_range(name);
    for (auto it = lo; it != hi; ++it) {
      if (!it->second.empty()) out.push_back(it->second);
    }
    return out;
  }

  static base::Result<int64_t> IntParam(const Ctx& c, const std::string& name, int64_t fallback,
                                        int64_t min, int64_t max) {
    auto v = Param(c, name);
    if (!v) return fallback;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size() || n < min || n > max) {
      return base::InvalidInput(
          fmt::format("{}: expected a whole number from {} to {}, got '{}'", name, min, max, *v));
    }
    return n;
  }

  static base::Result<std::optional<base::Timestamp>> TimeParam(const Ctx& c,
                                                                const std::string& name) {
    auto v = Param(c, name);
    if (!v) return std::optional<base::Timestamp>();
    auto t = base::ParseRfc3339(*v);
    if (!t.ok()) {
      return base::InvalidInput(fmt::format(
          "{}: expected an RFC 3339 time like 2026-11-24T09:00:00Z, got '{}'", name, *v));
    }
    return std::optional<base::Timestamp>(*t);
  }

  static store::RunFilter FilterOf(const Ctx& c) {
    store::RunFilter f;
    f.platform = Param(c, "platform");
    f.project = Param(c, "project");
    return f;
  }

  // ---- admission: everything decided before a body is read ----

  // The host part of a Host header or an Origin's authority, lower-cased, without the port.
  static std::string HostName(std::string_view authority) {
    std::string h;
    if (authority.starts_with("[")) {
      const size_t close = authority.find(']');
      h = std::string(
          authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1));
    } else {
      h = std::string(authority.substr(0, authority.find(':')));
    }
    std::transform(h.begin(), h.end(), h.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return h;
  }

  static bool IsIpLiteral(const std::string& host) {
    if (host.starts_with("[")) return true;  // IPv6
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char ch) {
      return (ch >= '0' && ch <= '9') || ch == '.';
    });
  }

  bool HostAllowed(const std::string& host) const {
    // An IP literal cannot be rebound by DNS; "localhost" resolves to loopback only.
    if (IsIpLiteral(host) || host == "localhost" || host.ends_with(".localhost")) return true;
    for (const auto& allowed : api_->options_.allowed_hosts) {
      if (allowed == "*" || HostName(allowed) == host) return true;
    }
    return false;
  }

  // DNS rebinding: a page of the attacker's name, resolved to this machine, reaches the
  // server with the attacker's name as Host. A write whose Origin is another site is refused
  // too (browsers send Origin on every cross-origin request, and on POST and PATCH).
  std::optional<Response> CheckHost(const Request& req) const {
    if (!req.host) return std::nullopt;  // HTTP/1.0: no browser sends that
    const std::string host = HostName(*req.host);
    if (!HostAllowed(host)) {
      return Error(403, "host_not_allowed",
                   fmt::format("Host '{}' is not a name this server answers to (start it with "
                               "--allowed-host {} if it is its name)",
                               host, host));
    }
    // "null" (a sandboxed or opaque page) is another site too.
    if (req.origin && req.method != "GET" && req.method != "HEAD") {
      std::string_view o = *req.origin;
      const size_t scheme = o.find("://");
      const std::string origin_host =
          HostName(scheme == std::string_view::npos ? o : o.substr(scheme + 3));
      if (origin_host != host && !HostAllowed(origin_host)) {
        return Error(403, "origin_not_allowed",
                     fmt::format("Origin '{}' may not write to this server", *req.origin));
      }
    }
    return std::nullopt;
  }

  // The token the request carries, checked; a response when it carries a bad one.
  std::optional<Response> Authenticate(Ctx& c) {
    if (!c.req.authorization) return std::nullopt;
    const std::string& h = *c.req.authorization;
    constexpr std::string_view kBearer = "Bearer ";
    if (h.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), h.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return Error(401, "unauthorized", "Authorization: expected 'Bearer <token>'");
    }
    const std::string token = h.substr(kBearer.size());
    const std::string hash = core::ApiTokenHash(token);
    auto found = c.store->FindTokenByHash(hash);
    if (!found.ok()) return FromStatus(found.status());
    if (!found->has_value() || !core::ConstantTimeEquals((*found)->hash, hash)) {
      return Error(401, "unauthorized", "unknown or revoked token");
    }
    c.token = std::move(**found);
    (void)c.store->MarkTokenUsed(c.token->id, Now());  // best effort: a busy store may refuse
    return std::nullopt;
  }

  // The project a write changes: the upload's project, the alert's project.
  base::Result<std::string> WrittenProject(Ctx& c) {
    if (auto it = c.params.find("project"); it != c.params.end()) return it->second;
    auto id = AlertId(c.params["id"]);
    if (!id) return base::NotFound(fmt::format("no alert with id {}", c.params["id"]));
    store::AlertFilter filter;
    filter.id = *id;
    ASSIGN_OR_RETURN(auto alerts, c.store->ListAlerts(filter));
    if (alerts.empty()) return base::NotFound(fmt::format("no alert with id {}", *id));
    return alerts.front().project;
  }

  // The token and its rights for this route.
  std::optional<Response> Authorize(const Entry& e, Ctx& c) {
    if (auto bad = Authenticate(c)) return bad;
    if (e.access == Access::kWrite) {
      if (!c.token) {
        return Error(401, "unauthorized",
                     e.route.method == "POST"
                         ? "uploads need a token: send 'Authorization: Bearer <token>' (create "
                           "one with perfledger token create --project P)"
                         : "changing the record needs a token of its project: send "
                           "'Authorization: Bearer <token>' (perfledger token create --project P)");
      }
      auto project = WrittenProject(c);
      if (!project.ok()) return FromStatus(project.status());
      if (c.token->project != *project) {
        return Error(
            403, "forbidden",
            fmt::format("this token is for project '{}', not '{}'", c.token->project, *project));
      }
      if (c.token->scope != "write") {
        return Error(403, "forbidden",
                     fmt::format("this token of project '{}' may only read (its scope is {}); "
                                 "writes need a token created with --scope write",
                                 c.token->project, c.token->scope));
      }
    } else if (!c.token && api_->options_.private_reads) {
      return Error(401, "unauthorized",
                   "this server is private: send 'Authorization: Bearer <token>'");
    }
    return std::nullopt;
  }

  static Response TooLarge(size_t limit, const Entry& e) {
    const std::string what = limit >= (1u << 20)
                                 ? fmt::format("{:g} MiB", static_cast<double>(limit) / (1u << 20))
                                 : fmt::format("{} KiB", limit >> 10);
    return Error(413, "payload_too_large",
                 e.access == Access::kWrite && e.route.method == "POST"
                     ? fmt::format("request body larger than the limit of {} (perfledger serve "
                                   "--max-body sets it)",
                                   what)
                     : fmt::format("request body larger than the limit of {} for {} {}", what,
                                   e.route.method, e.route.pattern));
  }

  // What Handle and Admit share: the route, or the response that refuses the request.
  struct Resolved {
    const Entry* entry = nullptr;  // null: a built-in (/healthz, /metrics, a file)
    std::map<std::string, std::string> params;
    std::optional<Response> refused;
  };

  Resolved Resolve(const Request& req, std::string* route_name) const {
    Resolved r;
    if (auto bad = CheckHost(req)) {
      *route_name = "refused";
      r.refused = std::move(bad);
      return r;
    }
    if (req.path.find('\0') != std::string::npos) {
      *route_name = "refused";
      r.refused = Error(400, "bad_request", "the path holds a NUL character");
      return r;
    }
    if (req.path == "/healthz" || req.path == "/metrics") {
      *route_name = req.path;
      if (req.method != "GET" && req.method != "HEAD") r.refused = NotAllowed("GET");
      return r;
    }
    if (!req.path.starts_with("/api/")) {
      *route_name = "static";
      if (req.method != "GET" && req.method != "HEAD") r.refused = NotAllowed("GET");
      return r;
    }
    const std::vector<std::string> segments = SplitPath(req.path);
    // HEAD is GET without the body, as for /healthz and the files.
    const std::string& method = req.method == "HEAD" ? "GET" : req.method;
    std::vector<std::string> allowed;
    for (const Entry& e : routes_) {
      std::map<std::string, std::string> params;
      if (!Match(e.segments, segments, &params)) continue;
      if (e.route.method != method) {
        allowed.push_back(e.route.method);
        continue;
      }
      *route_name = e.route.pattern;
      r.entry = &e;
      r.params = std::move(params);
      return r;
    }
    *route_name = "unmatched";
    r.refused = allowed.empty() ? Error(404, "not_found",
                                        fmt::format("no API route {} {}", req.method, req.path))
                                : NotAllowed(base::Join(allowed, ", "));
    return r;
  }

  std::optional<Response> Admit(const Request& req, size_t* body_limit, std::string* route_name) {
    *body_limit = 0;
    Resolved r = Resolve(req, route_name);
    if (r.refused) return std::move(r.refused);
    if (r.entry == nullptr) return std::nullopt;
    const Entry& e = *r.entry;
    auto lease = pool_.Acquire();
    if (!lease.ok()) return Error(503, "unavailable", lease.status().message());
    Ctx c{req, std::move(r.params), &**lease, std::nullopt};
    if (auto bad = Authorize(e, c)) return bad;
    if (req.content_encoding) {
      std::string enc = *req.content_encoding;
      std::transform(enc.begin(), enc.end(), enc.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (enc != "identity" && enc != "gzip" && enc != "deflate") {
        return Error(415, "unsupported_media_type",
                     fmt::format("Content-Encoding '{}': expected gzip, deflate or none",
                                 *req.content_encoding));
      }
    }
    if (req.content_length && *req.content_length > e.body_limit) {
      return TooLarge(e.body_limit, e);
    }
    *body_limit = e.body_limit;
    return std::nullopt;
  }

  Response BodyTooLarge(const Request& req, std::string* route_name) const {
    Resolved r = Resolve(req, route_name);
    if (r.entry != nullptr) return TooLarge(r.entry->body_limit, *r.entry);
    return Error(413, "payload_too_large",
                 fmt::format("{} {} takes no request body", req.method, req.path));
  }

  Response Handle(const Request& req, std::string* route_name) {
    Resolved r = Resolve(req, route_name);
    if (r.refused) return std::move(*r.refused);
    if (r.entry == nullptr) {
      if (req.path == "/healthz") return Health();
      if (req.path == "/metrics") return MetricsText();
      return Static(req);
    }
    const Entry& e = *r.entry;
    auto lease = pool_.Acquire();
    if (!lease.ok()) return Error(503, "unavailable", lease.status().message());
    Ctx c{req, std::move(r.params), &**lease, std::nullopt};
    if (auto bad = Authorize(e, c)) return *bad;
    if (req.body.size() > e.body_limit && e.body_limit > 0) return TooLarge(e.body_limit, e);
    return (this->*e.handler)(c);
  }

  static Response NotAllowed(const std::string& allow) {
    Response r = Error(405, "method_not_allowed", fmt::format("allowed here: {}", allow));
    r.headers.emplace_back("Allow", allow);
    return r;
  }

  static bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::map<std::string, std::string>* params) {
    if (pattern.size() != path.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const std::string& p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        (*params)[p.substr(1, p.size() - 2)] = path[i];
      } else if (p != path[i]) {
        return false;
      }
    }
    return true;
  }

  static std::optional<int64_t> AlertId(const std::string& text) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return id;
  }

  // ---- documents ----

  Response Health() {
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

  // The queue depth as the planner counts it: per platform, commits with a queued job and
  // no run.
  static int64_t QueueDepth(const store::ScheduleState& schedule,
                            const std::vector<store::RunSummary>& runs) {
    int64_t depth = 0;
    for (const auto& [platform, state] : service::StateFromStore(runs, schedule)) {
      depth += static_cast<int64_t>(state.queued.size());
    }
    return depth;
  }

  Response MetricsText() {
    Gauges g;
    auto lease = pool_.Acquire();
    if (lease.ok()) {
      store::Store& s = **lease;
      auto runs = s.ListRuns({});
      auto schedule = s.LoadSchedule();
      if (runs.ok() && schedule.ok()) g.queue_depth = QueueDepth(*schedule, *runs);
      if (runs.ok()) g.runs = static_cast<int64_t>(runs->size());
      store::AlertFilter open;
      open.status = "open";
      auto alerts = s.ListAlerts(open);
      if (alerts.ok()) g.open_alerts = static_cast<int64_t>(alerts->size());
    }
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = api_->metrics_.Render(g);
    return r;
  }

  Response Static(const Request& req) {
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
      auto real = env::Env::Default()->ResolveInside(api_->options_.web_root, path);
      if (!real.ok()) return Error(404, "not_found", fmt::format("no file {}", path));
      auto text = env::Env::Default()->ReadFile(*real);
      if (!text.ok()) return Error(404, "not_found", fmt::format("no file {}", path));
      r.body = std::move(*text);
      return r;
    }
    if (auto asset = FindWebAsset(path)) {
      r.body = std::string(asset->data);
      return r;
    }
    if (path == "/index.html") {
      r.body = std::string(kNoDashboard);
      return r;
    }
    return Error(404, "not_found", fmt::format("no file {}", path));
  }

  // POST /api/v1/projects/{project}/runs
  Response PostRuns(Ctx& c) {
    const std::string& project = c.params["project"];
    auto batch = service::ReadUploadBody(c.req.body, project);
    if (!batch.ok()) return FromStatus(batch.status());
    std::vector<std::string> run_ids;
    for (const auto& r : batch->runs) run_ids.push_back(r.run.run_id);
    const int64_t artifacts = batch->artifacts;
    auto stats = store::Collect(*c.store, std::move(batch->runs));
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

  Response GetProjects(Ctx& c) {
    auto doc = service::ProjectsDocument(*c.store);
    if (!doc.ok()) return FromStatus(doc.status());
    return Json(200, std::move(*doc));
  }

  Response GetPlatforms(Ctx& c) {
    auto doc = service::PlatformsDocument(*c.store, Param(c, "project"));
    if (!doc.ok()) return FromStatus(doc.status());
    return Json(200, std::move(*doc));
  }

  base::Result<std::shared_ptr<const std::vector<store::BenchmarkInfo>>> Catalog(store::Store& s) {
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
      std::set_union(it->second.platforms.begin(), it->second.platforms.end(),
                     info.platforms.begin(), info.platforms.end(), std::back_inserter(platforms));
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

  // Each part is preceded by its length: a path, name or value holding '&' or '=' must not
  // make the key of another request (and be answered with that request's document).
  static std::string CacheKey(const Request& req) {
    std::string key = fmt::format("{}:{}", req.path.size(), req.path);
    for (const auto& [k, v] : req.query) {
      key += fmt::format("|{}:{}={}:{}", k.size(), k, v.size(), v);
    }
    return key;
  }

  Response CachedJson(store::Store& s, const std::string& key,
                      const std::function<Response()>& compute) {
    auto n = s.RunCount();
    if (!n.ok()) return FromStatus(n.status());
    std::shared_ptr<std::mutex> key_lock;
    {
      std::lock_guard<std::mutex> lock(cache_mu_);
      auto it = cache_.find(key);
      if (it != cache_.end() && it->second.runs == *n) return Json(200, it->second.body);
      auto& l = cache_locks_[key];
      if (!l) l = std::make_shared<std::mutex>();
      key_lock = l;
      // Every distinct query makes a key: the locks no request holds are dropped, or the map
      // would grow by one for every query string ever asked for.
      if (cache_locks_.size() > 256) {
        std::erase_if(cache_locks_, [](const auto& e) { return e.second.use_count() == 1; });
      }
    }
    std::lock_guard<std::mutex> computing(*key_lock);
    {
      std::lock_guard<std::mutex> lock(cache_mu_);
      auto it = cache_.find(key);
      if (it != cache_.end() && it->second.runs == *n) return Json(200, it->second.body);
    }
    Response r = compute();
    if (r.status == 200) {
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (cache_.size() >= 256) cache_.clear();
      cache_[key] = {*n, r.body};
    }
    return r;
  }

  static bool Matches(const std::string& q, const std::string& name) {
    if (q.find_first_of("*?[") != std::string::npos) return analysis::GlobMatch(q, name);
    return base::ToLower(name).find(base::ToLower(q)) != std::string::npos;
  }

  Response GetBenchmarks(Ctx& c) {
    auto limit = IntParam(c, "limit", 1000, 1, 100000);
    if (!limit.ok()) return FromStatus(limit.status());
    auto catalog = Catalog(*c.store);
    if (!catalog.ok()) return FromStatus(catalog.status());
    const auto q = Param(c, "q");
    const auto platform = Param(c, "platform");
    const auto project = Param(c, "project");
    JsonWriter w;
    w.BeginObject();
    w.Key("benchmarks").BeginArray();
    int64_t total = 0;
    const auto& list = **catalog;
    for (size_t i = 0; i < list.size();) {
      // One entry per (project, benchmark): its metrics follow each other in the catalog.
      size_t j = i;
      while (j < list.size() && list[j].project == list[i].project &&
             list[j].benchmark == list[i].benchmark) {
        ++j;
      }
      const store::BenchmarkInfo& first = list[i];
      std::set<std::string> platforms;
      for (size_t k = i; k < j; ++k)
        platforms.insert(list[k].platforms.begin(), list[k].platforms.end());
      const bool keep = (!q || Matches(*q, first.benchmark)) &&
                        (!project || first.project == *project) &&
                        (!platform || platforms.contains(*platform));
      if (keep && total++ < *limit) {
        w.BeginObject();
        w.Key("name").String(first.benchmark);
        w.Key("project").String(first.project);
        w.Key("platforms").BeginArray();
        for (const auto& p : platforms) w.String(p);
        w.EndArray();
        w.Key("metrics").BeginArray();
        for (size_t k = i; k < j; ++k) {
          w.BeginObject();
          w.Key("name").String(list[k].metric);
          w.Key("unit").String(list[k].unit);
          w.Key("direction").String(core::DirectionName(list[k].direction));
          w.EndObject();
        }
        w.EndArray();
        w.EndObject();
      }
      i = j;
    }
    w.EndArray();
    w.Key("total").Int(total);
    w.Key("limit").Int(*limit);
    w.EndObject();
    return Json(200, w.Take());
  }

  Response GetRuns(Ctx& c) {
    service::RunsRequest req;
    req.runs = FilterOf(c);
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

  Response GetSeries(Ctx& c) {
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
    auto view = service::SeriesOf(*c.store, req);
    if (!view.ok()) return FromStatus(view.status());
    return Json(200, service::SeriesJson(*view));
  }

  Response GetCompare(Ctx& c) {
    return CachedJson(*c.store, CacheKey(c.req), [&] { return Compare(c); });
  }

  Response Compare(Ctx& c) {
    const auto base_param = Param(c, "base");
    const auto head_param = Param(c, "head");
    if (!base_param || !head_param) {
      return Error(400, "bad_request", "base and head: required, commit shas or prefixes");
    }
    const std::string platform = Param(c, "platform").value_or("");
    const std::string where = "the store";
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
    if (auto s = service::CheckCompareRequest(request); !s.ok()) return FromStatus(s);
    auto base_run = service::RunOfCommit(*c.store, *base_param, platform, where);
    if (!base_run.ok()) return FromStatus(base_run.status());
    auto head_run = service::RunOfCommit(*c.store, *head_param, platform, where);
    if (!head_run.ok()) return FromStatus(head_run.status());
    auto history = service::LoadNoiseHistory(head_run->run, *c.store, where);
    if (!history.ok()) return FromStatus(history.status());
    auto outcome = service::CompareRunsOf(base_run->run, head_run->run, request, *history);
    if (!outcome.ok()) return FromStatus(outcome.status());
    return Json(200, service::ComparisonJson(outcome->comparison, {base_run->run, base_run->source},
                                             {head_run->run, head_run->source}, outcome->advisory,
                                             "", *history));
  }

  Response GetCoverage(Ctx& c) {
    service::CoverageRequest req;
    req.platform = Param(c, "platform");
    auto since = TimeParam(c, "since");
    if (!since.ok()) return FromStatus(since.status());
    req.since = *since;
    auto report = service::CoverageOf(*c.store, req);
    if (!report.ok()) return FromStatus(report.status());
    JsonWriter w;
    w.BeginObject();
    w.Key("branch").String(report->branch);
    w.Key("head").String(report->head);
    w.Key("platforms").BeginArray();
    for (const auto& r : report->rows) service::WriteCoverageRow(w, r);
    w.EndArray();
    w.Key("commits").BeginArray();
    for (size_t i = 0; i < report->commits.size(); ++i) {
      const auto& commit = report->commits[i];
      w.BeginObject();
      w.Key("sha").String(commit.sha);
      w.Key("time").String(base::FormatRfc3339(commit.time));
      w.Key("subject").String(commit.subject);
      w.Key("status").BeginObject();
      for (const auto& r : report->rows) {
        if (i < r.states.size()) w.Key(r.platform).String(analysis::CommitStateName(r.states[i]));
      }
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return Json(200, w.Take());
  }

  Response GetGaps(Ctx& c) {
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
    auto report = service::GapsOf(*c.store, req);
    if (!report.ok()) return FromStatus(report.status());
    return Json(200, service::GapsJson(*report));
  }

  Response GetSkips(Ctx& c) {
    service::SkipsRequest req;
    auto limit = IntParam(c, "limit", 500, 1, 100000);
    if (!limit.ok()) return FromStatus(limit.status());
    req.limit = *limit;
    req.platform = Param(c, "platform");
    auto view = service::SkipsOf(*c.store, req);
    if (!view.ok()) return FromStatus(view.status());
    return Json(200, service::SkipsJson(*view));
  }

  static bool IsAlertStatus(const std::string& s) {
    return s == "open" || s == "acknowledged" || s == "resolved" || s == "false-positive";
  }

  Response GetAlerts(Ctx& c) {
    store::AlertFilter filter;
    filter.status = Param(c, "status");
    filter.platform = Param(c, "platform");
    filter.kind = Param(c, "kind");
    if (filter.status && !IsAlertStatus(*filter.status)) {
      return Error(400, "bad_request",
                   fmt::format("status: expected open, acknowledged, resolved or false-positive, "
                               "got '{}'",
                               *filter.status));
    }
    if (filter.kind && *filter.kind != "regression" && *filter.kind != "improvement" &&
        *filter.kind != "environment") {
      return Error(400, "bad_request",
                   fmt::format("kind: expected regression, improvement or environment, got '{}'",
                               *filter.kind));
    }
    auto alerts = c.store->ListAlerts(filter);
    if (!alerts.ok()) return FromStatus(alerts.status());
    return Json(200, service::AlertsJson(*alerts, service::GroupAlerts(*alerts)));
  }

  Response PatchAlert(Ctx& c) {
    const int64_t id = AlertId(c.params["id"]).value_or(0);  // checked by Authorize
    nlohmann::json body = nlohmann::json::parse(c.req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return Error(400, "bad_request",
                   "request body: expected a JSON object like {\"status\": \"acknowledged\"}");
    }
    auto status = body.find("status");
    if (status == body.end() || !status->is_string() ||
        !IsAlertStatus(status->get<std::string>())) {
      return Error(400, "bad_request",
                   "request body: /status: expected open, acknowledged, resolved or "
                   "false-positive",
                   "/status");
    }
    std::optional<std::string> note;
    if (auto n = body.find("note"); n != body.end() && !n->is_null()) {
      if (!n->is_string()) {
        return Error(400, "bad_request", "request body: /note: expected a string", "/note");
      }
      note = n->get<std::string>();
    }
    base::Status s = c.store->SetAlertStatus(id, status->get<std::string>(), note, Now());
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

  Response GetIndex(Ctx& c) {
    return CachedJson(*c.store, CacheKey(c.req), [&] { return Index(c, nullptr); });
  }

  Response Index(Ctx& c, const std::function<bool()>* cancelled) {
    service::IndexRequest req;
    req.runs = FilterOf(c);
    req.metrics = Params(c, "metric");
    if (cancelled != nullptr) req.cancelled = *cancelled;
    auto index = service::IndexOf(*c.store, req);
    if (!index.ok()) return FromStatus(index.status());
    return Json(200, service::IndexJson(*index));
  }

  // Computes what the dashboard's first page asks for (the benchmark catalog, the headline
  // index), so the first visitor of a large store does not wait for it.
  void WarmUp(const std::function<bool()>& cancelled) {
    auto lease = pool_.Acquire();
    if (!lease.ok()) return;
    if (!Catalog(**lease).ok() || cancelled()) return;
    Request req;
    req.method = "GET";
    req.path = "/api/v1/index";
    Ctx c{req, {}, &**lease, std::nullopt};
    CachedJson(**lease, CacheKey(req), [&] { return Index(c, &cancelled); });
  }

  Response GetJobs(Ctx& c) {
    service::JobsRequest req;
    req.platform = Param(c, "platform");
    req.state = Param(c, "state");
    auto view = service::JobsOf(*c.store, req);
    if (!view.ok()) return FromStatus(view.status());
    return Json(200, service::JobsJson(*view));
  }
};

Api::Api(ApiOptions options) : options_(std::move(options)), impl_(std::make_unique<Impl>(this)) {}

Api::~Api() = default;

Response Api::Handle(const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string route = "unmatched";
  Response r;
  try {
    r = impl_->Handle(request, &route);
  } catch (const std::exception& e) {
    r = Error(500, "internal", fmt::format("internal error: {}", e.what()));
  }
  for (const auto& h : SecurityHeaders()) r.headers.push_back(h);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.ObserveRequest(request.method, route, r.status, seconds);
  return r;
}

std::optional<Response> Api::Admit(const Request& head, size_t* body_limit) {
  const auto start = std::chrono::steady_clock::now();
  std::string route = "unmatched";
  std::optional<Response> r;
  try {
    r = impl_->Admit(head, body_limit, &route);
  } catch (const std::exception& e) {
    r = Error(500, "internal", fmt::format("internal error: {}", e.what()));
  }
  if (r) {
    for (const auto& h : SecurityHeaders()) r->headers.push_back(h);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.ObserveRequest(head.method, route, r->status, seconds);
  }
  return r;
}

Response Api::BodyTooLarge(const Request& head) {
  const auto start = std::chrono::steady_clock::now();
  std::string route = "unmatched";
  Response r;
  try {
    r = impl_->BodyTooLarge(head, &route);
  } catch (const std::exception& e) {
    r = Error(413, "payload_too_large", "request body too large");
  }
  for (const auto& h : SecurityHeaders()) r.headers.push_back(h);
  metrics_.ObserveRequest(
      head.method, route, r.status,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return r;
}

const std::vector<std::pair<std::string, std::string>>& Api::SecurityHeaders() {
  // The dashboard loads its scripts and styles from this server only and talks to its API;
  // uPlot sets inline styles on the elements it draws. Nothing may frame the pages.
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  return kHeaders;
}

Response Api::ErrorResponse(int status, std::string_view code, std::string_view message) {
  Response r = Error(status, code, message);
  for (const auto& h : SecurityHeaders()) r.headers.push_back(h);
  return r;
}

void Api::WarmUp(const std::function<bool()>& cancelled) { impl_->WarmUp(cancelled); }

std::vector<Route> Api::Routes() {
  ApiOptions options;
  options.db = ":memory:";
  Api api(options);
  std::vector<Route> out;
  for (const auto& e : api.impl_->routes_) out.push_back(e.route);
  out.push_back({"GET", "/healthz"});
  out.push_back({"GET", "/metrics"});
  return out;
}

}  // namespace perfledger::server
