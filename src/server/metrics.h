// What `GET /metrics` reports, in the Prometheus text format: requests by route and status,
// their latency as histograms, ingested runs and samples. Gauges that live in the store (queue
// depth, open alerts) are read when scraped and passed to Render. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace perfledger::server {

struct Gauges {
  int64_t queue_depth = 0;  // queued jobs no run has measured yet
  int64_t open_alerts = 0;
  int64_t runs = 0;  // stored runs
};

class Metrics {
 public:
  // `route` is the route's pattern ("/api/v1/alerts/{id}"), never the raw path, so the number
  // of series stays bounded.
  void ObserveRequest(const std::string& method, const std::string& route, int status,
                      double seconds);
  void AddIngested(int64_t runs, int64_t samples);
  std::string Render(const Gauges& gauges) const;

  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

 private:
  struct Histogram {
    std::array<int64_t, kBuckets.size()> counts{};  // not cumulative
    int64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;
  std::map<std::string, Histogram> latency_;  // by route
  int64_t ingested_runs_ = 0, ingested_samples_ = 0;
};

}  // namespace perfledger::server
