#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/adapters.h"

namespace perfledger::adapters {
namespace {

using core::BenchmarkResult;
using core::Direction;
using core::Metric;

std::string Fixture(const std::string& name) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  const std::string path =
      std::string(root ? root : ".") + "/tests/data/harness/google-benchmark/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Parses a fixture with its file name as the source.
Parsed ParseFixture(const std::string& name) { return ParseGoogleBenchmark(Fixture(name), name); }

std::vector<std::string> Names(const std::vector<BenchmarkResult>& results) {
  std::vector<std::string> names;
  for (const auto& b : results) names.push_back(b.name);
  return names;
}

const Metric* FindMetric(const BenchmarkResult& b, const std::string& name) {
  for (const auto& m : b.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<std::string> MetricNames(const BenchmarkResult& b) {
  std::vector<std::string> names;
  for (const auto& m : b.metrics) names.push_back(m.name);
  return names;
}

std::string ErrorOf(const Parsed& parsed) {
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
  return parsed.status().message();
}

// What tests/harness/gbench_sample.cc reports when run with --benchmark_repetitions=3.
void CheckSampleProgram(const std::vector<BenchmarkResult>& results) {
  ASSERT_EQ(Names(results),
            (std::vector<std::string>{"BM_Sum/64", "BM_Counter", "BM_Copy", "BM_Fails"}));

  const BenchmarkResult& sum = results[0];
  EXPECT_FALSE(sum.error);
  EXPECT_EQ(MetricNames(sum), (std::vector<std::string>{"cpu_time", "wall_time"}));
  for (const Metric& m : sum.metrics) {
    EXPECT_EQ(m.unit, "ns");
    EXPECT_EQ(m.direction, Direction::kLower);
    EXPECT_EQ(m.samples.size(), 3u) << m.name;
    EXPECT_FALSE(m.summary);
    for (double x : m.samples) EXPECT_GT(x, 0) << m.name;
  }

  const BenchmarkResult& counter = results[1];
  EXPECT_EQ(MetricNames(counter),
            (std::vector<std::string>{"cpu_time", "misses", "nodes", "wall_time"}));
  const Metric* nodes = FindMetric(counter, "nodes");
  ASSERT_NE(nodes, nullptr);
  EXPECT_EQ(nodes->unit, "count");
  EXPECT_EQ(nodes->direction, Direction::kLower);
  ASSERT_EQ(nodes->samples.size(), 3u);
  EXPECT_GT(nodes->samples[0], 0);
  // The repetitions' zeros are kept; only the aggregate's NaN (cv = 0/0) is not a data point.
  const Metric* misses = FindMetric(counter, "misses");
  ASSERT_NE(misses, nullptr);
  EXPECT_EQ(misses->samples, (std::vector<double>{0, 0, 0}));

  const BenchmarkResult& copy = results[2];
  EXPECT_EQ(MetricNames(copy), (std::vector<std::string>{"bytes_per_second", "cpu_time",
                                                         "items_per_second", "wall_time"}));
  EXPECT_EQ(FindMetric(copy, "wall_time")->unit, "us");
  EXPECT_EQ(FindMetric(copy, "cpu_time")->unit, "us");
  const Metric* bytes = FindMetric(copy, "bytes_per_second");
  EXPECT_EQ(bytes->unit, "bytes/s");
  EXPECT_EQ(bytes->direction, Direction::kHigher);
  EXPECT_EQ(bytes->samples.size(), 3u);
  const Metric* items = FindMetric(copy, "items_per_second");
  EXPECT_EQ(items->unit, "items/s");
  EXPECT_EQ(items->direction, Direction::kHigher);
  // 256 bytes and one item an iteration.
  EXPECT_NEAR(bytes->samples[0] / items->samples[0], 256, 1e-6);

  const BenchmarkResult& fails = results[3];
  EXPECT_EQ(fails.error, "input file missing");
  EXPECT_TRUE(fails.metrics.empty());
}

#ifdef GBENCH_SAMPLE
std::string RunHarness(const std::string& command, int* exit_status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(GoogleBenchmarkTest, RealHarnessOutput) {
  // --benchmark_min_time takes plain seconds in 1.7 (1.8 also accepts "0.001s").
  int exit_status = -1;
  const std::string json = RunHarness(
      std::string("'") + GBENCH_SAMPLE +
          "' --benchmark_format=json --benchmark_repetitions=3 --benchmark_min_time=0.001",
      &exit_status);
  ASSERT_EQ(exit_status, 0) << json;
  ASSERT_TRUE(LooksLikeGoogleBenchmark(json));
  const Parsed parsed = ParseGoogleBenchmark(json, "gbench_sample");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  CheckSampleProgram(*parsed);
}
#endif

TEST(GoogleBenchmarkTest, CommittedRealOutput) {
  // The same program's output kept as a fixture; it holds a bare NaN (the cv of "misses").
  const std::string json = Fixture("gbench_sample_1.7.1.json");
  ASSERT_NE(json.find("NaN"), std::string::npos);
  const Parsed parsed = ParseGoogleBenchmark(json, "gbench_sample_1.7.1.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  CheckSampleProgram(*parsed);
  EXPECT_EQ(FindMetric((*parsed)[0], "wall_time")->samples[0], 2.4897127659507521e+02);
  EXPECT_EQ(FindMetric((*parsed)[0], "cpu_time")->samples[0], 6.3616466234967696e+01);
}

TEST(GoogleBenchmarkTest, OldFormatWithoutRunTypeGroupsByNameAndDropsAggregates) {
  const Parsed parsed = ParseFixture("old_format_v1.4.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  // BM_trimmed_mean is a benchmark, not the mean of a "BM_trimmed".
  EXPECT_EQ(Names(*parsed), (std::vector<std::string>{"BM_Parse/1024", "BM_Lookup/8",
                                                      "BM_Lookup/64", "BM_trimmed_mean"}));
  const BenchmarkResult& parse = (*parsed)[0];
  EXPECT_EQ(FindMetric(parse, "wall_time")->samples, (std::vector<double>{13671, 13702}));
  EXPECT_EQ(FindMetric(parse, "cpu_time")->samples, (std::vector<double>{13663, 13690}));
  EXPECT_EQ(FindMetric(parse, "bytes_per_second")->samples,
            (std::vector<double>{74943105, 74795296}));
  EXPECT_EQ(FindMetric((*parsed)[1], "wall_time")->samples, (std::vector<double>{512}));
}

TEST(GoogleBenchmarkTest, NamesWithSpacesAndSlashesAndTimeUnits) {
  const Parsed parsed = ParseFixture("names_and_units.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(Names(*parsed),
            (std::vector<std::string>{"BM_Parse/small input/64",
                                      "BM_Decode/frame:large/real_time/threads:2", "BM_Startup"}));
  const BenchmarkResult& parse = (*parsed)[0];
  // The label is text, not a measurement.
  EXPECT_EQ(MetricNames(parse), (std::vector<std::string>{"cpu_time", "wall_time"}));
  EXPECT_EQ(FindMetric(parse, "wall_time")->unit, "us");
  EXPECT_EQ(FindMetric(parse, "wall_time")->samples, (std::vector<double>{3.3142901935637651e+02}));
  const BenchmarkResult& decode = (*parsed)[1];
  EXPECT_EQ(FindMetric(decode, "wall_time")->unit, "ms");
  EXPECT_EQ(FindMetric(decode, "cpu_time")->samples, (std::vector<double>{9.9662857142857144e+01}));
  EXPECT_EQ(FindMetric(decode, "frames")->samples, (std::vector<double>{28}));
  EXPECT_EQ(FindMetric(decode, "frames")->unit, "count");
  EXPECT_EQ(FindMetric((*parsed)[2], "wall_time")->unit, "s");
}

TEST(GoogleBenchmarkTest, EmptyBenchmarksArrayIsAnError) {
  EXPECT_EQ(ErrorOf(ParseFixture("empty_benchmarks.json")),
            "empty_benchmarks.json: no benchmark results (/benchmarks is empty)");
}

TEST(GoogleBenchmarkTest, EmptyInputIsAnError) {
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark("", "out.json")),
            "out.json: no benchmark results (the input is empty)");
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark(" \n", "out.json")),
            "out.json: no benchmark results (the input is empty)");
}

TEST(GoogleBenchmarkTest, TruncatedJsonNamesLineAndColumn) {
  EXPECT_EQ(ErrorOf(ParseFixture("truncated.json")),
            "truncated.json:146:12: invalid JSON: unexpected end of input (is the file "
            "truncated?)");
}

TEST(GoogleBenchmarkTest, StringWhereANumberMustBeNamesTheJsonPointer) {
  EXPECT_EQ(ErrorOf(ParseFixture("string_time.json")),
            "string_time.json: /benchmarks/7/real_time: expected a number, got a string "
            "(\"fast\")");
}

TEST(GoogleBenchmarkTest, SyntaxErrorNamesTheToken) {
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark("{\"context\": {},\n \"benchmarks\": [1 2]}", "b.json")),
            "b.json:2:19: invalid JSON: unexpected \"2\", expected ',' or ']'");
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark("{\"benchmarks\": [tru]}", "b.json")),
            "b.json:1:17: invalid JSON: unexpected \"tru\", expected a JSON value");
}

