#include "schedule/planner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace perfledger::schedule {

void PrintTo(const CommitRange& r, std::ostream* os) {
  *os << "(" << r.from.value_or("null") << ", " << r.to << "] count " << r.count;
}

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
// 2026-11-24T10:00:00Z: a multiple of 15 and 30 minutes since the epoch.
constexpr int64_t kT0 = 1'795'514'400LL * kSecond;

base::Timestamp At(int minutes, int seconds = 0) {
  return base::Timestamp{kT0 + minutes * kMinute + seconds * kSecond};
}

std::string Sha(int i) { return "c" + std::to_string(100 + i); }

// A linear history: commit i at the given minute after kT0.
std::vector<BranchCommit> Linear(const std::vector<int>& minutes) {
  std::vector<BranchCommit> out;
  for (size_t i = 0; i < minutes.size(); ++i) {
    BranchCommit c;
    c.sha = Sha(static_cast<int>(i));
    if (i > 0) c.parents.push_back(out.back().sha);
    c.time = At(minutes[i]);
    c.subject = "change " + std::to_string(i);
    out.push_back(c);
  }
  return out;
}

PlannerInput Input(std::vector<BranchCommit> commits, std::vector<std::string> platforms,
                   base::Timestamp now) {
  PlannerInput in;
  in.commits = std::move(commits);
  in.platforms = std::move(platforms);
  in.now = now;
  return in;
}

Plan MustPlan(const PlannerInput& in) {
  auto plan = MakePlan(in);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : Plan{};
}

std::vector<std::string> JobShas(const Plan& p) {
  std::vector<std::string> out;
  for (const Job& j : p.jobs) out.push_back(j.sha);
  return out;
}

std::vector<std::string> SkipShas(const Plan& p) {
  std::vector<std::string> out;
  for (const Skip& s : p.skips) out.push_back(s.sha);
  return out;
}

using Shas = std::vector<std::string>;

TEST(Planner, NoNewCommitsPlansNothing) {
  PlannerInput in = Input(Linear({1, 2}), {"linux"}, At(40));
  in.state["linux"].measured = {Sha(1)};
  Plan p = MustPlan(in);
  EXPECT_TRUE(p.jobs.empty());
  EXPECT_TRUE(p.skips.empty());
  EXPECT_TRUE(p.pending.empty());
  EXPECT_EQ(p.degradation, Degradation::kNone);
}

TEST(Planner, EmptyHistoryPlansNothing) {
  Plan p = MustPlan(Input({}, {"linux"}, At(40)));
  EXPECT_TRUE(p.jobs.empty());
}

TEST(Planner, WindowWithOneCommit) {
  PlannerInput in = Input(Linear({1, 16}), {"linux"}, At(31));
  in.state["linux"].measured = {Sha(0)};
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  const Job& j = p.jobs[0];
  EXPECT_EQ(j.sha, Sha(1));
  EXPECT_EQ(j.reason, "schedule");
  EXPECT_EQ(j.priority, 1);
  EXPECT_EQ(j.platforms, Shas{"linux"});
  EXPECT_EQ(j.commit_range, (CommitRange{Sha(0), Sha(1), 1}));
  EXPECT_TRUE(p.skips.empty());
}

TEST(Planner, WindowWithManyCommitsPlansTheLatestAndSkipsTheRest) {
  // 10:00 measured; 10:15..10:29 five commits; 10:31 in the open window.
  PlannerInput in = Input(Linear({0, 15, 18, 20, 25, 29, 31}), {"linux"}, At(32));
  in.state["linux"].measured = {Sha(0)};
  Plan p = MustPlan(in);
  EXPECT_EQ(JobShas(p), Shas{Sha(5)});
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(0), Sha(5), 5}));
  EXPECT_NE(p.jobs[0].reason_detail.find("newest of 5 commits"), std::string::npos)
      << p.jobs[0].reason_detail;
  EXPECT_EQ(SkipShas(p), (Shas{Sha(1), Sha(2), Sha(3), Sha(4)}));
  for (const Skip& s : p.skips) {
    EXPECT_EQ(s.reason, "window");
    EXPECT_EQ(s.superseded_by, Sha(5));
    EXPECT_EQ(s.queue_depth, 0);
  }
  EXPECT_EQ(p.pending["linux"], Shas{Sha(6)});
}

