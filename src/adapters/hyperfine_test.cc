// ParseHyperfine and LooksLikeHyperfine on real hyperfine output: committed fixtures under
// tests/data/harness/hyperfine/ and, when hyperfine is installed, a fresh run.
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

fs::path Fixture(const std::string& name) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  EXPECT_NE(root, nullptr) << "PERFLEDGER_SOURCE_DIR must name the repository root";
  return fs::path(root == nullptr ? "." : root) / "tests/data/harness/hyperfine" / name;
}

std::vector<BenchmarkResult> ParseFixture(const std::string& name) {
  auto r = ParseHyperfine(ReadFile(Fixture(name)), name);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<BenchmarkResult>{};
}

std::string Error(std::string_view text) {
  auto r = ParseHyperfine(text, "hf.json");
  if (r.ok()) return "(accepted)";
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput);
  return r.status().message();
}

std::vector<std::string> MetricNames(const BenchmarkResult& b) {
  std::vector<std::string> names;
  for (const Metric& m : b.metrics) names.push_back(m.name);
  return names;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "perfledger-hyperfine-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool HaveHyperfine() { return std::system("hyperfine --version >/dev/null 2>&1") == 0; }

// Runs hyperfine with `args` (shell syntax) exporting JSON to dir/out.json; returns its text.
std::string RunHyperfine(const TempDir& dir, const std::string& args) {
  const fs::path out = dir.path() / "out.json";
  const fs::path log = dir.path() / "log.txt";
  const std::string cmd = fmt::format("hyperfine --style basic --export-json '{}' {} >'{}' 2>&1",
                                      out.string(), args, log.string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << ReadFile(log);
  return ReadFile(out);
}

TEST(HyperfineTest, ReadsRealRunsAsWallTimeSamplesInSeconds) {
  const auto results = ParseFixture("sleep_true.json");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].name, "sleep 0.01");
  EXPECT_EQ(results[1].name, "true");
  const BenchmarkResult& sleep = results[0];
  EXPECT_FALSE(sleep.error);
  ASSERT_EQ(MetricNames(sleep),
            (std::vector<std::string>{"system_time", "user_time", "wall_time"}));
  const Metric& wall = sleep.metrics[2];
  EXPECT_EQ(wall.unit, "s");
  EXPECT_EQ(wall.direction, Direction::kLower);
  EXPECT_FALSE(wall.summary);
  EXPECT_EQ(wall.samples, (std::vector<double>{0.011231068, 0.015153123000000001,
                                               0.016010794000000002, 0.011977184, 0.015902323}));
}

TEST(HyperfineTest, UserAndSystemTimeAreMeansOverTheRuns) {
  const auto results = ParseFixture("sleep_true.json");
  ASSERT_EQ(results.size(), 2u);
  const Metric& system = results[0].metrics[0];
  const Metric& user = results[0].metrics[1];
  EXPECT_EQ(system.unit, "s");
  EXPECT_TRUE(system.samples.empty());
  ASSERT_TRUE(system.summary);
  EXPECT_EQ(system.summary->n, 5);
  EXPECT_EQ(system.summary->mean, 0.00020959999999999997);
  EXPECT_FALSE(system.summary->stddev);
  ASSERT_TRUE(user.summary);
  EXPECT_EQ(user.summary->n, 5);
  EXPECT_EQ(user.summary->mean, 0.000983);
  // A zero mean (hyperfine rounds tiny system times to 0) is a value, not a missing one.
  ASSERT_TRUE(results[1].metrics[0].summary);
  EXPECT_EQ(results[1].metrics[0].summary->mean, 0.0);
}

TEST(HyperfineTest, NonZeroExitCodeIsAFailureWithoutMetrics) {
  // hyperfine -i --runs 3 -n 'flaky exit' 'sh -c "exit 3"' -n ok true
  const auto results = ParseFixture("failing_command.json");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].name, "flaky exit");
  EXPECT_EQ(results[0].error, "exit code 3 in run 1 (3 of 3 runs failed)");
  EXPECT_TRUE(results[0].metrics.empty());
  EXPECT_EQ(results[1].name, "ok");
  EXPECT_FALSE(results[1].error);
  EXPECT_EQ(results[1].metrics.size(), 3u);
}

