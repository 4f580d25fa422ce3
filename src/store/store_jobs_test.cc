// The store test suite, job hand-out: agents claim queued jobs under a lease, renew and
// finish them; leases expire; concurrent claims never share a job.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <tuple>

#include "store/store_test_fixture.h"

namespace perfledger::store {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the suite's fixture

constexpr int64_t kLease = 100;

// A plan at `now` queuing a job per (commit number, platform, priority), in that order.
PlanRecord JobsPlan(int64_t now, const std::vector<std::tuple<int, std::string, int>>& jobs) {
  PlanRecord p = SamplePlan(0, 0, base::Timestamp{now});
  for (const auto& [i, platform, priority] : jobs) {
    p.jobs.push_back({0,
                      Sha(i),
                      platform,
                      "schedule",
                      "",
                      std::nullopt,
                      1,
                      priority,
                      core::JobState::kQueued,
                      {}});
  }
  return p;
}

ClaimRequest Claim(const std::string& platform, const std::string& agent, int64_t now,
                   int max_attempts = 3) {
  ClaimRequest r;
  r.platform = platform;
  r.agent = agent;
  r.now = base::Timestamp{now};
  r.lease_nanos = kLease;
  r.max_attempts = max_attempts;
  return r;
}

// The commit numbers of what `agent` claims on `platform` until nothing waits.
std::vector<std::string> ClaimAll(Store& store, const std::string& platform,
                                  const std::string& agent, int64_t now) {
  std::vector<std::string> out;
  for (;;) {
    auto job = store.ClaimJob(Claim(platform, agent, now));
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    if (!job.ok() || !job->has_value()) return out;
    out.push_back((*job)->sha);
  }
}

const JobHandout* Find(const std::vector<JobHandout>& jobs, int64_t id) {
  for (const JobHandout& j : jobs) {
    if (j.id == id) return &j;
  }
  return nullptr;
}

TEST_P(StoreTest, ClaimsGoByPriorityThenPlanThenRowOnTheClaimersPlatform) {
  auto store = Open();
  ASSERT_TRUE(
      store->RecordPlan(JobsPlan(1, {{1, "linux", 1}, {2, "linux", 1}, {3, "macos", 1}})).ok());
  ASSERT_TRUE(store->RecordPlan(JobsPlan(2, {{4, "linux", 2}, {5, "linux", 1}})).ok());

  auto first = store->ClaimJob(Claim("linux", "a", 10));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_value());
  const JobHandout& j = **first;
  EXPECT_EQ(j.sha, Sha(4));  // the highest priority, though of the newer plan
  EXPECT_EQ(j.platform, "linux");
  EXPECT_EQ(j.priority, 2);
  EXPECT_EQ(j.state, core::JobState::kRunning);
  EXPECT_EQ(j.attempt, 1);
  EXPECT_EQ(j.agent, "a");
  EXPECT_EQ(j.claimed_at, base::Timestamp{10});
  EXPECT_EQ(j.lease_expires_at, base::Timestamp{10 + kLease});
  EXPECT_EQ(j.finished_at, std::nullopt);
  EXPECT_EQ(j.planned_at, base::Timestamp{2});
  EXPECT_GT(j.id, 0);
  EXPECT_GT(j.plan_id, 0);
  EXPECT_EQ(ClaimAll(*store, "linux", "b", 11), (std::vector<std::string>{Sha(1), Sha(2), Sha(5)}));
  EXPECT_EQ(ClaimAll(*store, "macos", "m", 12), (std::vector<std::string>{Sha(3)}));
  EXPECT_TRUE(ClaimAll(*store, "windows", "w", 13).empty());

  // Every job not superseded, newest plan first, then row; or one platform's.
  auto all = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].sha, Sha(4));
  EXPECT_EQ((*all)[1].sha, Sha(5));
  EXPECT_EQ((*all)[2].sha, Sha(1));
  EXPECT_EQ((*all)[4].sha, Sha(3));
  EXPECT_EQ((*all)[4].agent, "m");
  EXPECT_EQ((*all)[4].planned_at, base::Timestamp{1});
  auto mac = store->ListJobHandouts("macos");
  ASSERT_TRUE(mac.ok());
  ASSERT_EQ(mac->size(), 1u);
  EXPECT_EQ((*mac)[0].state, core::JobState::kRunning);

  // Agents by name, with the job each holds (b holds the last it claimed).
  auto agents = store->ListAgents();
  ASSERT_TRUE(agents.ok()) << agents.status().ToString();
  ASSERT_EQ(agents->size(), 4u);
  EXPECT_EQ((*agents)[0].name, "a");
  EXPECT_EQ((*agents)[0].job, j.id);
  EXPECT_EQ((*agents)[0].last_seen, base::Timestamp{10});
  EXPECT_EQ((*agents)[1].name, "b");
  EXPECT_EQ((*agents)[1].job, (*all)[1].id);
  EXPECT_EQ((*agents)[1].last_seen, base::Timestamp{11});
  EXPECT_EQ((*agents)[2].platform, "macos");
  EXPECT_EQ((*agents)[3].name, "w");
  EXPECT_EQ((*agents)[3].job, std::nullopt);
}

