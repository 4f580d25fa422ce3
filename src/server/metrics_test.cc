#include "server/metrics.h"

#include <gtest/gtest.h>

namespace perfledger::server {
namespace {

TEST(MetricsTest, CountsRequestsByRouteAndStatusWithCumulativeBuckets) {
  Metrics m;
  m.ObserveRequest("GET", "/api/v1/alerts", 200, 0.002);
  m.ObserveRequest("GET", "/api/v1/alerts", 200, 0.3);
  m.ObserveRequest("PATCH", "/api/v1/alerts/{id}", 404, 0.0001);
  m.AddIngested(3, 120);
  const std::string text = m.Render({.queue_depth = 4, .open_alerts = 2, .runs = 9});
  EXPECT_NE(text.find("perfledger_http_requests_total{method=\"GET\",route=\"/api/v1/alerts\","
                      "status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("perfledger_http_requests_total{method=\"PATCH\",route=\"/api/v1/alerts/"
                      "{id}\",status=\"404\"} 1\n"),
            std::string::npos);
  // 0.002 s falls in le=0.0025 and above; 0.3 s only from le=0.5 on.
  EXPECT_NE(text.find("_bucket{route=\"/api/v1/alerts\",le=\"0.001\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/api/v1/alerts\",le=\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/api/v1/alerts\",le=\"0.25\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/api/v1/alerts\",le=\"0.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"/api/v1/alerts\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_count{route=\"/api/v1/alerts\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("perfledger_ingested_runs_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("perfledger_ingested_samples_total 120\n"), std::string::npos);
  EXPECT_NE(text.find("perfledger_queue_depth 4\n"), std::string::npos);
  EXPECT_NE(text.find("perfledger_open_alerts 2\n"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValues) {
  Metrics m;
  m.ObserveRequest("GET", "a\"b\\c", 200, 0.01);
  EXPECT_NE(m.Render({}).find("route=\"a\\\"b\\\\c\""), std::string::npos);
}

}  // namespace
}  // namespace perfledger::server
