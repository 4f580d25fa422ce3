// ParsePytestBenchmark and LooksLikePytestBenchmark on real pytest-benchmark output: committed
// fixtures under tests/data/harness/pytest-benchmark/ and, when a Python with pytest-benchmark
// is installed, one fresh run of test_sample.py there.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  return fs::path(root == nullptr ? "." : root) / "tests/data/harness/pytest-benchmark";
}

std::vector<BenchmarkResult> ParseFixture(const std::string& name) {
  auto r = ParsePytestBenchmark(ReadFile(DataDir() / name), name);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<BenchmarkResult>{};
}

std::string Error(std::string_view text) {
  auto r = ParsePytestBenchmark(text, "pb.json");
  if (r.ok()) return "(accepted)";
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput);
  return r.status().message();
}

std::vector<std::string> Names(const std::vector<BenchmarkResult>& results) {
  std::vector<std::string> names;
  for (const BenchmarkResult& b : results) names.push_back(b.name);
  return names;
}

const std::vector<std::string> kSampleNames = {
    "test_sample.py::test_sum", "test_sample.py::test_parse[small]",
    "test_sample.py::test_parse[large one]", "test_sample.py::test_sort"};

// Every benchmark has exactly one metric, wall_time in seconds.
const Metric& Wall(const BenchmarkResult& b) {
  EXPECT_EQ(b.metrics.size(), 1u) << b.name;
  EXPECT_EQ(b.metrics.at(0).name, "wall_time");
  EXPECT_EQ(b.metrics.at(0).unit, "s");
  EXPECT_EQ(b.metrics.at(0).direction, Direction::kLower);
  return b.metrics.at(0);
}

TEST(PytestBenchmarkTest, BenchmarkJsonHasRawData) {
  // pytest --benchmark-json=with_data.json --benchmark-min-rounds=5 test_sample.py: version
  // 3.2 writes every round's time there.
  const auto results = ParseFixture("with_data.json");
  ASSERT_EQ(Names(results), kSampleNames);
  for (const BenchmarkResult& b : results) {
    EXPECT_FALSE(b.error);
    const Metric& wall = Wall(b);
    EXPECT_FALSE(wall.summary);
    EXPECT_EQ(wall.samples.size(), 5u) << b.name;
  }
  EXPECT_EQ(Wall(results[0]).samples[0], 5.8490004448685795e-06);
  EXPECT_EQ(Wall(results[0]).samples[4], 5.648999831464607e-06);
}

TEST(PytestBenchmarkTest, SavedWithoutDataIsASummary) {
  // The same run's --benchmark-save file, without --benchmark-save-data.
  const auto results = ParseFixture("saved_without_data.json");
  ASSERT_EQ(Names(results), kSampleNames);
  for (const BenchmarkResult& b : results) {
    const Metric& wall = Wall(b);
    EXPECT_TRUE(wall.samples.empty());
    ASSERT_TRUE(wall.summary) << b.name;
    EXPECT_EQ(wall.summary->n, 5);
    EXPECT_TRUE(wall.summary->stddev && wall.summary->median && wall.summary->min &&
                wall.summary->max);
    EXPECT_FALSE(wall.summary->lower || wall.summary->upper);
  }
  const core::Summary& sum = *Wall(results[0]).summary;
  EXPECT_EQ(sum.mean, 6.231400038814172e-06);
  EXPECT_EQ(sum.min, 5.648999831464607e-06);
  EXPECT_EQ(sum.max, 8.091999916359782e-06);
}

TEST(PytestBenchmarkTest, OddNamesAndOlderFiles) {
  const auto results = ParsePytestBenchmark(R"({
    "machine_info": {}, "benchmarks": [
      {"name": "test_a[x/y z]", "fullname": "tests/sub dir/test_a.py::Test::test_a[x/y z]",
       "stats": {"rounds": 2, "mean": 1.5, "data": [1, 2]}},
      {"name": "test_b", "stats": {"rounds": 3, "mean": 0.5, "stddev": null}}]})",
                                            "pb.json");
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(Names(*results),
            (std::vector<std::string>{"tests/sub dir/test_a.py::Test::test_a[x/y z]", "test_b"}));
  EXPECT_EQ(Wall(results->at(0)).samples, (std::vector<double>{1, 2}));
  ASSERT_TRUE(Wall(results->at(1)).summary);
  core::Summary expected;
  expected.n = 3;
  expected.mean = 0.5;
  EXPECT_EQ(*Wall(results->at(1)).summary, expected);
}