TEST(Planner, OneJobPerClosedWindow) {
  PlannerInput in = Input(Linear({0, 1, 2, 16, 17, 50}), {"linux"}, At(60));
  in.state["linux"].measured = {Sha(0)};
  Plan p = MustPlan(in);
  EXPECT_EQ(JobShas(p), (Shas{Sha(2), Sha(4), Sha(5)}));
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(0), Sha(2), 2}));
  EXPECT_EQ(p.jobs[1].commit_range, (CommitRange{Sha(2), Sha(4), 2}));
  EXPECT_EQ(p.jobs[2].commit_range, (CommitRange{Sha(4), Sha(5), 1}));
  EXPECT_EQ(SkipShas(p), (Shas{Sha(1), Sha(3)}));
  EXPECT_EQ(p.skips[1].superseded_by, Sha(4));
}

TEST(Planner, OpenWindowWaits) {
  PlannerInput in = Input(Linear({0, 31, 33}), {"linux"}, At(44, 59));
  in.state["linux"].measured = {Sha(0)};
  Plan p = MustPlan(in);
  EXPECT_TRUE(p.jobs.empty());
  EXPECT_EQ(p.pending["linux"], (Shas{Sha(1), Sha(2)}));
  // The window [10:30, 10:45) closes exactly at 10:45.
  in.now = At(45);
  EXPECT_EQ(JobShas(MustPlan(in)), Shas{Sha(2)});
}

TEST(Planner, WindowOfAlreadyMeasuredCommitsPlansNothing) {
  PlannerInput in = Input(Linear({0, 16, 17, 18}), {"linux"}, At(40));
  in.state["linux"].measured = {Sha(0), Sha(1), Sha(2), Sha(3)};
  Plan p = MustPlan(in);
  EXPECT_TRUE(p.jobs.empty());
  EXPECT_TRUE(p.skips.empty());
}

TEST(Planner, QueuedAndSkippedCommitsMoveTheFrontier) {
  PlannerInput in = Input(Linear({0, 16, 17, 31}), {"linux"}, At(50));
  in.state["linux"].measured = {Sha(0)};
  in.state["linux"].skipped = {Sha(1)};
  in.state["linux"].queued = {Sha(2)};
  Plan p = MustPlan(in);
  EXPECT_EQ(JobShas(p), Shas{Sha(3)});
  // Ranges start at the last commit measured or already planned.
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(2), Sha(3), 1}));
}

TEST(Planner, FirstPlanOnAPlatformIsOneBaselineJob) {
  std::vector<int> minutes;
  for (int i = 0; i < 100; ++i) minutes.push_back(i);
  Plan p = MustPlan(Input(Linear(minutes), {"linux"}, At(100)));
  // The newest closed window is [10:75, 10:90): its newest commit is minute 89.
  ASSERT_EQ(p.jobs.size(), 1u);
  EXPECT_EQ(p.jobs[0].sha, Sha(89));
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{std::nullopt, Sha(89), 90}));
  EXPECT_NE(p.jobs[0].reason_detail.find("first run"), std::string::npos);
  EXPECT_TRUE(p.skips.empty());
  EXPECT_EQ(p.pending["linux"].size(), 10u);
}

TEST(Planner, EveryCommit) {
  PlannerInput in = Input(Linear({0, 1, 2, 3}), {"linux"}, At(4));
  in.policy.sampling = Sampling::kEveryCommit;
  in.state["linux"].measured = {Sha(0)};
  Plan p = MustPlan(in);
  EXPECT_EQ(JobShas(p), (Shas{Sha(1), Sha(2), Sha(3)}));
  for (const Job& j : p.jobs) {
    EXPECT_EQ(j.reason, "push");
    EXPECT_EQ(j.commit_range.count, 1);
  }
}

TEST(Planner, MergesOnly) {
  std::vector<BranchCommit> h = Linear({0, 1, 2, 3, 4, 5});
  h[2].parents.push_back("side-a");
  h[4].parents.push_back("side-b");
  PlannerInput in = Input(h, {"linux"}, At(100));
  in.policy.sampling = Sampling::kMergesOnly;
  in.state["linux"].measured = {Sha(0)};
  Plan p = MustPlan(in);
  EXPECT_EQ(JobShas(p), (Shas{Sha(2), Sha(4)}));
  EXPECT_EQ(p.jobs[0].reason, "merge");
  EXPECT_EQ(p.jobs[1].commit_range, (CommitRange{Sha(2), Sha(4), 2}));
  EXPECT_EQ(SkipShas(p), (Shas{Sha(1), Sha(3)}));
  EXPECT_EQ(p.skips[0].reason, "not-merge");
  EXPECT_EQ(p.skips[1].superseded_by, Sha(4));
  // A direct push after the last merge waits for the next merge.
  EXPECT_EQ(p.pending["linux"], Shas{Sha(5)});
}

