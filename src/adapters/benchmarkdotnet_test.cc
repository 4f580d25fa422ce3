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

core::Metric WallTime(std::vector<double> samples) {
  core::Metric m;
  m.name = "wall_time";
  m.unit = "ns";
  m.samples = std::move(samples);
  return m;
}

core::Metric One(std::string name, std::string unit, double value) {
  core::Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  core::Summary s;
  s.n = 1;
  s.mean = value;
  m.summary = s;
  return m;
}

core::BenchmarkResult Bench(std::string name, std::vector<core::Metric> metrics) {
  core::BenchmarkResult b;
  b.name = std::move(name);
  b.metrics = std::move(metrics);
  return b;
}

TEST(BenchmarkDotNet, ParsesFullReportWithJobsMemoryAndAFailure) {
  auto parsed = ParseBenchmarkDotNet(Fixture("benchmarkdotnet/Example.Benchmarks-report-full.json"),
                                     "report-full.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  core::BenchmarkResult failed;
  failed.name = "Example.Benchmarks.JsonBench.Deserialize";
  failed.error =
      "BenchmarkDotNet reported no measurements (the benchmark threw or did not run; see the "
      "BenchmarkDotNet log)";
  const std::vector<core::BenchmarkResult> expected = {
      Bench("Example.Benchmarks.StringBench.Concat(N: 10)",
            {One("bytes_allocated_per_op", "bytes", 96), One("gc_gen0_per_1k_ops", "count", 0.0153),
             WallTime({48.0, 48.5, 47.5})}),
      Bench("Example.Benchmarks.StringBench.Concat(N: 1000)",
            {One("bytes_allocated_per_op", "bytes", 9656),
             One("gc_gen0_per_1k_ops", "count", 1.2207), WallTime({3744, 3694, 3794})}),
      // Zero allocations, measured (the Metrics array has "Allocated Memory"): kept.
      Bench("Example.Benchmarks.StringBench.SpanCopy(N: 10)",
            {One("bytes_allocated_per_op", "bytes", 0),
             WallTime({41943040.0 / 16777216, 42110812.0 / 16777216, 41775267.0 / 16777216})}),
      Bench("Example.Benchmarks.JsonBench.Serialize [JsonBench.Serialize: "
            "Job-KXNPQT(Runtime=.NET 6.0)]",
            {One("bytes_allocated_per_op", "bytes", 21040),
             One("gc_gen0_per_1k_ops", "count", 2.5024), WallTime({1840, 1824, 1848})}),
      Bench("Example.Benchmarks.JsonBench.Serialize [JsonBench.Serialize: "
            "Job-YFEFPZ(Runtime=.NET 8.0)]",
            {One("bytes_allocated_per_op", "bytes", 21040),
             One("gc_gen0_per_1k_ops", "count", 2.5024), WallTime({1376, 1368, 1384})}),
      failed,
  };
  EXPECT_EQ(*parsed, expected);
}

TEST(BenchmarkDotNet, FallsBackToOriginalValuesThenToStatistics) {
  auto parsed = ParseBenchmarkDotNet(R"({"HostEnvironmentInfo": {}, "Benchmarks": [
    {"Namespace": "N", "Type": "T", "Method": "A", "Parameters": "Size=3",
     "Statistics": {"OriginalValues": [10.5, 11.5], "N": 2, "Mean": 11},
     "Memory": {"BytesAllocatedPerOperation": 64}},
    {"Type": "T", "Method": "B", "Parameters": "",
     "Statistics": {"N": 15, "Mean": 20.5, "StandardDeviation": 0.5, "Median": 20.25,
                    "Min": 19.75, "Max": 21.5,
                    "ConfidenceInterval": {"Lower": 20.0, "Upper": 21.0}},
     "Memory": {"BytesAllocatedPerOperation": 0}}
  ]})",
                                     "r.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  core::Metric summary;
  summary.name = "wall_time";
  summary.unit = "ns";
  core::Summary s;
  s.n = 15;
  s.mean = 20.5;
  s.stddev = 0.5;
  s.median = 20.25;
  s.min = 19.75;
  s.max = 21.5;
  s.lower = 20.0;
  s.upper = 21.0;
  summary.summary = s;
  // Without a Metrics array (older files) a zero allocation cannot be told from "not
  // measured", so only non-zero values are kept.
  const std::vector<core::BenchmarkResult> expected = {
      Bench("N.T.A(Size=3)", {One("bytes_allocated_per_op", "bytes", 64), WallTime({10.5, 11.5})}),
      Bench("T.B", {summary}),
  };
  EXPECT_EQ(*parsed, expected);
}

