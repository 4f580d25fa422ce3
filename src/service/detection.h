// The analysis use cases over a store, shared by the CLI and (later) the server: change
// detection over every series with alerts kept and narrowed, the alert list grouped by commit
// range, and the headline index. The statistics are analysis's pure functions; this file only
// loads runs, counts commits in the branch history and records what was found.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/detect.h"
#include "analysis/index.h"
#include "base/status.h"
#include "base/time.h"
#include "service/index.h"
#include "service/plan.h"
#include "store/store.h"

namespace perfledger::service {

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
  int regressions() const;
};

base::Result<DetectReport> DetectInStore(store::Store& store, const DetectRequest& request);

// Alerts on the same commit range, across benchmarks and platforms: "this range regressed 12
// benchmarks on x86-64-linux and aarch64-linux".
struct AlertGroup {
  std::string range_from, range_to;
  int64_t range_count = 0;
  std::vector<std::string> platforms;  // sorted
  int regressions = 0, improvements = 0, environment = 0;
  std::vector<int64_t> alert_ids;
  // The subject of range_to, the commit that did it, when known (AddGroupSubjects).
  std::optional<std::string> subject;
  std::string Summary() const;  // the sentence above
};

// Groups by (range_from, range_to), newest range first (by the highest alert id).
std::vector<AlertGroup> GroupAlerts(const std::vector<store::AlertRecord>& alerts);

}  // namespace perfledger::service