TEST(Planner, TaggedCommitsAndWindowFallback) {
  std::vector<BranchCommit> h = Linear({0, 16, 17, 18, 31, 32, 46});
  h[2].subject = "speed up the parser [bench]";
  h[6].subject = "tagged in the open window [bench]";
  PlannerInput in = Input(h, {"linux"}, At(50));
  in.policy.sampling = Sampling::kTagged;
  in.state["linux"].measured = {Sha(0)};
  Plan p = MustPlan(in);
  // Window 10:15: the tagged commit, then the window's newest (after the tag) as fallback;
  // window 10:30 has no tag: its newest; the open window's tagged commit runs right away.
  EXPECT_EQ(JobShas(p), (Shas{Sha(2), Sha(3), Sha(5), Sha(6)}));
  EXPECT_EQ(p.jobs[0].reason, "tagged");
  EXPECT_EQ(p.jobs[0].priority, 2);
  EXPECT_EQ(p.jobs[1].reason, "schedule");
  EXPECT_EQ(p.jobs[2].reason, "schedule");
  EXPECT_EQ(p.jobs[3].reason, "tagged");
  EXPECT_EQ(SkipShas(p), (Shas{Sha(1), Sha(4)}));
  EXPECT_EQ(p.skips[0].reason, "untagged");
  EXPECT_EQ(p.skips[0].superseded_by, Sha(2));
}

TEST(Planner, CustomMarker) {
  std::vector<BranchCommit> h = Linear({0, 1, 2});
  h[1].subject = "perf: faster [perf]";
  PlannerInput in = Input(h, {"linux"}, At(5));
  in.policy.sampling = Sampling::kTagged;
  in.policy.marker = "[perf]";
  in.state["linux"].measured = {Sha(0)};
  EXPECT_EQ(JobShas(MustPlan(in)), Shas{Sha(1)});
}

// Many commits in closed windows and a queue of the given depth.
PlannerInput Busy(int depth) {
  std::vector<int> minutes;
  for (int i = 0; i < 40; ++i) minutes.push_back(i * 2);  // 10:00 .. 11:18
  PlannerInput in = Input(Linear(minutes), {"linux"}, At(90));
  in.state["linux"].measured = {Sha(0)};
  in.queue_depth = depth;
  return in;
}

TEST(Planner, DegradationThresholdsAtAndAboveTheirBounds) {
  Plan at_widen = MustPlan(Busy(10));
  EXPECT_EQ(at_widen.degradation, Degradation::kNone);
  EXPECT_EQ(at_widen.window_nanos, 15 * kMinute);
  // Windows 10:00, 10:15, 10:30, 10:45, 11:00, 11:15 (closed at 11:30 > now? no: now 11:30).
  EXPECT_EQ(at_widen.jobs.size(), 6u);

  Plan above_widen = MustPlan(Busy(11));
  EXPECT_EQ(above_widen.degradation, Degradation::kWidened);
  EXPECT_EQ(above_widen.window_nanos, 30 * kMinute);
  EXPECT_EQ(JobShas(above_widen), (Shas{Sha(14), Sha(29), Sha(39)}));

  Plan at_reset = MustPlan(Busy(20));
  EXPECT_EQ(at_reset.degradation, Degradation::kWidened);

  Plan above_reset = MustPlan(Busy(21));
  EXPECT_EQ(above_reset.degradation, Degradation::kReset);
  ASSERT_EQ(above_reset.jobs.size(), 1u);
  EXPECT_EQ(above_reset.jobs[0].sha, Sha(39));
  EXPECT_EQ(above_reset.jobs[0].commit_range, (CommitRange{Sha(0), Sha(39), 39}));
  EXPECT_EQ(above_reset.skips.size(), 38u);
  for (const Skip& s : above_reset.skips) {
    EXPECT_EQ(s.reason, "queue-reset");
    EXPECT_EQ(s.queue_depth, 21);
    EXPECT_EQ(s.superseded_by, Sha(39));
  }
}

