// The series view: one benchmark's points per platform, epoch and environment for one metric,
// with the alerts on it. GET /api/v1/series serves it; the chart draws it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/downsample.h"
#include "analysis/series.h"
#include "base/status.h"
#include "base/time.h"
#include "core/run.h"
#include "store/store.h"

namespace perfledger::service {

struct SeriesRequest {
  std::string benchmark;  // exact name
  std::optional<std::string> project, platform;
  // Absent: the metric of this benchmark's newest open alert (the default view shows what
  // moved), else real_time or wall_time when measured, else the first by name.
  std::optional<std::string> metric;
  // Points whose commit time is in [from, to]; a point without a commit time is left out
  // when either is given.
  std::optional<base::Timestamp> from, to;
  // Display resolution: at most this many points per line (after from/to), chosen so a chart
  // of the line looks the same (analysis/downsample.h). Absent: every point. At least 1.
  std::optional<int64_t> max_points;
};

struct SeriesViewPoint {
  analysis::SeriesPoint point;
  // Its environment fingerprint differs from the point before it in the series (counted
  // over every point, also those `from`/`to` leave out).
  // Kept as it is for a point of a downsampled line: the chart's environment marker belongs
  // where the change happened, and the point before the change is kept with it (the points
  // left out between two kept ones are in `elided`).
  bool fingerprint_changed = false;
  // With max_points: what the full line holds between the previous point kept and this one.
  std::optional<analysis::Elided> elided;
};

struct SeriesViewLine {
  analysis::SeriesKey key;
  std::vector<SeriesViewPoint> points;
  // With max_points: the line's points before downsampling (after from/to).
  std::optional<int64_t> points_total;
};

struct SeriesView {
  std::string benchmark, metric, unit;
  core::Direction direction = core::Direction::kLower;
  std::vector<SeriesViewLine> series;
  std::vector<store::AlertRecord> alerts;  // on this benchmark and metric (and platform, project)
};

// kNotFound when no run measured the benchmark (on the platform) or it has no such metric.
base::Result<SeriesView> SeriesOf(store::Store& store, const SeriesRequest& request);

// {"benchmark", "metric", "unit", "direction", "series": [...], "alerts": [...]}; with
// max_points, each line also has "points_total" and each point "elided" (docs/api.md).
std::string SeriesJson(const SeriesView& view);

}  // namespace perfledger::service