TEST(HyperfineTest, ParameterScanGivesDistinctNames) {
  // hyperfine --runs 2 -P n 1 2 'sleep 0.0{n}'
  const auto results = ParseFixture("parameter_scan.json");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].name, "sleep 0.01");
  EXPECT_EQ(results[1].name, "sleep 0.02");
  EXPECT_EQ(results[1].metrics[2].samples.size(), 2u);
}

TEST(HyperfineTest, OddNamesSignalsAndOlderFiles) {
  const auto results = ParseFixture("odd_names.json");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].name, "parse [large] / with spaces");
  EXPECT_EQ(results[0].metrics[2].samples, (std::vector<double>{1, 2}));
  EXPECT_EQ(results[1].name, "killed by a signal");
  EXPECT_EQ(results[1].error, "terminated by a signal in run 2 (1 of 2 runs failed)");
  // No "exit_codes" (hyperfine before 1.10): nothing to fail on.
  EXPECT_EQ(results[2].name, "before exit codes were exported");
  EXPECT_FALSE(results[2].error);
  EXPECT_EQ(results[2].metrics[2].samples, (std::vector<double>{0.25}));
  ASSERT_TRUE(results[2].metrics[1].summary);
  EXPECT_EQ(results[2].metrics[1].summary->n, 1);
  EXPECT_EQ(results[2].metrics[1].summary->mean, 0.125);
}

TEST(HyperfineTest, SingleFailedRunSaysWhichRun) {
  EXPECT_EQ(ParseHyperfine(R"({"results": [{"command": "x", "times": [0.5],
                                             "exit_codes": [137]}]})",
                           "hf.json")
                ->at(0)
                .error,
            "exit code 137 in run 1");
}

TEST(HyperfineTest, EmptyInputHasNoBenchmarkResults) {
  EXPECT_EQ(Error(ReadFile(Fixture("empty.json"))), "hf.json: /results: no benchmark results");
  EXPECT_EQ(Error(""), "hf.json: no benchmark results (empty)");
  EXPECT_EQ(Error("  \n"), "hf.json: no benchmark results (empty)");
}

TEST(HyperfineTest, MalformedInputNamesThePlace) {
  EXPECT_EQ(Error(R"({"results": [{"command": "a", "times": [0.1, "fast"]}]})"),
            "hf.json: /results/0/times/1: expected a number of seconds, got a string (\"fast\")");
  EXPECT_EQ(Error(R"({"results": [{"command": "a", "times": [-0.1]}]})"),
            "hf.json: /results/0/times/0: expected a non-negative number of seconds, got the "
            "number -0.1");
  EXPECT_EQ(Error(R"({"results": [{"command": "a", "mean": 0.1}]})"),
            "hf.json: /results/0/times: missing (expected an array of run times in seconds "
            "(hyperfine 1.5 or later))");
  EXPECT_EQ(Error(R"({"results": [{"times": [0.1]}]})"),
            "hf.json: /results/0/command: missing (expected the command as a string)");
  EXPECT_EQ(Error(R"({"results": [{"command": "", "times": [0.1]}]})"),
            "hf.json: /results/0/command: expected a non-empty string, got a string (\"\")");
  EXPECT_EQ(Error(R"({"results": [{"command": "a", "times": []}]})"),
            "hf.json: /results/0/times: expected at least one run time, got an empty array");
  EXPECT_EQ(Error(R"({"results": [{"command": "a", "times": [1], "exit_codes": [0.5]}]})"),
            "hf.json: /results/0/exit_codes/0: expected an integer exit code or null, got the "
            "number 0.5");
  EXPECT_EQ(Error(R"({"results": [{"command": "a", "times": [1], "user": "x"}]})"),
            "hf.json: /results/0/user: expected a number of seconds, got a string (\"x\")");
  EXPECT_EQ(Error(R"({"results": {}})"),
            "hf.json: /results: expected an array of benchmark results, got an object");
  EXPECT_EQ(Error(R"([1, 2])"),
            "hf.json: (document root): expected an object with \"results\" (hyperfine "
            "--export-json output), got an array");
  EXPECT_EQ(Error(R"({"benchmarks": []})"),
            "hf.json: (document root): expected an object with \"results\" (hyperfine "
            "--export-json output), got an object without it");
  EXPECT_EQ(Error(R"({"results": [)"),
            "hf.json: invalid JSON: The JSON document has an improper structure: missing or "
            "superfluous commas, braces, missing keys, etc.");
}

