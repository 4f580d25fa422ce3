// The scheduling verbs as CI runs them, on real git repositories with chosen commit times:
// plan (with --record), coverage, gaps, simulate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/uuid.h"
#include "core/artifact.h"
#include "git_fixture.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;
using testing::GitRepo;

const std::string kBin = PERFLEDGER_BIN;
constexpr int64_t kSecond = 1'000'000'000;
// 2026-11-24T10:00:00Z.
constexpr int64_t kT0 = 1'795'514'400LL * kSecond;

base::Timestamp At(int minutes) { return base::Timestamp{kT0 + minutes * 60 * kSecond}; }
std::string Iso(int minutes) { return base::FormatRfc3339(At(minutes)); }

class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-schedule-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs perfledger in `cwd` (default: the test's directory, in no git repository, so that
  // coverage and gaps do not read the repository the build directory is in).
  Outcome Run(std::vector<std::string> args, const std::string& cwd = "") {
    args.insert(args.begin(), {kBin, "--db", db_});
    return subprocess::RunCommand(args, cwd.empty() ? dir_.string() : cwd);
  }

  json Json(std::vector<std::string> args, int expected_exit = 0) {
    args.push_back("--format");
    args.push_back("json");
    Outcome o = Run(args);
    EXPECT_EQ(o.exit_code, expected_exit) << o.err;
    try {
      return json::parse(o.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << o.out << "\n" << o.err;
      return json();
    }
  }

  json Plan(const GitRepo& repo, int now_minutes, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"plan",  "--repo",         repo.path(),
                                     "--now", Iso(now_minutes), "--platform",
                                     "linux", "--platform",     "macos"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Json(args);
  }

  // Ingests a run of `sha` on `platform` standing for (from, sha], as a platform job would.
  void Measure(const std::string& sha, const std::string& platform, std::optional<std::string> from,
               int64_t count, std::vector<std::string> benchmarks = {"parse", "render"},
               std::vector<std::string> failed = {}) {
    core::Run r;
    r.run_id = base::NewUuidV4();
    r.project = "demo";
    r.commit.sha = sha;
    r.commit_range = {std::move(from), sha, count};
    r.reason = core::Reason::kSchedule;
    r.platform = platform;
    r.suite = core::SuiteRef{"core", 1, {}, std::nullopt};
    r.environment.os = "linux";
    r.environment.fingerprint = core::ComputeFingerprint(r.environment);
    r.started_at = At(100);
    r.finished_at = At(101);
    for (const auto& b : benchmarks) {
      core::BenchmarkResult br;
      br.name = b;
      br.metrics.push_back({"wall_time", "ns", core::Direction::kLower, {100, 101, 99}, {}});
      r.benchmarks.push_back(br);
    }
    for (const auto& b : failed) {
      core::BenchmarkResult br;
      br.name = b;
      br.error = "crashed";
      r.benchmarks.push_back(br);
    }
    std::sort(r.benchmarks.begin(), r.benchmarks.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    const fs::path file = dir_ / core::ArtifactFileName(r);
    std::ofstream(file) << core::WriteArtifact(r) << "\n";
    Outcome o = Run({"ingest", file.string()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    fs::remove(file);
  }

  // Runs every job of a plan on its platforms.
  void RunJobs(const json& plan) {
    for (const auto& entry : plan["matrix"]["include"]) {
      std::optional<std::string> from;
      if (!entry["commit_range_from"].is_null()) from = entry["commit_range_from"];
      Measure(entry["sha"], entry["platform"], from, entry["commit_range_count"]);
    }
  }

  json CoverageOf(const std::string& platform, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"coverage", "--platform", platform};
    args.insert(args.end(), extra.begin(), extra.end());
    json rows = Json(args);
    EXPECT_EQ(rows.size(), 1u) << rows;
    return rows.empty() ? json() : rows[0];
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ScheduleTest, FirstPlanIsOneBaselineJobPerPlatformAndAMatrix) {
  GitRepo repo;
  std::vector<std::string> shas;
  for (int i = 0; i < 5; ++i) shas.push_back(repo.Commit("change " + std::to_string(i), At(i)));
  json p = Plan(repo, 20);
  EXPECT_EQ(p["now"], Iso(20));
  EXPECT_EQ(p["window_minutes"], 15);
  EXPECT_EQ(p["queue_depth"], 0);
  EXPECT_EQ(p["degradation"], "none");
  ASSERT_EQ(p["jobs"].size(), 1u) << p;
  const json& job = p["jobs"][0];
  EXPECT_EQ(job["sha"], shas[4]);
  EXPECT_EQ(job["platforms"], json::array({"linux", "macos"}));
  EXPECT_EQ(job["reason"], "push");  // the first plan of the store: the head
  EXPECT_EQ(job["priority"], 1);
  EXPECT_TRUE(job["commit_range"]["from"].is_null());
  EXPECT_EQ(job["commit_range"]["to"], shas[4]);
  EXPECT_EQ(job["commit_range"]["count"], 5);
  EXPECT_TRUE(p["skips"].empty());
  ASSERT_EQ(p["matrix"]["include"].size(), 2u);
  EXPECT_EQ(p["matrix"]["include"][1]["platform"], "macos");
  EXPECT_EQ(p["matrix"]["include"][1]["sha"], shas[4]);
  // Without --record nothing was stored: the same plan again.
  EXPECT_EQ(Plan(repo, 20)["jobs"], p["jobs"]);
}

TEST_F(ScheduleTest, RecordedPlansAccountForEveryCommit) {
  GitRepo repo;
  std::vector<std::string> shas;
  shas.push_back(repo.Commit("root", At(0)));
  json first = Plan(repo, 16, {"--record"});
  ASSERT_EQ(first["jobs"].size(), 1u);
  RunJobs(first);
  // Six commits in the window [10:15, 10:30), two in the open window [10:30, 10:45).
  for (int m : {15, 17, 19, 22, 25, 29}) shas.push_back(repo.Commit("w1", At(m)));
  for (int m : {31, 33}) shas.push_back(repo.Commit("w2", At(m)));
  json second = Plan(repo, 35, {"--record"});
  ASSERT_EQ(second["jobs"].size(), 1u) << second;
  EXPECT_EQ(second["jobs"][0]["sha"], shas[6]);
  EXPECT_EQ(second["jobs"][0]["commit_range"]["from"], shas[0]);
  EXPECT_EQ(second["jobs"][0]["commit_range"]["count"], 6);
  ASSERT_EQ(second["skips"].size(), 5u);
  for (const auto& s : second["skips"]) {
    EXPECT_EQ(s["reason"], "window");
    EXPECT_EQ(s["superseded_by"], shas[6]);
    EXPECT_EQ(s["platforms"], json::array({"linux", "macos"}));
  }
  EXPECT_EQ(second["pending"]["linux"].size(), 2u);

  // Before the job runs: represented by the queued job's range; the open window pending.
  json cov = CoverageOf("linux", {"--repo", repo.path()});
  EXPECT_EQ(cov["commits"], 9);
  EXPECT_EQ(cov["measured"], 1);
  EXPECT_EQ(cov["represented"], 6);
  EXPECT_EQ(cov["pending"], 2);
  EXPECT_EQ(cov["unaccounted"], 0);
  EXPECT_EQ(cov["skipped_by_reason"]["window"], 5);

  // The queued job counts towards the next plan's queue depth.
  EXPECT_EQ(Plan(repo, 36)["queue_depth"], 1);
  RunJobs(second);
  EXPECT_EQ(Plan(repo, 36)["queue_depth"], 0);
  cov = CoverageOf("linux", {"--repo", repo.path()});
  EXPECT_EQ(cov["measured"], 2);
  EXPECT_EQ(cov["represented"], 5);
  EXPECT_EQ(cov["pending"], 2);
  EXPECT_EQ(cov["unaccounted"], 0);
  EXPECT_DOUBLE_EQ(cov["coverage_represented"].get<double>(), 7.0 / 9);

  // Without --repo, coverage reads the history the last recorded plan saw.
  cov = CoverageOf("macos");
  EXPECT_EQ(cov["commits"], 9);
  EXPECT_EQ(cov["unaccounted"], 0);
  // --range A..B is after A up to B; --since by committer time.
  EXPECT_EQ(CoverageOf("linux", {"--range", shas[0] + ".." + shas[6]})["commits"], 6);
  EXPECT_EQ(CoverageOf("linux", {"--since", Iso(30)})["commits"], 2);
}

// Issue 16: the very first plan on an empty store planned nothing until the newest commit's
// window closed.
TEST_F(ScheduleTest, TheFirstPlanBenchmarksTheHeadAtOnce) {
  GitRepo repo;
  std::vector<std::string> shas;
  for (int i = 0; i < 3; ++i) shas.push_back(repo.Commit("c", At(i)));
  json p = Plan(repo, 4, {"--record"});  // the window [10:00, 10:15) is open
  ASSERT_EQ(p["jobs"].size(), 1u) << p;
  EXPECT_EQ(p["jobs"][0]["sha"], shas[2]);
  EXPECT_EQ(p["jobs"][0]["reason"], "push");
  EXPECT_EQ(p["jobs"][0]["commit_range"]["count"], 3);
  EXPECT_TRUE(p["pending"].empty()) << p;
  // Later plans follow the window rule.
  RunJobs(p);
  shas.push_back(repo.Commit("c", At(5)));
  p = Plan(repo, 6, {"--record"});
  EXPECT_TRUE(p["jobs"].empty()) << p;
  EXPECT_EQ(p["pending"]["linux"], json::array({shas[3]}));
}

// Issue 16: coverage and gaps said "no branch history in the store" (exit 2) until a plan was
// recorded; they answer from the runs' commit ranges, and commits no run covers are unknown.
TEST_F(ScheduleTest, CoverageAndGapsWithoutAPlanAnswerFromTheRuns) {
  GitRepo repo;
  std::vector<std::string> shas;
  for (int i = 0; i < 6; ++i) shas.push_back(repo.Commit("c", At(i)));
  Measure(shas[2], "linux", std::nullopt, 3);
  Measure(shas[5], "linux", shas[2], 3);
  Measure(shas[5], "macos", shas[4], 1);

  json rows = Json({"coverage"});
  ASSERT_EQ(rows.size(), 2u) << rows;
  EXPECT_EQ(rows[0]["platform"], "linux");
  EXPECT_EQ(rows[0]["commits"], 6);
  EXPECT_EQ(rows[0]["measured"], 2);
  EXPECT_EQ(rows[0]["represented"], 4);
  EXPECT_EQ(rows[0]["unknown"], 0);
  EXPECT_EQ(rows[1]["platform"], "macos");
  EXPECT_EQ(rows[1]["measured"], 1);
  EXPECT_EQ(rows[1]["unknown"], 5) << rows;  // the runs say there are 6 commits; macos covers one
  EXPECT_EQ(rows[1]["skipped"], 0);
  EXPECT_EQ(rows[1]["unaccounted"], 0);
  Outcome table = Run({"coverage"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("UNKNOWN"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("runs' commit ranges"), std::string::npos) << table.out;

  json g = Json({"gaps", "--now", Iso(10)});
  EXPECT_EQ(g["history"], "runs");
  EXPECT_EQ(g["head"], shas[5]);
  EXPECT_EQ(g["stalled"], false);
  EXPECT_EQ(g["platforms"].size(), 2u);

  // With the repository (--repo or the working directory's), the branch's own commits.
  json with_repo = Json({"coverage", "--repo", repo.path()});
  EXPECT_EQ(with_repo[1]["commits"], 6);
  EXPECT_EQ(with_repo[1]["unknown"], 5);
  Outcome in_repo = Run({"coverage", "--format", "json"}, repo.path());
  ASSERT_EQ(in_repo.exit_code, 0) << in_repo.err;
  EXPECT_EQ(json::parse(in_repo.out), with_repo);
}

// Issue 16: coverage and gaps needed --repo . to know the branch; they read the repository
// the working directory is in by default (and do without outside one).
TEST_F(ScheduleTest, CoverageAndGapsReadTheWorkingDirectorysRepository) {
  GitRepo repo;
  std::vector<std::string> shas;
  for (int i = 0; i < 5; ++i) shas.push_back(repo.Commit("c", At(i)));
  Measure(shas[3], "linux", shas[2], 1);
  // Outside a repository: the runs' own commits (one).
  EXPECT_EQ(Json({"coverage"})[0]["commits"], 1);
  const fs::path sub = fs::path(repo.path()) / "src";
  fs::create_directories(sub);
  Outcome o = Run({"coverage", "--format", "json"}, sub.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  json rows = json::parse(o.out);
  EXPECT_EQ(rows[0]["commits"], 5);
  EXPECT_EQ(rows[0]["unknown"], 4);
  Outcome table = Run({"coverage"}, repo.path());
  EXPECT_NE(table.out.find("coverage of refs/heads/"), std::string::npos) << table.out;
  Outcome gaps =
      Run({"gaps", "--max-commits", "0", "--format", "json", "--now", Iso(10)}, repo.path());
  ASSERT_EQ(gaps.exit_code, 3) << gaps.err;  // the repository's newest commit waits
  EXPECT_EQ(json::parse(gaps.out)["history"], "repository");
}

TEST_F(ScheduleTest, QueueResetSupersedesQueuedJobsAndManualStillRuns) {
  GitRepo repo;
  std::vector<std::string> shas;
  shas.push_back(repo.Commit("root", At(0)));
  RunJobs(Plan(repo, 15, {"--record"}));
  for (int m = 15; m < 90; m += 5) shas.push_back(repo.Commit("c", At(m)));
  json queued = Plan(repo, 80, {"--record"});
  ASSERT_EQ(queued["jobs"].size(), 4u) << queued;  // windows 10:15 .. 11:00
  json reset =
      Plan(repo, 95, {"--record", "--queue-depth", "25", "--manual", shas[3].substr(0, 10)});
  EXPECT_EQ(reset["degradation"], "reset");
  EXPECT_EQ(reset["queue_depth"], 25);
  ASSERT_EQ(reset["jobs"].size(), 2u) << reset;
  EXPECT_EQ(reset["jobs"][0]["sha"], shas[3]);
  EXPECT_EQ(reset["jobs"][0]["reason"], "manual");
  EXPECT_EQ(reset["jobs"][0]["priority"], 3);
  EXPECT_EQ(reset["jobs"][1]["sha"], shas.back());
  EXPECT_EQ(reset["jobs"][1]["commit_range"]["from"], shas[3]);
  int resets = 0;
  for (const auto& s : reset["skips"]) {
    EXPECT_EQ(s["reason"], "queue-reset");
    EXPECT_EQ(s["queue_depth"], 25);
    ++resets;
  }
  EXPECT_GE(resets, 3) << "the queued jobs at 10:25, 10:40, 10:55 (c103 is manual now)";
  // The superseded jobs no longer count as queued: only the two new ones.
  EXPECT_EQ(Plan(repo, 96)["queue_depth"], 2);
  RunJobs(reset);
  json cov = CoverageOf("linux", {"--repo", repo.path()});
  EXPECT_EQ(cov["unaccounted"], 0) << cov;
  EXPECT_EQ(cov["pending"], 0);
  EXPECT_EQ(cov["measured"], 3);
  EXPECT_GT(cov["skipped_by_reason"]["queue-reset"].get<int>(), 0);
}

TEST_F(ScheduleTest, ForcePushIsReportedAndPlanningGoesOn) {
  GitRepo repo;
  std::string root = repo.Commit("root", At(0));
  RunJobs(Plan(repo, 15, {"--record"}));
  std::string lost = repo.Commit("lost", At(15));
  json p = Plan(repo, 31, {"--record"});
  RunJobs(p);
  repo.ResetHard("main", root);
  std::string replacement = repo.Commit("rewritten", At(32));
  json after = Plan(repo, 46);
  EXPECT_EQ(after["off_branch"]["linux"], json::array({lost})) << after;
  ASSERT_EQ(after["jobs"].size(), 1u);
  EXPECT_EQ(after["jobs"][0]["sha"], replacement);
  EXPECT_EQ(after["jobs"][0]["commit_range"]["from"], root);
  Outcome table = Run({"plan", "--repo", repo.path(), "--now", Iso(46)});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("force-push"), std::string::npos) << table.out;
}

TEST_F(ScheduleTest, MergesOnlyFromAConfigFile) {
  GitRepo repo;
  repo.Commit("root", At(0));
  repo.Branch("feature");
  repo.Checkout("feature");
  repo.Commit("feature work", At(1));
  repo.Checkout("main");
  repo.Commit("direct push", At(2));
  std::string merge = repo.Merge("Merge feature", At(3), "feature");
  std::string after = repo.Commit("another push", At(4));
  const fs::path config = dir_ / "perfledger.toml";
  std::ofstream(config) << "[schedule]\nsampling = \"merges-only\"\n";
  json p = Plan(repo, 5, {"--config", config.string()});
  ASSERT_EQ(p["jobs"].size(), 1u) << p;
  EXPECT_EQ(p["jobs"][0]["sha"], merge);
  EXPECT_EQ(p["jobs"][0]["reason"], "merge");
  // first-parent: the feature commit is not on the branch's line; 3 commits up to the merge.
  EXPECT_EQ(p["jobs"][0]["commit_range"]["count"], 3);
  EXPECT_EQ(p["pending"]["linux"], json::array({after}));
  // Flags override the file.
  json w = Plan(repo, 20, {"--config", config.string(), "--sampling", "every-commit"});
  EXPECT_EQ(w["jobs"][0]["reason"], "push");
}

TEST_F(ScheduleTest, IngestRecordsAPlanMadeInAnotherStore) {
  GitRepo repo;
  std::vector<std::string> shas;
  for (int i = 0; i < 4; ++i) shas.push_back(repo.Commit("c", At(i)));
  // The CI plan job: its own (thrown away) store; the JSON is its artifact.
  const std::string plan_text =
      subprocess::RunCommand({kBin, "--db", (dir_ / "ephemeral.db").string(), "plan", "--repo",
                              repo.path(), "--platform", "linux", "--platform", "macos", "--now",
                              Iso(20), "--format", "json", "--record"})
          .out;
  const fs::path plan_file = dir_ / "plan.json";
  std::ofstream(plan_file) << plan_text;
  const json plan = json::parse(plan_text);
  ASSERT_EQ(plan["jobs"].size(), 1u);

  // The collect job: linux's result, and the plan.
  const fs::path results = dir_ / "results";
  fs::create_directories(results);
  auto write_result = [&] {
    core::Run r;
    r.run_id = "6f1c0a4e-3b7d-4c8e-9a2f-1d5e7b9c0a11";
    r.project = "demo";
    r.commit.sha = shas[3];
    r.commit_range = {std::nullopt, shas[3], 4};
    r.reason = core::Reason::kSchedule;
    r.platform = "linux";
    r.environment.fingerprint = core::ComputeFingerprint(r.environment);
    r.started_at = At(30);
    r.finished_at = At(31);
    core::BenchmarkResult b;
    b.name = "parse";
    b.metrics.push_back({"wall_time", "ns", core::Direction::kLower, {1, 2, 3}, {}});
    r.benchmarks.push_back(b);
    std::ofstream(results / core::ArtifactFileName(r)) << core::WriteArtifact(r) << "\n";
  };
  write_result();
  for (int attempt = 0; attempt < 2; ++attempt) {  // a retried collect changes nothing
    Outcome o =
        Run({"ingest", results.string(), "--plan", plan_file.string(), "--repo", repo.path()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    // macos's job is still queued: the next plan knows it, and plans nothing twice.
    json next = Plan(repo, 21);
    EXPECT_EQ(next["queue_depth"], 1) << "attempt " << attempt;
    EXPECT_TRUE(next["jobs"].empty()) << next;
  }
  json cov = CoverageOf("macos");  // the recorded history, no --repo
  EXPECT_EQ(cov["commits"], 4);
  EXPECT_EQ(cov["represented"], 4);
  EXPECT_EQ(cov["unaccounted"], 0);

  // A bad plan stops the collect before anything is written.
  std::ofstream(plan_file) << R"({"now": "2026-11-24T10:20:00Z", "jobs": []})";
  const std::string fresh = (dir_ / "fresh.db").string();
  Outcome bad = subprocess::RunCommand({kBin, "--db", fresh, "ingest", results.string(), "--plan",
                                        plan_file.string(), "--repo", repo.path()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "error: " + plan_file.string() + ": /branch: expected a value (missing)\n");
  Outcome runs = subprocess::RunCommand({kBin, "--db", fresh, "runs", "--format", "json"});
  EXPECT_EQ(runs.out, "[]\n") << runs.err;
}

TEST_F(ScheduleTest, GapsIsTheStallGate) {
  GitRepo repo;
  std::vector<std::string> shas;
  for (int i = 0; i < 8; ++i) shas.push_back(repo.Commit("c", At(i)));
  json first = Plan(repo, 2, {"--record"});  // the first plan: the head, queued
  Measure(shas[1], "linux", std::nullopt, 2);
  Measure(shas[1], "macos", std::nullopt, 2);
  Plan(repo, 9, {"--record"});
  Measure(shas[7], "linux", shas[1], 6);
  Measure(shas[7], "macos", shas[1], 6, {"parse"}, {"render"});  // partial
  json g = Json({"gaps", "--now", Iso(30)}, 3);
  EXPECT_EQ(g["stalled"], true);
  ASSERT_EQ(g["platforms"].size(), 2u);
  EXPECT_EQ(g["platforms"][0]["platform"], "linux");
  EXPECT_EQ(g["platforms"][0]["stalled"], false);
  EXPECT_EQ(g["platforms"][0]["commits_since"], 0);
  EXPECT_EQ(g["platforms"][1]["stalled"], true);
  EXPECT_EQ(g["platforms"][1]["last_complete"], shas[1]);
  EXPECT_EQ(g["platforms"][1]["commits_since"], 6);
  EXPECT_EQ(g["platforms"][1]["missing_benchmarks"], json::array({"render"}));
  // A looser bound passes; an age bound can fail it again.
  EXPECT_EQ(Run({"gaps", "--max-commits", "6", "--now", Iso(30)}).exit_code, 0);
  Outcome aged = Run({"gaps", "--max-commits", "6", "--max-age", "20m", "--now", Iso(30)});
  EXPECT_EQ(aged.exit_code, 3);
  EXPECT_NE(aged.out.find("STALLED"), std::string::npos) << aged.out;
}

TEST_F(ScheduleTest, BadInputIsOneLineAndExitTwo) {
  GitRepo repo;
  repo.Commit("root", At(0));
  const fs::path plain = dir_ / "plain";
  fs::create_directories(plain);
  std::ofstream(dir_ / "bad.toml") << "[schedule]\nwindow = \"15m\"\nsampling = \"often\"\n";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"plan", "--repo", plain.string(), "--platform", "linux"}, "not a git repository"},
      {{"plan", "--repo", repo.path(), "--branch", "nope", "--platform", "linux"},
       "no branch 'nope'"},
      {{"plan", "--repo", repo.path(), "--platform", "linux", "--manual", "0123456789abcdef"},
       "0123456789abcdef"},
      {{"plan", "--repo", repo.path(), "--platform", "linux", "--now", "yesterday"}, "--now"},
      {{"plan", "--repo", repo.path(), "--platform", "linux", "--window", "15"}, "--window"},
      {{"plan", "--repo", repo.path(), "--platform", "linux", "--config",
        (dir_ / "bad.toml").string()},
       "bad.toml:3: [schedule] sampling"},
      {{"plan", "--repo", repo.path()}, "no platforms to plan for"},
      {{"gaps", "--max-age", "soon"}, "--max-age"},
      {{"simulate", "--rate", "lots"}, "--rate"},
      {{"simulate", "--bench-time", "0s"}, "--bench-time"},
  };
  for (const Case& c : cases) {
    Outcome o = Run(c.args);
    EXPECT_EQ(o.exit_code, 2) << c.args[0] << " " << c.message << ": " << o.err;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_FALSE(o.err.find("terminate") != std::string::npos) << o.err;
  }
}

TEST_F(ScheduleTest, SimulateShowsTheUnboundedAndTheBoundedCase) {
  json unbounded =
      Json({"simulate", "--rate", "60/h", "--duration", "24h", "--platforms", "3", "--bench-time",
            "90s", "--execution", "sequential", "--sampling", "every-commit",
            "--degrade-widen-above", "0", "--degrade-reset-above", "0"});
  json bounded = Json({"simulate", "--rate", "60/h", "--duration", "24h", "--platforms", "3",
                       "--bench-time", "90s", "--execution", "parallel"});
  for (const char* key : {"max_queue_depth", "p95_queue_depth", "mean_latency_s", "p95_latency_s",
                          "coverage_measured", "coverage_represented", "skips_by_reason",
                          "jobs_run", "queue_depth_series"}) {
    EXPECT_TRUE(unbounded.contains(key)) << key;
    EXPECT_TRUE(bounded.contains(key)) << key;
  }
  EXPECT_GT(unbounded["max_queue_depth"].get<int>(), 500);
  EXPECT_LE(bounded["max_queue_depth"].get<int>(), 2);
  EXPECT_GT(bounded["coverage_represented"].get<double>(), 0.99);
  EXPECT_FALSE(bounded["queue_depth_series"]["max"].empty());
}

TEST_F(ScheduleTest, SimulateReplaysARepository) {
  GitRepo repo;
  for (int i = 0; i < 40; ++i) repo.Commit("c", At(i * 3));
  json r = Json({"simulate", "--repo", repo.path(), "--platforms", "2", "--bench-time", "2m"});
  EXPECT_EQ(r["commits"], 40);
  EXPECT_EQ(r["uncovered_commits"], 0);
}

}  // namespace
}  // namespace perfledger
