// Suites as a platform job and a collect job use them: perfledger run --suite, run --adapter,
// calibrate, and ingest refusing runs that do not match their epoch. Real processes, a real
// Google Benchmark harness, a real store.
#include <gtest/gtest.h>
#include <unistd.h>

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

const std::string kBin = PERFLEDGER_BIN;
const std::string kGbench = GBENCH_SAMPLE;
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

std::string SuiteText(int epoch, int runs) {
  return R"toml(
[suite]
name = "demo"
revision = 2
warmup = 0
runs = 3

[[benchmark]]
name = "sleep"
command = ["sleep", "0.01"]
prepare = "echo prepared >> prepare.log"

[[benchmark]]
name = "micro"
harness = [")toml" +
         kGbench + R"toml(", "--benchmark_format=json", "--benchmark_repetitions=3",
           "--benchmark_min_time=0.001", "--benchmark_filter=BM_Sum|BM_Copy"]
adapter = "google-benchmark"

[platform.linux-test]
epoch = )toml" +
         std::to_string(epoch) + R"toml(
environment = "local"
runs = )toml" +
         std::to_string(runs) + "\n";
}

class SuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-suite-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteSuite(SuiteText(1, 4));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteSuite(const std::string& text) { std::ofstream(dir_ / "perfledger.toml") << text; }

  Outcome Perfledger(std::vector<std::string> args) {
    std::vector<std::string> argv = {kBin, "--db", (dir_ / "perf.db").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, dir_.string(), subprocess::LocalMachineEnv());
  }
  Outcome RunSuite(std::vector<std::string> extra = {}, const std::string& sha = kSha) {
    std::vector<std::string> args = {"run",      "--suite", "perfledger.toml", "--project", "demo",
                                     "--commit", sha,       "--platform",      "linux-test"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Perfledger(args);
  }
  std::string Save(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  int64_t StoredRuns() {
    Outcome o = Perfledger({"runs", "--format", "json"});
    if (o.exit_code != 0) return -1;
    return static_cast<int64_t>(json::parse(o.out).size());
  }

  fs::path dir_;
};

TEST_F(SuiteTest, RunsEveryBenchmarkWithTheEpochsSamplingIntoOneArtifact) {
  Outcome o = RunSuite();
  ASSERT_EQ(o.exit_code, 0) << o.err;
  json a = json::parse(o.out);
  EXPECT_EQ(a["suite"]["name"], "demo");
  EXPECT_EQ(a["suite"]["revision"], 2);
  EXPECT_EQ(a["suite"]["epoch"]["number"], 1);
  EXPECT_EQ(a["suite"]["epoch"]["settings"]["sleep.runs"], 4) << "the platform's runs = 4";
  EXPECT_EQ(a["suite"]["epoch"]["settings"]["environment"], "local");
  EXPECT_EQ(a["suite"]["definitions"].size(), 2u);
  std::vector<std::string> names;
  for (const auto& b : a["benchmarks"]) names.push_back(b["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"micro/BM_Copy", "micro/BM_Sum/64", "sleep"}));
  const json& sleep = a["benchmarks"][2];
  EXPECT_EQ(sleep["metrics"]["wall_time"]["samples"].size(), 4u);
  EXPECT_EQ(a["benchmarks"][1]["metrics"]["real_time"].is_null(), true);
  EXPECT_EQ(a["benchmarks"][1]["metrics"]["wall_time"]["samples"].size(), 3u)
      << "the harness's three repetitions";
  const json& sources = a["environment"]["metric_sources"];
  EXPECT_EQ(sources["wall_time"], "clock_gettime(CLOCK_MONOTONIC)");
  EXPECT_EQ(sources["micro/*"], "the harness's own measurements (google-benchmark adapter)");
  std::ifstream prepare(dir_ / "prepare.log");
  std::string log((std::istreambuf_iterator<char>(prepare)), {});
  EXPECT_EQ(log, "prepared\nprepared\nprepared\nprepared\n") << "before each of the 4 runs";

  // --benchmark selects; the artifact still declares the whole suite.
  Outcome only = RunSuite({"--benchmark", "sleep"});
  ASSERT_EQ(only.exit_code, 0) << only.err;
  json b = json::parse(only.out);
  EXPECT_EQ(b["benchmarks"].size(), 1u);
  EXPECT_EQ(b["suite"]["definitions"].size(), 2u);
}

TEST_F(SuiteTest, IngestRefusesRunsThatDoNotMatchTheirEpoch) {
  Outcome first = RunSuite({"--out", "results"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Outcome ingest = Perfledger({"ingest", "--suite", "perfledger.toml", "results"});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  ASSERT_EQ(StoredRuns(), 1);

  // Someone changes the sampling without declaring a new epoch: the file refuses the run
  // measured under the old settings, and the store refuses the new run against the first.
  WriteSuite(SuiteText(1, 6));
  Outcome second = RunSuite({"--out", "results2"}, "1111111111111111111111111111111111111111");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  Outcome stale = Perfledger({"ingest", "--suite", "perfledger.toml", "results"});
  EXPECT_EQ(stale.exit_code, 2);
  EXPECT_NE(stale.err.find("epoch 1 setting 'sleep.runs' is 4 in the run but 6 in "
                           "perfledger.toml"),
            std::string::npos)
      << stale.err;
  Outcome mixed = Perfledger({"ingest", "results2"});
  EXPECT_EQ(mixed.exit_code, 2) << mixed.err;
  EXPECT_NE(mixed.err.find("'sleep.runs'"), std::string::npos) << mixed.err;
  EXPECT_EQ(StoredRuns(), 1) << "nothing of a refused batch is stored";

  // Declaring a new epoch is how sampling changes.
  WriteSuite(SuiteText(2, 6));
  Outcome third = RunSuite({"--out", "results3"}, "2222222222222222222222222222222222222222");
  ASSERT_EQ(third.exit_code, 0) << third.err;
  Outcome ok = Perfledger({"ingest", "--suite", "perfledger.toml", "results3"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(StoredRuns(), 2);

  // A run whose suite revision differs from the file's.
  std::string text = SuiteText(2, 6);
  text.replace(text.find("revision = 2"), 12, "revision = 3");
  WriteSuite(text);
  Outcome revision = Perfledger({"ingest", "--suite", "perfledger.toml", "results3"});
  EXPECT_EQ(revision.exit_code, 2);
  EXPECT_NE(revision.err.find("suite 'demo' revision 2, but perfledger.toml declares revision 3"),
            std::string::npos)
      << revision.err;
}

TEST_F(SuiteTest, ALocalRunNeverEntersACiEpoch) {
  std::string text = SuiteText(1, 4);
  text.replace(text.find("environment = \"local\""), 21, "environment = \"ci\"");
  WriteSuite(text);
  Outcome o = RunSuite({"--benchmark", "sleep", "--out", "results"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("warning: "), std::string::npos) << o.err;
  Outcome ingest = Perfledger({"ingest", "results"});
  EXPECT_EQ(ingest.exit_code, 2);
  EXPECT_NE(ingest.err.find("epoch 1 is for CI runners, but the run was measured locally"),
            std::string::npos)
      << ingest.err;
}

TEST_F(SuiteTest, AFailingBenchmarkMakesThePartialRunAndExitOneUnlessFailFast) {
  WriteSuite(R"toml(
[suite]
name = "f"
revision = 1
runs = 2
[[benchmark]]
name = "a-fails"
command = "echo oops >&2; exit 4"
[[benchmark]]
name = "b-works"
command = ["true"]
)toml");
  Outcome o = RunSuite({"--out", "results"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("error: a-fails: warm-up run 1: exit status 4"), std::string::npos) << o.err;
  const fs::path file = dir_ / "results" / ("benchmark-results-" + kSha + "-linux-test.json");
  ASSERT_TRUE(fs::exists(file));
  json a = json::parse(std::ifstream(file));
  EXPECT_EQ(a["benchmarks"][0]["error"], "warm-up run 1: exit status 4");
  EXPECT_EQ(a["benchmarks"][1]["metrics"]["wall_time"]["samples"].size(), 2u);
  Outcome ingest = Perfledger({"ingest", "results"});
  EXPECT_EQ(ingest.exit_code, 0) << "a partial run is stored: " << ingest.err;

  fs::remove_all(dir_ / "results");
  Outcome fast = RunSuite({"--fail-fast", "--out", "results"});
  EXPECT_EQ(fast.exit_code, 1);
  EXPECT_NE(fast.err.find("stopped at the first failing benchmark (--fail-fast)"),
            std::string::npos)
      << fast.err;
  EXPECT_FALSE(fs::exists(dir_ / "results")) << "no artifact with --fail-fast";
}

TEST_F(SuiteTest, SuiteFileErrorsAndConflictingFlags) {
  WriteSuite(
      "[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
      "command = \"true\"\nwarmup = -1\n");
  Outcome bad = RunSuite();
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "error: perfledger.toml:7: [[benchmark]] \"a\" warmup: expected a whole number from "
            "0 to 1000000, got -1\n");
  Outcome missing = Perfledger({"run", "--suite", "nope.toml", "--commit", kSha});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.toml: cannot read the suite file"), std::string::npos)
      << missing.err;
  WriteSuite(SuiteText(1, 4));
  Outcome runs = RunSuite({"--runs", "3"});
  EXPECT_EQ(runs.exit_code, 2);
  EXPECT_NE(runs.err.find("--runs: with --suite, sampling comes from the suite file"),
            std::string::npos)
      << runs.err;
  Outcome both = RunSuite({"--", "true"});
  EXPECT_EQ(both.exit_code, 2);
  Outcome unknown = RunSuite({"--benchmark", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--benchmark nope: perfledger.toml has no such benchmark (it has: "
                             "sleep, micro)"),
            std::string::npos)
      << unknown.err;
}

TEST_F(SuiteTest, AdapterRunsAHarnessAndConvertsItsOutput) {
  Outcome o = Perfledger({"run", "--project", "demo", "--commit", kSha, "--platform", "linux-test",
                          "--adapter", "google-benchmark", "--", kGbench, "--benchmark_format=json",
                          "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
                          "--benchmark_filter=BM_Sum"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  json a = json::parse(o.out);
  ASSERT_EQ(a["benchmarks"].size(), 1u);
  EXPECT_EQ(a["benchmarks"][0]["name"], "BM_Sum/64");
  EXPECT_EQ(a["benchmarks"][0]["metrics"]["cpu_time"]["samples"].size(), 2u);

  Outcome autodetect = Perfledger({"run", "--project", "demo", "--commit", kSha, "--adapter",
                                   "auto", "--name", "gb", "--", kGbench, "--benchmark_format=json",
                                   "--benchmark_min_time=0.001", "--benchmark_filter=BM_Copy"});
  ASSERT_EQ(autodetect.exit_code, 0) << autodetect.err;
  EXPECT_EQ(json::parse(autodetect.out)["benchmarks"][0]["name"], "gb/BM_Copy");
  EXPECT_EQ(json::parse(autodetect.out)["environment"]["metric_sources"]["*"],
            "the harness's own measurements (google-benchmark adapter)")
      << "auto names the adapter it detected";

  Outcome unknown = Perfledger(
      {"run", "--commit", kSha, "--project", "demo", "--adapter", "nunit", "--", "true"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("google-benchmark"), std::string::npos) << "lists the known ones";
  Outcome garbage = Perfledger({"run", "--commit", kSha, "--project", "demo", "--adapter",
                                "google-benchmark", "--", "echo", "not json"});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(garbage.err.find("google-benchmark: echo output:"), std::string::npos) << garbage.err;
  Outcome failing = Perfledger({"run", "--commit", kSha, "--project", "demo", "--adapter", "auto",
                                "--", "/bin/sh", "-c", "echo broken >&2; exit 9"});
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_NE(failing.err.find("harness: exit status 9: broken"), std::string::npos) << failing.err;
  EXPECT_EQ(failing.out, "") << "no artifact";
}

TEST_F(SuiteTest, CalibrateProposesRunsAsATomlSnippetTheSuiteAccepts) {
  Outcome o = Perfledger({"calibrate", "--suite", "perfledger.toml", "--platform", "linux-test",
                          "--runs", "8", "--target-precision", "5"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("[platform.linux-test.benchmark.\"sleep\"]\nruns = "), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("# micro: not calibrated: a harness samples by its own flags"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("raise epoch in\n# [platform.linux-test] from 1 to 2"), std::string::npos)
      << o.out;
  // Pasted into the file (with the epoch raised), the suite still parses and runs use it.
  std::string text = SuiteText(2, 4) + o.out;
  WriteSuite(text);
  Outcome run = RunSuite({"--benchmark", "sleep"});
  ASSERT_EQ(run.exit_code, 0) << run.err << "\n" << text;
  const std::string key = "[platform.linux-test.benchmark.\"sleep\"]\nruns = ";
  const size_t proposed = std::stoul(o.out.substr(o.out.find(key) + key.size()));
  EXPECT_EQ(json::parse(run.out)["benchmarks"][0]["metrics"]["wall_time"]["samples"].size(),
            proposed);

  Outcome js = Perfledger({"calibrate", "--suite", "perfledger.toml", "--platform", "linux-test",
                           "--runs", "6", "--benchmark", "sleep", "--format", "json"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  json j = json::parse(js.out);
  ASSERT_EQ(j["benchmarks"].size(), 1u);
  EXPECT_GE(j["benchmarks"][0]["proposed_runs"].get<int>(), 6);
  EXPECT_GT(j["benchmarks"][0]["median_ns"].get<double>(), 1e7);
  Outcome few = Perfledger({"calibrate", "--suite", "perfledger.toml", "--runs", "3"});
  EXPECT_EQ(few.exit_code, 2);
}

}  // namespace
}  // namespace perfledger