TEST(PytestBenchmarkTest, NoBenchmarkResults) {
  EXPECT_EQ(Error(R"({"machine_info": {}, "benchmarks": []})"),
            "pb.json: /benchmarks: no benchmark results");
  EXPECT_EQ(Error(""), "pb.json: no benchmark results (empty)");
}

TEST(PytestBenchmarkTest, MalformedInputNamesThePlace) {
  EXPECT_EQ(
      Error(R"({"benchmarks": [{"fullname": "t", "stats": {"data": [1e-6, "fast"]}}]})"),
      "pb.json: /benchmarks/0/stats/data/1: expected a number of seconds, got a string (\"fast\")");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "t", "stats": {"data": []}}]})"),
            "pb.json: /benchmarks/0/stats/data: expected at least one time, got an empty array");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "t", "stats": {"mean": 1}}]})"),
            "pb.json: /benchmarks/0/stats/rounds: missing (expected the number of rounds)");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "t", "stats": {"rounds": 0, "mean": 1}}]})"),
            "pb.json: /benchmarks/0/stats/rounds: expected a positive integer, got the number 0");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "t", "stats": {"rounds": 2}}]})"),
            "pb.json: /benchmarks/0/stats/mean: missing (expected a number of seconds)");
  EXPECT_EQ(
      Error(R"({"benchmarks": [{"fullname": "t", "stats": {"rounds": 2, "mean": 1, "min": -1}}]})"),
      "pb.json: /benchmarks/0/stats/min: expected a non-negative number of seconds, got the number "
      "-1");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "t"}]})"),
            "pb.json: /benchmarks/0/stats: missing (expected an object with the timings "
            "(\"data\" or \"rounds\" and \"mean\"))");
  EXPECT_EQ(Error(R"({"benchmarks": [{"stats": {}}]})"),
            "pb.json: /benchmarks/0/fullname: missing (expected the test's node id such as "
            "\"test_x.py::test_parse\")");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": 7, "stats": {}}]})"),
            "pb.json: /benchmarks/0/fullname: expected a non-empty string, got the number 7");
  EXPECT_EQ(Error(R"({"benchmarks": {}})"),
            "pb.json: /benchmarks: expected an array of benchmarks, got an object");
  EXPECT_EQ(Error(R"({"machine_info": {}})"),
            "pb.json: (document root): expected an object with \"benchmarks\" (pytest-benchmark "
            "--benchmark-json output), got an object without it");
  EXPECT_EQ(Error("[]"),
            "pb.json: (document root): expected an object with \"benchmarks\" (pytest-benchmark "
            "--benchmark-json output), got an array");
  EXPECT_EQ(Error("{\"benchmarks\": [{\"fullname\": \"NaN\",\n  \"stats\": {\"mean\": NaN}}]}"),
            "pb.json:2:21: expected a finite number, got NaN (JSON has no NaN or Infinity)");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "t", "stats": {"ops": -Infinity}}]})"),
            "pb.json:1:52: expected a finite number, got -Infinity (JSON has no NaN or Infinity)");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "t\"]})"),
            "pb.json: invalid JSON: A string is opened, but never closed.");
  EXPECT_EQ(Error(R"({"benchmarks": [{"fullname": "a", "stats": {"rounds": 1, "mean": 1}},
                                     {"fullname": "a", "stats": {"rounds": 1, "mean": 1}}]})"),
            "pb.json: /benchmarks/1: duplicate benchmark name \"a\" (also /benchmarks/0)");
}

TEST(PytestBenchmarkTest, LooksLike) {
  EXPECT_TRUE(LooksLikePytestBenchmark(ReadFile(DataDir() / "with_data.json")));
  EXPECT_TRUE(LooksLikePytestBenchmark(ReadFile(DataDir() / "saved_without_data.json")));
  EXPECT_FALSE(LooksLikePytestBenchmark(""));
  EXPECT_FALSE(LooksLikePytestBenchmark(
      R"({"context": {"date": "x"}, "benchmarks": [{"name": "BM_x", "real_time": 1}]})"));
  EXPECT_FALSE(LooksLikePytestBenchmark(R"({"results": [{"command": "x", "times": [1]}]})"));
  EXPECT_FALSE(LooksLikePytestBenchmark("BenchmarkX-8   1000   12 ns/op\n"));
}

