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
//   unaccounted  none of these, yet older than a recorded commit: a hole in the record.
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

struct BranchPoint {
  std::string sha;
  base::Timestamp time;
};

// A run's or a job's commit range: (from, to], `count` commits.
struct RangeRef {
  std::optional<std::string> from;
  std::string to;
  int64_t count = 1;
};

struct PlatformRecords {
  std::set<std::string> measured;
  std::vector<RangeRef> ranges;                // of runs and of jobs
  std::map<std::string, std::string> skipped;  // sha -> reason
};

// What a commit is on one platform (see the top of this file).
enum class CommitState : uint8_t { kMeasured, kRepresented, kSkipped, kPending, kUnaccounted };
std::string_view CommitStateName(CommitState state);  // "measured", "represented", ...

struct CoverageRow {
  std::string platform;
  int64_t commits = 0;
  int64_t measured = 0, represented = 0, skipped = 0, pending = 0, unaccounted = 0;
  // Every not-measured commit with a skip record, by reason (represented ones included).
  std::map<std::string, int64_t> skipped_by_reason;
  std::optional<double> coverage_measured, coverage_represented;  // null without commits
  std::vector<std::string> unaccounted_shas;                      // the first 20
  std::vector<CommitState> states;  // per reported commit, oldest first
};

// Coverage of branch[first, last) (the reported range) per platform; ranges and frontiers
// are read against the whole branch (oldest first).
std::vector<CoverageRow> Coverage(const std::vector<BranchPoint>& branch, size_t first, size_t last,
                                  const std::map<std::string, PlatformRecords>& platforms);

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
  int64_t commits_since = 0;                 // branch commits after it (all when none)
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
