// perfledger publish as a user runs it: the site it writes (the dashboard, its static marker,
// a JSON file per document the pages read), a second publish replacing the first whole, and
// the directories it refuses with one line and exit 2, touching nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;

std::string Sha(int i) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", 0xfeed00 + i);
  return buf;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-publish-test-" + std::to_string(::getpid()) + "-" +
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
    return RunCommand(args, dir_.string(), subprocess::LocalMachineEnv());
  }

  // Runs of `project` at commits 1..n on two platforms, then one ingest.
  void Store(const std::string& project, int n) {
    const fs::path out = dir_ / ("artifacts-" + project);
    for (int i = 1; i <= n; ++i) {
      for (const std::string platform : {"x86-64-linux", "aarch64-linux"}) {
        const std::string t = std::to_string(10 + i);
        Outcome o = Pl({"write", "--project", project, "--platform", platform, "--commit", Sha(i),
                        "--commit-time", "2026-11-" + t + "T10:00:00Z", "--reason", "push",
                        "--sample", "parse/big file:wall_time:ns=1200,1180,121" + t.substr(1),
                        "--sample", "lex:wall_time:ns=500,510,49" + t.substr(1), "--sample",
                        "lex:instructions:count=9000,9000,9001", "--out", out.string()});
        ASSERT_EQ(o.exit_code, 0) << o.err;
      }
    }
    Outcome o = Pl({"ingest", out.string()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
  }

  // Every regular file below `root`, relative, sorted.
  static std::vector<std::string> Files(const fs::path& root) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // The one-line error of a refused publish: exit 2, "error: ..." naming `what`.
  void ExpectRefused(const Outcome& o, const std::string& what) {
    EXPECT_EQ(o.exit_code, 2) << o.err;
    EXPECT_TRUE(o.err.starts_with("error: ")) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find(what), std::string::npos) << o.err;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(PublishTest, WritesTheDashboardAndADocumentForEveryRequestItsPagesMake) {
  Store("gruel", 3);
  const fs::path site = dir_ / "out" / "site";  // its parent is made too
  Outcome o = Pl({"publish", "--out", site.string(), "--base-url", "/gruel"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("published project gruel: 2 benchmarks (3 series)"), std::string::npos)
      << o.err;

  const std::vector<std::string> files = Files(site);
  for (const std::string want : {"index.html",
                                 "static.json",
                                 ".nojekyll",
                                 "data/platforms.json",
                                 "data/benchmarks.json",
                                 "data/runs.json",
                                 "data/coverage.json",
                                 "data/coverage/x86-64-linux.json",
                                 "data/gaps.json",
                                 "data/skips.json",
                                 "data/skips/aarch64-linux.json",
                                 "data/index.json",
                                 "data/alerts/any/any.json",
                                 "data/alerts/open/regression/x86-64-linux.json",
                                 "data/series/lex/metrics.json",
                                 "data/series/lex/wall_time.json",
                                 "data/series/lex/instructions.json",
                                 "data/series/parse~2fbig~20file/metrics.json",
                                 "data/series/parse~2fbig~20file/wall_time.json",
                                 "data/compare.json"}) {
    EXPECT_TRUE(std::find(files.begin(), files.end(), want) != files.end()) << want;
  }
  EXPECT_TRUE(std::any_of(files.begin(), files.end(),
                          [](const std::string& f) { return f.starts_with("assets/"); }));
  // Every JSON file parses; the documents are the API's.
  for (const std::string& f : files) {
    if (!f.ends_with(".json")) continue;
    EXPECT_FALSE(nlohmann::json::parse(Read(site / f), nullptr, false).is_discarded()) << f;
  }
  const auto marker = nlohmann::json::parse(Read(site / "static.json"));
  EXPECT_EQ(marker["project"], "gruel");
  EXPECT_EQ(marker["base_url"], "/gruel/");
  EXPECT_EQ(marker["benchmarks"], 2);
  const std::string html = Read(site / "index.html");
  EXPECT_NE(html.find("<meta name=\"perfledger-static\" content=\"20"), std::string::npos) << html;
  EXPECT_NE(html.find("<base href=\"/gruel/\" />"), std::string::npos) << html;
  EXPECT_LT(html.find("<base href"), html.find("<script"));

  const auto benchmarks = nlohmann::json::parse(Read(site / "data/benchmarks.json"));
  ASSERT_EQ(benchmarks["benchmarks"].size(), 2u);
  EXPECT_EQ(benchmarks["benchmarks"][0]["name"], "lex");
  EXPECT_EQ(benchmarks["total"], 2);
  const auto lex = nlohmann::json::parse(Read(site / "data/series/lex/metrics.json"));
  EXPECT_EQ(lex["default_metric"], "wall_time");
  const auto series = nlohmann::json::parse(Read(site / "data/series/lex/wall_time.json"));
  EXPECT_EQ(series["benchmark"], "lex");
  ASSERT_EQ(series["series"].size(), 2u);  // one line per platform
  EXPECT_EQ(series["series"][0]["points"].size(), 3u);
  EXPECT_EQ(series["series"][0]["points_total"], 3);
  // Coverage before any recorded plan: from the runs' own commits and ranges (issue 16).
  const auto coverage = nlohmann::json::parse(Read(site / "data/coverage.json"));
  EXPECT_EQ(coverage["history"], "runs") << coverage;
  EXPECT_EQ(coverage["platforms"].size(), 2u);
  // Each platform's latest two commits are compared.
  const auto compare = nlohmann::json::parse(Read(site / "data/compare.json"));
  ASSERT_EQ(compare["comparisons"].size(), 2u);
  EXPECT_EQ(compare["comparisons"][0]["base"], Sha(2));
  EXPECT_EQ(compare["comparisons"][0]["head"], Sha(3));
  const auto verdicts =
      nlohmann::json::parse(Read(site / compare["comparisons"][0]["file"].get<std::string>()));
  EXPECT_EQ(verdicts["head"]["sha"], Sha(3));
  EXPECT_EQ(verdicts["results"].size(), 3u);
}

TEST_F(PublishTest, ASecondPublishReplacesTheFirstWholeAndLeavesNothingBeside) {
  Store("gruel", 2);
  const fs::path site = dir_ / "site";
  ASSERT_EQ(Pl({"publish", "--out", site.string()}).exit_code, 0);
  std::ofstream(site / "data" / "stale.json") << "{}";
  Outcome o = Pl({"publish", "--out", site.string() + "/"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(fs::exists(site / "data" / "stale.json"));
  EXPECT_TRUE(fs::exists(site / "static.json"));
  EXPECT_EQ(Read(site / "index.html").find("<base"), std::string::npos);  // no --base-url
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".site.")) << e.path();
  }
}

TEST_F(PublishTest, RefusesAnOutThatIsNotItsOwnWithOneLineAndExit2) {
  Store("gruel", 2);
  // A file.
  ExpectRefused(Pl({"publish", "--out", db_}), "not a directory");
  // A directory of something else: left as it was.
  fs::create_directories(dir_ / "docs");
  std::ofstream(dir_ / "docs" / "notes.md") << "mine";
  ExpectRefused(Pl({"publish", "--out", (dir_ / "docs").string()}), "not an earlier publish");
  EXPECT_EQ(Read(dir_ / "docs" / "notes.md"), "mine");
  EXPECT_EQ(Files(dir_ / "docs").size(), 1u);
  // Hidden files only (a fresh git checkout).
  fs::create_directories(dir_ / "checkout" / ".git");
  ExpectRefused(Pl({"publish", "--out", (dir_ / "checkout").string()}), "not empty");
  EXPECT_TRUE(fs::exists(dir_ / "checkout" / ".git"));
  // No --out, a bad --base-url, an unknown --project: nothing written.
  ExpectRefused(Pl({"publish"}), "--out");
  ExpectRefused(Pl({"publish", "--out", (dir_ / "a").string(), "--base-url", "repo/"}),
                "--base-url 'repo/'");
  ExpectRefused(Pl({"publish", "--out", (dir_ / "a").string(), "--project", "nope"}),
                "--project nope");
  EXPECT_FALSE(fs::exists(dir_ / "a"));
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_FALSE(e.path().filename().string().find(".publish-") != std::string::npos) << e.path();
  }
}

TEST_F(PublishTest, AStoreOfSeveralProjectsPublishesTheOneNamed) {
  Store("gruel", 2);
  Store("other", 2);
  ExpectRefused(Pl({"publish", "--out", (dir_ / "site").string()}),
                "several projects (gruel, other): choose one with --project");
  Outcome o = Pl({"publish", "--out", (dir_ / "site").string(), "--project", "other"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto runs = nlohmann::json::parse(Read(dir_ / "site" / "data" / "runs.json"));
  EXPECT_EQ(runs["total"], 4);
  for (const auto& r : runs["runs"]) EXPECT_EQ(r["project"], "other");
}

TEST_F(PublishTest, HelpHasAnExample) {
  Outcome o = RunCommand({kBin, "publish", "--help"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.out.find("Example:"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("perfledger publish --out"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("--base-url"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace perfledger