TEST_P(StoreTest, AClaimWithNothingWaitingGetsNoneAndNotesTheAgent) {
  auto store = Open();
  auto none = store->ClaimJob(Claim("linux", "idle", 5));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  auto agents = store->ListAgents();
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].name, "idle");
  EXPECT_EQ((*agents)[0].platform, "linux");
  EXPECT_EQ((*agents)[0].last_seen, base::Timestamp{5});
  EXPECT_EQ((*agents)[0].job, std::nullopt);
  EXPECT_TRUE(store->ListJobHandouts(std::nullopt)->empty());
}

TEST_P(StoreTest, AJobWhoseCommitAndPlatformHaveAStoredRunIsNotHandedOut) {
  auto store = Open();
  core::Run run = MakeRun(1);  // Sha(1) on x86-64-linux
  ASSERT_TRUE(store->Ingest({&run, 1}).ok());
  ASSERT_TRUE(store
                  ->RecordPlan(JobsPlan(
                      1, {{1, "x86-64-linux", 5}, {1, "macos", 1}, {2, "x86-64-linux", 1}}))
                  .ok());
  EXPECT_EQ(ClaimAll(*store, "x86-64-linux", "a", 10), std::vector<std::string>{Sha(2)});
  EXPECT_EQ(ClaimAll(*store, "macos", "m", 10), std::vector<std::string>{Sha(1)});
  // The back end reports the stored state; the service calls it done.
  auto jobs = store->ListJobHandouts("x86-64-linux");
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].sha, Sha(1));
  EXPECT_EQ((*jobs)[0].state, core::JobState::kQueued);
  EXPECT_EQ((*jobs)[0].attempt, 0);
}

TEST_P(StoreTest, ALeaseIsRenewedByTheAgentHoldingItOnly) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(JobsPlan(1, {{1, "linux", 1}})).ok());
  auto claimed = store->ClaimJob(Claim("linux", "a", 10));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  const int64_t id = (*claimed)->id;

  auto renewed = store->RenewJobLease(id, "a", base::Timestamp{50}, kLease);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->lease_expires_at, base::Timestamp{50 + kLease});
  EXPECT_EQ(renewed->claimed_at, base::Timestamp{10});
  EXPECT_EQ(renewed->state, core::JobState::kRunning);
  EXPECT_EQ(renewed->attempt, 1);
  EXPECT_EQ(store->ListAgents()->at(0).last_seen, base::Timestamp{50});

  auto other = store->RenewJobLease(id, "b", base::Timestamp{60}, kLease);
  EXPECT_EQ(other.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(other.status().message(), "job " + std::to_string(id)))
      << other.status().ToString();
  EXPECT_TRUE(Contains(other.status().message(), "'b'")) << other.status().ToString();
  EXPECT_TRUE(Contains(other.status().message(), "held by agent 'a'")) << other.status().ToString();
  auto unknown = store->RenewJobLease(id + 1000, "a", base::Timestamp{60}, kLease);
  EXPECT_EQ(unknown.status().code(), base::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(unknown.status().message(), std::to_string(id + 1000)));
  auto finish_unknown =
      store->FinishJob(id + 1000, "a", std::nullopt, "log", base::Timestamp{60}, 3);
  EXPECT_EQ(finish_unknown.status().code(), base::StatusCode::kNotFound);
  // Refused calls changed nothing.
  auto jobs = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ((*jobs)[0].lease_expires_at, base::Timestamp{50 + kLease});
  EXPECT_EQ((*jobs)[0].agent, "a");
}

