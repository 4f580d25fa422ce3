// The agent's loop against a fake JobServer, with a real git repository (GitRepo), real
// checkouts and a real suite of shell commands.
#include "service/agent.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "base/time.h"
#include "core/artifact.h"
#include "git_fixture.h"

namespace perfledger::service {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kPlatform = "linux-test";

base::Timestamp At(int minute) {
  return base::Timestamp{(int64_t{1'795'514'400} + minute * 60) * 1'000'000'000};
}

// Runs fast: two runs of each benchmark, no warm-up. "in-checkout" passes only when the
// benchmarks run in the checkout (the test's own working directory has no such file).
std::string SuiteToml(const std::string& extra = "") {
  return R"toml(
[suite]
name = "agent-test"
revision = 1
warmup = 0
runs = 2

[[benchmark]]
name = "true"
command = ["true"]

[[benchmark]]
name = "in-checkout"
command = "test -f perfledger.toml && test -f history.txt"
)toml" + extra;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FakeJobServer final : public JobServer {
 public:
  // What each claim answers, in turn; nullopt (and any claim past the end): nothing waits.
  std::deque<std::optional<ClaimedJob>> claims;
  std::function<void()> on_claim;          // runs at every claim, before it answers
  base::Status claim_error;                // when set, every claim fails with it
  base::Status heartbeat_error;            // when set, every heartbeat fails with it
  std::deque<base::Status> upload_errors;  // the first uploads fail with these, in turn
  base::Status complete_error;

  base::Result<std::optional<ClaimedJob>> Claim(const std::string& platform,
                                                const std::string& agent) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back("claim");
    EXPECT_EQ(platform, kPlatform);
    EXPECT_EQ(agent, "agent-1");
    if (on_claim) on_claim();
    if (!claim_error.ok()) return claim_error;
    if (claims.empty()) return std::optional<ClaimedJob>();
    auto next = claims.front();
    claims.pop_front();
    return next;
  }
  base::Result<ClaimedJob> Heartbeat(int64_t id, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++heartbeats_;
    if (!heartbeat_error.ok()) return heartbeat_error;
    ClaimedJob job;
    job.id = id;
    return job;
  }
  base::Status Upload(const std::string& artifact) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back("upload");
    if (!upload_errors.empty()) {
      base::Status s = upload_errors.front();
      upload_errors.pop_front();
      return s;
    }
    uploads_.push_back(artifact);
    return base::Status::Ok();
  }
  base::Status Complete(int64_t id, const std::string&, const std::string& run_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back("complete " + std::to_string(id));
    completed_run_ids_.push_back(run_id);
    return complete_error;
  }
  base::Status Fail(int64_t id, const std::string&, const std::string& log) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back("fail " + std::to_string(id));
    fail_logs_.push_back(log);
    return base::Status::Ok();
  }

  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<std::string> uploads() {
    std::lock_guard<std::mutex> lock(mu_);
    return uploads_;
  }
  std::vector<std::string> completed_run_ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return completed_run_ids_;
  }
  std::vector<std::string> fail_logs() {
    std::lock_guard<std::mutex> lock(mu_);
    return fail_logs_;
  }
  int heartbeats() {
    std::lock_guard<std::mutex> lock(mu_);
    return heartbeats_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> calls_, uploads_, completed_run_ids_, fail_logs_;
  int heartbeats_ = 0;
};

