// Internals of change point detection (changepoint.h), shared by its files and by nothing else:
//  - changepoint_segments.cc: the seeded binary segmentation of the level (intervals, the
//    CUSUM statistic, its threshold, the greedy selection, refinement and pruning);
//  - changepoint_shape.cc: whether each shift of the level is a step, part of a drift or of an
//    oscillation (Classify);
//  - changepoint_spread.cc: changes of the spread (noise changes) and the level changes a
//    noisier stretch explains;
//  - changepoint.cc: the noise scale, the order of the steps, the public functions.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "analysis/changepoint.h"

namespace perfledger::analysis {

// Median of `v` (mean of the middle two for an even count); reorders `v`. Empty: 0.
double MedianInPlace(std::span<double> v);

// --- Segmentation (changepoint_segments.cc) --------------------------------------------------

struct Interval {
  size_t begin = 0, end = 0;  // [begin, end)
};

// One scale of the seeded intervals: `count` intervals of at most `length` points;
// log_ratio = 2 log((length - m) / m), for the p-value of a split (computed once).
struct Level {
  size_t count = 0, length = 0;
  double log_ratio = 0;
};

// The scales of the seeded intervals of Kovács et al. with decay 1/2 over [0, n), down to 2m
// points (see BestSplits).
std::vector<Level> SeedLevels(size_t n, size_t m);

// The p-value of a split statistic b, corrected for every split of every seeded interval.
double CorrectedPValue(double b, std::span<const Level> levels, size_t m);

// The statistic CorrectedPValue maps to alpha.
double Threshold(double alpha, std::span<const Level> levels, size_t m);

// A series as prefix sums, and the CUSUM (two-sample z) statistic of its splits for unit noise:
// callers divide by the noise scale, so one Cusum serves every scale tried.
class Cusum {
 public:
  Cusum() = default;
  explicit Cusum(std::span<const double> z);

  // |mean(z[begin, t)) - mean(z[t, end))| * sqrt(k (l - k) / l), k = t - begin,
  // l = end - begin: times 1 / scale, a standard normal for one fixed split of Gaussian noise.
  double At(size_t begin, size_t t, size_t end) const;

  struct Best {
    size_t t = 0;
    double statistic = 0;  // for unit noise, as At
  };
  // The mean of z[begin, end).
  double Mean(size_t begin, size_t end) const {
    return (prefix_[end] - prefix_[begin]) / static_cast<double>(end - begin);
  }

  // The split of [begin, end) with m points a side at least that maximizes At.
  Best Max(size_t begin, size_t end, size_t m) const;

 private:
  std::vector<double> prefix_;
};

// The best split of an interval.
struct Candidate {
  Interval interval;
  Cusum::Best best;
};

// The best split of every seeded interval of [0, n) (Kovács et al. with decay 1/2: at level k,
// 2^k - 1 intervals of length n / 2^(k-1), evenly shifted, down to 2m points) whose statistic
// reaches `min_statistic`, found once: the selection at any scale above it reuses them.
std::vector<Candidate> BestSplits(const Cusum& cusum, size_t n, size_t m, double min_statistic);

// Seeded binary segmentation's greedy selection: the candidates whose statistic reaches
// `statistic` (the threshold times the noise scale), strongest first, as long as no split
// taken before lies inside the interval. Sorted by position.
std::vector<size_t> GreedySplits(std::span<const Candidate> candidates, double statistic);

// logs clipped to within `clip` of their running median: of 7 points, or in a series of fewer
// than kShortSeries points of 2m - 1 when m (the minimum segment) is below 4.
std::vector<double> Winsorize(std::span<const double> logs, double clip, size_t m);

// What the level search tests against.
struct LevelTest {
  double scale = 0;       // the noise scale of the tests (a long-run deviation, log values)
  double alpha = 0.01;    // the significance of every change
  double min_effect = 0;  // on the log scale
  size_t m = 1;           // points a side at least
};

// Moves each change in `at` to the least-squares split between its neighbours, tests it there,
// drops the weakest failing ones and repeats until every change holds up: the changes of the
// level, as steps, with the medians of `values` either side. `at` is left holding their
// positions.
std::vector<ChangePoint> RefineAndPrune(std::span<const double> values, const Cusum& cusum,
                                        std::span<const Level> levels, const LevelTest& test,
                                        std::vector<size_t>* at);

// --- Shape (changepoint_shape.cc) ------------------------------------------------------------

struct Context {
  double scale = 0;       // the long-run noise deviation of the log values
  double threshold = 0;   // the CUSUM statistic that is significant at alpha
  double min_effect = 0;  // on the log scale
  std::span<const Level> levels;
  size_t m = 1;
};

// Marks the shifts (sorted) that belong to an oscillation: at least 4 moves in a row, each
// undoing the one before, of similar sizes and evenly spaced (a season or a periodic load cut
// by the piecewise-constant search), and the shifts no larger than its moves.
std::vector<bool> Oscillations(const std::vector<ChangePoint>& shifts);

// Splits the level shifts (RefineAndPrune) into steps, drifts (one flat-ramp-flat move for a
// run of smooth shifts in one direction) and oscillations (nothing). Sorted by index.
std::vector<ChangePoint> Classify(std::span<const double> values, std::span<const double> clipped,
                                  const std::vector<ChangePoint>& shifts, const Context& ctx);

// --- Spread (changepoint_spread.cc) ----------------------------------------------------------

// A change of the spread needs this many points on either side.
inline constexpr size_t kSpreadMinSegment = 20;

// The changes of the spread of `logs` (`values` their exponentials) whose series noise is
// `noise` (0: none are looked for), as kNoise changes.
std::vector<ChangePoint> SpreadChanges(std::span<const double> values, std::span<const double> logs,
                                       double noise, double alpha, size_t min_segment);

// Drops the level changes of `level` (sorted) that the rise of the spread at a change of
// `spread` (sorted) explains: a bimodal series moves its median by chance where it becomes
// noisier.
void DropLevelChangesOfNoisierStretches(std::span<const double> logs,
                                        std::span<const ChangePoint> spread,
                                        std::vector<ChangePoint>* level);

}  // namespace perfledger::analysis
