// The perfledger binary as users and CI jobs run it: ingest, export, runs, write, validate,
// concurrency and crash safety of the collector.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "base/uuid.h"
#include "core/artifact.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;

std::string Sha(int i) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", 0xabc000 + i);
  return buf;
}

core::Run MakeRun(int i, const std::string& platform, int benchmarks = 3) {
  core::Run r;
  r.run_id = base::NewUuidV4();
  r.project = "gruel";
  r.commit.sha = Sha(i);
  r.commit.branch = "trunk";
  r.commit.time = base::Timestamp{(1'790'000'000LL + i * 60) * 1'000'000'000};
  r.commit.subject = "commit " + std::to_string(i);
  r.commit_range.to = r.commit.sha;
  r.reason = core::Reason::kSchedule;
  r.platform = platform;
  r.environment.os = "linux";
  r.environment.cores = 2;
  r.environment.fingerprint = core::ComputeFingerprint(r.environment);
  r.started_at = base::Timestamp{r.commit.time->unix_nanos + 60'000'000'000};
  r.finished_at = base::Timestamp{r.started_at.unix_nanos + 30'000'000'000};
  std::mt19937 rng(i);
  for (int b = 0; b < benchmarks; ++b) {
    core::BenchmarkResult br;
    br.name = "suite/bench_" + std::to_string(b);
    for (const char* metric : {"cpu_time", "instructions", "wall_time"}) {
      core::Metric m{metric,
                     std::string(metric) == "instructions" ? "count" : "ns",
                     core::Direction::kLower,
                     {},
                     {}};
      for (int s = 0; s < 10; ++s) m.samples.push_back(1e6 + rng() % 10000);
      br.metrics.push_back(m);
    }
    r.benchmarks.push_back(br);
  }
  return r;
}

std::string WriteRun(const fs::path& dir, const core::Run& run) {
  fs::create_directories(dir);
  fs::path p = dir / core::ArtifactFileName(run);
  std::ofstream(p) << core::WriteArtifact(run) << "\n";
  return p.string();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  Outcome Pl(std::vector<std::string> args) {
    args.insert(args.begin(), {kBin, "--db", db_});
    return RunCommand(args);
  }

  int64_t Query(const std::string& sql) {
    sqlite3* db;
    EXPECT_EQ(sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  std::string IntegrityCheck() {
    sqlite3* db;
    sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    std::string out;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(CliTest, IngestPrintsOneSummaryLineAndIsIdempotent) {
  fs::path a = dir_ / "a";
  for (int i = 0; i < 3; ++i) WriteRun(a, MakeRun(i, "x86-64-linux"));
  Outcome first = Pl({"ingest", a.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "ingested 3 runs (270 samples), 0 already present, from 3 artifacts into " +
                           db_ + "\n");
  EXPECT_EQ(first.err, "");
  Outcome again = Pl({"ingest", a.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out,
            "ingested 0 runs (0 samples), 3 already present, from 3 artifacts into " + db_ + "\n");
  EXPECT_EQ(Query("SELECT count(*) FROM runs"), 3);
}

TEST_F(CliTest, ConflictingRunIdRejectsTheWholeBatch) {
  core::Run r = MakeRun(0, "x86-64-linux");
  WriteRun(dir_ / "first", r);
  ASSERT_EQ(Pl({"ingest", (dir_ / "first").string()}).exit_code, 0);
  core::Run changed = r;
  changed.benchmarks[0].metrics[0].samples[0] += 1;
  WriteRun(dir_ / "second", MakeRun(1, "x86-64-linux"));
  std::string bad = WriteRun(dir_ / "second" / "sub", changed);
  Outcome o = Pl({"ingest", (dir_ / "second").string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "error: " + bad + ": run " + r.run_id +
                       " is already stored with different content (runs are immutable: give a "
                       "new run a new run_id)\n");
  EXPECT_EQ(Query("SELECT count(*) FROM runs"), 1);
}

TEST_F(CliTest, BadFileInABatchLeavesTheStoreUntouched) {
  fs::path batch = dir_ / "batch";
  for (int i = 0; i < 4; ++i) WriteRun(batch, MakeRun(i, "x86-64-linux"));
  std::ofstream(batch / "zz-truncated.json") << R"({"version": 2, "run_id": )";
  // No store yet: none is created.
  Outcome o = Pl({"ingest", batch.string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(o.err.starts_with("error: " + (batch / "zz-truncated.json").string() + ":1:"))
      << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(db_));
  // An existing store keeps exactly what it had.
  WriteRun(dir_ / "one", MakeRun(9, "x86-64-linux"));
  ASSERT_EQ(Pl({"ingest", (dir_ / "one").string()}).exit_code, 0);
  std::string before = Pl({"export"}).out;
  EXPECT_EQ(Pl({"ingest", batch.string()}).exit_code, 2);
  EXPECT_EQ(Pl({"export"}).out, before);
  EXPECT_EQ(Query("SELECT count(*) FROM runs"), 1);
}

TEST_F(CliTest, UnreadablePathsAndEmptyDirectoriesAreBadInput) {
  fs::create_directories(dir_ / "empty");
  Outcome empty = Pl({"ingest", (dir_ / "empty").string()});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_EQ(empty.err, "error: " + (dir_ / "empty").string() +
                           ": directory holds no artifacts (no *.json files inside)\n");
  Outcome missing = Pl({"ingest", (dir_ / "nope.json").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "error: " + (dir_ / "nope.json").string() + ": no such file or directory\n");
  std::string locked = WriteRun(dir_ / "locked", MakeRun(0, "x86-64-linux"));
  fs::permissions(locked, fs::perms::none);
  if (::geteuid() != 0) {  // root reads anything
    Outcome unreadable = Pl({"ingest", locked});
    EXPECT_EQ(unreadable.exit_code, 2);
    EXPECT_NE(unreadable.err.find("Permission denied"), std::string::npos);
  }
  Outcome dir_as_file = Pl({"ingest", (dir_ / "locked").string(), "--format", "yaml"});
  EXPECT_EQ(dir_as_file.exit_code, 2);
  EXPECT_FALSE(fs::exists(db_));
}

// Regression: validate on a symlink to /dev/zero read until it held 6 GB. Inputs are read
// up to a documented limit (core/limits.h) and refused past it, quickly.
TEST_F(CliTest, AnEndlessInputIsRefusedAtItsLimit) {
  const fs::path link = dir_ / "endless.json";
  fs::create_symlink("/dev/zero", link);
  Outcome validate = Pl({"validate", link.string()});
  EXPECT_EQ(validate.exit_code, 2);
  EXPECT_EQ(validate.err,
            "error: " + link.string() + ": larger than the limit of 256 MiB for this input\n");
  Outcome ingest = Pl({"ingest", link.string()});
  EXPECT_EQ(ingest.exit_code, 2);
  EXPECT_FALSE(fs::exists(db_));
  const fs::path suite = dir_ / "suite.toml";
  fs::create_symlink("/dev/zero", suite);
  Outcome run = Pl({"run", "--suite", suite.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("larger than the limit of 16 MiB"), std::string::npos) << run.err;
}

TEST_F(CliTest, ExportRoundTripsThroughAnEmptyStore) {
  fs::path a = dir_ / "a";
  for (int i = 0; i < 5; ++i) WriteRun(a, MakeRun(i, i % 2 ? "aarch64-linux" : "x86-64-linux"));
  // A version 1 artifact is upgraded on the way in.
  nlohmann::json v1 = nlohmann::json::parse(core::WriteArtifact(MakeRun(7, "x86-64-linux")));
  v1["version"] = 1;
  v1.erase("commit_range");
  v1.erase("reason");
  std::ofstream(a / "v1.json") << v1.dump(2);
  ASSERT_EQ(Pl({"ingest", a.string()}).exit_code, 0);
  Outcome exported = Pl({"export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(std::count(exported.out.begin(), exported.out.end(), '\n'), 6);
  std::ofstream(dir_ / "export.jsonl") << exported.out;

  // Each line is one artifact; ingest them (as files) into a fresh store and export again.
  fs::path lines = dir_ / "lines";
  fs::create_directories(lines);
  std::istringstream in(exported.out);
  std::string line;
  int n = 0;
  std::vector<std::string> times;
  while (std::getline(in, line)) {
    std::ofstream(lines / (std::to_string(n++) + ".json")) << line;
    times.push_back(nlohmann::json::parse(line)["commit"]["time"]);
  }
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  std::string db2 = (dir_ / "second.db").string();
  ASSERT_EQ(RunCommand({kBin, "--db", db2, "ingest", lines.string()}).exit_code, 0);
  EXPECT_EQ(RunCommand({kBin, "--db", db2, "export"}).out, exported.out);

  // The export itself, as a JSON Lines file, rebuilds the same store too.
  std::string db3 = (dir_ / "third.db").string();
  Outcome from_lines = RunCommand({kBin, "--db", db3, "ingest", (dir_ / "export.jsonl").string()});
  ASSERT_EQ(from_lines.exit_code, 0) << from_lines.err;
  EXPECT_EQ(RunCommand({kBin, "--db", db3, "export"}).out, exported.out);
  std::ofstream(dir_ / "broken.jsonl") << exported.out << "{\"version\": 2}\n";
  Outcome broken = RunCommand({kBin, "--db", db3, "ingest", (dir_ / "broken.jsonl").string()});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_EQ(broken.err, "error: " + (dir_ / "broken.jsonl").string() +
                            " line 7: /run_id: missing required field (expected a UUID)\n");

  Outcome arm = Pl({"export", "--platform", "aarch64-linux"});
  EXPECT_EQ(std::count(arm.out.begin(), arm.out.end(), '\n'), 2);
  EXPECT_EQ(Pl({"export", "--project", "other"}).out, "");
}

TEST_F(CliTest, HistoryFilesHoldOnePlatformEach) {
  fs::path a = dir_ / "a";
  for (int i = 0; i < 4; ++i) WriteRun(a, MakeRun(i, i % 2 ? "aarch64-linux" : "x86-64-linux"));
  fs::path history = dir_ / "history";
  Outcome o = Pl({"ingest", a.string(), "--history", history.string()});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::string x86 = Pl({"export", "--platform", "x86-64-linux"}).out;
  std::ifstream f(history / "x86-64-linux.jsonl");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), x86);
  EXPECT_TRUE(fs::exists(history / "aarch64-linux.jsonl"));
  fs::path again = dir_ / "again";
  ASSERT_EQ(Pl({"export", "--history", again.string()}).exit_code, 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(again), fs::directory_iterator()), 2);
}

TEST_F(CliTest, RunsListsTableAndJson) {
  core::Run partial = MakeRun(1, "x86-64-linux", 2);
  partial.benchmarks[1].error = "exit status 101";
  partial.benchmarks[1].metrics.clear();
  WriteRun(dir_ / "a", MakeRun(0, "x86-64-linux"));
  WriteRun(dir_ / "a", partial);
  ASSERT_EQ(Pl({"ingest", (dir_ / "a").string()}).exit_code, 0);
  Outcome json = Pl({"runs", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[1]["run_id"], partial.run_id);
  EXPECT_EQ(doc[1]["sha"], partial.commit.sha);
  EXPECT_EQ(doc[1]["platform"], "x86-64-linux");
  EXPECT_EQ(doc[1]["reason"], "schedule");
  EXPECT_EQ(doc[1]["benchmark_count"], 2);
  EXPECT_EQ(doc[1]["sample_count"], 30);
  EXPECT_EQ(doc[1]["status"], "partial");
  EXPECT_EQ(doc[0]["status"], "complete");
  Outcome table = Pl({"runs", "--platform", "x86-64-linux"});
  EXPECT_NE(table.out.find(partial.run_id), std::string::npos);
  EXPECT_NE(table.out.find("partial"), std::string::npos);
  EXPECT_NE(table.out.find("2 runs"), std::string::npos);
  EXPECT_NE(Pl({"runs", "--platform", "none"}).out.find("0 runs"), std::string::npos);
}

TEST_F(CliTest, StoreIsChosenByFlagThenEnvironmentThenDefault) {
  WriteRun(dir_ / "a", MakeRun(0, "x86-64-linux"));
  std::string env_db = (dir_ / "env.db").string();
  std::string flag_db = (dir_ / "flag.db").string();
  ASSERT_EQ(RunCommand({kBin, "ingest", (dir_ / "a").string()}, dir_.string(),
                       {{"PERFLEDGER_DB", env_db}})
                .exit_code,
            0);
  EXPECT_TRUE(fs::exists(env_db));
  ASSERT_EQ(RunCommand({kBin, "ingest", (dir_ / "a").string(), "--db", flag_db}, dir_.string(),
                       {{"PERFLEDGER_DB", env_db}})
                .exit_code,
            0);
  EXPECT_TRUE(fs::exists(flag_db));
  ASSERT_EQ(
      RunCommand({kBin, "ingest", (dir_ / "a").string()}, dir_.string(), {{"PERFLEDGER_DB", ""}})
          .exit_code,
      0);
  EXPECT_TRUE(fs::exists(dir_ / "perfledger.db"));
  Outcome missing = RunCommand({kBin, "runs", "--db", (dir_ / "typo.db").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(missing.err.starts_with("error: " + (dir_ / "typo.db").string() +
                                      ": no perfledger store here"))
      << missing.err;
  EXPECT_FALSE(fs::exists(dir_ / "typo.db"));
}

TEST_F(CliTest, RefusesFilesThatAreNotStores) {
  std::ofstream(db_) << std::string(4096, 'x');
  WriteRun(dir_ / "a", MakeRun(0, "x86-64-linux"));
  Outcome o = Pl({"ingest", (dir_ / "a").string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err,
            "error: " + db_ + ": not a perfledger store (the file is not an SQLite database)\n");
  EXPECT_EQ(fs::file_size(db_), 4096u);
}

TEST_F(CliTest, WriteMakesArtifactsIngestAccepts) {
  const std::string sha = Sha(1);
  Outcome w = RunCommand({kBin,
                          "write",
                          "--project",
                          "gruel",
                          "--platform",
                          "x86-64-linux",
                          "--commit",
                          sha,
                          "--reason",
                          "push",
                          "--commit-time",
                          "2026-11-22T10:04:00+01:00",
                          "--sample",
                          "parse/small:wall_time:ns=1200,1180,1210",
                          "--sample",
                          "parse/small:instructions:count=5000,5000",
                          "--error",
                          "parse/huge=timed out",
                          "--env",
                          "runner=ubuntu-24.04",
                          "--out",
                          (dir_ / "out").string()});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  std::string path = (dir_ / "out" / ("benchmark-results-" + sha + "-x86-64-linux.json")).string();
  EXPECT_EQ(w.out, path + "\n");
  auto doc = nlohmann::json::parse(std::ifstream(path));
  EXPECT_EQ(doc["commit"]["time"], "2026-11-22T09:04:00Z");
  EXPECT_EQ(doc["environment"]["runner"], "ubuntu-24.04");
  EXPECT_EQ(doc["environment"]["os"], "linux");
  ASSERT_EQ(Pl({"ingest", path}).exit_code, 0);
  auto runs = nlohmann::json::parse(Pl({"runs", "--json"}).out);
  EXPECT_EQ(runs[0]["status"], "partial");
  EXPECT_EQ(runs[0]["sample_count"], 5);

  Outcome negative = RunCommand({kBin, "write", "--project", "p", "--platform", "x", "--commit",
                                 sha, "--sample", "a:wall_time:ns=5,-1"});
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_EQ(negative.err,
            "error: perfledger write: /benchmarks/0/metrics/wall_time/samples/1: expected a "
            "non-negative time, got -1\n");
  Outcome malformed = RunCommand({kBin, "write", "--project", "p", "--platform", "x", "--commit",
                                  sha, "--sample", "no-values"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("BENCHMARK:METRIC:UNIT=V1,V2"), std::string::npos);
}

// The names listed under "Subcommands:" in a --help text.
std::vector<std::string> SubcommandsIn(const std::string& help) {
  std::vector<std::string> out;
  auto at = help.find("\nSubcommands:\n");
  if (at == std::string::npos) return out;
  std::istringstream lines(help.substr(at + 14));
  for (std::string line; std::getline(lines, line) && line.rfind("  ", 0) == 0;) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    out.push_back(name);
  }
  return out;
}

TEST_F(CliTest, EveryVerbHasHelpWithAnExample) {
  Outcome top = RunCommand({kBin, "--help"});
  ASSERT_EQ(top.exit_code, 0);
  const std::vector<std::string> verbs = SubcommandsIn(top.out);
  EXPECT_GE(verbs.size(), 20u) << top.out;
  for (const char* known : {"ingest", "detect", "alerts", "index", "token", "compare"}) {
    EXPECT_NE(std::find(verbs.begin(), verbs.end(), known), verbs.end()) << known;
  }
  for (const std::string& verb : verbs) {
    Outcome o = RunCommand({kBin, verb, "--help"});
    EXPECT_EQ(o.exit_code, 0) << verb;
    EXPECT_NE(o.out.find("Example"), std::string::npos) << verb;
    for (const std::string& sub : SubcommandsIn(o.out)) {
      Outcome s = RunCommand({kBin, verb, sub, "--help"});
      EXPECT_EQ(s.exit_code, 0) << verb << " " << sub;
      EXPECT_NE(s.out.find("Example"), std::string::npos) << verb << " " << sub;
    }
  }
  Outcome unknown = RunCommand({kBin, "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  Outcome none = RunCommand({kBin});
  EXPECT_EQ(none.exit_code, 2);
}

// Issue 16: "perfledger bogus" said "A subcommand is required". An unknown verb is named as
// such in one line, with the nearest verbs by edit distance, and exit status 2.
TEST_F(CliTest, AnUnknownVerbIsNamedWithTheNearestOnes) {
  auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  Outcome typo = RunCommand({kBin, "compre", "a.json", "b.json"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.err, "error: unknown verb \"compre\"; did you mean \"compare\"?\n");
  EXPECT_EQ(typo.out, "");
  Outcome swapped = RunCommand({kBin, "--db", "x.db", "chekc"});
  EXPECT_EQ(swapped.exit_code, 2);
  EXPECT_EQ(swapped.err, "error: unknown verb \"chekc\"; did you mean \"check\"?\n");
  Outcome two = RunCommand({kBin, "rn"});
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_EQ(two.err, "error: unknown verb \"rn\"; did you mean \"run\"?\n");
  Outcome prefix = RunCommand({kBin, "migrate"});
  EXPECT_EQ(prefix.err, "error: unknown verb \"migrate\"; did you mean \"migrate-store\"?\n");
  // Nothing near: every verb, still on one line.
  Outcome bogus = RunCommand({kBin, "bogus"});
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_EQ(lines(bogus.err), 1) << bogus.err;
  EXPECT_TRUE(bogus.err.starts_with("error: unknown verb \"bogus\"; the verbs are ")) << bogus.err;
  EXPECT_NE(bogus.err.find("compare, convert, coverage"), std::string::npos) << bogus.err;
  EXPECT_EQ(bogus.err.find("subcommand"), std::string::npos) << bogus.err;
  // A known verb with a bad option keeps its own message.
  Outcome option = RunCommand({kBin, "runs", "--bogus"});
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_EQ(option.err.find("unknown verb"), std::string::npos) << option.err;
}

// Issue 16: `plan` required --repo while compare and check default to ".". It plans the
// repository in the working directory, and says so clearly where there is none.
TEST_F(CliTest, PlanDefaultsToTheRepositoryInTheWorkingDirectory) {
  const fs::path repo = dir_ / "repo";
  const fs::path elsewhere = dir_ / "not-a-repo";
  fs::create_directories(elsewhere);
  const std::map<std::string, std::string> git_env = {
      {"GIT_AUTHOR_NAME", "t"},           {"GIT_AUTHOR_EMAIL", "t@example.com"},
      {"GIT_COMMITTER_NAME", "t"},        {"GIT_COMMITTER_EMAIL", "t@example.com"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
  ASSERT_EQ(
      RunCommand({"/usr/bin/env", "git", "init", "-q", "-b", "main", repo.string()}, "", git_env)
          .exit_code,
      0);
  ASSERT_EQ(RunCommand({"/usr/bin/env", "git", "commit", "-q", "--allow-empty", "-m", "first"},
                       repo.string(), git_env)
                .exit_code,
            0);
  const std::vector<std::string> plan = {
      kBin,    "--db",     db_,    "plan",  "--platform",
      "linux", "--format", "json", "--now", "2099-01-01T00:00:00Z"};
  Outcome here = RunCommand(plan, repo.string());
  EXPECT_EQ(here.exit_code, 0) << here.err;
  const auto j = nlohmann::json::parse(here.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << here.out;
  ASSERT_EQ(j["matrix"]["include"].size(), 1u) << here.out;
  EXPECT_EQ(j["matrix"]["include"][0]["platform"], "linux");

  Outcome none = RunCommand(plan, elsewhere.string());
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, "error: the working directory (" + elsewhere.string() +
                          ") is not a git repository: run plan in one, or pass --repo PATH\n");
  // An explicit --repo keeps its own message.
  std::vector<std::string> given = plan;
  given.insert(given.end(), {"--repo", elsewhere.string()});
  Outcome explicit_repo = RunCommand(given);
  EXPECT_EQ(explicit_repo.exit_code, 2);
  EXPECT_EQ(explicit_repo.err, "error: " + elsewhere.string() + ": not a git repository\n");
}

// 8 collectors at once on one store, each with an overlapping share of 200 artifacts.
TEST_F(CliTest, ConcurrentIngestsLoseAndDuplicateNothing) {
  constexpr int kArtifacts = 200, kProcesses = 8;
  std::vector<std::string> files;
  for (int i = 0; i < kArtifacts; ++i) {
    files.push_back(WriteRun(dir_ / "all", MakeRun(i, i % 3 ? "x86-64-linux" : "aarch64-linux")));
  }
  std::vector<pid_t> pids;
  std::set<std::string> covered;
  for (int p = 0; p < kProcesses; ++p) {
    // Process p takes a window of 60 artifacts starting at p*25, wrapping: every artifact is
    // in at least two processes' sets.
    std::vector<std::string> argv = {kBin, "--db", db_, "ingest"};
    for (int k = 0; k < 60; ++k) {
      argv.push_back(files[(p * 25 + k) % kArtifacts]);
      covered.insert(argv.back());
    }
    pids.push_back(subprocess::Start(argv, (dir_ / ("out" + std::to_string(p))).string(),
                                     (dir_ / ("err" + std::to_string(p))).string()));
  }
  ASSERT_EQ(covered.size(), static_cast<size_t>(kArtifacts));
  for (size_t p = 0; p < pids.size(); ++p) {
    Outcome o = subprocess::Wait(pids[p]);
    std::ifstream err(dir_ / ("err" + std::to_string(p)));
    std::stringstream ss;
    ss << err.rdbuf();
    EXPECT_EQ(o.exit_code, 0) << "process " << p << ": " << ss.str();
    EXPECT_EQ(ss.str().find("locked"), std::string::npos);
  }
  EXPECT_EQ(Query("SELECT count(*) FROM runs"), kArtifacts);
  EXPECT_EQ(Query("SELECT count(DISTINCT run_id) FROM runs"), kArtifacts);
  EXPECT_EQ(Query("SELECT count(*) FROM measurements"), kArtifacts * 3 * 3);
  EXPECT_EQ(IntegrityCheck(), "ok");
}

// A collector killed with SIGKILL in the middle of its transaction leaves all of its batch or
// none of it, and a sound database.
TEST_F(CliTest, KilledIngestLeavesAllOrNothing) {
  constexpr int kArtifacts = 400;
  WriteRun(dir_ / "seed", MakeRun(100000, "x86-64-linux"));
  ASSERT_EQ(Pl({"ingest", (dir_ / "seed").string()}).exit_code, 0);
  for (int i = 0; i < kArtifacts; ++i) WriteRun(dir_ / "big", MakeRun(i, "x86-64-linux", 40));
  const fs::path wal = db_ + "-wal";
  const auto start_wal = fs::exists(wal) ? fs::file_size(wal) : 0;
  pid_t pid = subprocess::Start({kBin, "--db", db_, "ingest", (dir_ / "big").string()},
                                (dir_ / "out").string(), (dir_ / "err").string());
  // The transaction spills pages into the WAL before it commits; kill once it has.
  bool saw_writing = false;
  for (int i = 0; i < 20000; ++i) {
    std::error_code ec;
    auto size = fs::file_size(wal, ec);
    if (!ec && size > start_wal + (1 << 20)) {
      saw_writing = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ::kill(pid, SIGKILL);
  Outcome o = subprocess::Wait(pid);
  EXPECT_TRUE(saw_writing) << "the ingest finished before the test saw it writing";
  EXPECT_EQ(o.signal, SIGKILL) << "the ingest finished before it was killed";
  EXPECT_EQ(IntegrityCheck(), "ok");
  const int64_t runs = Query("SELECT count(*) FROM runs");
  EXPECT_TRUE(runs == 1 || runs == 1 + kArtifacts) << runs;
  // The store still works, and the batch can be collected again in full.
  Outcome again = Pl({"ingest", (dir_ / "big").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Query("SELECT count(*) FROM runs"), 1 + kArtifacts);
  EXPECT_EQ(IntegrityCheck(), "ok");
}

}  // namespace
}  // namespace perfledger
