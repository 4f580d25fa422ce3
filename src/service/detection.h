// The analysis use cases over a store, shared by the CLI and (later) the server: change
// detection over every series with alerts kept and narrowed, the alert list grouped by
// overlapping commit ranges, and the headline index. The statistics are analysis's pure
// functions; this file only loads runs, counts commits in the branch history and records what
// was found.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/detect.h"
#include "analysis/index.h"
#include "base/status.h"
#include "base/time.h"
#include "service/index.h"
#include "service/plan.h"
#include "store/store.h"

namespace perfledger::service {

// Whether a change is a regression to look at: a step regression, or a drift whose change is
// worse for the series' direction (a slow 20% slowdown is as real as a sudden one). An
// improving drift is an improvement; a noise change (the spread, not the level) never is
// either. A kept alert without a direction (recorded before drifts were) is a drift of a
// series where lower is better.
bool IsRegression(const analysis::DetectedChange& c);
bool IsRegression(const store::AlertRecord& a);
bool IsImprovement(const store::AlertRecord& a);

struct DetectRequest {
  store::RunFilter runs;  // platform, project
  analysis::SeriesFilter series;
  analysis::SeriesDetectOptions options;
  // Where commit ranges are counted when the runs do not say: a git repository, or else the
  // history the last recorded plan saw.
  HistorySource history;
  bool record = false;  // keep new changes as alerts; narrow those bisection refined
  // With `record`: analyse every series in full. Without it a recorded pass analyses only the
  // series that received points since the last recorded pass (the store's "detect" mark), over
  // their newest kIncrementalWindow points; the first recorded pass is always full.
  bool all = false;
  base::Timestamp now;
};

// The points of each changed series an incremental pass analyses: the newest ones, enough for
// the changes a new round can reveal (min_segment either side) and for the series' noise.
inline constexpr int64_t kIncrementalWindow = 512;

// The store mark of the last recorded detection pass (Store::ReadMark).
inline constexpr std::string_view kDetectMark = "detect";

struct SkippedSeries {
  analysis::SeriesKey key;
  std::string reason;
};

struct DetectReport {
  int64_t series = 0;  // analysed
  // An incremental pass: the change mark of the last recorded pass it started from.
  std::optional<int64_t> since_mark;
  std::vector<SkippedSeries> skipped;
  std::vector<analysis::DetectedChange> changes;  // by series key, then oldest first
  // With `record`, per change: what became of it ("new", "narrowed", "existing") and the alert.
  std::vector<std::string> recorded;
  std::vector<int64_t> alert_ids;
  // Per change, recorded or not: the triage status of the kept alert it is (matched as
  // `record` matches), open when it is no kept alert's (a new change).
  std::vector<core::AlertStatus> status;
  int regressions() const;  // IsRegression: steps and worsening drifts
  // The regressions still to look at: new ones and those whose alert is open (not
  // acknowledged, resolved or a false positive). `detect` exits 3 when there is one.
  int open_regressions() const;
};

base::Result<DetectReport> DetectInStore(store::Store& store, const DetectRequest& request);

// Where the commits alerts name lie on the branch, to decide whether two alerts' commit ranges
// overlap: positions, oldest first, of the commits it knows.
struct CommitOrder {
  std::unordered_map<std::string, int64_t> position;
  // Positions are places in a branch history (a repository's, or the one a recorded plan
  // saw), so a difference is a number of commits; else (the runs' commit times) they only
  // order commits.
  bool counts_commits = false;
  std::string source;  // "repository", "plan", "runs", or empty: none
};

// The order of the commits `alerts` name, from the first of these that places every alert's
// range (else the one placing the most): the branch of `source.repo` when given, the history the
// last recorded plan saw, the measured commits by commit time (with the commits their runs'
// ranges stand for between them, analysis::BranchFromRanges). Read only when the alerts name two
// different ranges or more: empty otherwise.
base::Result<CommitOrder> AlertCommitOrder(store::Store& store,
                                           const std::vector<store::AlertRecord>& alerts,
                                           const HistorySource& source = {});

// Alerts whose commit ranges overlap, across benchmarks and platforms: "this range regressed 12
// benchmarks on x86-64-linux and aarch64-linux". The commits every one of their ranges holds
// are where the culprit likely is.
struct AlertGroup {
  // The range all its alerts lie in (from the oldest `from` to the newest `to`).
  std::string range_from, range_to;
  int64_t range_count = 0;  // 0 when unknown
  // The likely culprit range: (likely_from, likely_to], the intersection of its alerts' ranges
  // (the group's range when they all share their ends).
  std::string likely_from, likely_to;
  int64_t likely_count = 0;            // 0 when unknown
  std::vector<std::string> platforms;  // sorted
  // Regressions and improvements count the drifts that worsen or improve the series
  // (IsRegression), which the drift_ counts say apart; `noise`: alerts of kind noise.
  int regressions = 0, improvements = 0, environment = 0, noise = 0;
  int drift_regressions = 0, drift_improvements = 0;
  std::map<std::string, int> kinds;  // alerts per kind name, every kind
  std::vector<int64_t> alert_ids;
  // The subjects of range_to and of likely_to, the commit that did it, when known
  // (AddGroupSubjects).
  std::optional<std::string> subject, likely_subject;
  std::string Summary() const;  // the sentence above
};

// Groups alerts whose ranges (from, to] share a commit by `order`, each with the fewest groups
// (the greedy cover of intervals by points: each group is the alerts holding the newest commit
// of the range that ends first), so every group has a likely culprit range. An alert a commit
// of whose range `order` does not place groups with those of identical ends only. Newest group
// first (by its highest alert id).
std::vector<AlertGroup> GroupAlerts(const std::vector<store::AlertRecord>& alerts,
                                    const CommitOrder& order = {});

}  // namespace perfledger::service
