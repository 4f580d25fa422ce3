// The scheduler's use cases against a real store (SQLite) and a real git repository (libgit2):
// bisect jobs for open regression alerts, from the store's alerts to recorded jobs and back.
#include "service/plan.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/uuid.h"
#include "core/artifact.h"
#include "git_fixture.h"
#include "service/service_test_support.h"

namespace perfledger::service {
namespace {

using test_support::At;

using schedule::CommitRange;
using schedule::Degradation;
using schedule::Job;
using schedule::kPriorityBisect;
using schedule::Skip;

namespace fs = std::filesystem;
using testing::GitRepo;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::FreshTestDir("scheduler-test");
    auto store = store::OpenSqliteStore((dir_ / "perf.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    // c0 .. c11, one a minute.
    for (int i = 0; i < 12; ++i)
      shas_.push_back(repo_.Commit("change " + std::to_string(i), At(i)));
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // A run of commit i on `platform` standing for its own commit only.
  void Measure(int i, const std::string& platform = "linux") {
    core::Run r;
    r.run_id = base::NewUuidV4();
    r.project = "demo";
    r.commit.sha = shas_[static_cast<size_t>(i)];
    r.commit.time = At(i);
    r.commit_range = {
        i > 0 ? std::optional<std::string>(shas_[static_cast<size_t>(i - 1)]) : std::nullopt,
        r.commit.sha, 1};
    r.reason = core::Reason::kSchedule;
    r.platform = platform;
    r.environment.os = "linux";
    r.environment.fingerprint = core::ComputeFingerprint(r.environment);
    r.started_at = At(100);
    r.finished_at = At(101);
    core::BenchmarkResult b;
    b.name = "parse";
    b.metrics.push_back({"wall_time", "ns", core::Direction::kLower, {100, 101, 99}, {}});
    r.benchmarks.push_back(b);
    auto stats = store_->Ingest(std::span<const core::Run>(&r, 1));
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  }

  store::AlertRecord Alert(int from, int to, const std::string& platform = "linux",
                           const std::string& kind = "regression") {
    store::AlertRecord a;
    a.project = "demo";
    a.platform = platform;
    a.benchmark = "parse";
    a.metric = "wall_time";
    a.unit = "ns";
    a.range_from = shas_[static_cast<size_t>(from)];
    a.range_to = shas_[static_cast<size_t>(to)];
    a.range_count = to - from;
    a.before_median = 100;
    a.after_median = 120;
    a.change = 0.2;
    a.confidence = 0.99;
    a.kind = *core::ParseAlertKind(kind);
    a.created_at = a.updated_at = At(50);
    return a;
  }

  PlanOutcome Plan(int64_t now_minute, bool record = true, std::optional<int> depth = {}) {
    PlanRequest req;
    req.repo = repo_.path();
    req.platforms = {"linux"};
    req.now = At(now_minute);
    req.record = record;
    req.queue_depth = depth;
    auto out = PlanBranch(store_.get(), req);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : PlanOutcome{};
  }

  std::vector<const Job*> BisectJobs(const PlanOutcome& o) {
    std::vector<const Job*> out;
    for (const Job& j : o.plan.jobs) {
      if (j.reason == "bisect") out.push_back(&j);
    }
    return out;
  }

  std::vector<store::JobRecord> QueuedJobs(const std::string& sha) {
    auto st = store_->LoadSchedule();
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    std::vector<store::JobRecord> out;
    if (!st.ok()) return out;
    for (const auto& j : st->jobs) {
      if (j.sha == sha && j.state == core::JobState::kQueued) out.push_back(j);
    }
    return out;
  }

  GitRepo repo_;
  std::vector<std::string> shas_;
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(SchedulerTest, OpenRegressionAlertsAreBisectedUntilOneCommitIsLeft) {
  Measure(0);
  Measure(10);
  Measure(11);
  std::vector<store::AlertRecord> alerts = {
      Alert(0, 10),                           // bisected
      Alert(0, 10, "macos"),                  // not a platform planned for
      Alert(0, 10, "linux", "improvement"),   // not a regression
      Alert(0, 10, "linux", "environment")};  // not a regression
  ASSERT_TRUE(store_->RecordAlerts(alerts, {}).ok());
  const int64_t id = alerts[0].id;
  store::AlertRecord resolved = Alert(2, 6);
  std::vector<store::AlertRecord> more = {resolved};
  ASSERT_TRUE(store_->RecordAlerts(more, {}).ok());
  ASSERT_TRUE(
      store_->SetAlertStatus(more[0].id, core::AlertStatus::kResolved, std::nullopt, At(60)).ok());

  // The middle of (c0, c10] is c5: planned, recorded as a queued job standing for itself.
  PlanOutcome o = Plan(200);
  ASSERT_EQ(o.plan.jobs.size(), 1u) << o.plan.jobs.size();
  const Job& j = o.plan.jobs[0];
  EXPECT_EQ(j.sha, shas_[5]);
  EXPECT_EQ(j.reason, "bisect");
  EXPECT_EQ(j.priority, kPriorityBisect);
  EXPECT_EQ(j.commit_range, (CommitRange{shas_[4], shas_[5], 1}));
  EXPECT_NE(j.reason_detail.find("alert " + std::to_string(id) + " (parse wall_time)"),
            std::string::npos)
      << j.reason_detail;
  EXPECT_NE(j.reason_detail.find("10 commits left"), std::string::npos) << j.reason_detail;
  EXPECT_TRUE(o.plan.unplanned_bisect.empty());
  std::vector<store::JobRecord> queued = QueuedJobs(shas_[5]);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].reason, "bisect");
  EXPECT_EQ(queued[0].reason_detail, j.reason_detail);
  EXPECT_EQ(queued[0].range_from, shas_[4]);
  EXPECT_EQ(queued[0].range_count, 1);
  EXPECT_EQ(queued[0].priority, kPriorityBisect);

  // Coverage: the queued bisect job represents its own commit, not the commits before it.
  CoverageRequest cov;
  cov.source.repo = repo_.path();
  cov.platform = "linux";
  auto rows = CoverageOf(*store_, cov);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].measured, 3);
  EXPECT_EQ(rows->rows[0].represented, 1);
  EXPECT_EQ(rows->rows[0].unaccounted, 8);

