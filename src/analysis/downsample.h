// Display resolution: which points of one series line a chart needs when it cannot show them
// all (GET /api/v1/series?max_points=N). A line of 100 000 commits drawn 1 000 pixels wide
// looks the same from a few thousand well-chosen points, if those keep every extreme and every
// point something is drawn at. Pure functions, no I/O.
//
// The choice is M4 (Jugel, Jerzak, Hackenbroich, Markl: "M4: A Visualization-Oriented Time
// Series Data Aggregation", PVLDB 7(10), 2014): the x axis is cut into equal buckets and each
// bucket keeps its first and last point and the points of its smallest and largest value, so
// a line drawn through the kept points covers the same pixels as the full line when there is
// a bucket per pixel column. A spike inside a bucket survives; a flat stretch costs at most
// four points per bucket.
//
// Some points must stay whatever their value, because the chart draws something at them
// (DownsampleLine says which); the buckets share what the budget leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace perfledger::analysis {

// A point of a line as the choice sees it. The views point into the caller's series.
struct PlotPoint {
  std::optional<int64_t> x;  // the commit time (nanoseconds); see DownsampleLine for missing ones
  double y = 0;              // the value drawn: the point's median
  std::string_view sha;
  // Its environment fingerprint differs from the point before it in the full series.
  bool fingerprint_changed = false;
  // Its commit range (range_from, sha], `range_count` commits (0 or less: unknown).
  std::optional<std::string_view> range_from;
  int64_t range_count = 1;
};

// An alert's commit range (range_from, range_to]: the chart locates the alert by the points
// of these shas.
struct PlotRange {
  std::string_view from, to;
  bool open = false;  // an open alert outranks a triaged one when not every end fits
};

// The indices (ascending, unique) of at most `max_points` points of `points` (oldest first) to
// draw instead of all of them. Deterministic: the same input gives the same indices.
//
// - `max_points` >= the number of points: every index (the line is unchanged). 0: none.
// - The x axis is the commit time; when a point has none, or the times go backwards or are all
//   equal, it is the index instead (the buckets then hold equal numbers of points).
// - Points that always stay, most important first:
//     1. the last point, then the first (where the line ends and starts: an epoch's or the
//        window's ends; the latest value);
//     2. the `to` end of an open alert, then 3. of any other alert (the chart places the
//        alert there);
//     4. a point whose fingerprint changed (the chart's environment marker);
//     5. the `from` end of an open alert, then 6. of any other alert;
//     7. the point before a fingerprint change (so the marker sits between the right points).
//   Ends that are not points of the line are ignored. When these alone exceed `max_points`,
//   the most important are kept (by the order above, newer before older within one rank) and
//   no bucket is drawn.
// - The rest of the budget goes to buckets: as many buckets (at least max_points_left / 4)
//   as a search up from that finds whose first, last, smallest and largest points (ties: the
//   oldest) together with the points above still fit (how many fit is nearly, not strictly,
//   monotonic in the bucket count: the search may stop below the largest count that fits). With
//   room for fewer than four more points, the line's smallest and largest values are added, the one
//   further from the line's median first.
std::vector<size_t> DownsampleLine(std::span<const PlotPoint> points,
                                   std::span<const PlotRange> alerts, size_t max_points);

// DownsampleLine's choice for a line without alerts or fingerprint changes, from its values
// `ys` and their times `xs` (empty when some point has none): what the headline index draws.
std::vector<size_t> DownsampleValues(std::span<const int64_t> xs, std::span<const double> ys,
                                     size_t max_points);

// What lies between two kept points: for each kept index, over the points of the full line
// after the previous kept index up to and including this one.
struct Elided {
  int64_t points = 0;  // points left out before this one
  // The largest known range count among them and this point; nullopt when none is known.
  std::optional<int64_t> max_range_count;
  // One of them or this point has a commit range that starts at no earlier point of the line:
  // commits that no run of this line stands for. The first point of the line never does.
  bool unrepresented = false;
};

// One Elided per index of `kept` (ascending, unique, each below points.size()), so a chart that
// draws only the kept points can still shade the gaps the full line has.
std::vector<Elided> ElidedBefore(std::span<const PlotPoint> points, std::span<const size_t> kept);

}  // namespace perfledger::analysis