ClaimedJob Job(int64_t id, const std::string& sha) {
  ClaimedJob job;
  job.id = id;
  job.sha = sha;
  job.platform = kPlatform;
  job.reason = "schedule";
  job.range_from = std::string(40, 'a');
  job.range_count = 4;
  job.attempt = 2;
  job.claimed_at = base::SystemNow();
  job.lease_expires_at = base::Timestamp{job.claimed_at->unix_nanos + 60'000'000'000};
  return job;
}

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() {
    options_.repo = repo_.path();
    options_.platform = kPlatform;
    options_.name = "agent-1";
    options_.project = "demo";
    options_.once = true;
    options_.poll_nanos = 10'000'000;
    options_.max_backoff_nanos = 10'000'000;
    options_.stop = &stop_;
    options_.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
  }

  std::string CommitSuite(const std::string& toml, const std::string& subject, int minute) {
    repo_.AddFile("perfledger.toml", toml);
    return repo_.Commit(subject, At(minute));
  }
  fs::path Checkout() const { return fs::path(repo_.path()) / ".perfledger/agents/agent-1"; }
  std::string Logged() {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::string all;
    for (const auto& l : log_) all += l + "\n";
    return all;
  }

  testing::GitRepo repo_;
  FakeJobServer server_;
  std::atomic<bool> stop_{false};
  AgentOptions options_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(AgentTest, OnceWithNothingWaitingClaimsOnceAndReturns) {
  CommitSuite(SuiteToml(), "Add the suite", 0);
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->empty_claims, 1);
  EXPECT_EQ(summary->completed + summary->failed + summary->lost, 0);
  EXPECT_EQ(server_.calls(), std::vector<std::string>{"claim"});
}

TEST_F(AgentTest, RunsTheJobInItsCheckoutUploadsTheRunThenCompletes) {
  const std::string sha = CommitSuite(SuiteToml(), "Add the suite", 0);
  const std::string history_before = ReadText(fs::path(repo_.path()) / "history.txt");
  server_.claims.push_back(Job(7, sha));
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->completed, 1) << Logged();
  ASSERT_EQ(server_.calls(), (std::vector<std::string>{"claim", "upload", "complete 7"}));

  ASSERT_EQ(server_.uploads().size(), 1u);
  auto run = core::ReadArtifact(server_.uploads()[0], "upload");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(server_.completed_run_ids(), std::vector<std::string>{run->run_id});
  EXPECT_EQ(run->project, "demo");
  EXPECT_EQ(run->platform, kPlatform);
  EXPECT_EQ(run->commit.sha, sha);
  EXPECT_EQ(run->commit.subject, "Add the suite");  // described from the repository
  EXPECT_EQ(run->commit.time, At(0));
  EXPECT_EQ(run->commit_range.from, std::string(40, 'a'));
  EXPECT_EQ(run->commit_range.count, 4);
  EXPECT_EQ(run->reason, core::Reason::kSchedule);
  ASSERT_TRUE(run->suite.has_value());
  EXPECT_EQ(run->suite->name, "agent-test");
  ASSERT_EQ(run->benchmarks.size(), 2u);
  for (const auto& b : run->benchmarks) EXPECT_FALSE(b.error) << b.name << ": " << *b.error;

  // The checkout is the job's commit; the user's working tree, HEAD and branches are as they
  // were, and `git status` there does not see the checkout.
  EXPECT_TRUE(fs::exists(Checkout() / "perfledger.toml"));
  EXPECT_EQ(ReadText(fs::path(repo_.path()) / "history.txt"), history_before);
  EXPECT_EQ(ReadText(fs::path(repo_.path()) / ".git/HEAD"), "ref: refs/heads/main\n");
  std::vector<std::string> branches;
  for (const auto& e : fs::directory_iterator(fs::path(repo_.path()) / ".git/refs/heads")) {
    branches.push_back(e.path().filename().string());
  }
  EXPECT_EQ(branches, std::vector<std::string>{"main"});
  EXPECT_EQ(ReadText(fs::path(repo_.path()) / ".perfledger/agents/.gitignore"), "*\n");
  EXPECT_NE(Logged().find("job 7"), std::string::npos) << Logged();
  EXPECT_NE(Logged().find("completed"), std::string::npos) << Logged();
}

TEST_F(AgentTest, WithoutOnceSleepsWhileNothingWaitsAndReusesTheCheckout) {
  const std::string first = CommitSuite(SuiteToml(), "First", 0);
  const std::string second = repo_.Commit("Second", At(1));
  options_.once = false;
  server_.claims = {std::nullopt, Job(1, first), std::nullopt, Job(2, second)};
  int claims = 0;
  server_.on_claim = [&] {
    if (++claims == 6) stop_ = true;
  };
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->completed, 2) << Logged();
  EXPECT_GE(summary->empty_claims, 3);
  auto uploads = server_.uploads();
  ASSERT_EQ(uploads.size(), 2u);
  auto run = core::ReadArtifact(uploads[1], "upload");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->commit.sha, second);
  EXPECT_EQ(run->commit.subject, "Second");
  EXPECT_NE(ReadText(Checkout() / "history.txt").find("Second"), std::string::npos);
}

