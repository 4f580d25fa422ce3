#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "adapters/adapters.h"
#include "base/strings.h"

namespace perfledger::adapters {
namespace {

std::string Fixture(const std::string& path) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/tests/data/harness/" + path,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path << " (set PERFLEDGER_SOURCE_DIR)";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

core::Metric Samples(std::string name, std::string unit, std::vector<double> samples) {
  core::Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.direction = core::DefaultDirection(m.name);
  m.samples = std::move(samples);
  return m;
}

core::BenchmarkResult Bench(std::string name, std::vector<core::Metric> metrics) {
  core::BenchmarkResult b;
  b.name = std::move(name);
  b.metrics = std::move(metrics);
  return b;
}

TEST(Jmh, ParsesAllModesParamsAndSecondaryMetrics) {
  auto parsed = ParseJmh(Fixture("jmh/results.json"), "jmh.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();

  core::Metric latency;
  latency.name = "wall_time";
  latency.unit = "us";
  core::Summary s;
  s.n = 1520 + 830 + 12 + 1604 + 790 + 3;  // the histogram's counts
  s.mean = 42.0113;
  s.median = 41.216;
  s.min = 41.216;
  s.max = 120.832;
  s.lower = 41.9401;
  s.upper = 42.0825;
  latency.summary = s;

  const std::vector<core::BenchmarkResult> expected = {
      Bench("org.example.json.ParseBench.parse:size=1000,format=json lines",
            {Samples("gc.alloc.rate", "MB/sec", {1503.2, 1499.7, 1510.4, 1488.1, 1492.6, 1495.0}),
             Samples("gc.alloc.rate.norm", "B/op", {1280, 1280, 1280, 1280, 1280, 1280}),
             Samples("gc.count", "counts", {3, 2, 2, 2, 3, 2}),
             Samples("wall_time", "ns", {812.4, 799.1, 803.6, 821.9, 808.3, 815.0})}),
      Bench("org.example.json.ParseBench.parse:size=10,format=json lines",
            {Samples("wall_time", "ns", {9.81, 9.77, 9.90, 9.85, 9.79, 9.83})}),
      Bench("org.example.text.Tokenizer.tokenize",
            {Samples("throughput", "ops/s", {3.3768427e9, 3.3765198e9, 3.3753539e9})}),
      Bench("org.example.http.Latency.request", {latency}),
      Bench("org.example.app.Startup.coldStart",
            {Samples("wall_time", "ms", {412.7, 398.2, 405.9})}),
  };
  EXPECT_EQ(*parsed, expected);
  EXPECT_EQ((*parsed)[2].metrics[0].direction, core::Direction::kHigher);
}

TEST(Jmh, SameBenchmarkInSeveralModesGetsTheModeInItsName) {
  auto parsed = ParseJmh(R"([
    {"benchmark": "a.B.run", "mode": "thrpt", "params": {"n": "1"},
     "primaryMetric": {"score": 2.0, "scoreUnit": "ops/us", "rawData": [[2.0]]}},
    {"benchmark": "a.B.run", "mode": "avgt", "params": {"n": "1"},
     "primaryMetric": {"score": 0.5, "scoreUnit": "us/op", "rawData": [[0.5]]}},
    {"benchmark": "a.B.other", "mode": "avgt",
     "primaryMetric": {"score": 7, "scoreError": "NaN", "scoreUnit": "ns/op", "rawData": [[7]]}}
  ])",
                         "j.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const std::vector<core::BenchmarkResult> expected = {
      Bench("a.B.run:n=1,mode=thrpt", {Samples("throughput", "ops/us", {2.0})}),
      Bench("a.B.run:n=1,mode=avgt", {Samples("wall_time", "us", {0.5})}),
      Bench("a.B.other", {Samples("wall_time", "ns", {7})}),
  };
  EXPECT_EQ(*parsed, expected);
}

TEST(Jmh, NoBenchmarksIsAnError) {
  for (const char* text : {"", "  \n", "[]"}) {
    auto parsed = ParseJmh(text, "j.json");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
    EXPECT_TRUE(base::StartsWith(parsed.status().message(), "j.json: no benchmark results"))
        << parsed.status().message();
  }
}

TEST(Jmh, MalformedInputNamesTheJsonPointer) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {R"({"benchmark": "a"})",
       "j.json: (document root): expected an array of JMH results (-rf json), got an object"},
      {R"([{"benchmark": "a.B.c", "mode": "avgt",
            "primaryMetric": {"scoreUnit": "ns/op", "rawData": [[1.0, 2.0], [3.0, "NaN"]]}}])",
       "j.json: /0/primaryMetric/rawData/1/1: expected a finite number, got a string (\"NaN\")"},
      {R"([{"benchmark": "a.B.c", "mode": "avgt", "primaryMetric": {"rawData": [[1.0]]}}])",
       "j.json: /0/primaryMetric/scoreUnit: missing (expected a unit such as "
       "\"ns/op\")"},
      {R"([{"benchmark": "a.B.c", "mode": "fast", "primaryMetric": {}}])",
       "j.json: /0/mode: expected \"thrpt\", \"avgt\", \"sample\" or \"ss\", got a string "
       "(\"fast\")"},
      {R"([{"mode": "avgt", "primaryMetric": {}}])",
       "j.json: /0/benchmark: missing (expected the benchmark's name, e.g. "
       "\"org.x.MyBench.parse\")"},
      {R"([{"benchmark": "a.B.c", "mode": "avgt"}])",
       "j.json: /0/primaryMetric: missing (expected an object with score, "
       "scoreUnit and rawData)"},
      {R"([{"benchmark": "a.B.c", "mode": "avgt",
            "primaryMetric": {"scoreUnit": "ns/op", "rawData": [[1.0]]}},
           {"benchmark": "a.B.c", "mode": "avgt",
            "primaryMetric": {"scoreUnit": "ns/op", "rawData": [[1.0]]}}])",
       "j.json: /1: benchmark \"a.B.c\" (mode avgt) was already reported at /0 (results of "
       "several runs in one file? pass each run's file separately)"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseJmh(c.text, "j.json");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
    EXPECT_EQ(parsed.status().message(), c.message);
  }
}

TEST(Jmh, InvalidJsonIsAnError) {
  auto parsed = ParseJmh("[{\"benchmark\": ", "j.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(base::StartsWith(parsed.status().message(), "j.json: invalid JSON: "))
      << parsed.status().message();
}

TEST(Jmh, LooksLikeItsOwnFixtureOnly) {
  EXPECT_TRUE(LooksLikeJmh(Fixture("jmh/results.json")));
  EXPECT_FALSE(LooksLikeJmh(Fixture("libtest/cargo_bench.txt")));
  EXPECT_FALSE(LooksLikeJmh(Fixture("criterion/bencher.txt")));
  EXPECT_FALSE(LooksLikeJmh(Fixture("benchmarkdotnet/Example.Benchmarks-report-full.json")));
  EXPECT_FALSE(LooksLikeJmh(""));
  EXPECT_FALSE(LooksLikeJmh("[1, 2, 3]"));
}

}  // namespace
}  // namespace perfledger::adapters
