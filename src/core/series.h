// Series (DESIGN.md "series", "Series layer and scale"): one benchmark x metric of one project
// on one platform, within one epoch and environment class, with one point per measured
// commit, oldest first. The store keeps them, written at ingest in the same transaction as the
// runs; every view reads them. Comparability is decided by the key, so detection, the index
// and the noise model only ever look at values that may be compared. Environment fingerprint
// changes inside a series are kept on the points, so a step that coincides with one is not
// called a regression.
//
// What a point is (its median, spread, min/max, sample count, and how several runs of one
// commit pool into it) is decided here once, for the store's ingest and for anything that
// builds series from runs (analysis::SeriesBuilder).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "core/run.h"

namespace perfledger::core {

struct SeriesKey {
  std::string project;
  std::string platform, benchmark, metric;
  std::optional<int64_t> epoch;  // the suite epoch number; null for runs without one
  bool ci = false;               // the environment class
  auto operator<=>(const SeriesKey&) const = default;
};

// A point's numbers: from the usable samples of the runs pooled into it (or one run's summary).
struct PointSummary {
  double median = 0;  // of the samples; a summary's median, else its mean
  double spread = 0;  // relative: 1.4826 * MAD / median of the samples; 0 when unknown
  double min = 0, max = 0;
  int64_t n = 0;  // samples (a summary's n)
  int runs = 0;   // runs that contributed a usable value (pooled, or ignored beside a summary)
  bool operator==(const PointSummary&) const = default;
};

struct SeriesPoint {
  std::string run_id, sha;                // the point's first run (store order) and its commit
  std::optional<std::string> range_from;  // the run's commit range (range_from, sha]
  int64_t range_count = 1;
  std::optional<base::Timestamp> commit_time;
  std::optional<std::string> subject;
  core::Reason reason = core::Reason::kPush;
  double median = 0;  // see PointSummary
  double spread = 0;
  double min = 0, max = 0;
  int64_t n = 0;
  std::string fingerprint;  // the environment fingerprint of its first run
  int runs = 1;             // runs of this commit pooled into the point
  // Every run pooled into the point, in store order, when there are several; empty for one.
  std::vector<std::string> pooled_run_ids;
  bool operator==(const SeriesPoint&) const = default;
};

struct Series {
  SeriesKey key;
  std::string unit;
  core::Direction direction = core::Direction::kLower;
  std::vector<SeriesPoint> points;  // oldest first, one per commit
  bool operator==(const Series&) const = default;
};

// A point as aggregates over many series read it (Store::ForEachSeriesMedians, the headline
// index): its run, an index into the runs the read has given so far, and its median.
struct PointMedian {
  int32_t run = 0;
  double median = 0;
};
// Such a point's run: its commit, interned (`commit` is the same number for every run of that
// sha within one read), and the run itself.
struct PointRun {
  int32_t commit = 0;
  std::string sha, run_id;
  std::optional<base::Timestamp> commit_time;
};

// A value a series can plot: finite and positive.
bool UsableValue(double v);

// True when `metric` gives a series point: a usable sample, or (without samples) a summary
// with a usable median (else mean).
bool GivesPoint(const Metric& metric);

// The point of the metrics of one benchmark x metric from the runs of one commit, in store
// order (the order of Store::ListRuns). Samples of several runs are pooled; a summary cannot
// be pooled with samples, so when the first contributing run gave a summary the point is that
// summary, and a summary after samples is left out. Metrics that give no point are skipped
// (none is an error); none at all gives runs == 0.
PointSummary PoolPoint(std::span<const Metric* const> metrics);

// The median of `values` (mean of the middle two for an even count), reordering them. Empty: 0.
double MedianInPlace(std::vector<double>& values);

// 1.4826 x the median absolute deviation from the median (a normal distribution's standard
// deviation, robustly). Fewer than 2 values: 0.
double RobustSigmaOf(std::span<const double> values);

}  // namespace perfledger::core