TEST(HyperfineTest, DuplicateCommandsAreAnError) {
  EXPECT_EQ(Error(R"({"results": [{"command": "a/b", "times": [1]},
                                  {"command": "c", "times": [1]},
                                  {"command": "a/b", "times": [2]}]})"),
            "hf.json: /results/2/command: duplicate benchmark name \"a/b\" (also "
            "/results/0/command); give each command a distinct --command-name");
}

TEST(HyperfineTest, LooksLike) {
  EXPECT_TRUE(LooksLikeHyperfine(ReadFile(Fixture("sleep_true.json"))));
  EXPECT_TRUE(LooksLikeHyperfine(ReadFile(Fixture("odd_names.json"))));
  EXPECT_FALSE(LooksLikeHyperfine(""));
  EXPECT_FALSE(LooksLikeHyperfine(R"({"results": []})"));
  EXPECT_FALSE(LooksLikeHyperfine(
      R"({"context": {"date": "x"}, "benchmarks": [{"name": "BM_x", "real_time": 1}]})"));
  EXPECT_FALSE(LooksLikeHyperfine(
      R"({"machine_info": {}, "benchmarks": [{"fullname": "t.py::test", "stats": {}}]})"));
  EXPECT_FALSE(LooksLikeHyperfine("BenchmarkX-8   1000   12 ns/op\n"));
  EXPECT_FALSE(LooksLikeHyperfine(R"([{"results": 1, "command": "", "times": []}])"));
}

// A fresh run of the installed hyperfine, so a format change in a new version shows up here.
TEST(HyperfineTest, RealRunWithCommandNames) {
  if (!HaveHyperfine()) GTEST_SKIP() << "hyperfine is not installed";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  // hyperfine gives the n-th --command-name to the n-th command, so the last two keep theirs.
  const std::string json = RunHyperfine(dir,
                                        "-N --runs 5 --warmup 1 -n 'sleep [10 ms]/a' -n no-op "
                                        "'sleep 0.01' true 'sleep 0.01' true");
  EXPECT_TRUE(LooksLikeHyperfine(json));
  auto r = ParseHyperfine(json, "out.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  const std::vector<std::string> names = {"sleep [10 ms]/a", "no-op", "sleep 0.01", "true"};
  for (size_t i = 0; i < names.size(); ++i) {
    const BenchmarkResult& b = r->at(i);
    EXPECT_EQ(b.name, names[i]);
    EXPECT_FALSE(b.error) << *b.error;
    ASSERT_EQ(MetricNames(b), (std::vector<std::string>{"system_time", "user_time", "wall_time"}));
    EXPECT_EQ(b.metrics[2].unit, "s");
    EXPECT_EQ(b.metrics[2].samples.size(), 5u) << b.name;
    EXPECT_EQ(b.metrics[1].summary->n, 5);
  }
  // sleep 0.01 takes at least 10 ms in every run.
  for (double t : r->at(0).metrics[2].samples) EXPECT_GE(t, 0.01);
}

TEST(HyperfineTest, RealRunWithIgnoredFailures) {
  if (!HaveHyperfine()) GTEST_SKIP() << "hyperfine is not installed";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string json =
      RunHyperfine(dir, "-N -i --runs 3 -n fails \"sh -c 'exit 3'\" -n passes true");
  auto r = ParseHyperfine(json, "out.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(r->at(0).name, "fails");
  EXPECT_EQ(r->at(0).error, "exit code 3 in run 1 (3 of 3 runs failed)");
  EXPECT_TRUE(r->at(0).metrics.empty());
  EXPECT_EQ(r->at(1).name, "passes");
  EXPECT_FALSE(r->at(1).error);
}

}  // namespace
}  // namespace perfledger::adapters