TEST(Planner, ThresholdZeroTurnsAStepOff) {
  PlannerInput in = Busy(50);
  in.policy.reset_above = 0;
  EXPECT_EQ(MustPlan(in).degradation, Degradation::kWidened);
  in.policy.widen_above = 0;
  Plan p = MustPlan(in);
  EXPECT_EQ(p.degradation, Degradation::kNone);
  EXPECT_EQ(p.jobs.size(), 6u);
}

TEST(Planner, ResetSupersedesQueuedJobs) {
  PlannerInput in = Busy(25);
  in.state["linux"].queued = {Sha(7), Sha(14)};
  in.state["linux"].skipped = {Sha(3)};
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  // The range starts at the newest measured commit, so it covers the superseded jobs.
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(0), Sha(39), 39}));
  int queue_resets = 0;
  for (const Skip& s : p.skips) {
    EXPECT_NE(s.sha, Sha(3)) << "an earlier skip is not logged twice";
    if (s.sha == Sha(7) || s.sha == Sha(14)) {
      ++queue_resets;
      EXPECT_EQ(s.reason, "queue-reset");
      EXPECT_EQ(s.queue_depth, 25);
      EXPECT_EQ(s.superseded_by, Sha(39));
    }
  }
  EXPECT_EQ(queue_resets, 2);
}

TEST(Planner, ManualAtDepth25IsAlwaysPlanned) {
  PlannerInput in = Busy(25);
  in.manual = {Sha(10)};
  Plan p = MustPlan(in);
  EXPECT_EQ(p.degradation, Degradation::kReset);
  ASSERT_EQ(p.jobs.size(), 2u);
  EXPECT_EQ(p.jobs[0].sha, Sha(10));
  EXPECT_EQ(p.jobs[0].reason, "manual");
  EXPECT_EQ(p.jobs[0].priority, 3);
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(0), Sha(10), 10}));
  EXPECT_EQ(p.jobs[1].sha, Sha(39));
  EXPECT_EQ(p.jobs[1].commit_range, (CommitRange{Sha(10), Sha(39), 29}));
}

TEST(Planner, ManualReRunOfAnOldCommit) {
  PlannerInput in = Input(Linear({0, 1, 2, 3}), {"linux"}, At(5));
  in.state["linux"].measured = {Sha(0), Sha(3)};
  in.state["linux"].skipped = {Sha(1), Sha(2)};
  in.manual = {Sha(2)};
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  EXPECT_EQ(p.jobs[0].reason, "manual");
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(0), Sha(2), 2}));
}

TEST(Planner, ManualShaNotOnTheBranchIsAnError) {
  PlannerInput in = Input(Linear({0, 1}), {"linux"}, At(5));
  in.manual = {"deadbeef"};
  auto p = MakePlan(in);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_NE(p.status().message().find("deadbeef"), std::string::npos);
}

TEST(Planner, APlatformBehindGetsItsOwnRange) {
  PlannerInput in = Input(Linear({0, 5, 16, 20, 31}), {"linux", "macos", "windows"}, At(46));
  in.state["linux"].measured = {Sha(0), Sha(1), Sha(3)};
  in.state["macos"].measured = {Sha(0)};                    // a slow runner, windows behind
  in.state["windows"].measured = {Sha(0), Sha(1), Sha(2)};  // had a manual run at c102
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 4u);
  EXPECT_EQ(p.jobs[0].sha, Sha(1));
  EXPECT_EQ(p.jobs[0].platforms, Shas{"macos"});
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(0), Sha(1), 1}));
  EXPECT_EQ(p.jobs[1].sha, Sha(3));
  EXPECT_EQ(p.jobs[1].platforms, Shas{"macos"});
  EXPECT_EQ(p.jobs[1].commit_range, (CommitRange{Sha(1), Sha(3), 2}));
  EXPECT_EQ(p.jobs[2].sha, Sha(3));
  EXPECT_EQ(p.jobs[2].platforms, Shas{"windows"});
  EXPECT_EQ(p.jobs[2].commit_range, (CommitRange{Sha(2), Sha(3), 1}));
  EXPECT_EQ(p.jobs[3].sha, Sha(4));
  EXPECT_EQ(p.jobs[3].platforms, (Shas{"linux", "macos", "windows"}));
  EXPECT_EQ(p.jobs[3].commit_range, (CommitRange{Sha(3), Sha(4), 1}));
  EXPECT_EQ(SkipShas(p), Shas{Sha(2)});
  EXPECT_EQ(p.skips[0].platforms, Shas{"macos"});
}