TEST(GoogleBenchmarkTest, OnlyAggregatesIsAnError) {
  const std::string json = R"({"context": {}, "benchmarks": [
    {"name": "BM_a_mean", "run_name": "BM_a", "run_type": "aggregate", "aggregate_name": "mean",
     "real_time": 1, "cpu_time": 1, "time_unit": "ns"}]})";
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark(json, "b.json")),
            "b.json: no benchmark results (/benchmarks holds only aggregate rows)");
}

TEST(GoogleBenchmarkTest, RowErrorsNameTheJsonPointer) {
  auto parse = [](const std::string& row) {
    return ErrorOf(ParseGoogleBenchmark(
        R"({"context": {}, "benchmarks": [{"name": "BM_ok", "real_time": 1, "cpu_time": 1}, )" +
            row + "]}",
        "b.json"));
  };
  EXPECT_EQ(parse(R"({"real_time": 1, "cpu_time": 1})"),
            "b.json: /benchmarks/1: missing \"name\" (expected the benchmark's name)");
  EXPECT_EQ(parse(R"({"name": "BM_x", "real_time": 1})"),
            "b.json: /benchmarks/1/cpu_time: missing (expected a number)");
  EXPECT_EQ(parse(R"({"name": "BM_x", "real_time": -1, "cpu_time": 1})"),
            "b.json: /benchmarks/1/real_time: expected a non-negative number, got the number -1");
  EXPECT_EQ(parse(R"({"name": "BM_x", "real_time": 1, "cpu_time": 1, "time_unit": "fortnights"})"),
            "b.json: /benchmarks/1/time_unit: expected \"ns\", \"us\", \"ms\" or \"s\", got a "
            "string (\"fortnights\")");
  EXPECT_EQ(parse(R"({"name": "BM_ok", "real_time": 1, "cpu_time": 1, "time_unit": "ms"})"),
            "b.json: /benchmarks/1/time_unit: \"ms\" differs from the \"ns\" of an earlier "
            "repetition of \"BM_ok\"");
  EXPECT_EQ(parse(R"({"name": "BM_x", "run_type": "other", "real_time": 1, "cpu_time": 1})"),
            "b.json: /benchmarks/1/run_type: expected \"iteration\" or \"aggregate\", got a "
            "string (\"other\")");
  EXPECT_EQ(parse("[]"), "b.json: /benchmarks/1: expected an object, got an array");
}

