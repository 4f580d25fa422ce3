// The planner: decides which commits to benchmark on which platforms (DESIGN.md, "Scheduling
// policy"). A pure function of (commits, store state, queue, policy, now): the same inputs
// give the same plan, so the simulator can drive exactly the rules CI runs.
//
// Every commit after a platform's frontier (its newest commit that is measured, queued or
// skipped) is accounted for by the plan: chosen for a job, left out with a skip record naming
// the job whose commit_range covers it, or pending (in a window that has not closed yet, or
// after the last merge / tagged commit).
//
// Bisection: for every open regression alert (a BisectRequest) whose commit range still holds
// commits that were not measured, the plan benchmarks the middle of the range on the alert's
// platform, one commit per range at a time, until `detect` has narrowed the range to one
// commit (the culprit). Bisect jobs outrank every job the sampling rule picks and no
// degradation step (widened window, queue reset) drops, skips or supersedes them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace perfledger::schedule {

// One commit of the branch's (first-parent) history.
struct BranchCommit {
  std::string sha;
  std::vector<std::string> parents;
  base::Timestamp time;  // committer time
  std::string subject;
  bool merge() const { return parents.size() > 1; }
};

enum class Sampling { kLatestInWindow, kMergesOnly, kTagged, kEveryCommit };
std::string_view SamplingName(Sampling s);
std::optional<Sampling> ParseSampling(std::string_view name);

// The widest a window gets, however it is widened: wider means "one window" anyway, and
// products of policy values saturate here instead of wrapping (a negative window planned
// nothing).
inline constexpr int64_t kMaxWindowNanos = 3650LL * 86'400'000'000'000;  // ten years
// The largest policy number a user may set (queue depths, the widening factor).
inline constexpr int kMaxPolicyNumber = 1'000'000;

struct Policy {
  int64_t window_nanos = 15LL * 60 * 1'000'000'000;
  Sampling sampling = Sampling::kLatestInWindow;
  std::string marker = "[bench]";
  int widen_above = 10;  // 0: off
  int widen_factor = 2;
  int reset_above = 20;  // 0: off
};

// What the store (and the CI queue) already holds for one platform.
struct PlatformState {
  std::unordered_set<std::string> measured;  // shas with a stored run
  std::unordered_set<std::string> queued;    // shas with a job waiting to run (not measured)
  std::unordered_set<std::string> skipped;   // shas with a recorded skip
  // Optional, for callers that track it (the simulator): the index in `commits` of the newest
  // commit that is measured, queued or skipped (-1: none). The planner then does not search
  // for it. A wrong value gives a wrong plan; the CLI leaves it unset.
  std::optional<int64_t> frontier_index;
};

// An open regression alert to narrow: the change lies after `from` and up to and including
// `to` (the alert's range (from, to]), both measured on `platform`.
struct BisectRequest {
  std::string platform;
  std::string from, to;
  int64_t alert_id = 0;
  std::string detail;  // for messages, e.g. the benchmark and metric
};

struct PlannerInput {
  std::vector<BranchCommit> commits;  // oldest first; the last one is the branch head
  std::vector<std::string> platforms;
  std::map<std::string, PlatformState> state;  // by platform; absent = nothing yet
  int queue_depth = 0;
  std::vector<std::string> manual;    // shas requested by hand: always planned
  std::vector<BisectRequest> bisect;  // open regression alerts: their ranges are bisected
  Policy policy;
  base::Timestamp now;
  // Whether Plan::pending lists the commits left for later (the simulator does not need it).
  bool list_pending = true;
  // No plan was recorded before this one (an empty store's first plan). A platform with
  // nothing measured, queued or skipped then gets its baseline job at the branch head at once
  // (reason push), under the window rules (latest-in-window, tagged) too: they would wait for
  // the head's window to close, planning nothing on a young branch.
  bool first_plan = false;
};

struct CommitRange {
  std::optional<std::string> from;  // exclusive; null = from the start of history
  std::string to;
  int64_t count = 0;
  bool operator==(const CommitRange&) const = default;
};