TEST_F(AgentTest, ACheckoutChangedByABenchmarkIsRestoredAndBuildOutputKept) {
  // "restored" runs before "scribble", which changes a tracked file the next commit does not
  // change and writes an untracked one, as a build would.
  repo_.AddFile("data.txt", "original\n");
  const std::string first = CommitSuite(SuiteToml(R"toml(
[[benchmark]]
name = "restored"
command = "grep -qx original data.txt"

[[benchmark]]
name = "scribble"
command = "echo changed > data.txt; echo built > build.out"
)toml"),
                                        "First", 0);
  const std::string second = repo_.Commit("Second", At(1));
  options_.once = false;
  server_.claims = {Job(1, first), Job(2, second)};
  server_.on_claim = [&] {
    if (server_.claims.empty()) stop_ = true;
  };
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->completed, 2) << Logged();
  auto run = core::ReadArtifact(server_.uploads().at(1), "upload");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->commit.sha, second);
  for (const auto& b : run->benchmarks) EXPECT_FALSE(b.error) << b.name << ": " << *b.error;
  EXPECT_EQ(ReadText(Checkout() / "build.out"), "built\n");
}

TEST_F(AgentTest, FailingBenchmarksMakeAPartialRunThatIsUploadedAndCompleted) {
  const std::string sha = CommitSuite(SuiteToml(R"toml(
[[benchmark]]
name = "broken"
command = "echo oops >&2; exit 3"
)toml"),
                                      "Broken benchmark", 0);
  server_.claims.push_back(Job(3, sha));
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->completed, 1) << Logged();
  ASSERT_EQ(server_.calls(), (std::vector<std::string>{"claim", "upload", "complete 3"}));
  auto run = core::ReadArtifact(server_.uploads()[0], "upload");
  ASSERT_TRUE(run.ok());
  int errors = 0;
  for (const auto& b : run->benchmarks) errors += b.error ? 1 : 0;
  EXPECT_EQ(errors, 1);
  EXPECT_NE(Logged().find("1 failed"), std::string::npos) << Logged();
}

TEST_F(AgentTest, ASuiteThatCannotRunFailsTheJobWithTheEndOfItsLog) {
  const std::string sha = CommitSuite("[suite]\nname = \"x\"\nrevision = oops\n", "Bad suite", 0);
  server_.claims.push_back(Job(4, sha));
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->failed, 1);
  ASSERT_EQ(server_.calls(), (std::vector<std::string>{"claim", "fail 4"}));
  const std::string log = server_.fail_logs().at(0);
  EXPECT_LE(log.size(), 4096u);
  EXPECT_NE(log.find("cannot run the suite"), std::string::npos) << log;
  EXPECT_NE(log.find("perfledger.toml"), std::string::npos) << log;
}

TEST_F(AgentTest, ACommitTheRepositoryLacksFailsTheJob) {
  CommitSuite(SuiteToml(), "Add the suite", 0);
  server_.claims.push_back(Job(5, std::string(40, 'b')));
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->failed, 1);
  ASSERT_EQ(server_.fail_logs().size(), 1u);
  EXPECT_NE(server_.fail_logs()[0].find("no commit " + std::string(40, 'b')), std::string::npos)
      << server_.fail_logs()[0];
}

TEST_F(AgentTest, ALostLeaseStopsTheBenchmarksAndNothingIsUploadedOrCompleted) {
  const std::string sha = CommitSuite(SuiteToml(R"toml(
[[benchmark]]
name = "long"
command = ["sleep", "60"]
runs = 1
)toml"),
                                      "Long benchmark", 0);
  server_.claims.push_back(Job(6, sha));
  server_.heartbeat_error = base::Conflict("agent-1 does not hold job 6");
  options_.heartbeat_nanos = 50'000'000;
  const auto start = Clock::now();
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));  // `sleep 60` was killed
  EXPECT_EQ(summary->lost, 1);
  EXPECT_EQ(server_.calls(), std::vector<std::string>{"claim"});
  EXPECT_GE(server_.heartbeats(), 1);
  EXPECT_NE(Logged().find("lease lost"), std::string::npos) << Logged();
}

