// Change detection over a real store (SQLite): what `detect --record` keeps as alerts.
#include "service/detection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/uuid.h"
#include "core/artifact.h"
#include "service/service_test_support.h"

namespace perfledger::service {
namespace {

using test_support::At;
using test_support::Sha;

namespace fs = std::filesystem;

class DetectionTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test_support::FreshTestDir("detection-test"); }
  void TearDown() override { fs::remove_all(dir_); }

  // A store of `commits` measured commits of one benchmark whose time steps up by half at
  // commit `step`, with a little noise.
  std::string StepStore(const std::string& name, int commits, int step,
                        const std::string& project = "demo") {
    const std::string path = (dir_ / name).string();
    auto store = store::OpenSqliteStore(path);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return path;
    std::vector<core::Run> runs;
    for (int i = 0; i < commits; ++i) {
      core::Run r;
      r.run_id = base::NewUuidV4();
      r.project = project;
      r.commit.sha = Sha(i);
      r.commit.time = At(i);
      r.commit_range = {i > 0 ? std::optional<std::string>(Sha(i - 1)) : std::nullopt, Sha(i), 1};
      r.reason = core::Reason::kPush;
      r.platform = "linux";
      r.environment.os = "linux";
      r.environment.fingerprint = core::ComputeFingerprint(r.environment);
      r.started_at = At(i);
      r.finished_at = At(i + 1);
      core::BenchmarkResult b;
      b.name = "parse";
      const double level = i < step ? 1000 : 1500;
      const double wiggle = (i % 3) - 1.0;
      b.metrics.push_back(
          {"wall_time",
           "ns",
           core::Direction::kLower,
           {level + wiggle, level + 2 + wiggle, level - 2 + wiggle, level + 1, level - 1},
           {}});
      r.benchmarks.push_back(b);
      runs.push_back(std::move(r));
    }
    auto stats = (*store)->Ingest(std::span<const core::Run>(runs));
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return path;
  }

  fs::path dir_;
};

DetectRequest RecordingRequest(bool all = false) {
  DetectRequest req;
  req.record = true;
  req.all = all;
  req.now = At(1000);
  return req;
}

TEST_F(DetectionTest, ARecordedChangeIsFoundAgainAsTheSameAlert) {
  const std::string path = StepStore("perf.db", 16, 8);
  auto store = store::OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  auto first = DetectInStore(**store, RecordingRequest());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->changes.size(), 1u);
  EXPECT_EQ(first->recorded[0], "new");
  // An incremental pass with no new points has nothing to look at.
  auto idle = DetectInStore(**store, RecordingRequest());
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_EQ(idle->series, 0);
  EXPECT_TRUE(idle->changes.empty());
  // A full pass finds the change again and keeps it as the same alert.
  auto again = DetectInStore(**store, RecordingRequest(/*all=*/true));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->changes.size(), 1u);
  EXPECT_EQ(again->recorded[0], "existing");
  EXPECT_EQ(again->alert_ids[0], first->alert_ids[0]);
  EXPECT_EQ((*store)->ListAlerts({})->size(), 1u);
}

