// Benchmark series (DESIGN.md "series"): one benchmark x metric on one platform, one point per
// measured commit, oldest first. A series never mixes epochs or environment classes (CI and
// local runs): comparability is decided by the key, so `detect`, `index` and the noise model
// only ever look at values that may be compared. Environment fingerprint changes inside a
// series are kept on the points, so a step that coincides with one is not called a regression.
// Pure functions over runs the caller loaded.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/compare.h"
#include "base/time.h"
#include "core/run.h"

namespace perfledger::analysis {

struct SeriesKey {
  std::string platform, benchmark, metric;
  std::optional<int64_t> epoch;  // the suite epoch number; null for runs without one
  bool ci = false;               // the environment class
  auto operator<=>(const SeriesKey&) const = default;
};

struct SeriesPoint {
  std::string run_id, sha;
  std::optional<std::string> range_from;  // the run's commit range (range_from, sha]
  int64_t range_count = 1;
  std::optional<base::Timestamp> commit_time;
  std::optional<std::string> subject;
  core::Reason reason = core::Reason::kPush;
  double median = 0;        // of the samples; a summary's median, else its mean
  double spread = 0;        // relative: 1.4826 * MAD / median of the samples; 0 when unknown
  int64_t n = 0;            // samples (a summary's n)
  std::string fingerprint;  // the environment fingerprint
  int runs = 1;             // runs of this commit pooled into the point
};

struct Series {
  SeriesKey key;
  std::string unit;
  core::Direction direction = core::Direction::kLower;
  std::vector<SeriesPoint> points;  // oldest first, one per commit
};

struct SeriesFilter {
  std::optional<std::string> platform;
  std::optional<std::string> benchmark_glob;  // shell glob (fnmatch) over benchmark names
  std::vector<std::string> metrics;           // empty: every metric
};

// True when `name` matches the shell glob `pattern` (*, ?, [...]).
bool GlobMatch(std::string_view pattern, std::string_view name);

// Collects runs, given in store order (commit time, then run_id: Store::ForEachRun), into
// series. Several runs of one commit in one series are pooled into one point (their samples
// together). Failed benchmarks and metrics with no positive finite value give no point.
class SeriesBuilder {
 public:
  explicit SeriesBuilder(SeriesFilter filter = {}) : filter_(std::move(filter)) {}
  void Add(const core::Run& run);
  // Every series, sorted by key.
  std::vector<Series> Finish();

 private:
  struct Pending {
    Series series;
    std::vector<std::vector<double>> samples;  // per point, for pooling
    std::unordered_map<std::string, size_t> index_of_sha;
  };
  SeriesFilter filter_;
  std::map<SeriesKey, Pending> series_;
};

// The run-to-run noise of each (benchmark, metric) series of `platform`, `epoch` and class
// `ci` that has at least `min_points` points (SeriesNoise of its medians), for compare and
// check.
NoiseByMetric HistoryNoiseOf(const std::vector<Series>& series, const std::string& platform,
                             std::optional<int64_t> epoch, bool ci, size_t min_points = 5);

}  // namespace perfledger::analysis