  // While it waits, the next plan adds nothing for the alert and says why.
  o = Plan(210);
  EXPECT_EQ(o.plan.queue_depth, 1);
  EXPECT_TRUE(o.plan.jobs.empty());
  ASSERT_EQ(o.plan.unplanned_bisect.size(), 1u);
  EXPECT_EQ(o.plan.unplanned_bisect[0].status, "queued");
  EXPECT_EQ(o.plan.unplanned_bisect[0].request.alert_id, id);
  EXPECT_EQ(QueuedJobs(shas_[5]).size(), 1u);

  // It ran: the result waits for detect to narrow the alert.
  Measure(5);
  o = Plan(220);
  EXPECT_TRUE(o.plan.jobs.empty());
  ASSERT_EQ(o.plan.unplanned_bisect.size(), 1u);
  EXPECT_EQ(o.plan.unplanned_bisect[0].status, "measured");

  // Detect narrowed the alert to (c5, c10]: the next middle is c8; then (c5, c8] gives c7,
  // then (c7, c8] is one commit.
  store::AlertRecord narrowed = Alert(5, 10);
  narrowed.id = id;
  std::vector<store::AlertRecord> none;
  ASSERT_TRUE(store_->RecordAlerts(none, {narrowed}).ok());
  o = Plan(230);
  ASSERT_EQ(BisectJobs(o).size(), 1u);
  EXPECT_EQ(BisectJobs(o)[0]->sha, shas_[8]);
  Measure(8);
  narrowed = Alert(5, 8);
  narrowed.id = id;
  ASSERT_TRUE(store_->RecordAlerts(none, {narrowed}).ok());
  o = Plan(240);
  ASSERT_EQ(BisectJobs(o).size(), 1u);
  EXPECT_EQ(BisectJobs(o)[0]->sha, shas_[7]);
  Measure(7);
  narrowed = Alert(7, 8);
  narrowed.id = id;
  ASSERT_TRUE(store_->RecordAlerts(none, {narrowed}).ok());
  o = Plan(250);
  EXPECT_TRUE(o.plan.jobs.empty());
  ASSERT_EQ(o.plan.unplanned_bisect.size(), 1u);
  EXPECT_EQ(o.plan.unplanned_bisect[0].status, "converged");
  EXPECT_EQ(o.plan.unplanned_bisect[0].sha, shas_[8]);
}

TEST_F(SchedulerTest, QueueResetLeavesQueuedBisectJobsQueued) {
  Measure(0);
  Measure(10);
  Measure(11);
  std::vector<store::AlertRecord> alerts = {Alert(0, 10)};
  ASSERT_TRUE(store_->RecordAlerts(alerts, {}).ok());
  ASSERT_EQ(BisectJobs(Plan(200)).size(), 1u);
  ASSERT_EQ(QueuedJobs(shas_[5]).size(), 1u);

  // New commits arrive while the queue is far too deep: everything new collapses into one
  // job at the head, and the bisect job stays queued.
  for (int i = 12; i < 20; ++i) {
    shas_.push_back(repo_.Commit("change " + std::to_string(i), At(i + 200)));
  }
  PlanOutcome o = Plan(300, /*record=*/true, /*depth=*/25);
  EXPECT_EQ(o.plan.degradation, Degradation::kReset);
  for (const Skip& s : o.plan.skips) EXPECT_NE(s.sha, shas_[5]);
  EXPECT_EQ(QueuedJobs(shas_[5]).size(), 1u);
  ASSERT_EQ(o.plan.unplanned_bisect.size(), 1u);
  EXPECT_EQ(o.plan.unplanned_bisect[0].status, "queued");
}

