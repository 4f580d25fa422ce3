// Change detection over benchmark series (the `detect` verb and the server): where a series'
// level shifted, between which measured commits, by how much, whether it is a regression, an
// improvement or the machine changing under it; and how new changes relate to alerts already
// kept. Pure functions over series the caller built (series.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/changepoint.h"
#include "analysis/series.h"
#include "core/triage.h"

namespace perfledger::analysis {

// A change's kind is the kind of the alert it becomes (core/triage.h).
using ChangeKind = core::AlertKind;
inline std::string_view ChangeKindName(ChangeKind k) { return core::AlertKindName(k); }

struct DetectedChange {
  SeriesKey key;
  std::string unit;
  core::Direction direction = core::Direction::kLower;
  size_t index = 0;        // the series point after the change (a drift: its last point)
  size_t first_index = 0;  // a drift: its first point; else index
  // The commit range the change lies in: after `from` (the last measured commit before it),
  // up to and including `to` (the first measured commit after it).
  std::string from, to;
  std::string first;  // a drift: the first measured commit of its stretch (after `from`)
  // Commits in (from, to] when the runs say so (`to`'s own commit range starts at `from`);
  // nullopt otherwise: the caller counts them in the branch history.
  std::optional<int64_t> count;
  double before_median = 0, after_median = 0;
  double change = 0;      // after / before - 1
  double confidence = 0;  // 1 - the corrected p-value of the split
  double noise = 0;       // the series' run-to-run noise (relative standard deviation)
  double min_effect = 0;  // the smallest change that counted in this series
  // kRegression and kImprovement: a step of the level; kDrift: a gradual change of the level
  // over first_index..index (worse or better by `change` and the series' direction); kNoise:
  // the spread changed (`change` is the spread's relative change, the level may not have).
  ChangeKind kind = ChangeKind::kRegression;
  double rate = 0;          // kDrift: the relative change per measured commit
  double spread_ratio = 1;  // kNoise: the spread after / before
  // For kEnvironment: the fingerprints either side.
  std::string fingerprint_before, fingerprint_after;
};

struct SeriesDetectOptions {
  // The smallest relative change reported; a series' own noise raises it (kNoiseToEffect x
  // its noise), so a noisy series does not alert for noise.
  double min_effect = 0.01;
  double alpha = 0.01;     // false alarms per series of pure noise
  size_t min_segment = 3;  // measured commits either side of a change at least
  // A change within this many points of an environment fingerprint change is the
  // environment's doing: reported as kEnvironment, at the fingerprint change.
  size_t environment_window = 2;
};

struct SeriesDetection {
  std::vector<DetectedChange> changes;  // oldest first
  double noise = 0;
  // Why the series was not analysed, when it was not: "too short: 4 measured commits, needs
  // at least 6", "constant: every value is 12 ns". Empty when it was.
  std::string skipped;
};

SeriesDetection DetectInSeries(const Series& series, const SeriesDetectOptions& options = {});

// An alert already kept, as far as matching needs it.
struct KnownAlert {
  int64_t id = 0;
  SeriesKey key;
  std::string from, to;
  ChangeKind kind = ChangeKind::kRegression;
};

// What to do with one detected change given the alerts already kept for its series: a new
// alert; the same change seen again over a narrower range (bisection measured commits inside
// it), so that alert's range narrows; or nothing (an alert whose range overlaps it exists).
struct AlertMatch {
  enum class Action { kNew, kNarrow, kExisting } action = Action::kNew;
  int64_t alert_id = 0;  // for kNarrow and kExisting
};

// Ranges overlap when they share a commit, by the positions of their ends in `series` (an end
// the series does not hold matches only an identical range). Alerts of every status count, so a
// change marked false-positive or resolved is not raised again.
AlertMatch MatchAlert(const Series& series, const DetectedChange& change,
                      const std::vector<KnownAlert>& known);

}  // namespace perfledger::analysis
