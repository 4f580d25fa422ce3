// Private to server/: the Api's implementation (api.h), one struct split by resource over
// several files so each can be read on its own:
//   api.cc         routing, parameters, admission (Host, token, limits), the document cache
//   api_runs.cc    uploads, projects, platforms, benchmarks, runs, series, compare
//   api_triage.cc  coverage, gaps, skips, jobs, alerts and their triage, the headline index
//   api_jobs.cc    job hand-out to agents and the queue
//   api_ops.cc     /healthz, /readyz, /metrics and the dashboard's files
// Every handler parses its request, calls one service function (src/service/) and encodes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "server/api.h"
#include "server/heap_trim.h"
#include "service/handout.h"
#include "service/index.h"
#include "service/plan.h"
#include "store/group_commit.h"
#include "store/store.h"

namespace perfledger::server {

// A JSON response.
Response Json(int status, std::string body);
// A 200 answered with a body the caller keeps too (no copy).
Response Shared(std::shared_ptr<const SharedBody> body,
                std::string content_type = "application/json");
// {"error": {"code", "message", "pointer"?}}; a 401 says how to authenticate.
Response Error(int status, std::string_view code, std::string_view message,
               std::optional<std::string> pointer = std::nullopt);
// The response for a failed use case: 400 (with the JSON pointer of the Status's location),
// 404, 409, 503 or 500 by its code.
Response FromStatus(const base::Status& s);
// A request parameter that failed to parse: the response to send.
struct BadParam {
  Response response;
};
std::vector<std::string> SplitPath(std::string_view path);

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

  explicit Impl(Api* api);

  base::Timestamp Now() const { return api_->options_.env->Now(); }