TEST(GoogleBenchmarkTest, NonFiniteTimeInARepetitionIsAnError) {
  EXPECT_EQ(
      ErrorOf(ParseGoogleBenchmark(
          R"({"context": {}, "benchmarks": [{"name": "BM_x", "real_time": NaN, "cpu_time": 1}]})",
          "b.json")),
      "b.json: /benchmarks/0/real_time: expected a finite number, got NaN or Infinity");
}

TEST(GoogleBenchmarkTest, NonFiniteCounterIsNoDataPoint) {
  const Parsed parsed = ParseGoogleBenchmark(
      R"({"context": {}, "benchmarks": [
        {"name": "BM_x", "real_time": 1, "cpu_time": 1, "rate": -Infinity},
        {"name": "BM_x", "real_time": 2, "cpu_time": 2, "rate": 5}]})",
      "b.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(FindMetric((*parsed)[0], "rate")->samples, (std::vector<double>{5}));
  EXPECT_EQ(FindMetric((*parsed)[0], "wall_time")->samples, (std::vector<double>{1, 2}));
}

TEST(GoogleBenchmarkTest, OneFailedRepetitionFailsTheBenchmark) {
  const Parsed parsed = ParseGoogleBenchmark(
      R"({"context": {}, "benchmarks": [
        {"name": "BM_x", "run_name": "BM_x", "run_type": "iteration", "real_time": 1,
         "cpu_time": 1, "time_unit": "ns"},
        {"name": "BM_x", "run_name": "BM_x", "run_type": "iteration", "error_occurred": true,
         "error_message": "out of memory", "real_time": 0, "cpu_time": 0, "time_unit": "ns"}]})",
      "b.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].error, "out of memory");
  EXPECT_TRUE((*parsed)[0].metrics.empty());
}