TEST_F(SchedulerTest, BisectJobsOfAPlanMadeElsewhereRecordAsQueued) {
  // The shape `perfledger plan --format json` prints, as a CI collect job records it.
  const std::string json = fmt::format(
      R"({{"now": "2026-11-24T13:20:00Z", "window_minutes": 15, "queue_depth": 0,
          "degradation": "none", "branch": "refs/heads/main", "head": "{}",
          "jobs": [{{"sha": "{}", "platforms": ["linux", "macos"], "reason": "bisect",
                    "reason_detail": "alert 1 (parse wall_time): middle of 10 commits left",
                    "commit_range": {{"from": "{}", "to": "{}", "count": 1}},
                    "priority": 3}}],
          "skips": [], "unplanned_bisect": []}})",
      shas_[11], shas_[5], shas_[4], shas_[5]);
  HistorySource history;
  history.repo = repo_.path();
  base::Status s = RecordPlanJson(*store_, json, "plan.json", history);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<store::JobRecord> queued = QueuedJobs(shas_[5]);
  ASSERT_EQ(queued.size(), 2u);
  for (const auto& j : queued) {
    EXPECT_EQ(j.reason, "bisect");
    EXPECT_EQ(j.range_from, shas_[4]);
    EXPECT_EQ(j.range_count, 1);
    EXPECT_EQ(j.priority, kPriorityBisect);
  }
  // The planner sees it as queued: an alert whose middle it is plans nothing new.
  Measure(0);
  Measure(10);
  Measure(11);
  std::vector<store::AlertRecord> alerts = {Alert(0, 10)};
  ASSERT_TRUE(store_->RecordAlerts(alerts, {}).ok());
  PlanOutcome o = Plan(220, /*record=*/false);
  EXPECT_TRUE(o.plan.jobs.empty());
  ASSERT_EQ(o.plan.unplanned_bisect.size(), 1u);
  EXPECT_EQ(o.plan.unplanned_bisect[0].status, "queued");
}

TEST_F(SchedulerTest, NoStoreNoBisect) {
  PlanRequest req;
  req.repo = repo_.path();
  req.platforms = {"linux"};
  req.now = At(200);
  auto out = PlanBranch(nullptr, req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(BisectJobs(*out).empty());
  EXPECT_TRUE(out->plan.unplanned_bisect.empty());
}

// Issue 16: the first plan on an empty store planned nothing while the head's window was open.
TEST_F(SchedulerTest, TheFirstPlanOnAnEmptyStoreBenchmarksTheHeadAtOnce) {
  PlanOutcome first = Plan(12);  // c0..c11 all in the open window [10:00, 10:15)
  ASSERT_EQ(first.plan.jobs.size(), 1u);
  EXPECT_EQ(first.plan.jobs[0].sha, shas_[11]);
  EXPECT_EQ(first.plan.jobs[0].reason, "push");
  EXPECT_EQ(first.plan.jobs[0].commit_range.count, 12);
  EXPECT_EQ(QueuedJobs(shas_[11]).size(), 1u);
  // Recorded: the next plan is not the first, and the head is queued already.
  EXPECT_TRUE(Plan(13, /*record=*/false).plan.jobs.empty());
}

TEST_F(SchedulerTest, AStoreWithRunsButNoPlanLaterPlansByTheRule) {
  Measure(2);
  PlanRequest req;
  req.repo = repo_.path();
  req.platforms = {"linux"};
  req.now = At(12);
  req.record = true;
  ASSERT_TRUE(PlanBranch(store_.get(), req).ok());  // the first plan: linux has a run
  req.platforms = {"linux", "macos"};
  auto out = PlanBranch(store_.get(), req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->plan.jobs.empty());  // not the first plan: macos waits for the window
}

// Issue 16: coverage and gaps answered "no branch history in the store" without a plan.
TEST_F(SchedulerTest, CoverageWithoutAPlanComesFromTheRunsOrTheRepository) {
  Measure(3);
  Measure(7);
  Measure(7, "macos");
  auto runs = CoverageOf(*store_, {});
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  EXPECT_EQ(runs->history, "runs");
  EXPECT_FALSE(runs->planned);
  EXPECT_EQ(runs->head, shas_[7]);
  ASSERT_EQ(runs->commits.size(), 2u);
  ASSERT_EQ(runs->rows.size(), 2u);
  EXPECT_EQ(runs->rows[0].platform, "linux");
  EXPECT_EQ(runs->rows[0].measured, 2);
  EXPECT_EQ(runs->rows[1].measured, 1);
  EXPECT_EQ(runs->rows[1].unknown, 1);  // c3: no macos run covers it

  CoverageRequest req;
  req.source.repo = repo_.path();
  auto repo = CoverageOf(*store_, req);
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ(repo->history, "repository");
  EXPECT_EQ(repo->rows[0].commits, 12);
  EXPECT_EQ(repo->rows[0].measured, 2);
  EXPECT_EQ(repo->rows[0].unknown, 10);
  EXPECT_EQ(repo->rows[0].unaccounted, 0);
  EXPECT_EQ(repo->rows[0].pending, 0);

  GapsRequest gaps;
  gaps.now = At(20);
  auto g = GapsOf(*store_, gaps);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->history, "runs");
  ASSERT_EQ(g->rows.size(), 2u);
  EXPECT_EQ(g->rows[0].last_complete, shas_[7]);
  EXPECT_EQ(g->rows[0].commits_since, 0);
}

}  // namespace
}  // namespace perfledger::service
