// MigrateStore over real SQLite stores: what is copied, what a second run after an
// interruption does, the detect mark, and the refusals. tests/cli/migrate_store_test.cc copies
// between SQLite and PostgreSQL with the perfledger binary.
#include "service/migrate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/token.h"
#include "service/detection.h"
#include "service/service_test_support.h"

namespace perfledger::service {
namespace {

using test_support::At;
using test_support::MakeRun;
using test_support::Sha;

namespace fs = std::filesystem;

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::FreshTestDir("migrate-test");
    from_ = Open("from.db");
    to_ = Open("to.db");
    for (int i = 0; i < 7; ++i) {
      runs_.push_back(MakeRun(i, "linux", {{"a", 100.0 + i}, {"b", 50.0}}));
      runs_.push_back(MakeRun(i, "mac", {{"a", 300.0 - i}}));
    }
    ASSERT_TRUE(from_->Ingest(runs_).ok());
    store::PlanRecord plan;
    plan.now = At(10);
    plan.branch = "refs/heads/trunk";
    plan.head = Sha(6);
    plan.degradation = "none";
    plan.commits.push_back({Sha(6), Sha(5), 1, At(6), "commit 6"});
    plan.jobs.push_back({0, Sha(6), "linux", "schedule", "", Sha(5), 1, 1, {}, {}});
    plan.skips.push_back({0, Sha(6), "mac", "window", 0, std::nullopt, {}});
    ASSERT_TRUE(from_->RecordPlan(plan).ok());
    store::AlertRecord alert;
    alert.project = "demo";
    alert.platform = "linux";
    alert.benchmark = "a";
    alert.metric = "wall_time";
    alert.unit = "ns";
    alert.range_from = Sha(2);
    alert.range_to = Sha(3);
    alert.range_count = 1;
    alert.before_median = 102;
    alert.after_median = 103;
    alert.change = 0.01;
    alert.confidence = 0.99;
    alert.created_at = alert.updated_at = At(11);
    std::vector<store::AlertRecord> alerts = {alert};
    ASSERT_TRUE(from_->RecordAlerts(alerts, {}).ok());
    store::TokenRecord token;
    token.project = "demo";
    token.name = "ci";
    token.hash = core::Sha256Hex("plt_migrate-test");
    token.prefix = "plt_migr";
    token.created_at = At(12);
    ASSERT_TRUE(from_->CreateToken(token).ok());
  }
  void TearDown() override {
    from_.reset();
    to_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<store::Store> Open(const std::string& name) {
    auto store = store::OpenSqliteStore((dir_ / name).string());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> from_, to_;
  std::vector<core::Run> runs_;
};

TEST_F(MigrateTest, CopiesRunsAndRecordsAndSaysWhat) {
  ASSERT_TRUE(from_->WriteMark(std::string(kDetectMark), *from_->ChangeMark()).ok());
  std::vector<std::string> steps;
  auto report = MigrateStore(*from_, *to_, [&](std::string_view step, int64_t done, int64_t total) {
    steps.push_back(fmt::format("{} {}/{}", step, done, total));
  });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->runs, 14);
  EXPECT_EQ(report->runs_copied, 14);
  EXPECT_EQ(report->runs_already_present, 0);
  EXPECT_EQ(report->plans, 1);
  EXPECT_EQ(report->jobs, 1);
  EXPECT_EQ(report->skips, 1);
  EXPECT_EQ(report->commits, 1);
  EXPECT_EQ(report->alerts, 1);
  EXPECT_EQ(report->tokens, 1);
  EXPECT_EQ(report->marks, 2);  // alerts, detect
  EXPECT_EQ(steps,
            (std::vector<std::string>{"runs 0/14", "runs 14/14", "records 0/1", "records 1/1"}));

  // The runs as they were, and the series the target derived from them.
  EXPECT_EQ(to_->ListRuns({})->size(), 14u);
  for (const core::Run& run : runs_) {
    auto copied = to_->ReadRun(run.run_id);
    ASSERT_TRUE(copied.ok() && copied->has_value()) << run.run_id;
    EXPECT_EQ(core::ContentHash(**copied), core::ContentHash(*from_->ReadRun(run.run_id).value()));
  }
  store::SeriesQuery all;
  auto source_series = from_->ReadSeries(all), target_series = to_->ReadSeries(all);
  ASSERT_TRUE(source_series.ok() && target_series.ok());
  ASSERT_EQ(target_series->size(), source_series->size());
  for (size_t i = 0; i < source_series->size(); ++i) {
    EXPECT_EQ((*target_series)[i].key, (*source_series)[i].key);
    ASSERT_EQ((*target_series)[i].points.size(), (*source_series)[i].points.size());
    for (size_t p = 0; p < (*source_series)[i].points.size(); ++p) {
      EXPECT_EQ((*target_series)[i].points[p].median, (*source_series)[i].points[p].median);
      EXPECT_EQ((*target_series)[i].points[p].run_id, (*source_series)[i].points[p].run_id);
    }
  }
  auto source = from_->ReadRecords(), target = to_->ReadRecords();
  ASSERT_TRUE(source.ok() && target.ok());
  EXPECT_EQ(target->plans, source->plans);
  EXPECT_EQ(target->jobs, source->jobs);
  EXPECT_EQ(target->alerts, source->alerts);
  EXPECT_EQ(target->tokens, source->tokens);
  // The last recorded detection covered every run: in the target too, by its own numbering.
  EXPECT_EQ(target->marks.at(std::string(kDetectMark)), *to_->ChangeMark());
  EXPECT_EQ(target->marks.at("alerts"), source->marks.at("alerts"));
}

TEST_F(MigrateTest, ACopyCutShortContinuesWhereItStopped) {
  // As if an earlier migrate-store had copied some runs and then stopped.
  std::vector<core::Run> some(runs_.begin(), runs_.begin() + 5);
  for (core::Run& run : some) run = *from_->ReadRun(run.run_id).value();
  ASSERT_TRUE(to_->Ingest(some).ok());
  auto report = MigrateStore(*from_, *to_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->runs, 14);
  EXPECT_EQ(report->runs_copied, 9);
  EXPECT_EQ(report->runs_already_present, 5);
  EXPECT_EQ(*to_->RunCount(), 14);
}

TEST_F(MigrateTest, ADetectMarkThatDidNotCoverEveryRunIsLeftOut) {
  ASSERT_TRUE(from_->WriteMark(std::string(kDetectMark), *from_->ChangeMark() - 1).ok());
  auto report = MigrateStore(*from_, *to_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->marks, 1);
  EXPECT_FALSE(to_->ReadMark(std::string(kDetectMark))->has_value());

  // Nor when the target holds runs the source does not: a pass over the source never saw them.
  auto other = Open("other.db");
  ASSERT_TRUE(from_->WriteMark(std::string(kDetectMark), *from_->ChangeMark()).ok());
  std::vector<core::Run> foreign = {MakeRun(20, "linux", {{"a", 1.0}})};
  foreign[0].run_id = "foreign";
  ASSERT_TRUE(other->Ingest(foreign).ok());
  report = MigrateStore(*from_, *other);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->runs, 14);
  EXPECT_EQ(*other->RunCount(), 15);
  EXPECT_FALSE(other->ReadMark(std::string(kDetectMark))->has_value());
}