TEST_P(StoreTest, AJobFinishedWithItsRunIsDoneOnce) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(JobsPlan(1, {{1, "linux", 1}})).ok());
  auto claimed = store->ClaimJob(Claim("linux", "a", 10));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  const int64_t id = (*claimed)->id;
  auto done = store->FinishJob(id, "a", std::string("run-1"), "", base::Timestamp{40}, 3);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->state, core::JobState::kDone);
  EXPECT_EQ(done->run_id, "run-1");
  EXPECT_EQ(done->finished_at, base::Timestamp{40});
  EXPECT_EQ(done->lease_expires_at, std::nullopt);
  EXPECT_EQ(done->agent, "a");
  EXPECT_EQ(done->attempt, 1);

  auto again = store->FinishJob(id, "a", std::string("run-2"), "", base::Timestamp{41}, 3);
  EXPECT_EQ(again.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(again.status().message(), "it is done")) << again.status().ToString();
  EXPECT_EQ(store->RenewJobLease(id, "a", base::Timestamp{42}, kLease).status().code(),
            base::StatusCode::kConflict);
  auto none = store->ClaimJob(Claim("linux", "b", 50));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto jobs = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state, core::JobState::kDone);
  EXPECT_EQ((*jobs)[0].run_id, "run-1");
  auto agents = store->ListAgents();
  ASSERT_TRUE(agents.ok());
  EXPECT_EQ((*agents)[0].name, "a");
  EXPECT_EQ((*agents)[0].job, std::nullopt);  // it holds nothing now
  EXPECT_EQ((*agents)[0].last_seen, base::Timestamp{40});
}

TEST_P(StoreTest, AFailedAttemptQueuesTheJobAgainKeepingItsAttemptsAndLog) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(JobsPlan(1, {{1, "linux", 1}})).ok());
  auto claimed = store->ClaimJob(Claim("linux", "a", 10));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  const int64_t id = (*claimed)->id;
  auto failed = store->FinishJob(id, "a", std::nullopt, "error: oom", base::Timestamp{30}, 3);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(failed->state, core::JobState::kQueued);
  EXPECT_EQ(failed->attempt, 1);
  EXPECT_EQ(failed->agent, "a");  // the last to hold it
  EXPECT_EQ(failed->lease_expires_at, std::nullopt);
  EXPECT_EQ(failed->finished_at, std::nullopt);
  EXPECT_EQ(failed->log_tail, "error: oom");
  EXPECT_EQ(failed->run_id, std::nullopt);
  // No longer held: a late heartbeat of `a` is refused.
  EXPECT_EQ(store->RenewJobLease(id, "a", base::Timestamp{31}, kLease).status().code(),
            base::StatusCode::kConflict);

  auto second = store->ClaimJob(Claim("linux", "b", 40));
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->id, id);
  EXPECT_EQ((*second)->attempt, 2);
  EXPECT_EQ((*second)->agent, "b");
  EXPECT_EQ((*second)->claimed_at, base::Timestamp{40});
  EXPECT_EQ((*second)->log_tail, "error: oom");
  auto done = store->FinishJob(id, "b", std::string("run-1"), "", base::Timestamp{50}, 3);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, core::JobState::kDone);
  EXPECT_EQ(done->attempt, 2);
  EXPECT_EQ(done->log_tail, "error: oom");  // the last failed attempt's
}

TEST_P(StoreTest, AnExpiredLeaseQueuesTheJobAgainAtTheNextClaimOfAnyPlatform) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(JobsPlan(1, {{1, "linux", 1}})).ok());
  auto claimed = store->ClaimJob(Claim("linux", "a", 10));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  const int64_t id = (*claimed)->id;
  // Leased until 110: a claim at 110 leaves it.
  ASSERT_TRUE(store->ClaimJob(Claim("macos", "m", 10 + kLease)).ok());
  EXPECT_EQ(store->ListJobHandouts(std::nullopt)->at(0).state, core::JobState::kRunning);
  // After it, a claim on another platform expires it.
  auto mac = store->ClaimJob(Claim("macos", "m", 11 + kLease));
  ASSERT_TRUE(mac.ok()) << mac.status().ToString();
  EXPECT_FALSE(mac->has_value());
  auto jobs = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(jobs.ok());
  const JobHandout* j = Find(*jobs, id);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->state, core::JobState::kQueued);
  EXPECT_EQ(j->attempt, 1);
  EXPECT_EQ(j->agent, "a");
  EXPECT_EQ(j->lease_expires_at, std::nullopt);
  EXPECT_EQ(j->finished_at, std::nullopt);
  EXPECT_EQ(store->ListAgents()->at(0).job, std::nullopt);  // `a` no longer holds it
  EXPECT_EQ(store->RenewJobLease(id, "a", base::Timestamp{200}, kLease).status().code(),
            base::StatusCode::kConflict);

  auto again = store->ClaimJob(Claim("linux", "b", 300));
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*again)->attempt, 2);
  auto late = store->FinishJob(id, "a", std::string("run-late"), "", base::Timestamp{301}, 3);
  EXPECT_EQ(late.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(late.status().message(), "held by agent 'b'")) << late.status().ToString();
}