// The first Python that has pytest-benchmark: $PERFLEDGER_PYTHON, python3 on PATH (which may
// be a pyenv without it), then Debian's.
std::string FindPython() {
  std::vector<std::string> candidates;
  if (const char* p = std::getenv("PERFLEDGER_PYTHON")) candidates.emplace_back(p);
  candidates.emplace_back("python3");
  candidates.emplace_back("/usr/bin/python3");
  for (const std::string& python : candidates) {
    const std::string cmd =
        fmt::format("'{}' -c 'import pytest, pytest_benchmark' >/dev/null 2>&1", python);
    if (std::system(cmd.c_str()) == 0) return python;
  }
  return "";
}

// One fresh pytest run of test_sample.py for the whole suite: --benchmark-json (with every
// round's time) and --benchmark-save without --benchmark-save-data (stats only).
class PytestBenchmarkRealRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string python = FindPython();
    if (python.empty()) return;
    std::string tmpl = (fs::temp_directory_path() / "perfledger-pytest-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = new fs::path(tmpl);
    fs::copy_file(DataDir() / "test_sample.py", *dir_ / "test_sample.py");
    const fs::path log = *dir_ / "log.txt";
    const std::string cmd = fmt::format(
        "cd '{0}' && PYTHONDONTWRITEBYTECODE=1 '{1}' -m pytest -q -p no:cacheprovider "
        "--benchmark-json=out.json --benchmark-min-rounds=5 --benchmark-max-time=0.001 "
        "--benchmark-save=nodata --benchmark-storage='file://{0}/storage' test_sample.py "
        ">'{2}' 2>&1",
        dir_->string(), python, log.string());
    const int status = std::system(cmd.c_str());
    ASSERT_EQ(status, 0) << cmd << "\n" << ReadFile(log);
    json_ = new std::string(ReadFile(*dir_ / "out.json"));
    for (const auto& entry : fs::recursive_directory_iterator(*dir_ / "storage")) {
      if (entry.path().filename() == "0001_nodata.json") {
        saved_ = new std::string(ReadFile(entry.path()));
      }
    }
    ASSERT_NE(saved_, nullptr) << "no 0001_nodata.json under " << *dir_ << "/storage";
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      std::error_code ec;
      fs::remove_all(*dir_, ec);
    }
    delete dir_;
    delete json_;
    delete saved_;
    dir_ = nullptr;
    json_ = nullptr;
    saved_ = nullptr;
  }
  void SetUp() override {
    if (dir_ == nullptr) GTEST_SKIP() << "no python3 with pytest-benchmark";
    ASSERT_NE(json_, nullptr);
    ASSERT_NE(saved_, nullptr);
  }

  static fs::path* dir_;
  static std::string* json_;
  static std::string* saved_;
};

fs::path* PytestBenchmarkRealRunTest::dir_ = nullptr;
std::string* PytestBenchmarkRealRunTest::json_ = nullptr;
std::string* PytestBenchmarkRealRunTest::saved_ = nullptr;

TEST_F(PytestBenchmarkRealRunTest, BenchmarkJsonGivesSamples) {
  EXPECT_TRUE(LooksLikePytestBenchmark(*json_));
  auto r = ParsePytestBenchmark(*json_, "out.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(Names(*r), kSampleNames);
  for (const BenchmarkResult& b : *r) {
    const Metric& wall = Wall(b);
    EXPECT_FALSE(wall.summary);
    EXPECT_GE(wall.samples.size(), 5u) << b.name;
    for (double t : wall.samples) EXPECT_GT(t, 0) << b.name;
  }
}

TEST_F(PytestBenchmarkRealRunTest, SavedWithoutDataGivesSummaries) {
  EXPECT_TRUE(LooksLikePytestBenchmark(*saved_));
  auto r = ParsePytestBenchmark(*saved_, "0001_nodata.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(Names(*r), kSampleNames);
  auto with_data = ParsePytestBenchmark(*json_, "out.json");
  ASSERT_TRUE(with_data.ok());
  for (size_t i = 0; i < r->size(); ++i) {
    const Metric& wall = Wall(r->at(i));
    EXPECT_TRUE(wall.samples.empty());
    ASSERT_TRUE(wall.summary);
    // Same run: the summary counts the rounds the JSON report lists.
    EXPECT_EQ(wall.summary->n, static_cast<int64_t>(Wall(with_data->at(i)).samples.size()));
    EXPECT_GT(wall.summary->mean, 0);
  }
}

}  // namespace
}  // namespace perfledger::adapters
