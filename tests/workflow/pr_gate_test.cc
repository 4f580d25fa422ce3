// The generated workflow's pull-request gate (init github-actions --pr-gate): its check, comment
// and gate scripts run with the real perfledger against a store of main's history, in a
// checkout of the pull request's head as actions/checkout leaves it (detached, origin/main
// fetched). GitHub's own `gh pr comment` is the fixture's stand-in.
#include "workflow_fixture.h"

namespace perfledger {
namespace {

using namespace workflow_testing;  // NOLINT: the fixture's helpers

class PrGateTest : public WorkflowTest {
 protected:
  void SetUp() override {
    WorkflowTest::SetUp();
    if (!fs::exists("/usr/bin/git")) GTEST_SKIP() << "needs git";
    gate_ = Generate({"--pr-gate"})["jobs"]["pr-gate"];
    InstallRealPerfledger();
    InstallFakeGh();
    work_ = dir_ / "work";
    MakeRepoWithOrigin(work_, 6);
    // main's history in the store: six runs of the same speed, a little noise.
    const std::vector<std::string> shas =
        Lines(Git({"log", "--format=%H", "--reverse", "main"}, work_).out);
    const char* values[] = {"100,101,99,100,102,98,100,101", "101,100,99,102,100,99,101,100",
                            "99,100,101,100,98,102,100,99",  "100,99,101,101,100,99,100,102",
                            "102,100,99,100,101,98,100,100", "100,100,101,99,100,101,99,100"};
    for (size_t i = 0; i < shas.size(); ++i) {
      Write(shas[i], values[i], dir_ / "history");
    }
    fs::create_directories(work_ / ".perfledger");
    Outcome o = RunCommand({kBin, "--db", db(), "ingest", (dir_ / "history").string()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    // The pull request: one commit on a branch, checked out detached.
    ASSERT_EQ(Git({"checkout", "-q", "-b", "feature"}, work_).exit_code, 0);
    ASSERT_EQ(Git({"commit", "-q", "--allow-empty", "-m", "feature"}, work_).exit_code, 0);
    head_ = Lines(Git({"rev-parse", "HEAD"}, work_).out).at(0);
    ASSERT_EQ(Git({"checkout", "-q", "--detach", head_}, work_).exit_code, 0);
  }

  std::string db() const { return (work_ / ".perfledger" / "perfledger.db").string(); }

  void Write(const std::string& sha, const std::string& values, const fs::path& out) {
    Outcome o = RunCommand({kBin, "write", "--project", "work", "--commit", sha, "--platform",
                            "x86-64-linux", "--branch", "main", "--sample",
                            "parse:wall_time:ns=" + values, "--out", out.string()});
    ASSERT_EQ(o.exit_code, 0) << o.err;
  }

  // The head's artifact where the benchmark step writes it, then the check, comment and gate
  // steps; returns the gate's outcome.
  Outcome Gate(const std::string& head_values) {
    Write(head_, head_values, work_ / "results");
    const std::vector<size_t> check = StepsRunning(gate_, "perfledger check");
    const std::vector<size_t> comment = StepsRunning(gate_, "gh pr comment");
    const std::vector<size_t> gate = StepsRunning(gate_, "CHECK_EXIT");
    EXPECT_EQ(check.size() + comment.size() + gate.size(), 3u);
    std::map<std::string, std::string> env = {{"PERFLEDGER_DB", db()},
                                              {"SHA", head_},
                                              {"NUMBER", "7"},
                                              {"GH_COMMENTS", (dir_ / "comments").string()}};
    Outcome o = RunSteps(gate_, {check[0], comment[0]}, env);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
    const std::string output = GitHubOutput();
    env["CHECK_EXIT"] = output.substr(output.rfind("exit=") + 5, 1);
    return RunSteps(gate_, {gate[0]}, env);
  }

  YAML::Node gate_;
  fs::path work_;
  std::string head_;
};

TEST_F(PrGateTest, ARealRegressionFailsTheGateWithExit3AndOneStickyComment) {
  Outcome o = Gate("130,131,129,130,132,128,130,131");
  EXPECT_EQ(o.exit_code, 3) << o.out << o.err;
  EXPECT_NE(o.out.find("::error::a regression"), std::string::npos) << o.out;
  const std::string summary = ReadText(dir_ / "step-summary.md");
  EXPECT_NE(summary.find("parse"), std::string::npos) << summary;
  // One comment, marked so the next push edits it instead of adding another.
  const std::string comments = ReadText(dir_ / "comments");
  EXPECT_EQ(Count(comments, "pr comment 7 --edit-last --create-if-none --body-file"), 1u)
      << comments;
  EXPECT_EQ(comments.find("<!-- perfledger -->"),
            comments.find('\n') + 1);  // the body follows the command line
  EXPECT_NE(comments.find("parse"), std::string::npos);
}

TEST_F(PrGateTest, TheSameSpeedPassesTheGate) {
  Outcome o = Gate("100,101,99,100,101,99,100,100");
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(GitHubOutput().find("exit=0"), std::string::npos) << GitHubOutput();
}

TEST_F(PrGateTest, ACheckThatCannotCompareWarnsButDoesNotFailTheGate) {
  fs::remove(db());  // no history at all: no baseline
  Outcome o = Gate("100,101,99,100,101,99,100,100");
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(GitHubOutput().find("exit=0"), std::string::npos) << GitHubOutput();
}

}  // namespace
}  // namespace perfledger