TEST_P(StoreTest, AfterItsLastAttemptAJobFailsKeepingItsLog) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(JobsPlan(1, {{1, "linux", 2}, {2, "linux", 1}})).ok());
  // Job 1: two failed attempts of two.
  auto first = store->ClaimJob(Claim("linux", "a", 10, 2));
  ASSERT_TRUE(first.ok() && first->has_value());
  const int64_t id = (*first)->id;
  ASSERT_TRUE(store->FinishJob(id, "a", std::nullopt, "first", base::Timestamp{20}, 2).ok());
  auto second = store->ClaimJob(Claim("linux", "b", 30, 2));
  ASSERT_TRUE(second.ok() && second->has_value());
  ASSERT_EQ((*second)->id, id);
  auto failed = store->FinishJob(id, "b", std::nullopt, "second", base::Timestamp{40}, 2);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(failed->state, core::JobState::kFailed);
  EXPECT_EQ(failed->attempt, 2);
  EXPECT_EQ(failed->log_tail, "second");
  EXPECT_EQ(failed->finished_at, base::Timestamp{40});
  EXPECT_EQ(failed->lease_expires_at, std::nullopt);

  // Job 2: a failed attempt, then a lease that expires on the last attempt.
  auto other = store->ClaimJob(Claim("linux", "a", 50, 2));
  ASSERT_TRUE(other.ok() && other->has_value());
  const int64_t other_id = (*other)->id;
  EXPECT_EQ((*other)->sha, Sha(2));
  ASSERT_TRUE(store->FinishJob(other_id, "a", std::nullopt, "oom", base::Timestamp{60}, 2).ok());
  auto last = store->ClaimJob(Claim("linux", "b", 70, 2));
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->attempt, 2);
  auto none = store->ClaimJob(Claim("linux", "c", 1000, 2));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "a failed job was handed out";
  auto jobs = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(jobs.ok());
  const JobHandout* j = Find(*jobs, other_id);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->state, core::JobState::kFailed);
  EXPECT_EQ(j->log_tail, "oom");
  EXPECT_EQ(j->agent, "b");
  EXPECT_EQ(j->finished_at, base::Timestamp{1000});
  EXPECT_EQ(Find(*jobs, id)->state, core::JobState::kFailed);
  // The schedule reads the new states.
  auto schedule = store->LoadSchedule();
  ASSERT_TRUE(schedule.ok()) << schedule.status().ToString();
  ASSERT_EQ(schedule->jobs.size(), 2u);
  EXPECT_EQ(schedule->jobs[0].state, core::JobState::kFailed);
}

TEST_P(StoreTest, ScheduleMarkMovesWithEveryHandOutCall) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(JobsPlan(1, {{1, "linux", 1}, {2, "linux", 1}})).ok());
  int64_t mark = *store->ScheduleMark();
  auto moved = [&](const char* what) {
    const int64_t now = *store->ScheduleMark();
    EXPECT_GT(now, mark) << what;
    mark = now;
  };
  auto claimed = store->ClaimJob(Claim("linux", "a", 10));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  moved("claim");
  const int64_t id = (*claimed)->id;
  ASSERT_TRUE(store->RenewJobLease(id, "a", base::Timestamp{20}, kLease).ok());
  moved("renew");
  ASSERT_TRUE(store->FinishJob(id, "a", std::nullopt, "x", base::Timestamp{30}, 3).ok());
  moved("failed attempt");
  ASSERT_TRUE(store->ClaimJob(Claim("linux", "a", 40)).ok());
  moved("claim again");
  ASSERT_TRUE(store->ClaimJob(Claim("macos", "m", 50)).ok());
  moved("a claim with nothing waiting");
  ASSERT_TRUE(store->FinishJob(id, "a", std::string("run"), "", base::Timestamp{60}, 3).ok());
  moved("done");
  // Reads and refused calls leave it.
  ASSERT_TRUE(store->ListJobHandouts(std::nullopt).ok());
  ASSERT_TRUE(store->ListAgents().ok());
  EXPECT_FALSE(store->RenewJobLease(id, "a", base::Timestamp{70}, kLease).ok());
  EXPECT_EQ(*store->ScheduleMark(), mark);
  // Hand-out does not make a plan stale (the planner counts a running job as queued): a plan
  // made after the newest plan is recorded whatever was claimed since, and moves the mark.
  PlanRecord later = JobsPlan(2, {{3, "linux", 1}});
  later.after_plan = store->LoadSchedule()->plan_id;
  ASSERT_TRUE(store->RecordPlan(later).ok());
  moved("plan");
}

