// The store test suite, the scheduler's records: plans, jobs, skips, the recorded history,
// and the runs as coverage sees them.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

#include "base/uuid.h"
#include "core/artifact.h"
#include "store/collector.h"
#include "store/store_test_fixture.h"
namespace perfledger::store {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the suite's fixture

TEST_P(StoreTest, RecordedPlansComeBack) {
  auto store = Open();
  PlanRecord p = SamplePlan(0, 4, base::Timestamp{1});
  p.queue_depth = 3;
  p.jobs.push_back(
      {0, Sha(4), "linux", "schedule", "newest of 4", Sha(0), 4, 1, core::JobState::kQueued, {}});
  p.jobs.push_back(
      {0, Sha(4), "macos", "schedule", "newest of 4", Sha(0), 4, 1, core::JobState::kQueued, {}});
  for (int i = 1; i < 4; ++i) p.skips.push_back({0, Sha(i), "linux", "window", 3, Sha(4), {}});
  ASSERT_TRUE(store->RecordPlan(p).ok());

  auto state = store->LoadSchedule();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->jobs.size(), 2u);
  EXPECT_EQ(state->jobs[1].platform, "macos");
  EXPECT_EQ(state->jobs[1].range_from, Sha(0));
  EXPECT_EQ(state->jobs[1].range_count, 4);
  EXPECT_EQ(core::JobStateName(state->jobs[1].state), "queued");
  EXPECT_EQ(state->jobs[1].planned_at, base::Timestamp{1});
  ASSERT_EQ(state->skips.size(), 3u);
  EXPECT_EQ(state->skips[0].superseded_by, Sha(4));
  EXPECT_EQ(state->skips[0].queue_depth, 3);
  EXPECT_EQ(state->head, Sha(4));
  EXPECT_EQ(state->last_plan, base::Timestamp{1});

  auto history = store->RecordedHistory(Sha(4));
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ((*history)[0], p.commits[0]);
  EXPECT_EQ(history->back(), p.commits.back());
  EXPECT_TRUE(store->RecordedHistory("unknown")->empty());
}

TEST_P(StoreTest, ASkipOrNewJobSupersedesAQueuedJob) {
  auto store = Open();
  PlanRecord first = SamplePlan(0, 3, base::Timestamp{1});
  first.jobs.push_back(
      {0, Sha(2), "linux", "schedule", "", Sha(0), 2, 1, core::JobState::kQueued, {}});
  first.jobs.push_back(
      {0, Sha(3), "linux", "schedule", "", Sha(2), 1, 1, core::JobState::kQueued, {}});
  ASSERT_TRUE(store->RecordPlan(first).ok());
  // A queue reset: c2's job is superseded by a skip, c3's by a job with a wider range.
  PlanRecord reset = SamplePlan(0, 5, base::Timestamp{2});
  reset.degradation = "reset";
  reset.skips.push_back({0, Sha(2), "linux", "queue-reset", 25, Sha(5), {}});
  reset.skips.push_back({0, Sha(3), "linux", "queue-reset", 25, Sha(5), {}});
  reset.jobs.push_back(
      {0, Sha(5), "linux", "schedule", "reset", Sha(0), 5, 1, core::JobState::kQueued, {}});
  ASSERT_TRUE(store->RecordPlan(reset).ok());
  auto state = store->LoadSchedule();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->jobs.size(), 3u);
  EXPECT_EQ(core::JobStateName(state->jobs[0].state), "superseded");
  EXPECT_EQ(core::JobStateName(state->jobs[1].state), "superseded");
  EXPECT_EQ(core::JobStateName(state->jobs[2].state), "queued");
  EXPECT_EQ(store->RecordedHistory(Sha(5))->size(), 6u);
}

