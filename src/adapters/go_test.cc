// ParseGo and LooksLikeGo on real `go test -bench` output: committed fixtures under
// tests/data/harness/go/ and, when go is installed, one fresh run of the sample module there.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "adapters/adapters.h"

namespace perfledger::adapters {
namespace {

namespace fs = std::filesystem;
using core::BenchmarkResult;
using core::Direction;
using core::Metric;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

fs::path DataDir() {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  EXPECT_NE(root, nullptr) << "PERFLEDGER_SOURCE_DIR must name the repository root";
  return fs::path(root == nullptr ? "." : root) / "tests/data/harness/go";
}

std::vector<BenchmarkResult> ParseFixture(const std::string& name) {
  auto r = ParseGo(ReadFile(DataDir() / name), name);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<BenchmarkResult>{};
}

std::string Error(std::string_view text) {
  auto r = ParseGo(text, "go.txt");
  if (r.ok()) return "(accepted)";
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput);
  return r.status().message();
}

std::vector<std::string> Names(const std::vector<BenchmarkResult>& results) {
  std::vector<std::string> names;
  for (const BenchmarkResult& b : results) names.push_back(b.name);
  return names;
}

const Metric* Find(const BenchmarkResult& b, std::string_view name) {
  for (const Metric& m : b.metrics) {
    if (m.name == name) return &m;
  }
  ADD_FAILURE() << b.name << " has no metric " << name;
  return nullptr;
}

std::vector<std::string> MetricNames(const BenchmarkResult& b) {
  std::vector<std::string> names;
  for (const Metric& m : b.metrics) names.push_back(m.name);
  return names;
}

// How a run's memory figures are checked: exactly as recorded, or as a fresh run may give
// them (the runtime's own allocations during the loop are counted too, so B/op of a real run
// is sometimes 193 where the benchmark allocates 192: it failed one CI run that way).
enum class Memory { kExact, kAtLeast };

// Checks the benchmarks of tests/data/harness/go/bench_test.go, run with -count `count`.
void ExpectSampleModule(const std::vector<BenchmarkResult>& results, size_t count,
                        Memory memory = Memory::kExact) {
  ASSERT_EQ(Names(results),
            (std::vector<std::string>{"BenchmarkSum", "BenchmarkParse/small",
                                      "BenchmarkParse/large", "BenchmarkSort/ints/n=100"}));
  for (const BenchmarkResult& b : results) {
    EXPECT_FALSE(b.error) << b.name;
    for (const Metric& m : b.metrics) EXPECT_EQ(m.samples.size(), count) << b.name << m.name;
    const Metric* wall = Find(b, "wall_time");
    ASSERT_NE(wall, nullptr);
    EXPECT_EQ(wall->unit, "ns");
    EXPECT_EQ(wall->direction, Direction::kLower);
    const Metric* bytes = Find(b, "bytes_per_op");
    ASSERT_NE(bytes, nullptr);
    EXPECT_EQ(bytes->unit, "bytes");
    ASSERT_NE(Find(b, "allocs_per_op"), nullptr);
    EXPECT_EQ(Find(b, "allocs_per_op")->unit, "count");
  }
  EXPECT_EQ(MetricNames(results[0]),
            (std::vector<std::string>{"allocs_per_op", "bytes_per_op", "wall_time"}));
  // b.SetBytes: MB/s, higher is better.
  EXPECT_EQ(MetricNames(results[1]),
            (std::vector<std::string>{"allocs_per_op", "bytes_per_op", "throughput", "wall_time"}));
  const Metric* throughput = Find(results[1], "throughput");
  ASSERT_NE(throughput, nullptr);
  EXPECT_EQ(throughput->unit, "MB/s");
  EXPECT_EQ(throughput->direction, Direction::kHigher);
  if (memory == Memory::kExact) {
    EXPECT_EQ(Find(results[1], "bytes_per_op")->samples, std::vector<double>(count, 192));
    EXPECT_EQ(Find(results[1], "allocs_per_op")->samples, std::vector<double>(count, 2));
  } else {
    // What the benchmark allocates, plus at most a little of the runtime's per 1000 loops.
    for (double v : Find(results[1], "bytes_per_op")->samples) {
      EXPECT_GE(v, 192);
      EXPECT_LT(v, 256);
    }
    for (double v : Find(results[1], "allocs_per_op")->samples) {
      EXPECT_GE(v, 2);
      EXPECT_LE(v, 3);
    }
  }
  // b.ReportMetric: "compares/op" and a unit without "/".
  EXPECT_EQ(MetricNames(results[3]),
            (std::vector<std::string>{"allocs_per_op", "bytes_per_op", "compares_per_op",
                                      "wall_time", "widgets"}));
  EXPECT_EQ(Find(results[3], "compares_per_op")->unit, "compares/op");
  EXPECT_EQ(Find(results[3], "widgets")->unit, "widgets");
  EXPECT_EQ(Find(results[3], "widgets")->samples, std::vector<double>(count, 42));
}

TEST(GoTest, ReadsCommittedRealOutput) {
  // go test -bench . -benchmem -count 3 -benchtime 1000x -run '^$' (GOMAXPROCS 2)
  const auto results = ParseFixture("sample.txt");
  ExpectSampleModule(results, 3);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(Find(results[0], "wall_time")->samples, (std::vector<double>{192.7, 162.3, 166.6}));
  EXPECT_EQ(Find(results[2], "throughput")->samples, (std::vector<double>{331.90, 336.21, 342.45}));
}

TEST(GoTest, VerboseOutputWithASkippedBenchmark) {
  // The same with -v -count 2: bare name lines before the results, and a b.Skip.
  const auto results = ParseFixture("sample_verbose.txt");
  ASSERT_EQ(results.size(), 5u);
  ExpectSampleModule({results.begin(), results.begin() + 4}, 2);
  EXPECT_EQ(results[4].name, "BenchmarkNeedsNetwork");
  EXPECT_EQ(results[4].error, "skipped: bench_test.go:74: no network in this sandbox");
  EXPECT_TRUE(results[4].metrics.empty());
}

TEST(GoTest, FailureAndOutputPrintedByTheBenchmark) {
  // b.Fatal, and fmt.Println inside a benchmark, which splits its name from its numbers.
  const auto results = ParseFixture("failure_and_print.txt");
  ASSERT_EQ(Names(results), (std::vector<std::string>{"BenchmarkFails", "BenchmarkPrints",
                                                      "BenchmarkOdd/with_space[1]"}));
  EXPECT_EQ(results[0].error, "failed: f_test.go:9: boom");
  EXPECT_TRUE(results[0].metrics.empty());
  EXPECT_FALSE(results[1].error);
  EXPECT_EQ(Find(results[1], "wall_time")->samples, (std::vector<double>{227.0, 244.9}));
  EXPECT_EQ(Find(results[1], "bytes_per_op")->samples, (std::vector<double>{2, 2}));
  EXPECT_EQ(Find(results[2], "wall_time")->samples, (std::vector<double>{1.4, 2.0}));
}

TEST(GoTest, CpuListKeepsTheSuffixesThatTellRunsApart) {
  // -v -cpu 1,2: GOMAXPROCS 1 adds no suffix, 2 adds "-2"; both runs are kept apart.
  const auto results = ParseFixture("cpu_list_verbose.txt");
  ASSERT_EQ(Names(results), (std::vector<std::string>{
                                "BenchmarkFails", "BenchmarkPrints", "BenchmarkPrints-2",
                                "BenchmarkOdd/with_space[1]", "BenchmarkOdd/with_space[1]-2"}));
  // With -v the message comes before "--- FAIL:".
  EXPECT_EQ(results[0].error, "failed: f_test.go:9: boom");
  EXPECT_EQ(Find(results[2], "wall_time")->samples, (std::vector<double>{276.4}));
}

TEST(GoTest, CustomUnitsAndOddNames) {
  const auto results = ParseFixture("custom_units.txt");
  ASSERT_EQ(Names(results),
            (std::vector<std::string>{"BenchmarkEncode/json", "BenchmarkDecode/[1_2]/n=1e3",
                                      "BenchmarkBroken"}));
  const BenchmarkResult& encode = results[0];
  EXPECT_EQ(MetricNames(encode),
            (std::vector<std::string>{"allocs_per_op", "bytes_per_op", "p50-µs", "throughput",
                                      "wall_time", "widgets_per_op"}));
  EXPECT_EQ(Find(encode, "throughput")->samples, (std::vector<double>{12.34, 12.5}));
  EXPECT_EQ(Find(encode, "widgets_per_op")->unit, "widgets/op");
  EXPECT_EQ(Find(encode, "widgets_per_op")->samples, (std::vector<double>{42, 41.5}));
  EXPECT_EQ(Find(encode, "widgets_per_op")->direction, Direction::kLower);
  EXPECT_EQ(Find(encode, "p50-µs")->unit, "p50-µs");
  EXPECT_EQ(Find(results[1], "wall_time")->samples, (std::vector<double>{1.5e6, 1.6e6}));
  EXPECT_EQ(results[2].error, "failed: units_test.go:40: decoder returned an error");
}

TEST(GoTest, GomaxprocsSuffix) {
  // Stripped when every result line has the same one...
  auto r = ParseGo("BenchmarkA-16 10 5 ns/op\nBenchmarkB/x-1-16 10 6 ns/op\n", "go.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"BenchmarkA", "BenchmarkB/x-1"}));
  // ...kept when they differ (GOMAXPROCS=1 adds none, so "-1" here is the benchmark's own).
  r = ParseGo("BenchmarkA 10 5 ns/op\nBenchmarkB/x-1 10 6 ns/op\n", "go.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"BenchmarkA", "BenchmarkB/x-1"}));
  // A failure has no suffix in go's output; a result and a failure of one benchmark: result.
  r = ParseGo("--- FAIL: BenchmarkA\nBenchmarkA-4 10 5 ns/op\r\nBenchmarkA-4 10 7 ns/op\r\n",
              "go.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(Names(*r), (std::vector<std::string>{"BenchmarkA"}));
  EXPECT_FALSE(r->at(0).error);
  EXPECT_EQ(r->at(0).metrics[0].samples, (std::vector<double>{5, 7}));
}

TEST(GoTest, NoBenchmarkResults) {
  const std::string expected =
      "go.txt: no benchmark results (no line like \"BenchmarkName-8  1000  1043 ns/op\"; was "
      "go test run with -bench?)";
  EXPECT_EQ(Error(""), expected);
  EXPECT_EQ(Error(ReadFile(DataDir() / "no_benchmarks.txt")), expected);
  EXPECT_EQ(Error("BenchmarkX-8\nBenchmarking is fun\n"), expected);
}

TEST(GoTest, MalformedLinesNameTheLine) {
  EXPECT_EQ(Error("goos: linux\nBenchmarkX-8  100  abc ns/op\n"),
            "go.txt:2: expected a number before the unit \"ns/op\", got \"abc\"");
  EXPECT_EQ(Error("BenchmarkX-8  100  12 ns/op  7\n"),
            "go.txt:1: expected a unit after the value \"7\" of BenchmarkX-8");
  EXPECT_EQ(Error("\n\nBenchmarkX-8  100\n"),
            "go.txt:3: expected \"value unit\" pairs such as \"1043 ns/op\" after the iteration "
            "count of BenchmarkX-8");
  EXPECT_EQ(Error("BenchmarkX-8  100  12 ns/op  13 ns/op\n"),
            "go.txt:1: the unit \"ns/op\" appears twice in one result line");
  EXPECT_EQ(Error("BenchmarkX-8  100  -12 ns/op\n"),
            "go.txt:1: expected a non-negative time before \"ns/op\", got -12");
  EXPECT_EQ(Error("BenchmarkX-8  100  NaN ns/op\n"),
            "go.txt:1: expected a number before the unit \"ns/op\", got \"NaN\"");
}

// Regression (found by fuzz/adapters_fuzzer.cc): a custom unit the artifact refuses (longer
// than 32 bytes, or bytes that are not UTF-8) was accepted, so `perfledger run --suite` wrote
// no artifact at all, losing every other benchmark of the run with it; now the harness's
// parse fails, naming the benchmark, and the run records that harness as failed.
TEST(GoTest, UnitsTheArtifactRefusesFailTheParse) {
  EXPECT_EQ(Error("BenchmarkZip-8  100  12 ns/op  3 compressed-bytes-per-original-kilobyte/op\n"),
            "go.txt: benchmark \"BenchmarkZip\": metric "
            "\"compressed-bytes-per-original-kilobyte_per_op\": the unit "
            "\"compressed-bytes-per-ori\"... is 41 bytes long, more than the limit of 32");
  EXPECT_EQ(
      Error("BenchmarkP 0 6 M\xff\n"),
      "go.txt: benchmark \"BenchmarkP\": metric \"M\xef\xbf\xbd\": the name \"M\xef\xbf\xbd\" is "
      "not valid UTF-8");
  // 32 bytes is allowed.
  EXPECT_EQ(Error("BenchmarkZip 100 3 compressed-bytes-per-original-kb\n"), "(accepted)");
}

TEST(GoTest, LooksLike) {
  EXPECT_TRUE(LooksLikeGo(ReadFile(DataDir() / "sample.txt")));
  EXPECT_TRUE(LooksLikeGo(ReadFile(DataDir() / "custom_units.txt")));
  EXPECT_TRUE(LooksLikeGo("BenchmarkX 1 2 ns/op"));
  EXPECT_FALSE(LooksLikeGo(""));
  EXPECT_FALSE(LooksLikeGo(ReadFile(DataDir() / "no_benchmarks.txt")));
  EXPECT_FALSE(LooksLikeGo("BenchmarkX 1 2 B/op\n"));
  EXPECT_FALSE(LooksLikeGo("test parse ... bench:       1,234 ns/iter (+/- 56)\n"));
  EXPECT_FALSE(LooksLikeGo(R"({"results": [{"command": "BenchmarkX 1 2 ns/op"}]})"));
}

// One fresh `go test -bench` of the sample module for the whole suite: compiling it takes
// seconds. Skipped only when go is not installed.
class GoRealRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("go version >/dev/null 2>&1") != 0) return;
    std::string tmpl = (fs::temp_directory_path() / "perfledger-go-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = new fs::path(tmpl);
    const fs::path module = *dir_ / "module";
    fs::create_directories(module);
    for (const char* file : {"go.mod", "bench_test.go"}) {
      fs::copy_file(DataDir() / file, module / file);
    }
    // Everything go writes stays in the temp dir; the network is off, the module stdlib only.
    const fs::path log = *dir_ / "go.txt";
    const std::string cmd = fmt::format(
        "cd '{0}/module' && HOME='{0}/home' GOCACHE='{0}/cache' GOPATH='{0}/gopath' "
        "GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=off GOMAXPROCS=2 "
        "go test -bench . -benchmem -count 3 -benchtime 1000x -run '^$' >'{1}' 2>&1",
        dir_->string(), log.string());
    const int status = std::system(cmd.c_str());
    output_ = new std::string(ReadFile(log));
    ASSERT_EQ(status, 0) << cmd << "\n" << *output_;
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      std::error_code ec;
      fs::remove_all(*dir_, ec);  // the module cache is read-only; best effort
    }
    delete dir_;
    delete output_;
    dir_ = nullptr;
    output_ = nullptr;
  }
  void SetUp() override {
    if (output_ == nullptr) GTEST_SKIP() << "go is not installed";
  }

  static fs::path* dir_;
  static std::string* output_;
};

fs::path* GoRealRunTest::dir_ = nullptr;
std::string* GoRealRunTest::output_ = nullptr;

TEST_F(GoRealRunTest, ThreeSamplesPerMetric) {
  EXPECT_TRUE(LooksLikeGo(*output_));
  auto r = ParseGo(*output_, "go.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << *output_;
  // The skipped benchmark prints nothing without -v.
  ExpectSampleModule(*r, 3, Memory::kAtLeast);
}

TEST_F(GoRealRunTest, GomaxprocsSuffixIsStripped) {
  // GOMAXPROCS=2: go test printed "BenchmarkSum-2".
  EXPECT_NE(output_->find("BenchmarkSum-2 "), std::string::npos) << *output_;
  auto r = ParseGo(*output_, "go.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at(0).name, "BenchmarkSum");
}

}  // namespace
}  // namespace perfledger::adapters
