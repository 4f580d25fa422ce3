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
#include "base/strings.h"
#include "base/time.h"
#include "core/run.h"
#include "core/series.h"

namespace perfledger::analysis {

// The series vocabulary is core's (core/series.h): the store keeps series, analysis reads them.
using SeriesKey = core::SeriesKey;
using SeriesPoint = core::SeriesPoint;
using Series = core::Series;

struct SeriesFilter {
  std::optional<std::string> platform;
  std::optional<std::string> benchmark_glob;  // shell glob (fnmatch) over benchmark names
  std::vector<std::string> metrics;           // empty: every metric
};

// True when `name` matches the shell glob `pattern` (*, ?, [...]).
using base::GlobMatch;

// Collects runs, given in store order (commit time, then run_id: Store::ForEachRun), into
// series, as the store's series layer keeps them (the reference its tests compare with).
// Several runs of one commit in one series are pooled into one point (core::PoolPoint).
// Failed benchmarks and metrics with no positive finite value give no point.
class SeriesBuilder {
 public:
  explicit SeriesBuilder(SeriesFilter filter = {}) : filter_(std::move(filter)) {}
  void Add(const core::Run& run);
  // Every series, sorted by key.
  std::vector<Series> Finish();

 private:
  struct Pending {
    Series series;
    std::vector<std::vector<core::Metric>> metrics;  // per point, its runs' in store order
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