// Two planners read the schedule at once and both decide to queue the newest commit: the
// second to record is refused as stale and writes nothing (not even its commits), so the
// commit is queued once; planned again from the current mark, it is accepted.
TEST_P(StoreTest, APlanMadeFromAScheduleAnotherPlanChangedIsRefusedWhole) {
  auto store = Open();
  auto other = Open();
  const int64_t mark = store->LoadSchedule()->plan_id;
  PlanRecord a = SamplePlan(0, 3, base::Timestamp{10});
  a.jobs.push_back({0, Sha(3), "linux", "schedule", "", Sha(0), 3, 1, core::JobState::kQueued, {}});
  a.after_plan = mark;
  PlanRecord b = SamplePlan(0, 4, base::Timestamp{11});
  b.jobs.push_back({0, Sha(4), "linux", "schedule", "", Sha(0), 4, 1, core::JobState::kQueued, {}});
  b.after_plan = mark;
  ASSERT_TRUE(store->RecordPlan(a).ok());
  const base::Status refused = other->RecordPlan(b);
  EXPECT_TRUE(IsStaleSchedule(refused)) << refused.ToString();
  EXPECT_EQ(refused.code(), base::StatusCode::kConflict);
  auto state = store->LoadSchedule();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->jobs.size(), 1u);
  EXPECT_EQ(state->jobs[0].sha, Sha(3));
  EXPECT_TRUE(store->RecordedHistory(Sha(4))->empty()) << "the refused plan stored a commit";
  // The same plan again (a retried record) is still a no-op, whatever its mark.
  EXPECT_TRUE(store->RecordPlan(a).ok());
  b.after_plan = other->LoadSchedule()->plan_id;
  EXPECT_NE(*b.after_plan, mark);
  ASSERT_TRUE(other->RecordPlan(b).ok());
  EXPECT_EQ(store->LoadSchedule()->jobs.size(), 2u);
  EXPECT_FALSE(IsStaleSchedule(base::Conflict("run x conflicts")));
}

TEST_P(StoreTest, RecordedHistoryFollowsTheHeadAfterAForcePush) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(SamplePlan(0, 5, base::Timestamp{1})).ok());
  // The branch was rewritten after c2: c3'..c4' replace c3..c5.
  PlanRecord rewritten = SamplePlan(0, 2, base::Timestamp{2});
  for (int i = 0; i < 2; ++i) {
    CommitRecord c;
    c.sha = Sha(100 + i);
    c.first_parent = i == 0 ? Sha(2) : Sha(100);
    c.parent_count = 1;
    c.subject = "rewritten";
    rewritten.commits.push_back(c);
  }
  rewritten.head = Sha(101);
  ASSERT_TRUE(store->RecordPlan(rewritten).ok());
  auto history = store->RecordedHistory(Sha(101));
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ((*history)[2].sha, Sha(2));
  EXPECT_EQ((*history)[3].sha, Sha(100));
}

TEST_P(StoreTest, RunPointsCarryRangesAndBenchmarkNames) {
  auto store = Open();
  std::vector<core::Run> runs = {MakeRun(0), MakeRun(1, "macos")};
  runs[1].commit_range = {Sha(0), Sha(1), 1};
  ASSERT_TRUE(store->Ingest(runs).ok());
  auto points = store->ListRunPoints({});
  ASSERT_TRUE(points.ok()) << points.status().ToString();
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[0].range_from, std::nullopt);
  EXPECT_EQ((*points)[1].range_from, Sha(0));
  EXPECT_EQ((*points)[1].platform, "macos");
  EXPECT_EQ(*(*points)[1].ok_benchmarks,
            (std::vector<std::string>{"parse/small", "parse/summary"}));
  EXPECT_EQ(*(*points)[1].failed_benchmarks, std::vector<std::string>{"zz/broken"});
  EXPECT_EQ((*points)[1].suite, (core::SuiteRef{"compiler", 3, {}, std::nullopt}));
  // Runs that measured the same benchmarks share one set.
  EXPECT_EQ((*points)[0].ok_benchmarks, (*points)[1].ok_benchmarks);
  // Without benchmark names (what coverage reads): the same runs and ranges, no names.
  auto light = store->ListRunPoints({}, /*with_benchmarks=*/false);
  ASSERT_TRUE(light.ok());
  ASSERT_EQ(light->size(), 2u);
  EXPECT_EQ((*light)[1].range_from, Sha(0));
  EXPECT_EQ((*light)[1].ok_benchmarks, nullptr);
  EXPECT_EQ((*light)[1].failed_benchmarks, nullptr);
}

}  // namespace
}  // namespace perfledger::store