  Api* api_;
  StorePool pool_;
  std::vector<Entry> routes_;
  // The benchmark catalog, kept current by reading only the runs stored since the last
  // refresh (runs are never deleted). One refresh at a time; readers share the result.
  std::mutex catalog_mu_;
  int64_t catalog_runs_ = 0;
  std::map<std::tuple<std::string, std::string, std::string>, store::BenchmarkInfo> catalog_map_;
  std::shared_ptr<const std::vector<store::BenchmarkInfo>> catalog_;
  // Documents that depend only on the stored runs (index, compare) or on them and the recorded
  // schedule (coverage), per request, valid while the store's change marks stay the same; one
  // computation per key at a time.
  struct Cached {
    // Store::ChangeMark, ScheduleMark, AlertsMark (0 when the document does not depend on it).
    std::tuple<int64_t, int64_t, int64_t> marks;
    std::shared_ptr<const SharedBody> body;
  };
  // The documents kept, at most this many bytes in all: a year's series is 45 MB.
  static constexpr size_t kCacheBytes = 96u << 20;
  // After computing a document, memory the heap holds free beyond this goes back to the system.
  static constexpr size_t kTrimAboveFreeBytes = 32u << 20;
  HeapTrimmer trimmer_{kTrimAboveFreeBytes};
  std::mutex cache_mu_;
  std::map<std::string, Cached> cache_;
  size_t cache_bytes_ = 0;
  std::map<std::string, std::shared_ptr<std::mutex>> cache_locks_;
  // The dashboard's built-in files, each made a SharedBody (and compressed) once.
  std::mutex assets_mu_;
  std::map<std::string, std::shared_ptr<const SharedBody>, std::less<>> assets_;
  // The index per filter (project, platform, metrics), kept current from what changed
  // (service::IndexCache); a few filters at most, dropped together when there are more.
  std::mutex index_mu_;
  std::map<std::string, std::shared_ptr<service::IndexCache>> indexes_;
  std::shared_ptr<service::IndexCache> IndexCacheFor(const service::IndexRequest& request);
  // What gaps reads from the store, kept while the store's run and schedule marks stay the
  // same (its ages follow the clock, so the document itself is made per request).
  std::mutex gaps_mu_;
  std::pair<int64_t, int64_t> gaps_marks_;
  std::shared_ptr<const service::GapsInputs> gaps_inputs_;
  base::Result<std::shared_ptr<const service::GapsInputs>> CachedGapsInputs(store::Store& s);
  // Uploads: concurrent requests share write transactions (store/group_commit.h), written
  // with one connection of their own. It leaves up to this many pages (32 MB) in the
  // write-ahead log before copying them into the store: each group rewrites the last page of
  // every series it adds to, and with SQLite's 1,000 the copying took a third of the commits'
  // time (bench/run_server_bench.sh).
  static constexpr int kUploadCheckpointPages = 8192;
  store::GroupCommitter committer_;
  // When this process last wrote each token's last_used_at: at most once a minute a token,
  // so an authenticated request is not a write of its own (last_used_at is accurate to a
  // minute).
  static constexpr int64_t kTokenUseGranularityNanos = 60LL * 1'000'000'000;
  std::mutex token_use_mu_;
  std::unordered_map<int64_t, base::Timestamp> token_use_written_;
  // Whether to write token `id`'s last_used_at at `now`; notes it as written if so.
  bool ClaimTokenUseWrite(int64_t id, base::Timestamp now);
  // A write that failed: the next request writes again.
  void ForgetTokenUseWrite(int64_t id, base::Timestamp now);

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
                                        int64_t min, int64_t max);

  static base::Result<std::optional<base::Timestamp>> TimeParam(const Ctx& c,
                                                                const std::string& name);

  static store::RunFilter FilterOf(const Ctx& c);

  // ---- admission: everything decided before a body is read ----

  // The host part of a Host header or an Origin's authority, lower-cased, without the port.
  static std::string HostName(std::string_view authority);

  static bool IsIpLiteral(const std::string& host);

  bool HostAllowed(const std::string& host) const;

  // DNS rebinding: a page of the attacker's name, resolved to this machine, reaches the
  // server with the attacker's name as Host. A write whose Origin is another site is refused
  // too (browsers send Origin on every cross-origin request, and on POST and PATCH).
  std::optional<Response> CheckHost(const Request& req) const;

  // The token the request carries, checked; a response when it carries a bad one.
  std::optional<Response> Authenticate(Ctx& c);

  // The project a write changes: the upload's project, the alert's project.
  base::Result<std::string> WrittenProject(Ctx& c);

  // The token and its rights for this route.
  std::optional<Response> Authorize(const Entry& e, Ctx& c);

  static Response TooLarge(size_t limit, const Entry& e);

  // What Handle and Admit share: the route, or the response that refuses the request.
  struct Resolved {
    const Entry* entry = nullptr;  // null: a built-in (/healthz, /metrics, a file)
    std::map<std::string, std::string> params;
    std::optional<Response> refused;
  };

  Resolved Resolve(const Request& req, std::string* route_name) const;

  std::optional<Response> Admit(const Request& req, size_t* body_limit, std::string* route_name);

  Response BodyTooLarge(const Request& req, std::string* route_name) const;

  Response Handle(const Request& req, std::string* route_name);

  static Response NotAllowed(const std::string& allow);

  static bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::map<std::string, std::string>* params);

  static std::optional<int64_t> AlertId(const std::string& text);

  // ---- documents ----

  Response Health();
  // /readyz: 200 while a connection of the pool answers the store at once, else 503, so a
  // load balancer sends requests to another server (a server whose database went away).
  Response Ready();

  // The queue depth as the planner counts it: per platform, commits with a queued job and
  // no run.
  static int64_t QueueDepth(const store::ScheduleState& schedule,
                            const std::vector<store::RunSummary>& runs);

  Response MetricsText();

  Response Static(const Request& req);

  // POST /api/v1/projects/{project}/runs
  Response PostRuns(Ctx& c);

  Response GetProjects(Ctx& c);

  Response GetPlatforms(Ctx& c);

  base::Result<std::shared_ptr<const std::vector<store::BenchmarkInfo>>> Catalog(store::Store& s);

  // Each part is preceded by its length: a path, name or value holding '&' or '=' must not
  // make the key of another request (and be answered with that request's document).
  static std::string CacheKey(const Request& req);

  // What a cached document depends on: the runs (always) and the recorded schedule.
  enum class DependsOn { kRuns, kRunsAndSchedule, kRunsAndAlerts };
  Response CachedJson(store::Store& s, const std::string& key,
                      const std::function<Response()>& compute,
                      DependsOn depends_on = DependsOn::kRuns);

  Response GetBenchmarks(Ctx& c);

  Response GetRuns(Ctx& c);
  Response GetProjectRuns(Ctx& c);  // GET /api/v1/runs with the path's project

  Response GetSeries(Ctx& c);

  Response GetCompare(Ctx& c);

  Response Compare(Ctx& c);

  Response GetCoverage(Ctx& c);
  Response Coverage(Ctx& c);  // GetCoverage uncached

  Response GetGaps(Ctx& c);

  Response GetSkips(Ctx& c);

  Response GetAlerts(Ctx& c);

  Response PatchAlert(Ctx& c);

  Response GetIndex(Ctx& c);

  Response Index(Ctx& c, const std::function<bool()>* cancelled);

  // Computes what the dashboard's first page asks for (the benchmark catalog, the headline
  // index), so the first visitor of a large store does not wait for it.
  void WarmUp(const std::function<bool()>& cancelled);

  Response GetJobs(Ctx& c);

  // Job hand-out (api_jobs.cc): POST /api/v1/projects/{project}/jobs/claim,
  // .../jobs/{job}/heartbeat, .../complete, .../fail; GET /api/v1/queue.
  service::HandoutPolicy Handout() const;
  Response PostClaim(Ctx& c);
  Response PostHeartbeat(Ctx& c);
  Response PostComplete(Ctx& c);
  Response PostFail(Ctx& c);
  Response GetQueue(Ctx& c);
  // POST /api/v1/projects/{project}/push: a webhook's push; plans at once.
  Response PostPush(Ctx& c);
  std::mutex plan_mu_;
  base::Result<service::PlanOutcome> PlanNow(store::Store& s);
};

}  // namespace perfledger::server