// Series are analysed on a second thread while the store reads the next ones: the report is
// what analysing each series in the store's order gives, in that order, kept series and all.
TEST_F(DetectionTest, ManySeriesReportTheirChangesInStoreOrder) {
  const std::string path = (dir_ / "many.db").string();
  {
    auto store = store::OpenSqliteStore(path);
    ASSERT_TRUE(store.ok());
    std::vector<core::Run> runs;
    for (int i = 0; i < 24; ++i) {
      core::Run r;
      r.run_id = base::NewUuidV4();
      r.project = "demo";
      r.commit.sha = Sha(i);
      r.commit.time = At(i);
      r.commit_range = {i > 0 ? std::optional<std::string>(Sha(i - 1)) : std::nullopt, Sha(i), 1};
      r.platform = "linux";
      r.environment.os = "linux";
      r.environment.fingerprint = core::ComputeFingerprint(r.environment);
      r.started_at = At(i);
      r.finished_at = At(i + 1);
      for (int k = 0; k < 12; ++k) {
        core::BenchmarkResult b;
        b.name = "bench/" + std::to_string(100 + k);
        // Even benchmarks step up (by more the later they step), odd ones stay flat.
        const double level = (k % 2 == 0 && i >= 6 + k) ? 1000 * (1.3 + 0.05 * k) : 1000;
        const double wiggle = ((i + k) % 3) - 1.0;
        b.metrics.push_back({"wall_time",
                             "ns",
                             core::Direction::kLower,
                             {level + wiggle, level + 2 + wiggle, level - 2 + wiggle},
                             {}});
        r.benchmarks.push_back(std::move(b));
      }
      runs.push_back(std::move(r));
    }
    ASSERT_TRUE((*store)->Ingest(std::span<const core::Run>(runs)).ok());
  }
  auto store = store::OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  DetectRequest request;
  request.now = At(1000);
  auto report = DetectInStore(**store, request);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto series = (*store)->ReadSeries({});
  ASSERT_TRUE(series.ok());
  std::vector<analysis::DetectedChange> expected;
  int64_t analysed = 0;
  for (const auto& s : *series) {
    auto d = analysis::DetectInSeries(s, request.options);
    if (!d.skipped.empty()) continue;
    ++analysed;
    for (auto& c : d.changes) expected.push_back(std::move(c));
  }
  EXPECT_EQ(report->series, analysed);
  EXPECT_GE(expected.size(), 5u);  // the stepping benchmarks
  ASSERT_EQ(report->changes.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(report->changes[i].key, expected[i].key) << i;
    EXPECT_EQ(report->changes[i].from, expected[i].from) << i;
    EXPECT_EQ(report->changes[i].to, expected[i].to) << i;
    EXPECT_EQ(report->changes[i].change, expected[i].change) << i;
  }
  // Recorded, each change is matched against its own series: one alert each.
  auto recorded = DetectInStore(**store, RecordingRequest());
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ((*store)->ListAlerts({})->size(), expected.size());
}

// Regression: without --project, a store of two projects was one set of series (a benchmark
// name shared by both mixed their runs) and every alert was recorded with the project "",
// which no token can triage and no project filter shows.
TEST_F(DetectionTest, AlertsOfAStoreWithTwoProjectsNameTheirProject) {
  const std::string path = StepStore("perf.db", 16, 8, "demo");
  StepStore("perf.db", 16, /*step=*/16, "other");  // the same benchmark name, flat
  auto store = store::OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  auto report = DetectInStore(**store, RecordingRequest());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->changes.size(), 1u);
  EXPECT_EQ(report->changes[0].from, Sha(7));
  EXPECT_EQ(report->changes[0].to, Sha(8));
  auto alerts = (*store)->ListAlerts({});
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].project, "demo");
  EXPECT_NEAR((*alerts)[0].change, 0.5, 0.01);  // not diluted by the other project's runs
  // Found again by a full pass as the same alert.
  auto again = DetectInStore(**store, RecordingRequest(/*all=*/true));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->recorded, std::vector<std::string>{"existing"});
}

// Regression: two `detect --record` at once both read "no alert yet" and both inserted one
// (13 of 20 trials with two processes). Matching and recording are one transaction now.
TEST_F(DetectionTest, ConcurrentRecordingDetectionsRecordEachChangeOnce) {
  constexpr int kRounds = 8, kThreads = 6;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = StepStore("round-" + std::to_string(round) + ".db", 16, 8);
    std::atomic<int> ready{0}, failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        auto store = store::OpenSqliteStore(path);
        if (!store.ok()) {
          ++failures;
          return;
        }
        ++ready;
        while (ready.load() < kThreads) std::this_thread::yield();
        // Full passes: every thread matches and records the same change at once.
        auto report = DetectInStore(**store, RecordingRequest(/*all=*/true));
        if (!report.ok() || report->changes.size() != 1) ++failures;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    auto store = store::OpenSqliteStore(path);
    ASSERT_TRUE(store.ok());
    auto alerts = (*store)->ListAlerts({});
    ASSERT_TRUE(alerts.ok());
    EXPECT_EQ(alerts->size(), 1u) << "round " << round;
  }
}