TEST(BenchmarkDotNet, NoBenchmarksIsAnError) {
  for (const char* text : {"", R"({"Title": "x", "HostEnvironmentInfo": {}, "Benchmarks": []})"}) {
    auto parsed = ParseBenchmarkDotNet(text, "r.json");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
    EXPECT_TRUE(base::StartsWith(parsed.status().message(), "r.json: no benchmark results"))
        << parsed.status().message();
  }
}

TEST(BenchmarkDotNet, MalformedInputNamesTheJsonPointer) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"[]",
       "r.json: (document root): expected an object (BenchmarkDotNet's full JSON report), "
       "got an array"},
      {R"({"Title": "x"})",
       "r.json: /Benchmarks: missing (expected an array of benchmarks (is this "
       "the full JSON report?))"},
      {R"({"Benchmarks": [{"FullName": "A.B", "Measurements": [
           {"IterationMode": "Workload", "IterationStage": "Result", "Operations": 16,
            "Nanoseconds": "slow"}]}]})",
       "r.json: /Benchmarks/0/Measurements/0/Nanoseconds: expected a non-negative number, got a "
       "string (\"slow\")"},
      {R"({"Benchmarks": [{"FullName": "A.B", "Measurements": [
           {"IterationMode": "Workload", "IterationStage": "Result", "Operations": 0,
            "Nanoseconds": 5}]}]})",
       "r.json: /Benchmarks/0/Measurements/0/Operations: expected a positive number, got the "
       "number 0"},
      {R"({"Benchmarks": [{"Method": "B", "Statistics": {"N": 1, "Mean": 2}}]})",
       "r.json: /Benchmarks/0/FullName: missing (expected the benchmark's full "
       "name (or \"Type\" and \"Method\"))"},
      {R"({"Benchmarks": [{"FullName": "A.B", "Statistics": {"Mean": 2}}]})",
       "r.json: /Benchmarks/0/Statistics/N: missing (expected the number of "
       "measurements)"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseBenchmarkDotNet(c.text, "r.json");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
    EXPECT_EQ(parsed.status().message(), c.message);
  }
}

TEST(BenchmarkDotNet, InvalidJsonIsAnError) {
  auto parsed = ParseBenchmarkDotNet("{\"Benchmarks\": [", "r.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(base::StartsWith(parsed.status().message(), "r.json: invalid JSON: "))
      << parsed.status().message();
}

TEST(BenchmarkDotNet, LooksLikeItsOwnFixtureOnly) {
  EXPECT_TRUE(
      LooksLikeBenchmarkDotNet(Fixture("benchmarkdotnet/Example.Benchmarks-report-full.json")));
  EXPECT_FALSE(LooksLikeBenchmarkDotNet(Fixture("jmh/results.json")));
  EXPECT_FALSE(LooksLikeBenchmarkDotNet(Fixture("libtest/cargo_bench.txt")));
  EXPECT_FALSE(LooksLikeBenchmarkDotNet(Fixture("criterion/bencher.txt")));
  EXPECT_FALSE(LooksLikeBenchmarkDotNet(""));
  EXPECT_FALSE(LooksLikeBenchmarkDotNet(R"({"context": {}, "benchmarks": []})"));
}

}  // namespace
}  // namespace perfledger::adapters