// A plan that queues a commit and platform again leaves a job an agent is running: it stays
// running beside the new queued job.
TEST_P(StoreTest, ARunningJobIsNotSupersededByALaterPlan) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(JobsPlan(1, {{1, "linux", 1}, {2, "linux", 1}})).ok());
  auto claimed = store->ClaimJob(Claim("linux", "a", 10));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  ASSERT_EQ((*claimed)->sha, Sha(1));
  PlanRecord again = JobsPlan(2, {{1, "linux", 1}, {2, "linux", 1}});
  ASSERT_TRUE(store->RecordPlan(again).ok());
  auto schedule = store->LoadSchedule();
  ASSERT_TRUE(schedule.ok()) << schedule.status().ToString();
  ASSERT_EQ(schedule->jobs.size(), 4u);
  EXPECT_EQ(schedule->jobs[0].state, core::JobState::kRunning);
  EXPECT_EQ(schedule->jobs[1].state, core::JobState::kSuperseded);
  EXPECT_EQ(schedule->jobs[2].state, core::JobState::kQueued);
  EXPECT_EQ(schedule->jobs[3].state, core::JobState::kQueued);
  // Its agent still holds it.
  auto renewed = store->RenewJobLease((*claimed)->id, "a", base::Timestamp{20}, kLease);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->state, core::JobState::kRunning);
  auto listed = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 3u);  // the superseded one left out
}

// Eight processes (agents on separate machines, or several servers) claim at once from 40
// queued jobs until none is left: every job is handed out exactly once.
TEST_P(StoreTest, EightConcurrentClaimersGetEveryJobExactlyOnce) {
  constexpr int kProcesses = 8, kJobs = 40;
  {
    auto store = Open();
    std::vector<std::tuple<int, std::string, int>> jobs;
    for (int i = 0; i < kJobs; ++i) jobs.emplace_back(i, "linux", 1 + i % 3);
    ASSERT_TRUE(store->RecordPlan(JobsPlan(1, jobs)).ok());
  }
  int gate[2], report[2];
  ASSERT_EQ(::pipe(gate), 0);
  ASSERT_EQ(::pipe(report), 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      ::close(report[0]);
      char c;
      while (::read(gate[0], &c, 1) < 0) {
      }
      auto store = OpenStore(path_);
      if (!store.ok()) ::_exit(1);
      ClaimRequest r = Claim("linux", "agent-" + std::to_string(p), 10);
      r.lease_nanos = 3'600'000'000'000;  // none expires during the test
      for (;;) {
        auto job = (*store)->ClaimJob(r);
        if (!job.ok()) ::_exit(2);
        if (!job->has_value()) break;
        const int64_t id = (*job)->id;  // 8 bytes: one atomic write to the pipe
        if (::write(report[1], &id, sizeof id) != sizeof id) ::_exit(3);
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // every child starts at once
  ::close(report[1]);
  std::vector<int64_t> claimed;
  int64_t id = 0;
  while (::read(report[0], &id, sizeof id) == sizeof id) claimed.push_back(id);
  ::close(report[0]);
  for (int p = 0; p < kProcesses; ++p) {
    int status = 0;
    ::waitpid(pids[p], &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "process " << p;
  }
  std::set<int64_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs)) << "a job was claimed twice or not at all";
  EXPECT_EQ(unique.size(), static_cast<size_t>(kJobs));
  auto store = Open();
  auto jobs = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), static_cast<size_t>(kJobs));
  for (const JobHandout& j : *jobs) {
    EXPECT_EQ(j.state, core::JobState::kRunning) << j.id;
    EXPECT_EQ(j.attempt, 1) << j.id;
    EXPECT_TRUE(unique.contains(j.id)) << j.id;
  }
}

}  // namespace
}  // namespace perfledger::store