// Exit status: a change that is an acknowledged (resolved, false-positive) alert is not open,
// recorded or not; a new one and one whose alert is open are.
TEST_F(DetectionTest, AChangeWhoseAlertWasTriagedIsNotAnOpenRegression) {
  const std::string path = StepStore("perf.db", 16, 8);
  auto store = store::OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  DetectRequest look;  // not recorded
  look.now = At(1000);
  auto before = DetectInStore(**store, look);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_EQ(before->changes.size(), 1u);
  EXPECT_EQ(before->status, std::vector<core::AlertStatus>{core::AlertStatus::kOpen});
  EXPECT_EQ(before->open_regressions(), 1);  // new
  auto first = DetectInStore(**store, RecordingRequest());
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->open_regressions(), 1);
  const int64_t id = first->alert_ids.at(0);
  auto again = DetectInStore(**store, RecordingRequest(/*all=*/true));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->open_regressions(), 1);  // still open
  for (core::AlertStatus s : {core::AlertStatus::kAcknowledged, core::AlertStatus::kResolved,
                              core::AlertStatus::kFalsePositive}) {
    ASSERT_TRUE((*store)->SetAlertStatus(id, s, std::nullopt, At(1001)).ok());
    for (bool record : {false, true}) {
      DetectRequest req = record ? RecordingRequest(/*all=*/true) : look;
      auto report = DetectInStore(**store, req);
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      ASSERT_EQ(report->changes.size(), 1u);
      EXPECT_EQ(report->regressions(), 1);
      EXPECT_EQ(report->open_regressions(), 0) << core::AlertStatusName(s) << " " << record;
      EXPECT_EQ(report->status, std::vector<core::AlertStatus>{s});
    }
  }
  ASSERT_TRUE((*store)->SetAlertStatus(id, core::AlertStatus::kOpen, std::nullopt, At(1002)).ok());
  auto reopened = DetectInStore(**store, look);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->open_regressions(), 1);
}

store::AlertRecord RangeAlert(int64_t id, const std::string& platform, int from, int to,
                              core::AlertKind kind = core::AlertKind::kRegression) {
  store::AlertRecord a;
  a.id = id;
  a.project = "demo";
  a.platform = platform;
  a.benchmark = "parse";
  a.metric = "wall_time";
  a.range_from = Sha(from);
  a.range_to = Sha(to);
  a.range_count = to - from;
  a.kind = kind;
  return a;
}

// Commits 0..n-1 in branch order, as a history a plan recorded.
CommitOrder Branch(int n) {
  CommitOrder order;
  for (int i = 0; i < n; ++i) order.position[Sha(i)] = i;
  order.counts_commits = true;
  order.source = "plan";
  return order;
}

