// Change point detection for benchmark series (DESIGN.md "Statistics": history): where the level
// of a series of per-commit medians shifts, by how much, and how sure that is. Pure functions,
// no state; safe to call from any thread.
//
// The method is seeded binary segmentation (Kovács, Li, Bühlmann, Haubner & Munk, "Seeded
// binary segmentation", Biometrika 2023) on the log values, winsorized at a robust noise scale:
//  1. noise: an AR(1) noise model from trimmed second differences at lags 1-3, leaving out
//     those that straddle a large jump (noise_model.h), so steps, outliers and a slow trend
//     barely move it; tests use its long-run deviation. In a series of up to 1,000 points,
//     where phi is uncertain, it is checked on the residuals of the segments found at the
//     white-noise scale (changepoint.cc, LevelSearch), so that a white series whose estimate
//     comes out high still shows its steps. A series of fewer than kShortSeries points is too
//     short for the model: where its points carry samples, the samples' spread bounds the
//     scale (DetectOptions::run_noise). Every value is clipped to within 1.5 noise deviations
//     of a running median of 7 (of 2 min_segment - 1 in a short series), so no outlier weighs
//     more than a bounded amount.
//     Where the noise looks autocorrelated (or the search finds a shift), a periodic
//     component of a daily or weekly load is looked for and taken out first (season.h);
//  2. candidates: the CUSUM (two-sample z) statistic of every split of a fixed, deterministic
//     set of intervals at all scales (about 2n/l intervals of each length l = n, n/2, n/4, ...),
//     from prefix sums: O(n log n) in all. Greedily, the strongest split whose interval holds no
//     accepted change is accepted while it beats the threshold. Unlike plain binary
//     segmentation, a short bump inside a long series is found too;
//  3. the threshold: the statistic's null distribution over all split positions of an interval
//     is bounded by the standardized Brownian bridge (Siegmund's approximation, capped by
//     Bonferroni), summed over all intervals, so a series of pure noise alerts with probability
//     at most `alpha` whatever its length;
//  4. refinement and pruning: each change is moved to the best split between its neighbours
//     (the least-squares estimate, so it lands on the step), then re-tested on that stretch;
//     a change that is no longer significant, or whose segment medians differ by less than the
//     minimum effect, is dropped, and its neighbours are refined again;
//  5. shape (changepoint_shape.cc): a shift is a step when constants either side fit at least
//     as well as a line with one bend and about as well as a flat-ramp-flat move (trend.h);
//     smooth shifts in one direction make one drift (with the weak steps next to it);
//     regular alternating moves at a season's scale are nothing; a change of the spread is a
//     noise change (its own segmentation, changepoint_spread.cc).
// Cost: O(n log n) time, O(n) memory (figures: bench/run_detect_corpus_bench.sh). In a series
// of kShortSeries points or more, a change needs at least about 4 points on its short side: a
// shorter excursion is indistinguishable from a burst of outliers and is clipped away. A shorter
// series keeps excursions of min_segment points.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace perfledger::analysis {

// What moved: the level at once (a step), the level gradually over a stretch of points (a
// drift), or the spread of the values around the level (noise).
enum class ChangeShape { kStep, kDrift, kNoise };

struct ChangePoint {
  size_t index = 0;  // first point after the change: it lies between index-1 and index
  ChangeShape shape = ChangeShape::kStep;
  // The points the change spans: it starts after point first - 1 and is complete at point
  // last. A step and a noise change: first == last == index. A drift: the points first..last
  // move from `before` to `after` (index == last + 1).
  size_t first = 0, last = 0;
  // A drift: the relative change per point, (after / before)^(1 / (last - first + 1)) - 1.
  double rate = 0;
  // A noise change: the spread after / the spread before (relative standard deviations).
  double spread_ratio = 1;
  double before = 0, after = 0;  // the medians of the segments either side
  double change = 0;             // after / before - 1
  // 1 - the p-value of the split between its neighbours, corrected for every split tried (so
  // at least 1 - alpha for every change reported).
  double confidence = 0;
};

struct DetectOptions {
  // The smallest relative change that counts (in either direction: max(after/before,
  // before/after) - 1); the floor is always kNoiseToEffect times the series' own noise.
  double min_effect = 0;
  double alpha = 0.01;     // significance of each split: false alarms per series of pure noise
  size_t min_segment = 3;  // points on each side of a change at least (0 counts as 1)
  // How much a point moves between runs as the runs' own samples suggest (a relative standard
  // deviation, such as one sample's, pooled over the points); 0 when the points carry no
  // samples. A series of fewer than kShortSeries points is too short for its noise model (the
  // autocorrelation is then unknown within +-0.5, and two close steps spoil most of its
  // differences): its tests use at most the larger of this and SeriesNoise.
  double run_noise = 0;
};

// See DetectOptions::run_noise. A series this short also clips its outliers around a running
// median of 2 min_segment - 1 points rather than 7, so a stretch of min_segment points stays.
inline constexpr size_t kShortSeries = 30;

// The minimum effect is at least this many times SeriesNoise, so noise never alerts.
inline constexpr double kNoiseToEffect = 1.5;

// The series' run-to-run noise, robustly: the relative standard deviation estimated from the
// median absolute successive difference of the log values, 1.4826 * median(|log x_i -
// log x_{i-1}|) / sqrt(2), so steps and outliers do not inflate it. 0 for fewer than 3 points,
// or when a value is not positive and finite.
double SeriesNoise(std::span<const double> values);

// Change points of a series of per-commit medians (oldest first), sorted by index, each at
// least min_segment points from its neighbours and from the ends (a move of only the newest or
// oldest points, fewer than min_segment, is not reported: it cannot be placed). Values must be
// positive and finite (otherwise: none); a constant series or one shorter than 2*min_segment has
// none.
std::vector<ChangePoint> DetectChanges(std::span<const double> values,
                                       const DetectOptions& options = {});

}  // namespace perfledger::analysis