// Regression: an agent that stalled past its lease (the heartbeat thread had no chance to
// notice) uploaded a second run of a job another agent had taken over. The lease is renewed
// just before the upload; refused, nothing is uploaded.
TEST_F(AgentTest, ALeaseLostBeforeTheUploadUploadsNothing) {
  const std::string sha = CommitSuite(SuiteToml(), "Add the suite", 0);
  server_.claims.push_back(Job(7, sha));
  server_.heartbeat_error = base::Conflict("agent-1 does not hold job 7");
  options_.heartbeat_nanos = 3'600'000'000'000;  // the thread never renews in this test
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->lost, 1);
  EXPECT_EQ(server_.calls(), std::vector<std::string>{"claim"});
  EXPECT_EQ(server_.heartbeats(), 1);
  EXPECT_NE(Logged().find("nothing uploaded"), std::string::npos) << Logged();
}

TEST_F(AgentTest, AStopFinishesTheJobInHandThenReturns) {
  const std::string sha = CommitSuite(SuiteToml(), "Add the suite", 0);
  options_.once = false;
  server_.claims = {Job(8, sha), Job(9, sha)};
  server_.on_claim = [&] { stop_ = true; };  // as a SIGTERM arriving while the job runs
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->completed, 1);
  EXPECT_EQ(server_.calls(), (std::vector<std::string>{"claim", "upload", "complete 8"}));
}

TEST_F(AgentTest, TransientErrorsAreRetriedAndRefusalsFailTheJob) {
  const std::string sha = CommitSuite(SuiteToml(), "Add the suite", 0);
  server_.claims = {Job(10, sha)};
  server_.upload_errors = {base::IoError("connection refused"), base::Busy("503 restarting")};
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->completed, 1) << Logged();
  EXPECT_EQ(server_.calls(),
            (std::vector<std::string>{"claim", "upload", "upload", "upload", "complete 10"}));

  FakeJobServer refusing;
  refusing.claims = {Job(11, sha)};
  refusing.upload_errors = {base::InvalidInput("400: the run does not match epoch 2")};
  summary = RunAgent(refusing, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->failed, 1);
  ASSERT_EQ(refusing.fail_logs().size(), 1u);
  EXPECT_NE(refusing.fail_logs()[0].find("does not match epoch 2"), std::string::npos);
}

TEST_F(AgentTest, ACompleteRefusedForALostLeaseCountsAsLost) {
  const std::string sha = CommitSuite(SuiteToml(), "Add the suite", 0);
  server_.claims = {Job(12, sha)};
  server_.complete_error = base::Conflict("agent-1 does not hold job 12");
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->lost, 1);
  EXPECT_EQ(server_.uploads().size(), 1u);  // stored all the same: runs are idempotent
}

TEST_F(AgentTest, AClaimTheServerRefusesEndsTheLoopWithItsMessage) {
  CommitSuite(SuiteToml(), "Add the suite", 0);
  options_.once = false;
  server_.claim_error = base::InvalidInput("401: unknown or revoked token");
  auto summary = RunAgent(server_, options_);
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().message().find("unknown or revoked token"), std::string::npos);
}

TEST_F(AgentTest, ACheckoutNotKeptIsRemovedAtTheEnd) {
  const std::string sha = CommitSuite(SuiteToml(), "Add the suite", 0);
  server_.claims = {Job(13, sha)};
  options_.keep_checkout = false;
  auto summary = RunAgent(server_, options_);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->completed, 1) << Logged();
  EXPECT_FALSE(fs::exists(Checkout()));
  EXPECT_FALSE(fs::exists(fs::path(repo_.path()) / ".git/worktrees/perfledger-agent-1"));
}

}  // namespace
}  // namespace perfledger::service