TEST(GroupAlertsTest, OverlappingRangesAreOneGroupWithTheirIntersectionAsTheLikelyCulprit) {
  // linux measured every 2nd commit, mac every 3rd: (14, 16] and (12, 15] share commit 15.
  const std::vector<store::AlertRecord> alerts = {RangeAlert(1, "linux", 14, 16),
                                                  RangeAlert(2, "mac", 12, 15)};
  auto groups = GroupAlerts(alerts, Branch(40));
  ASSERT_EQ(groups.size(), 1u);
  const AlertGroup& g = groups[0];
  EXPECT_EQ(g.platforms, (std::vector<std::string>{"linux", "mac"}));
  EXPECT_EQ(g.alert_ids, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(g.regressions, 2);
  EXPECT_EQ(g.kinds, (std::map<std::string, int>{{"regression", 2}}));
  // The range all lie in, and the commits all hold.
  EXPECT_EQ(g.range_from, Sha(12));
  EXPECT_EQ(g.range_to, Sha(16));
  EXPECT_EQ(g.range_count, 4);
  EXPECT_EQ(g.likely_from, Sha(14));
  EXPECT_EQ(g.likely_to, Sha(15));
  EXPECT_EQ(g.likely_count, 1);
  EXPECT_EQ(g.Summary(), "this range regressed 2 benchmarks on linux and mac");

  // Without an order only identical ends group: two groups, each its own likely range.
  auto unordered = GroupAlerts(alerts);
  ASSERT_EQ(unordered.size(), 2u);
  EXPECT_EQ(unordered[0].alert_ids, std::vector<int64_t>{2});  // newest first
  EXPECT_EQ(unordered[0].likely_from, Sha(12));
  EXPECT_EQ(unordered[0].likely_to, Sha(15));
  EXPECT_EQ(unordered[0].likely_count, 3);
  // An order that does not hold a range's ends (another branch) leaves it as unordered.
  auto elsewhere = GroupAlerts(alerts, Branch(15));
  EXPECT_EQ(elsewhere.size(), 2u);
}

TEST(GroupAlertsTest, RangesThatOnlyTouchOrChainAreNotOneGroup) {
  // (10, 12] and (12, 14] share no commit: a range excludes its `from`.
  auto touching =
      GroupAlerts({RangeAlert(1, "linux", 10, 12), RangeAlert(2, "mac", 12, 14)}, Branch(40));
  EXPECT_EQ(touching.size(), 2u);
  // A chain: (10, 20] overlaps (15, 25] which overlaps (22, 30], but no commit is in all three.
  // Two groups, each with a commit every range of it holds.
  auto chain = GroupAlerts({RangeAlert(1, "a", 10, 20), RangeAlert(2, "b", 15, 25),
                            RangeAlert(3, "c", 22, 30), RangeAlert(4, "d", 10, 20)},
                           Branch(40));
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].alert_ids, (std::vector<int64_t>{1, 2, 4}));  // holds the newest alert
  EXPECT_EQ(chain[0].likely_from, Sha(15));
  EXPECT_EQ(chain[0].likely_to, Sha(20));
  EXPECT_EQ(chain[0].likely_count, 5);
  EXPECT_EQ(chain[0].range_from, Sha(10));
  EXPECT_EQ(chain[0].range_to, Sha(25));
  EXPECT_EQ(chain[0].range_count, 15);
  EXPECT_EQ(chain[1].alert_ids, std::vector<int64_t>{3});
  for (const AlertGroup& g : chain) {
    EXPECT_LT(g.likely_from, g.likely_to);  // shas of 0..39 sort as their commits
  }
  // Kinds group together, each counted.
  auto mixed = GroupAlerts({RangeAlert(1, "linux", 10, 12),
                            RangeAlert(2, "linux", 11, 12, core::AlertKind::kImprovement),
                            RangeAlert(3, "mac", 9, 12, core::AlertKind::kEnvironment)},
                           Branch(40));
  ASSERT_EQ(mixed.size(), 1u);
  EXPECT_EQ(mixed[0].likely_from, Sha(11));
  EXPECT_EQ(mixed[0].likely_to, Sha(12));
  EXPECT_EQ(mixed[0].kinds, (std::map<std::string, int>{
                                {"environment", 1}, {"improvement", 1}, {"regression", 1}}));
}

