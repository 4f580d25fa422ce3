// Private to schedule/: the planner's bisection (planner.h "Bisection"). Each open regression
// alert's range is found on the branch once; per platform, its middle commit gets a bisect job
// unless it is measured, queued or planned already. Every request that gets no new job is
// noted (Plan::unplanned_bisect) with why.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "schedule/planner.h"

namespace perfledger::schedule {

// A bisect request found on the branch: its range (from, to] by index, and its middle.
struct BisectTarget {
  const BisectRequest* request;
  int64_t from, to, middle;
};

// The targets by platform.
using BisectTargets = std::map<std::string, std::vector<BisectTarget>, std::less<>>;

// Finds every request of `in` on the branch (`position` gives a sha's index, -1 when it is not
// on it). Requests for a platform not planned for, off the branch, with an empty or inverted
// range, or converged to one commit are noted in `notes`, not returned.
BisectTargets FindBisectTargets(const PlannerInput& in,
                                const std::function<int64_t(const std::string&)>& position,
                                std::vector<BisectNote>* notes);

struct PlatformBisect {
  // Middle commit -> the targets a new bisect job there serves.
  std::map<int64_t, std::vector<const BisectTarget*>> jobs;
  // Every middle of the platform, new or waiting: kept out of skips and pending lists.
  std::set<int64_t> middles;
};

// What the platform's targets need: a job at each middle that is neither measured, queued nor
// among `planned` (indices this plan already runs there); the others are noted.
PlatformBisect PlanBisect(const BisectTargets& targets, const std::string& platform,
                          const std::vector<BranchCommit>& commits, const PlatformState& state,
                          const std::vector<int64_t>& planned, std::vector<BisectNote>* notes);

// A bisect job's reason detail: "alerts 7 (BM_a), 8 (BM_b): middle of 10 commits left in
// c1..c2" for the requests whose middle is one commit on one platform; requests with
// different ranges are joined by "; ".
std::string BisectDetail(std::vector<const BisectTarget*> targets,
                         const std::vector<BranchCommit>& commits);

}  // namespace perfledger::schedule
