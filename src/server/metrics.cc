#include "server/metrics.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace perfledger::server {
namespace {

// A Prometheus label value: backslash, quote and newline escaped.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Metrics::ObserveRequest(const std::string& method, const std::string& route, int status,
                             double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{method, route, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::AddIngested(int64_t runs, int64_t samples) {
  std::lock_guard<std::mutex> lock(mu_);
  ingested_runs_ += runs;
  ingested_samples_ += samples;
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP perfledger_http_requests_total HTTP requests served, by route and status.\n";
  out += "# TYPE perfledger_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out += fmt::format(
        "perfledger_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
        Label(method), Label(route), status, n);
  }
  out += "# HELP perfledger_http_request_duration_seconds Time to answer a request, by route.\n";
  out += "# TYPE perfledger_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    int64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.counts[i];
      out += fmt::format(
          "perfledger_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
          Label(route), base::FormatNumber(kBuckets[i]), cumulative);
    }
    out += fmt::format(
        "perfledger_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
        Label(route), h.count);
    out += fmt::format("perfledger_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n",
                       Label(route), base::FormatNumber(h.sum));
    out += fmt::format("perfledger_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                       Label(route), h.count);
  }
  out += "# HELP perfledger_ingested_runs_total Runs newly stored through the API.\n";
  out += "# TYPE perfledger_ingested_runs_total counter\n";
  out += fmt::format("perfledger_ingested_runs_total {}\n", ingested_runs_);
  out += "# HELP perfledger_ingested_samples_total Samples newly stored through the API.\n";
  out += "# TYPE perfledger_ingested_samples_total counter\n";
  out += fmt::format("perfledger_ingested_samples_total {}\n", ingested_samples_);
  out += "# HELP perfledger_queue_depth Planned jobs that no run has measured yet.\n";
  out += "# TYPE perfledger_queue_depth gauge\n";
  out += fmt::format("perfledger_queue_depth {}\n", gauges.queue_depth);
  out += "# HELP perfledger_open_alerts Alerts with status open.\n";
  out += "# TYPE perfledger_open_alerts gauge\n";
  out += fmt::format("perfledger_open_alerts {}\n", gauges.open_alerts);
  out += "# HELP perfledger_stored_runs Runs in the store.\n";
  out += "# TYPE perfledger_stored_runs gauge\n";
  out += fmt::format("perfledger_stored_runs {}\n", gauges.runs);
  return out;
}

}  // namespace perfledger::server