TEST(GoogleBenchmarkTest, SkippedBenchmarkOfVersion18IsAFailure) {
  const Parsed parsed = ParseGoogleBenchmark(
      R"({"context": {}, "benchmarks": [
        {"name": "BM_avx512", "run_name": "BM_avx512", "run_type": "iteration",
         "skipped": true, "skip_message": "no AVX-512 on this CPU", "iterations": 0,
         "real_time": 0, "cpu_time": 0, "time_unit": "ns"}]})",
      "b.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)[0].error, "skipped: no AVX-512 on this CPU");
}

TEST(GoogleBenchmarkTest, RootMustBeAnObjectWithBenchmarks) {
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark("[1]", "b.json")),
            "b.json: (document root): expected an object with \"context\" and \"benchmarks\", "
            "got an array");
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark(R"({"context": {}})", "b.json")),
            "b.json: /benchmarks: missing (expected the array Google Benchmark writes with "
            "--benchmark_format=json)");
  EXPECT_EQ(ErrorOf(ParseGoogleBenchmark(R"({"benchmarks": {}})", "b.json")),
            "b.json: /benchmarks: expected an array, got an object");
}

TEST(GoogleBenchmarkTest, LooksLike) {
  EXPECT_TRUE(LooksLikeGoogleBenchmark(Fixture("gbench_sample_1.7.1.json")));
  EXPECT_TRUE(LooksLikeGoogleBenchmark(Fixture("old_format_v1.4.json")));
  EXPECT_TRUE(LooksLikeGoogleBenchmark(Fixture("truncated.json")));
  EXPECT_TRUE(LooksLikeGoogleBenchmark(
      "\xEF\xBB\xBF {\"benchmarks\": [{\"name\": \"a\", \"cpu_time\": 1}], \"context\": {}}"));
  EXPECT_FALSE(LooksLikeGoogleBenchmark(""));
  EXPECT_FALSE(LooksLikeGoogleBenchmark("{\"results\": [{\"command\": \"sleep 1\"}]}"));
  EXPECT_FALSE(LooksLikeGoogleBenchmark(
      "{\"machine_info\": {}, \"commit_info\": {}, \"benchmarks\": [], \"context\": 1}"));
  EXPECT_FALSE(LooksLikeGoogleBenchmark("<?xml version=\"1.0\"?><Catch name=\"x\"/>"));
  EXPECT_FALSE(LooksLikeGoogleBenchmark("BenchmarkFoo-8   100   12 ns/op"));
}

}  // namespace
}  // namespace perfledger::adapters