TEST(Planner, ForcePushedHistoryIsReportedNotCrashedOn) {
  PlannerInput in = Input(Linear({0, 1, 2}), {"linux"}, At(20));
  // c101 and c102 were rewritten: the store holds shas that are not on the branch any more.
  in.state["linux"].measured = {Sha(0), "gone-1"};
  in.state["linux"].queued = {"gone-2"};
  auto off = OffBranch(in);
  EXPECT_EQ(off["linux"], (Shas{"gone-1", "gone-2"}));
  Plan p = MustPlan(in);
  EXPECT_EQ(JobShas(p), Shas{Sha(2)});
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{Sha(0), Sha(2), 2}));
}

TEST(Planner, SameInputsSamePlan) {
  PlannerInput in = Busy(12);
  in.platforms = {"a", "b"};
  in.state["b"].queued = {Sha(20)};
  in.manual = {Sha(5)};
  Plan a = MustPlan(in), b = MustPlan(in);
  ASSERT_EQ(a.jobs.size(), b.jobs.size());
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    EXPECT_EQ(a.jobs[i].sha, b.jobs[i].sha);
    EXPECT_EQ(a.jobs[i].platforms, b.jobs[i].platforms);
    EXPECT_EQ(a.jobs[i].commit_range, b.jobs[i].commit_range);
  }
  EXPECT_EQ(SkipShas(a), SkipShas(b));
}

TEST(Planner, EveryCommitAfterTheFrontierIsAccountedFor) {
  // Randomised histories: each commit after the frontier is chosen, skipped or pending,
  // exactly once per platform.
  for (int seed = 1; seed <= 50; ++seed) {
    std::vector<int> minutes;
    int t = 0;
    for (int i = 0; i < 60; ++i) minutes.push_back(t += (seed * 7 + i * 13) % 9);
    PlannerInput in = Input(Linear(minutes), {"p1", "p2"}, At(t + (seed % 20)));
    in.policy.sampling = static_cast<Sampling>(seed % 4);
    in.state["p1"].measured = {Sha(seed % 10)};
    in.state["p2"].queued = {Sha(seed % 30)};
    in.queue_depth = seed % 25;
    if (seed % 3 == 0) in.manual = {Sha(seed % 60)};
    Plan p = MustPlan(in);
    for (const std::string platform : {"p1", "p2"}) {
      std::map<std::string, int> seen;
      for (const Job& j : p.jobs) {
        for (const auto& q : j.platforms) {
          if (q == platform) ++seen[j.sha];
        }
      }
      for (const Skip& s : p.skips) {
        for (const auto& q : s.platforms) {
          if (q == platform) ++seen[s.sha];
        }
      }
      for (const auto& sha : p.pending[platform]) ++seen[sha];
      for (const auto& [sha, times] : seen) {
        EXPECT_LE(times, 1) << "seed " << seed << " " << platform << " " << sha;
      }
      // Everything after the newest known commit is accounted for.
      const auto& st = in.state[platform];
      int frontier = -1;
      for (int i = 0; i < 60; ++i) {
        if (st.measured.contains(Sha(i)) || st.queued.contains(Sha(i))) frontier = i;
      }
      if (p.degradation == Degradation::kReset || frontier < 0) continue;
      for (int i = frontier + 1; i < 60; ++i) {
        EXPECT_EQ(seen[Sha(i)], 1) << "seed " << seed << " " << platform << " " << Sha(i);
      }
    }
  }
}

TEST(Planner, BadPolicyIsRefused) {
  PlannerInput in = Input(Linear({0}), {"linux"}, At(5));
  in.policy.window_nanos = 0;
  EXPECT_EQ(MakePlan(in).status().code(), base::StatusCode::kInvalidInput);
}

TEST(Planner, WindowsAlignToTheEpoch) {
  EXPECT_EQ(WindowIndex(At(0), 15 * kMinute) + 1, WindowIndex(At(15), 15 * kMinute));
  EXPECT_EQ(WindowIndex(At(14, 59), 15 * kMinute), WindowIndex(At(0), 15 * kMinute));
  EXPECT_EQ(WindowIndex(base::Timestamp{-1}, 15 * kMinute), -1);
}

}  // namespace
}  // namespace perfledger::schedule
