// The scheduler's use cases, shared by the CLI and (later) the server: read the branch from
// git and the state from the store, run the pure planner, and record what it decided.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/coverage.h"
#include "base/status.h"
#include "base/time.h"
#include "schedule/planner.h"
#include "store/store.h"

namespace perfledger::service {

struct PlanRequest {
  std::string repo;                    // path of a git repository
  std::string branch;                  // empty: HEAD
  std::vector<std::string> platforms;  // empty: every platform the store knows
  base::Timestamp now;
  std::optional<int> queue_depth;   // absent: the store's queued jobs that have not run
  std::vector<std::string> manual;  // revisions git accepts: full or short shas, HEAD~2, tags
  schedule::Policy policy;
  bool record = false;  // store the jobs (as queued) and skips
};

struct PlanOutcome {
  schedule::Plan plan;
  std::string branch;  // as resolved, e.g. refs/heads/main
  std::string head;
  std::vector<std::string> platforms;
  int64_t commit_count = 0;
  // Shas the store holds that the branch no longer has (a force-push), per platform.
  std::map<std::string, std::vector<std::string>> off_branch;
};

// `store` may be null (no store yet): then nothing is measured, queued or skipped.
base::Result<PlanOutcome> PlanBranch(store::Store* store, const PlanRequest& request);

// PlanBranch for a server that plans by itself (serve --plan-every, POST .../push): brings the
// branch up to date from the repository's "origin" first, when it has one (`*fetched` says
// whether it did), then plans and records.
base::Result<PlanOutcome> FetchAndPlan(store::Store& store, const PlanRequest& request,
                                       bool* fetched);

// The planner's per-platform view of the store: measured runs, queued jobs that have not
// run (and were not superseded), recorded skips.
std::map<std::string, schedule::PlatformState> StateFromStore(
    const std::vector<store::RunSummary>& runs, const store::ScheduleState& schedule);

// Platforms the store knows: those with runs or jobs, sorted.
std::vector<std::string> KnownPlatforms(const std::vector<store::RunSummary>& runs,
                                        const store::ScheduleState& schedule);

// Where coverage and gaps read the branch from: a git repository, or else the history the
// last recorded plan saw (`plan --record` stores it), or else (no plan recorded) the commits
// the runs measured and their commit ranges (analysis::BranchFromRanges).
struct HistorySource {
  std::string repo;    // empty: the store's recorded history, else the runs'
  std::string branch;  // with repo; empty: HEAD
};

// The top directory of the git repository `dir` is in (searching upward, as git does), when it
// is in one with a commit: the repository a verb reads when --repo is not given. nullopt
// otherwise (not an error: the verb then does without).
std::optional<std::string> WorkingRepository(const std::string& dir = ".");

struct CoverageRequest {
  HistorySource source;
  std::optional<std::string> platform;
  std::optional<base::Timestamp> since;  // commits at or after this committer time
  std::optional<std::string> range;      // "A..B": after A up to and including B
};

struct CoverageReport {
  std::string branch;  // empty for a history pieced together from runs
  std::string head;
  // Where the branch came from: "repository" (git), "plan" (the history the last recorded plan
  // saw) or "runs" (pieced together from the runs' commit ranges).
  std::string history;
  bool planned = true;  // a plan was recorded: else commits in no range are "unknown"
  std::vector<store::CommitRecord>
      commits;  // the reported commits, oldest first (sha, time, subject)
  std::vector<analysis::CoverageRow> rows;
};

base::Result<CoverageReport> CoverageOf(store::Store& store, const CoverageRequest& request);

struct GapsRequest {
  HistorySource source;
  analysis::GapBounds bounds;
  base::Timestamp now;
};

struct GapsReport {
  std::string branch;
  std::string head;
  std::string history;  // "repository", "plan" or "runs"
  std::set<std::string> expected;
  std::vector<analysis::GapRow> rows;
  bool stalled() const;
};

base::Result<GapsReport> GapsOf(store::Store& store, const GapsRequest& request);

// GapsOf in two steps, for a caller that answers often (the server): what gaps reads from the
// store (the history, every run's benchmark sets, the expected benchmarks), current while the
// store's ChangeMark and ScheduleMark stay the same; then the report at a time and bounds.
struct GapsInputs;
base::Result<std::shared_ptr<const GapsInputs>> LoadGapsInputs(store::Store& store,
                                                               const HistorySource& source);
GapsReport GapsFrom(const GapsInputs& inputs, const GapsRequest& request);

// The plan as `perfledger plan --format json` prints it: what RecordPlanJson reads back, and
// its "matrix" is what a CI workflow's `strategy.matrix` takes.
std::string PlanJson(const PlanOutcome& outcome, const schedule::Policy& policy, bool recorded);

// Records a plan made elsewhere: the JSON `perfledger plan --format json` printed, e.g. in
// a CI plan job whose store is not kept. Stores its jobs (as queued), its skips and the
// branch history (read from `history.repo`) up to the plan's head. Recording the same plan
// twice is a no-op, so a retried collect job is safe. Errors name `source_name` and the JSON
// pointer: "plan.json: /jobs/0/sha: expected a string".
base::Status RecordPlanJson(store::Store& store, std::string_view json_text,
                            const std::string& source_name, const HistorySource& history);

}  // namespace perfledger::service
