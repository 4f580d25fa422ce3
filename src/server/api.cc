// The API: routing, request parameters, admission (Host and Origin, the token and its rights,
// the body limits) and the document cache. The handlers are in api_runs.cc, api_triage.cc and
// api_ops.cc (api_impl.h).
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
#include "server/http_codec.h"
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

const std::string& SharedBody::gzipped() const {
  std::call_once(gzip_once_, [this] { gzipped_ = Gzip(text_); });
  return gzipped_;
}

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Shared(std::shared_ptr<const SharedBody> body, std::string content_type) {
  Response r;
  r.content_type = std::move(content_type);
  r.shared = std::move(body);
  return r;
}

Response Error(int status, std::string_view code, std::string_view message,
               std::optional<std::string> pointer) {
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

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  for (auto& part : base::Split(path, '/')) {
    if (!part.empty()) out.push_back(std::move(part));
  }
  return out;
}
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
  ASSIGN_OR_RETURN(auto s, Open());
  return Lease(this, std::move(s));
}

base::Result<std::unique_ptr<store::Store>> StorePool::Open(int checkpoint_pages) const {
  store::OpenOptions options;
  options.checkpoint_pages = checkpoint_pages;
  options.create_if_missing = true;
  options.busy_timeout = std::chrono::seconds(30);
  options.clock = clock_;
  return store::OpenStore(location_, options);
}

Api::Impl::Impl(Api* api)
    : api_(api),
      pool_(api->options_.db, static_cast<size_t>(std::max(1, api->options_.store_connections)),
            [env = api->options_.env] { return env->Now(); }),
      committer_(64, [this] { return pool_.Open(kUploadCheckpointPages); }) {
  auto add = [&](std::string method, std::string pattern, Handler h, Access access = Access::kRead,
                 size_t body_limit = 0) {
    Entry e{{std::move(method), pattern}, SplitPath(pattern), h, access, body_limit};
    routes_.push_back(std::move(e));
  };
  add("POST", "/api/v1/projects/{project}/runs", &Impl::PostRuns, Access::kWrite,
      api->options_.max_body);
  add("GET", "/api/v1/projects/{project}/runs", &Impl::GetProjectRuns);
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
  add("POST", "/api/v1/projects/{project}/jobs/claim", &Impl::PostClaim, Access::kWrite,
      kMaxJobBody);
  add("POST", "/api/v1/projects/{project}/jobs/{job}/heartbeat", &Impl::PostHeartbeat,
      Access::kWrite, kMaxJobBody);
  add("POST", "/api/v1/projects/{project}/jobs/{job}/complete", &Impl::PostComplete, Access::kWrite,
      kMaxJobBody);
  add("POST", "/api/v1/projects/{project}/jobs/{job}/fail", &Impl::PostFail, Access::kWrite,
      kMaxJobBody);
  add("GET", "/api/v1/queue", &Impl::GetQueue);
  add("POST", "/api/v1/projects/{project}/push", &Impl::PostPush, Access::kWrite, kMaxJobBody);
}

base::Result<int64_t> Api::Impl::IntParam(const Ctx& c, const std::string& name, int64_t fallback,
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

base::Result<std::optional<base::Timestamp>> Api::Impl::TimeParam(const Ctx& c,
                                                                  const std::string& name) {
  auto v = Param(c, name);
  if (!v) return std::optional<base::Timestamp>();
  auto t = base::ParseRfc3339(*v);
  if (!t.ok()) {
    return base::InvalidInput(
        fmt::format("{}: expected an RFC 3339 time like 2026-11-24T09:00:00Z, got '{}'", name, *v));
  }
  return std::optional<base::Timestamp>(*t);
}

store::RunFilter Api::Impl::FilterOf(const Ctx& c) {
  store::RunFilter f;
  f.platform = Param(c, "platform");
  f.project = Param(c, "project");
  return f;
}

std::string Api::Impl::HostName(std::string_view authority) {
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

bool Api::Impl::IsIpLiteral(const std::string& host) {
  if (host.starts_with("[")) return true;  // IPv6
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || ch == '.';
  });
}

bool Api::Impl::HostAllowed(const std::string& host) const {
  // An IP literal cannot be rebound by DNS; "localhost" resolves to loopback only.
  if (IsIpLiteral(host) || host == "localhost" || host.ends_with(".localhost")) return true;
  for (const auto& allowed : api_->options_.allowed_hosts) {
    if (allowed == "*" || HostName(allowed) == host) return true;
  }
  return false;
}