struct Job {
  std::string sha;
  std::vector<std::string> platforms;
  std::string reason;  // core::Reason names: schedule, merge, tagged, push, manual, bisect
  std::string reason_detail;
  CommitRange commit_range;  // a bisect job's is its own commit: (first parent, sha], count 1
  int priority = 0;          // higher runs sooner: see kPriority* below
};

// Job priorities. Bisect jobs are as urgent as manual ones: both are targeted requests no
// degradation drops, and both run before anything the sampling rule picks.
inline constexpr int kPriorityNormal = 1;  // schedule, merge, push
inline constexpr int kPriorityTagged = 2;
inline constexpr int kPriorityManual = 3;
inline constexpr int kPriorityBisect = 3;

struct Skip {
  std::string sha;
  std::vector<std::string> platforms;
  std::string reason;  // window, not-merge, untagged, queue-reset
  int queue_depth = 0;
  std::optional<std::string> superseded_by;  // the job whose range covers it
};

// A bisect request the plan adds no job for, and why.
struct BisectNote {
  BisectRequest request;
  // converged     the range is one commit: `sha` (the range's `to`) is the culprit;
  // queued        the middle commit `sha` has a job waiting: its result narrows the range;
  // measured      the middle commit `sha` is measured: `detect --record` narrows the range
  //               with it (a run that lacks the alert's benchmark never will: re-run it);
  // planned       the middle commit `sha` has another job in this plan (a manual request);
  // off-branch    `from` or `to` is not on the branch (history rewritten by a force-push);
  // bad-range     `to` is not after `from` on the branch;
  // not-planned   the request's platform is not one the plan is for.
  std::string status;
  std::optional<std::string> sha;
  int64_t commits = 0;  // in the range (from, to] on the branch; 0 when unknown
  std::string detail;   // one sentence for people
};

enum class Degradation { kNone, kWidened, kReset };
std::string_view DegradationName(Degradation d);

struct Plan {
  base::Timestamp now;
  int64_t window_nanos = 0;  // after widening
  int queue_depth = 0;
  Degradation degradation = Degradation::kNone;
  std::vector<Job> jobs;    // oldest commit first, then by priority
  std::vector<Skip> skips;  // oldest commit first
  // Commits after a frontier that the plan leaves for later (open window, no merge or tagged
  // commit after them yet), per platform, oldest first.
  std::map<std::string, std::vector<std::string>> pending;
  // Bisect requests without a new job, by alert id then platform.
  std::vector<BisectNote> unplanned_bisect;
};

// The commit a bisect of the range (from, to] benchmarks, by branch index: the middle of the
// commits strictly between the ends, from + 1 + (to - from - 1) / 2. Whichever side of it the
// change turns out to be on, at most ceil((to - from) / 2) commits remain, so a range of n
// commits reaches one in ceil(log2(n)) runs. Needs to - from >= 2.
int64_t BisectMiddle(int64_t from, int64_t to);

// Time windows are aligned to multiples of their length since the Unix epoch, so every
// planner run (and every team member) cuts the same windows: [k*W, (k+1)*W).
int64_t WindowIndex(base::Timestamp t, int64_t window_nanos);

// Fails (kInvalidInput) only for a manual sha that is not on the branch (a bisect request that
// cannot be planned is reported in Plan::unplanned_bisect instead).
base::Result<Plan> MakePlan(const PlannerInput& input);

// The degradation step and effective window for a queue depth under a policy.
Degradation DegradationFor(const Policy& policy, int queue_depth);

// The number of jobs waiting: distinct shas queued on at least one platform.
int QueueDepth(const std::map<std::string, PlatformState>& state);

// Shas the store holds (measured, queued or skipped) that are not on the branch any more,
// e.g. after a force-push rewrote history; per platform, sorted. Such commits never move a
// frontier: the planner only looks at commits of the branch.
std::map<std::string, std::vector<std::string>> OffBranch(const PlannerInput& input);

}  // namespace perfledger::schedule