TEST_F(MigrateTest, ATargetWithRecordsIsRefusedBeforeAnyRunIsCopied) {
  store::TokenRecord token;
  token.project = "demo";
  token.hash = core::Sha256Hex("plt_other");
  token.prefix = "plt_othe";
  token.created_at = At(1);
  ASSERT_TRUE(to_->CreateToken(token).ok());
  auto report = MigrateStore(*from_, *to_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), base::StatusCode::kConflict);
  EXPECT_NE(report.status().message().find("already holds records (0 plans, 0 alerts, 1 token)"),
            std::string::npos)
      << report.status().message();
  EXPECT_EQ(*to_->RunCount(), 0);
}

TEST_F(MigrateTest, ARunStoredInBothWithOtherContentIsAConflictNamingIt) {
  core::Run changed = *from_->ReadRun(runs_[3].run_id).value();
  changed.benchmarks[0].metrics[0].samples[0] += 1;
  std::vector<core::Run> batch = {changed};
  ASSERT_TRUE(to_->Ingest(batch).ok());
  auto report = MigrateStore(*from_, *to_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), base::StatusCode::kConflict);
  EXPECT_NE(report.status().message().find(runs_[3].run_id), std::string::npos)
      << report.status().message();
  EXPECT_TRUE(to_->ReadRecords()->tokens.empty()) << "no record is written";
}

}  // namespace
}  // namespace perfledger::service
