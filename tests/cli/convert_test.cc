// perfledger convert on every committed real harness output: the artifact it writes is one
// perfledger ingest accepts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;
const std::string kSha = "89abcdef0123456789abcdef0123456789abcdef";

std::string Harness(const std::string& path) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  return std::string(root ? root : ".") + "/tests/data/harness/" + path;
}

class ConvertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-convert-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome Convert(std::vector<std::string> args) {
    std::vector<std::string> argv = {kBin,       "convert", "--project",  "demo",
                                     "--commit", kSha,      "--platform", "linux-test"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, dir_.string());  // not a git repository: --commit as given
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ConvertTest, EveryRealOutputBecomesAnIngestableArtifact) {
  const std::pair<const char*, const char*> cases[] = {
      {"google-benchmark", "google-benchmark/gbench_sample_1.7.1.json"},
      {"catch2", "catch2/catch2_sample_2.13.xml"},
      {"catch2", "catch2/catch2_v3.xml"},
      {"hyperfine", "hyperfine/sleep_true.json"},
      {"hyperfine", "hyperfine/failing_command.json"},
      {"pytest-benchmark", "pytest-benchmark/with_data.json"},
      {"pytest-benchmark", "pytest-benchmark/saved_without_data.json"},
      {"go", "go/sample.txt"},
      {"libtest", "libtest/cargo_bench.txt"},
      {"criterion", "criterion/bencher.txt"},
      {"jmh", "jmh/results.json"},
      {"benchmarkdotnet", "benchmarkdotnet/Example.Benchmarks-report-full.json"},
  };
  int i = 0;
  for (const auto& [adapter, path] : cases) {
    const fs::path out = dir_ / ("out" + std::to_string(i++));
    Outcome o = Convert({"--adapter", adapter, "--out", out.string(), Harness(path)});
    ASSERT_EQ(o.exit_code, 0) << path << ": " << o.err;
    const fs::path file = out / ("benchmark-results-" + kSha + "-linux-test.json");
    ASSERT_TRUE(fs::exists(file)) << path;
    Outcome ingest = RunCommand({kBin, "--db", db_, "ingest", file.string()});
    EXPECT_EQ(ingest.exit_code, 0) << path << ": " << ingest.err;
  }
  Outcome runs = RunCommand({kBin, "--db", db_, "runs", "--format", "json"});
  EXPECT_EQ(json::parse(runs.out).size(), std::size(cases));
}

TEST_F(ConvertTest, AutoDetectsAndWritesToStdout) {
  Outcome o = Convert({Harness("go/sample.txt")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  json a = json::parse(o.out);
  EXPECT_EQ(a["commit"]["sha"], kSha);
  EXPECT_EQ(a["project"], "demo");
  EXPECT_NE(a["reason_detail"].get<std::string>().find("converted from go output sample.txt"),
            std::string::npos);
  EXPECT_FALSE(a["benchmarks"].empty());
  // Names sorted, as the artifact wants them.
  std::vector<std::string> names;
  for (const auto& b : a["benchmarks"]) names.push_back(b["name"]);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

// Issue 16: outside a git repository convert said "no project name: pass --project NAME". The
// project is the directory's name and the commit unknown (which ingest refuses), each noted.
TEST_F(ConvertTest, WorksOutsideAGitRepositoryWithoutCommitOrProject) {
  const fs::path scratch = dir_ / "scratch";
  fs::create_directories(scratch);
  Outcome o = RunCommand({kBin, "convert", "--platform", "linux-test", Harness("go/sample.txt")},
                         scratch.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err,
            "note: no git repository here: commit unknown (ingest refuses the artifact; pass "
            "--commit SHA); project 'scratch' from the directory name\n");
  json a = json::parse(o.out);
  EXPECT_EQ(a["commit"]["sha"], "0000000000000000000000000000000000000000");
  EXPECT_EQ(a["project"], "scratch");
}

TEST_F(ConvertTest, BadInputIsExitTwoWithOneLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--adapter", "nunit", Harness("go/sample.txt")}, "unknown adapter 'nunit' (known: "},
      {{"--adapter", "google-benchmark", Harness("google-benchmark/string_time.json")},
       "/benchmarks/7/real_time: expected a number"},
      {{Harness("go/README.md")}, "not a format any adapter knows"},
      {{(dir_ / "missing.json").string()}, "missing.json"},
      {{"--adapter", "catch2", Harness("catch2/no_benchmarks.xml")}, "no benchmark results"},
  };
  for (const auto& [args, message] : cases) {
    Outcome o = Convert(args);
    EXPECT_EQ(o.exit_code, 2) << message << ": " << o.err;
    EXPECT_NE(o.err.find(message), std::string::npos) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_EQ(o.out, "");
  }
}

}  // namespace
}  // namespace perfledger
