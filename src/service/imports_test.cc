// ImportHistory on the real fixtures under tests/data/imports/: the identity each run gets, the
// flags a source needs, and that a bad file gives nothing at all.
#include "service/imports.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/strings.h"

namespace perfledger::service {
namespace {

namespace fs = std::filesystem;

std::string Data(const std::string& path) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  return std::string(root ? root : ".") + "/tests/data/imports/" + path;
}

TEST(ImportedRunIdTest, SameInputsSameUuidOtherwiseDifferent) {
  const std::string a = ImportedRunId("asv", "kedro", std::string(40, 'a'), "github-actions");
  EXPECT_TRUE(base::IsUuid(a)) << a;
  EXPECT_EQ(a[14], '8');                                          // version 8
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);  // RFC 9562 variant
  EXPECT_EQ(a, ImportedRunId("asv", "kedro", std::string(40, 'a'), "github-actions"));
  EXPECT_NE(a, ImportedRunId("asv", "kedro", std::string(40, 'a'), "linux"));
  EXPECT_NE(a, ImportedRunId("asv", "kedro", std::string(40, 'b'), "github-actions"));
  EXPECT_NE(a, ImportedRunId("bencher", "kedro", std::string(40, 'a'), "github-actions"));
}

TEST(ImportHistoryTest, AsvDirectoryTakesTheMachineAsPlatform) {
  ImportRequest req;
  req.from = "asv";
  req.source = Data("asv/results");
  req.project = "kedro";
  auto runs = ImportHistory(req);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 2u);
  // Sorted by measurement time: the 2024 result first.
  EXPECT_EQ(runs->at(0).commit.sha, "01c095b2537c1cfbafe6443a021e60ec94bfa1af");
  for (const core::Run& run : *runs) {
    EXPECT_EQ(run.platform, "github-actions");
    EXPECT_EQ(run.project, "kedro");
    EXPECT_EQ(run.reason, core::Reason::kBackfill);
    EXPECT_EQ(run.run_id, ImportedRunId("asv", "kedro", run.commit.sha, "github-actions"));
  }
  // One environment: the same fingerprint for both runs though their details differ.
  EXPECT_EQ(runs->at(0).environment.fingerprint, runs->at(1).environment.fingerprint);
  EXPECT_NE(runs->at(0).environment.extra_json.at("import_details"),
            runs->at(1).environment.extra_json.at("import_details"));
  // Importing again gives the same runs.
  auto again = ImportHistory(req);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *runs);
}

TEST(ImportHistoryTest, AsvEnvFilterAndMissingProject) {
  ImportRequest req;
  req.from = "asv";
  req.source = Data("asv/results");
  auto no_project = ImportHistory(req);
  ASSERT_FALSE(no_project.ok());
  EXPECT_TRUE(no_project.status().message().starts_with("--project: required"))
      << no_project.status().message();
  req.project = "kedro";
  req.asv_env = "virtualenv-py3.12";
  auto none = ImportHistory(req);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no asv result files of --asv-env virtualenv-py3.12"),
            std::string::npos);
}

TEST(ImportHistoryTest, GithubActionBenchmarkNeedsAPlatform) {
  ImportRequest req;
  req.from = "github-action-benchmark";
  req.source = Data("github-action-benchmark/hyper-cargo.data.js");
  auto runs = ImportHistory(req);
  ASSERT_FALSE(runs.ok());
  EXPECT_TRUE(runs.status().message().starts_with("--platform: required"))
      << runs.status().message();
  req.platform = "x86-64-linux";
  runs = ImportHistory(req);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  EXPECT_EQ(runs->size(), 3u);
  EXPECT_EQ(runs->at(0).project, "hyperium/hyper");  // from repoUrl
  EXPECT_EQ(runs->at(0).commit.subject, "fixup benchmark output.txt");
}

TEST(ImportHistoryTest, BencherNeedsAFullCommitAndTakesTheDate) {
  ImportRequest req;
  req.from = "bencher";
  req.source = Data("bencher/report_latency.json");
  req.project = "demo";
  req.platform = "x86-64-linux";
  auto no_commit = ImportHistory(req);
  ASSERT_FALSE(no_commit.ok());
  EXPECT_TRUE(no_commit.status().message().starts_with("--commit: required"));
  req.commit = "0fd7d3c";
  auto short_commit = ImportHistory(req);
  ASSERT_FALSE(short_commit.ok());
  EXPECT_EQ(short_commit.status().message(),
            "--commit: expected a full 40-hex commit sha, got \"0fd7d3c\"");
  req.commit = "0FD7D3C3635FA5A6D2D9E9E9471AE43CA3F09CAD";
  req.date = "2026-11-22T10:04:00Z";
  auto runs = ImportHistory(req);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->at(0).commit.sha, "0fd7d3c3635fa5a6d2d9e9e9471ae43ca3f09cad");
  EXPECT_EQ(base::FormatRfc3339(runs->at(0).started_at), "2026-11-22T10:04:00Z");
}

TEST(ImportHistoryTest, UnknownFormatAndMisplacedFlags) {
  ImportRequest req;
  req.from = "jmh";
  req.source = "x";
  auto unknown = ImportHistory(req);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "--from: expected one of github-action-benchmark, asv, bencher, got \"jmh\"");
  req.from = "asv";
  req.commit = std::string(40, 'a');
  auto misplaced = ImportHistory(req);
  ASSERT_FALSE(misplaced.ok());
  EXPECT_TRUE(misplaced.status().message().starts_with("--commit and --date: only for"));
}

TEST(ImportHistoryTest, TwoEnvironmentsOfOneCommitAreRefused) {
  const fs::path dir =
      fs::temp_directory_path() / ("perfledger-imports-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "m");
  const std::string row = R"({"commit_hash": "0064ded569f184aa02e6ec55ff5ed63c7312f744",
      "env_name": "ENV", "params": {"machine": "m"}, "results": {"a.time_x": 1.0}})";
  for (const std::string env : {"py311", "py312"}) {
    std::string text = row;
    text.replace(text.find("ENV"), 3, env);
    std::ofstream(dir / "m" / ("0064ded5-" + env + ".json")) << text;
  }
  ImportRequest req;
  req.from = "asv";
  req.source = dir.string();
  req.project = "p";
  auto runs = ImportHistory(req);
  ASSERT_FALSE(runs.ok());
  EXPECT_NE(runs.status().message().find("a second result for commit "
                                         "0064ded569f184aa02e6ec55ff5ed63c7312f744 on platform m"),
            std::string::npos)
      << runs.status().message();
  req.asv_env = "py312";
  auto one = ImportHistory(req);
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace perfledger::service
