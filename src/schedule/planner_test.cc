// The planner (planner.h): sampling, windows, degradation, manual requests and bisection, each
// case a small branch and the plan it must give. Over 600 lines on purpose: one table of
// behaviours over one input builder; split by topic it would repeat the builder.
#include "schedule/planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
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

// Issue 16: the very first plan on an empty store planned nothing until the head's window
// closed (a young branch had no closed window at all).
TEST(Planner, TheFirstPlanOfAllBenchmarksTheHeadAtOnce) {
  PlannerInput in = Input(Linear({0, 3, 5}), {"linux", "macos"}, At(7));
  EXPECT_TRUE(MustPlan(in).jobs.empty());  // not the first plan: the window [10:00, 10:15) waits
  in.first_plan = true;
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  EXPECT_EQ(p.jobs[0].sha, Sha(2));
  EXPECT_EQ(p.jobs[0].platforms, (Shas{"linux", "macos"}));
  EXPECT_EQ(p.jobs[0].reason, "push");
  EXPECT_EQ(p.jobs[0].commit_range, (CommitRange{std::nullopt, Sha(2), 3}));
  EXPECT_TRUE(p.skips.empty());
  EXPECT_TRUE(p.pending.empty());
  // The head too when older windows have closed, and under the tagged rule.
  in.now = At(40);
  EXPECT_EQ(JobShas(MustPlan(in)), Shas{Sha(2)});
  in.policy.sampling = Sampling::kTagged;
  EXPECT_EQ(JobShas(MustPlan(in)), Shas{Sha(2)});
  // A platform with something stored plans by its rule as always.
  in.policy.sampling = Sampling::kLatestInWindow;
  in.now = At(7);
  in.state["linux"].measured = {Sha(0)};
  p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  EXPECT_EQ(p.jobs[0].platforms, Shas{"macos"});
  EXPECT_EQ(p.pending["linux"], (Shas{Sha(1), Sha(2)}));
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

// Regression: plan --window 400d --degrade-widen-factor 1000000 --degrade-widen-above 1
// --queue-depth 5 multiplied the window past int64 and planned with a negative window
// (nothing planned, exit 0). The widened window saturates at kMaxWindowNanos.
TEST(Planner, AWidenedWindowSaturatesInsteadOfWrapping) {
  PlannerInput in = Busy(5);
  in.policy.window_nanos = 400LL * 24 * 60 * kMinute;
  in.policy.widen_factor = 1'000'000;
  in.policy.widen_above = 1;
  Plan p = MustPlan(in);
  EXPECT_EQ(p.degradation, Degradation::kWidened);
  EXPECT_EQ(p.window_nanos, kMaxWindowNanos);
  // One window holds every commit and it is still open: nothing is decided yet, nothing lost.
  EXPECT_TRUE(p.jobs.empty());
  EXPECT_TRUE(p.skips.empty());
  // The window has closed (windows start at multiples of their length since 1970).
  in.now = base::Timestamp{(At(90).unix_nanos / kMaxWindowNanos + 1) * kMaxWindowNanos};
  Plan later = MustPlan(in);
  ASSERT_EQ(later.jobs.size(), 1u);
  EXPECT_EQ(later.jobs[0].sha, Sha(39));
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

// Bisection. A linear history c100..c1NN (minute i each), every window closed, the newest
// commit measured: only bisect requests can plan anything.
PlannerInput Settled(int commits, std::vector<std::string> platforms = {"linux"}) {
  std::vector<int> minutes;
  for (int i = 0; i < commits; ++i) minutes.push_back(i);
  PlannerInput in = Input(Linear(minutes), platforms, At(commits + 60));
  for (const auto& p : platforms) in.state[p].measured = {Sha(commits - 1)};
  return in;
}

BisectRequest Alert(int64_t id, int from, int to, std::string platform = "linux",
                    std::string detail = "BM_Parse cpu_time") {
  return {std::move(platform), Sha(from), Sha(to), id, std::move(detail)};
}

std::vector<const Job*> BisectJobs(const Plan& p) {
  std::vector<const Job*> out;
  for (const Job& j : p.jobs) {
    if (j.reason == "bisect") out.push_back(&j);
  }
  return out;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(PlannerBisect, MiddleIsBalanced) {
  // Ranges (from, to] of 2, 3, 4, 10 commits: the middle leaves at most ceil(n / 2).
  EXPECT_EQ(BisectMiddle(0, 2), 1);
  EXPECT_EQ(BisectMiddle(0, 3), 2);
  EXPECT_EQ(BisectMiddle(0, 4), 2);
  EXPECT_EQ(BisectMiddle(0, 10), 5);
  EXPECT_EQ(BisectMiddle(7, 17), 12);
  for (int64_t n = 2; n < 200; ++n) {
    const int64_t m = BisectMiddle(0, n);
    EXPECT_GT(m, 0);
    EXPECT_LT(m, n);
    EXPECT_LE(std::max(m, n - m), (n + 1) / 2) << n;
  }
}

TEST(PlannerBisect, PlansTheMiddleCommitOfTheRange) {
  PlannerInput in = Settled(12);
  in.state["linux"].measured.insert({Sha(0), Sha(10)});
  in.bisect = {Alert(7, 0, 10)};
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  const Job& j = p.jobs[0];
  EXPECT_EQ(j.sha, Sha(5));
  EXPECT_EQ(j.reason, "bisect");
  EXPECT_EQ(j.priority, kPriorityBisect);
  EXPECT_EQ(j.platforms, Shas{"linux"});
  // It stands for its own commit only, so coverage does not count (c100, c104] as represented.
  EXPECT_EQ(j.commit_range, (CommitRange{Sha(4), Sha(5), 1}));
  EXPECT_TRUE(Contains(j.reason_detail, "alert 7 (BM_Parse cpu_time)")) << j.reason_detail;
  EXPECT_TRUE(Contains(j.reason_detail, "10 commits left in c100..c110")) << j.reason_detail;
  EXPECT_TRUE(p.skips.empty());
  EXPECT_TRUE(p.unplanned_bisect.empty());
}

TEST(PlannerBisect, SkippedCommitsAreStillCandidates) {
  // The window rule skipped the middle once; bisection measures it anyway.
  PlannerInput in = Settled(12);
  in.state["linux"].measured.insert({Sha(0), Sha(10)});
  for (int i = 1; i < 10; ++i) in.state["linux"].skipped.insert(Sha(i));
  in.bisect = {Alert(7, 0, 10)};
  EXPECT_EQ(JobShas(MustPlan(in)), Shas{Sha(5)});
}

TEST(PlannerBisect, RangeOfOneCommitPlansNothing) {
  PlannerInput in = Settled(12);
  in.state["linux"].measured.insert({Sha(4), Sha(5)});
  in.bisect = {Alert(7, 4, 5)};
  Plan p = MustPlan(in);
  EXPECT_TRUE(p.jobs.empty());
  ASSERT_EQ(p.unplanned_bisect.size(), 1u);
  const BisectNote& k = p.unplanned_bisect[0];
  EXPECT_EQ(k.status, "converged");
  EXPECT_EQ(k.sha, Sha(5));
  EXPECT_EQ(k.commits, 1);
  EXPECT_EQ(k.request.alert_id, 7);
  EXPECT_TRUE(Contains(k.detail, "c105 is the culprit")) << k.detail;
}

TEST(PlannerBisect, QueuedMiddlePlansNothingNew) {
  PlannerInput in = Settled(12);
  in.state["linux"].measured.insert({Sha(0), Sha(10)});
  in.state["linux"].queued = {Sha(5)};
  in.queue_depth = 1;
  in.bisect = {Alert(7, 0, 10)};
  Plan p = MustPlan(in);
  EXPECT_TRUE(p.jobs.empty());
  EXPECT_TRUE(p.skips.empty()) << "the waiting job is not superseded";
  ASSERT_EQ(p.unplanned_bisect.size(), 1u);
  EXPECT_EQ(p.unplanned_bisect[0].status, "queued");
  EXPECT_EQ(p.unplanned_bisect[0].sha, Sha(5));
  EXPECT_EQ(p.unplanned_bisect[0].commits, 10);
}

TEST(PlannerBisect, MeasuredMiddleWaitsForDetectToNarrowTheRange) {
  // The middle has a result that `detect --record` has not used yet: planning another commit
  // of the same range now would be a run the narrowed range may not need.
  PlannerInput in = Settled(12);
  in.state["linux"].measured.insert({Sha(0), Sha(5), Sha(10)});
  in.bisect = {Alert(7, 0, 10)};
  Plan p = MustPlan(in);
  EXPECT_TRUE(p.jobs.empty());
  ASSERT_EQ(p.unplanned_bisect.size(), 1u);
  EXPECT_EQ(p.unplanned_bisect[0].status, "measured");
  EXPECT_EQ(p.unplanned_bisect[0].sha, Sha(5));
  EXPECT_TRUE(Contains(p.unplanned_bisect[0].detail, "detect")) << p.unplanned_bisect[0].detail;
  // Once detect narrowed the alert to (c105, c110], the next middle is planned.
  in.bisect = {Alert(7, 5, 10)};
  p = MustPlan(in);
  EXPECT_EQ(JobShas(p), Shas{Sha(8)});
  // Measured commits elsewhere in the range do not move the middle.
  in.state["linux"].measured.insert({Sha(6), Sha(9)});
  EXPECT_EQ(JobShas(MustPlan(in)), Shas{Sha(8)});
}

TEST(PlannerBisect, PriorityIsAboveEverySampledJob) {
  EXPECT_GT(kPriorityBisect, kPriorityNormal);
  EXPECT_GT(kPriorityBisect, kPriorityTagged);
  std::vector<BranchCommit> h = Linear({0, 1, 2, 3, 4, 16, 17, 18, 31, 32});
  h[6].subject = "faster [bench]";
  PlannerInput in = Input(h, {"linux"}, At(50));
  in.policy.sampling = Sampling::kTagged;
  in.state["linux"].measured = {Sha(0), Sha(4)};
  in.bisect = {Alert(3, 0, 4)};
  Plan p = MustPlan(in);
  ASSERT_EQ(BisectJobs(p).size(), 1u);
  EXPECT_EQ(BisectJobs(p)[0]->sha, Sha(2));
  int others = 0;
  for (const Job& j : p.jobs) {
    if (j.reason == "bisect") continue;
    ++others;
    EXPECT_LT(j.priority, BisectJobs(p)[0]->priority) << j.sha << " " << j.reason;
  }
  EXPECT_EQ(others, 3);  // tagged c106, schedule c107 and c109
}

TEST(PlannerBisect, QueueResetNeitherSkipsNorSupersedesBisectJobs) {
  PlannerInput in = Busy(25);  // 40 commits, c100 measured, depth 25: a queue reset
  auto& st = in.state["linux"];
  st.measured = {Sha(0), Sha(10), Sha(20)};
  st.queued = {Sha(15), Sha(30)};  // c115: the bisect job of alert 2; c130: sampled
  in.bisect = {Alert(1, 0, 10), Alert(2, 10, 20)};
  Plan p = MustPlan(in);
  EXPECT_EQ(p.degradation, Degradation::kReset);
  ASSERT_EQ(BisectJobs(p).size(), 1u);
  EXPECT_EQ(BisectJobs(p)[0]->sha, Sha(5));
  EXPECT_EQ(BisectJobs(p)[0]->commit_range, (CommitRange{Sha(4), Sha(5), 1}));
  EXPECT_EQ(JobShas(p), (Shas{Sha(5), Sha(39)}));
  bool queued_sampled_job_reset = false;
  for (const Skip& s : p.skips) {
    EXPECT_NE(s.sha, Sha(5));
    EXPECT_NE(s.sha, Sha(15)) << "the waiting bisect job is not superseded";
    if (s.sha == Sha(30)) queued_sampled_job_reset = s.reason == "queue-reset";
  }
  EXPECT_TRUE(queued_sampled_job_reset);
  ASSERT_EQ(p.unplanned_bisect.size(), 1u);
  EXPECT_EQ(p.unplanned_bisect[0].status, "queued");

  // Even when the store's runs lag behind its alerts (the ends are not measured here), the
  // reset's skips leave every bisect commit alone.
  st.measured = {Sha(0)};
  in.bisect = {Alert(1, 20, 30), Alert(2, 10, 20)};
  p = MustPlan(in);
  EXPECT_EQ(JobShas(p), (Shas{Sha(25), Sha(39)}));
  for (const Skip& s : p.skips) {
    EXPECT_NE(s.sha, Sha(15));
    EXPECT_NE(s.sha, Sha(25));
  }
  const Shas& pending = p.pending["linux"];
  EXPECT_EQ(std::find(pending.begin(), pending.end(), Sha(25)), pending.end());
}

TEST(PlannerBisect, WidenedWindowsDoNotDropBisectJobs) {
  PlannerInput in = Busy(15);
  in.state["linux"].measured = {Sha(0), Sha(1), Sha(9)};
  in.bisect = {Alert(1, 1, 9)};
  Plan p = MustPlan(in);
  EXPECT_EQ(p.degradation, Degradation::kWidened);
  ASSERT_EQ(BisectJobs(p).size(), 1u);
  EXPECT_EQ(BisectJobs(p)[0]->sha, Sha(5));
}

TEST(PlannerBisect, EndsOffTheBranchPlanNothingAndAreReported) {
  PlannerInput in = Settled(12);
  in.state["linux"].measured.insert({Sha(0), Sha(10), "rewritten"});
  in.bisect = {{"linux", "rewritten", Sha(10), 4, "BM_a"},
               {"linux", Sha(0), "gone", 5, "BM_b"},
               Alert(6, 10, 0),
               Alert(8, 0, 10, "windows")};
  Plan p = MustPlan(in);
  EXPECT_TRUE(p.jobs.empty());
  ASSERT_EQ(p.unplanned_bisect.size(), 4u);
  EXPECT_EQ(p.unplanned_bisect[0].request.alert_id, 4);
  EXPECT_EQ(p.unplanned_bisect[0].status, "off-branch");
  EXPECT_TRUE(Contains(p.unplanned_bisect[0].detail, "rewritten is not on the branch"))
      << p.unplanned_bisect[0].detail;
  EXPECT_EQ(p.unplanned_bisect[0].sha, std::nullopt);
  EXPECT_EQ(p.unplanned_bisect[1].status, "off-branch");
  EXPECT_TRUE(Contains(p.unplanned_bisect[1].detail, "gone")) << p.unplanned_bisect[1].detail;
  EXPECT_EQ(p.unplanned_bisect[2].status, "bad-range");
  EXPECT_EQ(p.unplanned_bisect[3].status, "not-planned");
}

TEST(PlannerBisect, RequestsForOneCommitGiveOneJob) {
  PlannerInput in = Settled(12, {"linux", "macos"});
  for (const char* p : {"linux", "macos"}) in.state[p].measured.insert({Sha(0), Sha(2), Sha(10)});
  in.bisect = {Alert(1, 0, 10, "linux", "BM_a time"), Alert(2, 0, 10, "linux", "BM_b time"),
               Alert(3, 2, 8, "linux", "BM_c time"), Alert(4, 0, 10, "macos", "BM_a time")};
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 2u);  // one per platform: their alerts differ
  std::map<std::string, std::string> detail;
  for (const Job& j : p.jobs) {
    EXPECT_EQ(j.sha, Sha(5));
    ASSERT_EQ(j.platforms.size(), 1u);
    detail[j.platforms[0]] = j.reason_detail;
  }
  EXPECT_EQ(detail["linux"],
            "alerts 1 (BM_a time), 2 (BM_b time): middle of 10 commits left in c100..c110; "
            "alert 3 (BM_c time): middle of 6 commits left in c102..c108");
  EXPECT_EQ(detail["macos"], "alert 4 (BM_a time): middle of 10 commits left in c100..c110");

  // Many alerts on one range (one change, many benchmarks) list a few.
  in.bisect.clear();
  for (int id = 1; id <= 6; ++id) in.bisect.push_back(Alert(id, 0, 10, "linux", ""));
  p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  EXPECT_EQ(p.jobs[0].reason_detail,
            "alerts 1, 2, 3 and 3 more: middle of 10 commits left in "
            "c100..c110");
}

TEST(PlannerBisect, ManualRequestForTheMiddleIsTheJob) {
  PlannerInput in = Settled(12);
  in.state["linux"].measured.insert({Sha(0), Sha(10)});
  in.manual = {Sha(5)};
  in.bisect = {Alert(7, 0, 10)};
  Plan p = MustPlan(in);
  ASSERT_EQ(p.jobs.size(), 1u);
  EXPECT_EQ(p.jobs[0].reason, "manual");
  ASSERT_EQ(p.unplanned_bisect.size(), 1u);
  EXPECT_EQ(p.unplanned_bisect[0].status, "planned");
}

TEST(PlannerBisect, SameInputsSamePlan) {
  PlannerInput in = Settled(40, {"a", "b"});
  for (const char* p : {"a", "b"}) in.state[p].measured.insert({Sha(0), Sha(20), Sha(30)});
  in.bisect = {Alert(1, 0, 20, "b"), Alert(2, 20, 30, "a"), Alert(3, 0, 20, "a")};
  Plan a = MustPlan(in), b = MustPlan(in);
  ASSERT_EQ(a.jobs.size(), 3u);
  ASSERT_EQ(a.jobs.size(), b.jobs.size());
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    EXPECT_EQ(a.jobs[i].sha, b.jobs[i].sha);
    EXPECT_EQ(a.jobs[i].platforms, b.jobs[i].platforms);
    EXPECT_EQ(a.jobs[i].reason_detail, b.jobs[i].reason_detail);
  }
}

// Bisection converges: measure the planned middle, narrow the range to the half holding the
// culprit (what `detect --record` does with the result), and plan again.
TEST(PlannerBisect, ConvergesInCeilLog2Steps) {
  for (int n : {2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 257}) {
    const int bound = static_cast<int>(std::ceil(std::log2(n)));
    int worst = 0;
    for (int culprit = 1; culprit <= n; ++culprit) {
      PlannerInput in = Settled(n + 2);
      in.state["linux"].measured.insert({Sha(0), Sha(n)});
      int from = 0, to = n, steps = 0;
      for (;;) {
        in.bisect = {Alert(1, from, to)};
        Plan p = MustPlan(in);
        if (p.jobs.empty()) break;
        ASSERT_EQ(p.jobs.size(), 1u);
        ASSERT_EQ(p.jobs[0].reason, "bisect");
        ASSERT_LE(++steps, bound) << "n " << n << " culprit " << culprit;
        const int middle = std::stoi(p.jobs[0].sha.substr(1)) - 100;
        ASSERT_GT(middle, from);
        ASSERT_LT(middle, to);
        in.state["linux"].measured.insert(p.jobs[0].sha);
        (middle >= culprit ? to : from) = middle;
      }
      Plan done = MustPlan(in);
      ASSERT_EQ(done.unplanned_bisect.size(), 1u);
      EXPECT_EQ(done.unplanned_bisect[0].status, "converged");
      EXPECT_EQ(done.unplanned_bisect[0].sha, Sha(culprit)) << "n " << n;
      worst = std::max(worst, steps);
    }
    EXPECT_EQ(worst, bound) << "n " << n;
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