// Issue 17: a drift that worsens its series is a regression (in `regressions`, what makes
// detect exit 3), one that improves it an improvement; a noise change is neither.
TEST(GroupAlertsTest, AWorseningDriftIsARegressionAndNoiseNeverIs) {
  store::AlertRecord slower = RangeAlert(1, "linux", 10, 50, core::AlertKind::kDrift);
  slower.change = 0.2;
  slower.direction = core::Direction::kLower;
  store::AlertRecord faster = RangeAlert(2, "mac", 12, 48, core::AlertKind::kDrift);
  faster.change = 0.2;
  faster.direction = core::Direction::kHigher;  // more throughput: better
  store::AlertRecord noisier = RangeAlert(3, "linux", 29, 30, core::AlertKind::kNoise);
  noisier.change = 1.1;  // the spread's change, not the level's
  EXPECT_TRUE(IsRegression(slower));
  EXPECT_FALSE(IsImprovement(slower));
  EXPECT_FALSE(IsRegression(faster));
  EXPECT_TRUE(IsImprovement(faster));
  EXPECT_FALSE(IsRegression(noisier));
  EXPECT_FALSE(IsImprovement(noisier));
  auto groups = GroupAlerts({slower, faster, noisier}, Branch(60));
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].regressions, 1);
  EXPECT_EQ(groups[0].improvements, 1);
  EXPECT_EQ(groups[0].noise, 1);
  EXPECT_EQ(groups[0].kinds, (std::map<std::string, int>{{"drift", 2}, {"noise", 1}}));
  EXPECT_EQ(groups[0].Summary(),
            "this range regressed 1 benchmark (1 gradually), improved 1 benchmark (1 gradually) "
            "and changed the spread of 1 benchmark on linux and mac");
  EXPECT_EQ(GroupAlerts({noisier})[0].regressions, 0);

  // A report counts a worsening drift among its open regressions, never a noise change.
  DetectReport report;
  analysis::DetectedChange drift;
  drift.kind = analysis::ChangeKind::kDrift;
  drift.direction = core::Direction::kLower;
  drift.change = 0.2;
  analysis::DetectedChange noise = drift;
  noise.kind = analysis::ChangeKind::kNoise;
  analysis::DetectedChange better = drift;
  better.change = -0.2;
  report.changes = {drift, noise, better};
  EXPECT_EQ(report.regressions(), 1);
  EXPECT_EQ(report.open_regressions(), 1);
  report.status = {core::AlertStatus::kAcknowledged, core::AlertStatus::kOpen,
                   core::AlertStatus::kOpen};
  EXPECT_EQ(report.open_regressions(), 0);
}

// Order by commit time: a store without a repository or a recorded plan places the measured
// commits of its runs by their commit times, so overlapping ranges of two platforms group.
TEST_F(DetectionTest, WithoutABranchHistoryRangesAreOrderedByTheRunsCommitTimes) {
  const std::string path = (dir_ / "perf.db").string();
  auto store = store::OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  std::vector<core::Run> runs;
  for (int i = 2; i <= 30; i += 2) runs.push_back(test_support::MakeRun(i, "linux", {{"p", 1000}}));
  for (int i = 3; i <= 30; i += 3) runs.push_back(test_support::MakeRun(i, "mac", {{"p", 1000}}));
  ASSERT_TRUE((*store)->Ingest(std::span<const core::Run>(runs)).ok());
  const std::vector<store::AlertRecord> alerts = {RangeAlert(1, "linux", 14, 16),
                                                  RangeAlert(2, "mac", 12, 15)};
  auto order = AlertCommitOrder(**store, alerts);
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  EXPECT_EQ(order->source, "runs");
  EXPECT_FALSE(order->counts_commits);
  auto groups = GroupAlerts(alerts, *order);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].likely_from, Sha(14));
  EXPECT_EQ(groups[0].likely_to, Sha(15));
  EXPECT_EQ(groups[0].likely_count, 0);  // commit times order commits, they do not count them
  // One range: nothing to order, nothing read.
  auto one = AlertCommitOrder(**store, {alerts[0]});
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->position.empty());
}

}  // namespace
}  // namespace perfledger::service
