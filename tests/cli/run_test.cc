// perfledger run as a platform job uses it: real processes, artifacts ingest accepts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;
using subprocess::RunCommand;

// The binary under test: perfledger, or another build of it named by $PERFLEDGER_TEST_BIN
// (CTest runs these cases again on perfledger_portable, which has the POSIX fallbacks).
const std::string kBin = [] {
  const char* other = std::getenv("PERFLEDGER_TEST_BIN");
  return std::string(other != nullptr && *other != '\0' ? other : PERFLEDGER_BIN);
}();
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-run-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome Run(std::vector<std::string> args) {
    std::vector<std::string> argv = {kBin,        "--db",      (dir_ / "perf.db").string(),
                                     "run",       "--project", "demo",
                                     "--commit",  kSha,        "--platform",
                                     "linux-test"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, dir_.string());
  }

  fs::path dir_;
};

TEST_F(RunTest, MeasuresACommandIntoAnArtifactIngestAccepts) {
  Outcome o = Run({"--runs", "5", "--warmup", "1", "--name", "sleep/10ms", "--", "sleep", "0.01"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err.find('\r'), std::string::npos) << "no progress line when not a terminal";
  EXPECT_NE(o.err.find("sleep/10ms: 5 runs, median"), std::string::npos) << o.err;
  json a = json::parse(o.out);
  EXPECT_EQ(a["commit"]["sha"], kSha);
  EXPECT_EQ(a["platform"], "linux-test");
  ASSERT_EQ(a["benchmarks"].size(), 1u);
  const json& b = a["benchmarks"][0];
  EXPECT_EQ(b["name"], "sleep/10ms");
  const json& wall = b["metrics"]["wall_time"];
  EXPECT_EQ(wall["unit"], "ns");
  ASSERT_EQ(wall["samples"].size(), 5u);
  for (const auto& s : wall["samples"]) EXPECT_GE(s.get<double>(), 10e6);
  EXPECT_EQ(b["metrics"]["user_time"]["samples"].size(), 5u);
  EXPECT_EQ(b["metrics"]["max_rss"]["unit"], "bytes");

  std::ofstream(dir_ / "a.json") << o.out;
  Outcome ingest =
      RunCommand({kBin, "--db", (dir_ / "perf.db").string(), "ingest", (dir_ / "a.json").string()});
  EXPECT_EQ(ingest.exit_code, 0) << ingest.err;
}

TEST_F(RunTest, OutWritesTheArtifactFile) {
  Outcome o = Run({"--runs", "2", "--out", "results", "--", "true"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(fs::exists(dir_ / "results" / ("benchmark-results-" + kSha + "-linux-test.json")));
}

// Regression (a flake under `ctest -j2` on the ASan build): with `sleep 0.01` and a 50% target,
// one run slowed to 2x by the load widened the 6-run interval past the target and the rule
// went on. 50 ms runs and a 100% target leave the load tens of milliseconds of slack.
TEST_F(RunTest, AdaptiveStopsAtTheMinimumForAStableCommand) {
  Outcome o = Run(
      {"--min-runs", "6", "--max-runs", "40", "--target-precision", "100", "--", "sleep", "0.05"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  json a = json::parse(o.out);
  EXPECT_EQ(a["benchmarks"][0]["metrics"]["wall_time"]["samples"].size(), 6u);
}

TEST_F(RunTest, FailuresAreRecordedAndExitOne) {
  Outcome o = Run({"--runs", "3", "--name", "fails", "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(o.exit_code, 1);
  json a = json::parse(o.out);
  EXPECT_EQ(a["benchmarks"][0]["error"], "warm-up run 1: exit status 3");
  EXPECT_NE(o.err.find("error: fails: warm-up run 1: exit status 3"), std::string::npos) << o.err;
  Outcome ignored = Run({"--runs", "2", "--ignore-failure", "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(ignored.exit_code, 0) << ignored.err;

  Outcome slow = Run({"--runs", "2", "--timeout", "200ms", "--", "sleep", "5"});
  EXPECT_EQ(slow.exit_code, 1);
  EXPECT_NE(json::parse(slow.out)["benchmarks"][0]["error"].get<std::string>().find("timed out"),
            std::string::npos);
}

TEST_F(RunTest, InstructionCountsComeFromValgrindAndRepeatExactly) {
  if (!fs::exists("/usr/bin/valgrind")) GTEST_SKIP() << "needs valgrind";
  Outcome o = Run({"--runs", "2", "--measure", "wall,instructions", "--instruction-runs", "2", "--",
                   "sh", "-c", "i=0; while [ $i -lt 200 ]; do i=$((i+1)); done"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  json a = json::parse(o.out);
  const json& ir = a["benchmarks"][0]["metrics"]["instructions"];
  EXPECT_EQ(ir["unit"], "count");
  ASSERT_EQ(ir["samples"].size(), 2u);
  EXPECT_EQ(ir["samples"][0], ir["samples"][1]);
  EXPECT_GT(ir["samples"][0].get<double>(), 10000);
  EXPECT_EQ(a["environment"]["metric_sources"]["instructions"], "valgrind cachegrind (Ir)");
  EXPECT_EQ(a["environment"]["metric_sources"]["wall_time"], "clock_gettime(CLOCK_MONOTONIC)");
}

// Where the kernel gives no instruction counter (every system but Linux, most virtual
// machines) and valgrind is not installed (here: not on PATH), --measure instructions fails
// with one line naming both and the fix, as bad input, with no artifact.
TEST_F(RunTest, InstructionsWithNeitherPerfNorValgrindIsOneClearLine) {
  fs::create_directories(dir_ / "empty-bin");
  std::vector<std::string> argv = {kBin, "run",     "--project", "demo",      "--commit",
                                   kSha, "--runs",  "1",         "--measure", "wall,instructions",
                                   "--", "/bin/sh", "-c",        "exit 0"};
  Outcome o = RunCommand(argv, dir_.string(), {{"PATH", (dir_ / "empty-bin").string()}});
  if (o.exit_code == 0) {
    // A kernel with the counter: perf_event_open counted every measured run, no valgrind.
    EXPECT_EQ(json::parse(o.out)["environment"]["metric_sources"]["instructions"],
              "perf_event_open (instructions:u)");
    return;
  }
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err,
            "error: --measure instructions: neither perf_event_open nor valgrind is available here "
            "(no instruction counter from the kernel; cannot start 'valgrind': No such file or "
            "directory): install valgrind, or measure without instructions\n");
}

TEST_F(RunTest, ACommitThatIsNotAShaIsRefusedBeforeAnythingIsWritten) {
  Outcome o = RunCommand({kBin, "run", "--project", "demo", "--commit", "not-a-sha", "--runs", "1",
                          "--out", "results", "--", "true"},
                         dir_.string());
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_NE(o.err.find("perfledger run: /commit/sha"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(dir_ / "results"));
}

TEST_F(RunTest, BadInputIsExitTwoWithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--", "/nonexistent/bench"},
           {"--runs", "0", "--", "true"},
           {"--timeout", "soon", "--", "true"},
           {"--measure", "wall,joules", "--", "true"},
           {"--reason", "because", "--", "true"},
           // Sample counts and precisions out of range: refused, not run for years.
           {"--runs", "2000000000", "--", "true"},
           {"--max-runs", "2000000000", "--", "true"},
           {"--warmup", "-1", "--", "true"},
           {"--target-precision", "0", "--", "true"},
           {"--target-precision", "1e400", "--", "true"},
       }) {
    Outcome o = Run(args);
    EXPECT_EQ(o.exit_code, 2) << args[0] << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_EQ(o.out, "");
  }
}

}  // namespace
}  // namespace perfledger