std::optional<Response> Api::Impl::CheckHost(const Request& req) const {
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

std::optional<Response> Api::Impl::Authenticate(Ctx& c) {
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
  const base::Timestamp now = Now();
  if (ClaimTokenUseWrite(c.token->id, now)) {
    // Best effort: a busy store may refuse; the next request tries again.
    if (!c.store->MarkTokenUsed(c.token->id, now).ok()) ForgetTokenUseWrite(c.token->id, now);
  }
  return std::nullopt;
}

bool Api::Impl::ClaimTokenUseWrite(int64_t id, base::Timestamp now) {
  std::lock_guard lock(token_use_mu_);
  auto [it, first] = token_use_written_.try_emplace(id, now);
  if (first) return true;
  const int64_t since = now.unix_nanos - it->second.unix_nanos;
  // A clock that went back writes too: the stored time would be in the future.
  if (since >= 0 && since < kTokenUseGranularityNanos) return false;
  it->second = now;
  return true;
}

void Api::Impl::ForgetTokenUseWrite(int64_t id, base::Timestamp now) {
  std::lock_guard lock(token_use_mu_);
  auto it = token_use_written_.find(id);
  if (it != token_use_written_.end() && it->second == now) token_use_written_.erase(it);
}

base::Result<std::string> Api::Impl::WrittenProject(Ctx& c) {
  if (auto it = c.params.find("project"); it != c.params.end()) return it->second;
  auto id = AlertId(c.params["id"]);
  if (!id) return base::NotFound(fmt::format("no alert with id {}", c.params["id"]));
  store::AlertFilter filter;
  filter.id = *id;
  ASSIGN_OR_RETURN(auto alerts, c.store->ListAlerts(filter));
  if (alerts.empty()) return base::NotFound(fmt::format("no alert with id {}", *id));
  return alerts.front().project;
}

std::optional<Response> Api::Impl::Authorize(const Entry& e, Ctx& c) {
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

Response Api::Impl::TooLarge(size_t limit, const Entry& e) {
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

Api::Impl::Resolved Api::Impl::Resolve(const Request& req, std::string* route_name) const {
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
  if (req.path == "/healthz" || req.path == "/readyz" || req.path == "/metrics") {
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
  r.refused = allowed.empty()
                  ? Error(404, "not_found", fmt::format("no API route {} {}", req.method, req.path))
                  : NotAllowed(base::Join(allowed, ", "));
  return r;
}

std::optional<Response> Api::Impl::Admit(const Request& req, size_t* body_limit,
                                         std::string* route_name) {
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

Response Api::Impl::BodyTooLarge(const Request& req, std::string* route_name) const {
  Resolved r = Resolve(req, route_name);
  if (r.entry != nullptr) return TooLarge(r.entry->body_limit, *r.entry);
  return Error(413, "payload_too_large",
               fmt::format("{} {} takes no request body", req.method, req.path));
}

Response Api::Impl::Handle(const Request& req, std::string* route_name) {
  Resolved r = Resolve(req, route_name);
  if (r.refused) return std::move(*r.refused);
  if (r.entry == nullptr) {
    if (req.path == "/healthz") return Health();
    if (req.path == "/readyz") return Ready();
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

Response Api::Impl::NotAllowed(const std::string& allow) {
  Response r = Error(405, "method_not_allowed", fmt::format("allowed here: {}", allow));
  r.headers.emplace_back("Allow", allow);
  return r;
}

bool Api::Impl::Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
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

std::optional<int64_t> Api::Impl::AlertId(const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

std::string Api::Impl::CacheKey(const Request& req) {
  std::string key = fmt::format("{}:{}", req.path.size(), req.path);
  for (const auto& [k, v] : req.query) {
    key += fmt::format("|{}:{}={}:{}", k.size(), k, v.size(), v);
  }
  return key;
}

Response Api::Impl::CachedJson(store::Store& s, const std::string& key,
                               const std::function<Response()>& compute, DependsOn depends_on) {
  auto runs = s.ChangeMark();
  if (!runs.ok()) return FromStatus(runs.status());
  std::tuple<int64_t, int64_t, int64_t> marks{*runs, 0, 0};
  if (depends_on == DependsOn::kRunsAndSchedule) {
    auto schedule = s.ScheduleMark();
    if (!schedule.ok()) return FromStatus(schedule.status());
    std::get<1>(marks) = *schedule;
  }
  if (depends_on == DependsOn::kRunsAndAlerts) {
    auto alerts = s.AlertsMark();
    if (!alerts.ok()) return FromStatus(alerts.status());
    std::get<2>(marks) = *alerts;
  }
  std::shared_ptr<std::mutex> key_lock;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.marks == marks) return Shared(it->second.body);
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
    if (it != cache_.end() && it->second.marks == marks) return Shared(it->second.body);
  }
  Response r = compute();
  // What a document was made from is freed now: its pages go back to the system (off this
  // request's path) when that leaves much memory free in the heap.
  trimmer_.Ask();
  if (r.status != 200 || r.shared) return r;
  auto body = std::make_shared<const SharedBody>(std::move(r.body));
  r.body.clear();
  r.shared = body;
  const size_t size = body->text().size();
  if (size > kCacheBytes / 2) return r;
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (auto it = cache_.find(key); it != cache_.end()) {
    cache_bytes_ -= it->second.body->text().size();
    cache_.erase(it);
  }
  if (cache_.size() >= 256 || cache_bytes_ + size > kCacheBytes) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  cache_bytes_ += size;
  cache_[key] = {marks, std::move(body)};
  return r;
}

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

base::Result<service::PlanOutcome> Api::PlanNow() {
  ASSIGN_OR_RETURN(auto lease, impl_->pool_.Acquire());
  return impl_->PlanNow(*lease);
}

std::vector<Route> Api::Routes() {
  ApiOptions options;
  options.db = ":memory:";
  Api api(options);
  std::vector<Route> out;
  for (const auto& e : api.impl_->routes_) out.push_back(e.route);
  out.push_back({"GET", "/healthz"});
  out.push_back({"GET", "/readyz"});
  out.push_back({"GET", "/metrics"});
  return out;
}

}  // namespace perfledger::server
