// Coverage and gaps: how well a branch's commits are accounted for per platform. Pure
// functions over the branch and the stored records; no I/O.
//
// A commit of the branch is, on one platform, exactly one of:
//   measured     a run measured it;
//   represented  not measured, but inside the commit range of a run or a job, which stands
//                for it (a skipped commit is normally represented by the job superseding it);
//   skipped      not measured and in no range, but logged as left out with a reason;
//   pending      none of these, and newer than every commit the platform has a record of:
//                it arrived after the last plan, or waits for its window to close;
//   unaccounted  none of these, yet older than a recorded commit: a hole in the record;
//   unknown      without a recorded plan (Coverage's `planned` false), what a commit in no run's
//                or job's range is instead of pending or unaccounted: nothing says whether it
//                was left out on purpose, so its state is unknown.
//
// A branch may be pieced together from the runs' own commit ranges (no repository, no recorded
// plan): it then lists only the commits some run measured, and each point counts the commits
// before it that no one knows by sha (`unlisted_before`). Those are counted like listed ones
// (represented when a range holds them, else unknown) but have no state of their own.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace perfledger::analysis {

// A run's or a job's commit range: (from, to], `count` commits.
struct RangeRef {
  std::optional<std::string> from;
  std::string to;
  int64_t count = 1;
};

struct BranchPoint {
  std::string sha;
  base::Timestamp time;
  // Commits of the branch between the previous point and this one that are known only by
  // count (a history pieced together from commit ranges); 0 for a history read from git.
  int64_t unlisted_before = 0;
};

// A branch pieced together from runs: `points` (every measured commit, any order, a sha once)
// sorted by time then sha, with each point's `unlisted_before` the fewest unlisted commits
// the ranges need (a range (from, to] of `count` commits holds count - 1 commits before `to`;
// those not listed are put just before `to`). A range whose `from` is not a point holds its
// commits just before `to`.
std::vector<BranchPoint> BranchFromRanges(std::vector<BranchPoint> points,
                                          const std::vector<RangeRef>& ranges);

struct PlatformRecords {
  std::set<std::string> measured;
  std::vector<RangeRef> ranges;                // of runs and of jobs
  std::map<std::string, std::string> skipped;  // sha -> reason
};

// What a commit is on one platform (see the top of this file).
enum class CommitState : uint8_t {
  kMeasured,
  kRepresented,
  kSkipped,
  kPending,
  kUnaccounted,
  kUnknown
};
std::string_view CommitStateName(CommitState state);  // "measured", "represented", ...

struct CoverageRow {
  std::string platform;
  int64_t commits = 0;
  int64_t measured = 0, represented = 0, skipped = 0, pending = 0, unaccounted = 0;
  int64_t unknown = 0;  // in no range, and no plan was recorded (see the top of this file)
  // Every not-measured commit with a skip record, by reason (represented ones included).
  std::map<std::string, int64_t> skipped_by_reason;
  std::optional<double> coverage_measured, coverage_represented;  // null without commits
  std::vector<std::string> unaccounted_shas;                      // the first 20
  std::vector<CommitState> states;  // per reported (listed) commit, oldest first
};

// Coverage of branch[first, last) (the reported range, with the unlisted commits before each
// point) per platform; ranges and frontiers are read against the whole branch (oldest first).
// `planned`: a plan was recorded, so a commit in no range is pending or unaccounted; without
// one it is unknown.
std::vector<CoverageRow> Coverage(const std::vector<BranchPoint>& branch, size_t first, size_t last,
                                  const std::map<std::string, PlatformRecords>& platforms,
                                  bool planned = true);

// A run as gap analysis sees it.
struct RunBenchmarks {
  std::string sha;
  std::optional<std::string> suite;
  int64_t suite_revision = 0;
  // Benchmark names, sorted; never null. Runs that measured the same set may share it (the
  // analysis then looks at each set once).
  std::shared_ptr<const std::vector<std::string>> ok, failed;
};

struct GapRow {
  std::string platform;
  std::optional<std::string> last_complete;  // newest commit with a complete run
  int64_t commits_since = 0;         // branch commits after it (all when none), unlisted ones too
  int64_t age_nanos = 0;             // now - time of the oldest commit after it; 0 when none waits
  std::vector<std::string> missing;  // expected benchmarks the platform's newest run lacks
  bool stalled = false;
  std::string why;  // for a stalled platform: which bound it broke
};

struct GapBounds {
  int64_t max_commits = 5;
  std::optional<int64_t> max_age_nanos;
};

// The benchmarks every platform is expected to run: per suite, the union over runs of the
// newest suite revision; for runs without a suite, the union over each platform's newest run.
std::set<std::string> ExpectedBenchmarks(
    const std::vector<BranchPoint>& branch,
    const std::map<std::string, std::vector<RunBenchmarks>>& runs_by_platform);

// Gaps per platform: a point is complete when it measured every expected benchmark, so a
// partial run or a platform falling behind leaves a gap.
std::vector<GapRow> Gaps(const std::vector<BranchPoint>& branch,
                         const std::map<std::string, std::vector<RunBenchmarks>>& runs_by_platform,
                         const std::vector<std::string>& platforms,
                         const std::set<std::string>& expected, base::Timestamp now,
                         const GapBounds& bounds);

}  // namespace perfledger::analysis
