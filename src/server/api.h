// The HTTP API (docs/api.md) as a function from a request to a response, independent of the
// HTTP library: server.cc only moves bytes between the sockets and Api::Admit/Handle, so routing,
// authentication and every document are testable without sockets, and the route table is
// what docs/openapi.json is checked against.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "env/env.h"
#include "server/metrics.h"
#include "service/catalog.h"
#include "service/plan.h"
#include "store/store.h"

namespace perfledger::server {

struct Request {
  std::string method;  // GET, POST, PATCH, ...
  std::string path;    // decoded, without the query: /api/v1/alerts/3
  std::multimap<std::string, std::string> query;
  std::optional<std::string> authorization;  // the Authorization header
  // Headers the API decides on before a body is read (Api::Admit); the transport fills them.
  std::optional<std::string> host;              // Host, as sent (may carry a port)
  std::optional<std::string> origin;            // Origin (browsers send it on writes)
  std::optional<uint64_t> content_length;       // declared; none when chunked or absent
  std::optional<std::string> content_encoding;  // Content-Encoding of the body, if any
  std::string body;                             // decoded (after Content-Encoding)
};

// A response body shared by the API's caches and every response answered from them: a cache
// hit copies nothing (a year's series is 45 MB), and the gzip form is made once, by the first
// request that accepts it, outside the transport's threads.
class SharedBody {
 public:
  explicit SharedBody(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }
  // The text as a gzip stream; empty when compression failed (then send the text).
  const std::string& gzipped() const;

 private:
  std::string text_;
  mutable std::once_flag gzip_once_;
  mutable std::string gzipped_;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body (and `body` is empty).
  std::shared_ptr<const SharedBody> shared;
  std::vector<std::pair<std::string, std::string>> headers;

  const std::string& text() const { return shared ? shared->text() : body; }
};

struct Route {
  std::string method;
  std::string pattern;  // /api/v1/alerts/{id}
};

struct ApiOptions {
  std::string db;               // the store's location
  bool private_reads = false;   // every /api/v1/ request needs a token
  std::string web_root;         // serve the dashboard from here; empty: the files built in
  size_t max_body = 64u << 20;  // the largest upload body, counted after decompression
  // Idle store connections kept between requests (each request holds one while it runs):
  // `serve` keeps one per request thread. Opening one again costs more than an upload's write.
  int store_connections = 32;
  // Host names (the Host header without its port) the server answers besides IP literals and
  // "localhost": a name that resolves to a loopback address only for an attacker's page (DNS
  // rebinding) is refused. "*" allows every name (behind a proxy that checks Host itself).
  std::vector<std::string> allowed_hosts;
  // Job hand-out: how long an agent's claim holds without a heartbeat, and how many attempts
  // a job gets (service::HandoutPolicy).
  int64_t lease_nanos = 5LL * 60 * 1'000'000'000;
  int max_attempts = 3;
  // Planning by the server itself (serve --repo, --plan-every; POST .../push): the repository,
  // branch, platforms and policy of every plan (`now` and `record` are set per plan). None:
  // the server plans nothing and POST .../push is refused.
  std::optional<service::PlanRequest> planning;
  // Where the dashboard links commits (serve --repo-url, or --repo's origin): GET
  // /api/v1/projects's repository_url and commit_url.
  service::RepositoryLinks repository;
  // The files of --web-root and the clock (when an alert was triaged, a token last used, the
  // time gaps are measured to); tests pass an env::FakeEnv.
  env::Env* env = env::Env::Default();
};

// The largest body of an alert's triage (PATCH /api/v1/alerts/{id}).
inline constexpr size_t kMaxTriageBody = 64u << 10;

// The largest body of a job hand-out call (claim, heartbeat, complete; a failed attempt's log is
// cut to its last 16 KiB by the server).
inline constexpr size_t kMaxJobBody = 256u << 10;

// The largest max_points of GET /api/v1/series: four points per pixel column of a chart wider
// than any screen, and then some. Every point is had by leaving max_points out.
inline constexpr int64_t kMaxSeriesPoints = 100000;

// Hands out one store connection per request (a Store is used from one thread at a time);
// opens more as needed, up to no limit, and keeps at most `keep` idle ones.
class StorePool {
 public:
  // Stores opened with `clock` (store::OpenOptions::clock).
  StorePool(std::string location, size_t keep, std::function<base::Timestamp()> clock = nullptr)
      : location_(std::move(location)), keep_(keep), clock_(std::move(clock)) {}
  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<store::Store> s) : pool_(pool), store_(std::move(s)) {}
    Lease(Lease&&) = default;
    ~Lease();
    store::Store& operator*() { return *store_; }
    store::Store* operator->() { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<store::Store> store_;
  };
  base::Result<Lease> Acquire();
  // A connection of its own, not pooled (the uploads' writer, with `checkpoint_pages`).
  base::Result<std::unique_ptr<store::Store>> Open(int checkpoint_pages = 0) const;

 private:
  std::string location_;
  size_t keep_;
  std::function<base::Timestamp()> clock_;
  std::mutex mu_;
  std::vector<std::unique_ptr<store::Store>> idle_;
};

class Api {
 public:
  explicit Api(ApiOptions options);
  ~Api();

  // Never throws; every failure is a JSON error response. Applies Admit's checks first.
  Response Handle(const Request& request);

  // Everything decided before a request's body is read: the Host and Origin headers, the
  // route and method, the token and its rights (writes need a token of the project written
  // to), the declared size and encoding. Returns the response that refuses the request, or
  // nullopt when its body may be read, and then `*body_limit` is the most bytes it may have
  // once decoded (0 for a request that takes no body). Never throws; thread-safe.
  std::optional<Response> Admit(const Request& head, size_t* body_limit);

  // The 413 for a request whose body turned out larger than the limit Admit gave (a chunked or
  // compressed body is only counted as it arrives); names the limit. Never throws.
  Response BodyTooLarge(const Request& head);

  // Headers every response carries (Content-Security-Policy, X-Frame-Options, ...); the
  // transport adds them to the responses it makes itself too.
  static const std::vector<std::pair<std::string, std::string>>& SecurityHeaders();

  // A JSON error response, as the API makes them: {"error": {"code", "message"}}.
  static Response ErrorResponse(int status, std::string_view code, std::string_view message);

  // Computes the documents a first visitor would wait for on a large store (the benchmark
  // catalog, the headline index); returns early once `cancelled` says so.
  void WarmUp(const std::function<bool()>& cancelled);

  // Fetches the planning repository and records a plan now (ApiOptions::planning; kNotFound
  // when the server does not plan). One plan at a time in this process; other servers on the
  // same store are kept from planning a commit twice by the store (PlanRecord::after_plan).
  base::Result<service::PlanOutcome> PlanNow();

  // Every route the API serves (not the dashboard's files).
  static std::vector<Route> Routes();

  Metrics& metrics() { return metrics_; }

 private:
  struct Impl;
  ApiOptions options_;
  Metrics metrics_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfledger::server
