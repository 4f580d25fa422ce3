// The planner: decides which commits to benchmark on which platforms (DESIGN.md, "Scheduling
// policy"). A pure function of (commits, store state, queue, policy, now): the same inputs
// give the same plan, so the simulator can drive exactly the rules CI runs.
//
// Every commit after a platform's frontier (its newest commit that is measured, queued or
// skipped) is accounted for by the plan: chosen for a job, left out with a skip record naming
// the job whose commit_range covers it, or pending (in a window that has not closed yet, or
// after the last merge / tagged commit).
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

struct PlannerInput {
  std::vector<BranchCommit> commits;  // oldest first; the last one is the branch head
  std::vector<std::string> platforms;
  std::map<std::string, PlatformState> state;  // by platform; absent = nothing yet
  int queue_depth = 0;
  std::vector<std::string> manual;  // shas requested by hand: always planned
  Policy policy;
  base::Timestamp now;
  // Whether Plan::pending lists the commits left for later (the simulator does not need it).
  bool list_pending = true;
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
  std::string reason;  // core::Reason names: schedule, merge, tagged, push, manual
  std::string reason_detail;
  CommitRange commit_range;
  int priority = 0;  // higher runs sooner: manual 3, tagged 2, others 1
};

struct Skip {
  std::string sha;
  std::vector<std::string> platforms;
  std::string reason;  // window, not-merge, untagged, queue-reset
  int queue_depth = 0;
  std::optional<std::string> superseded_by;  // the job whose range covers it
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
};

// Time windows are aligned to multiples of their length since the Unix epoch, so every
// planner run (and every team member) cuts the same windows: [k*W, (k+1)*W).
int64_t WindowIndex(base::Timestamp t, int64_t window_nanos);

// Fails (kInvalidInput) only for a manual sha that is not on the branch.
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
