// Change detection over a real store (SQLite): what `detect --record` keeps as alerts.
#include "service/detection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
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

}  // namespace
}  // namespace perfledger::service
