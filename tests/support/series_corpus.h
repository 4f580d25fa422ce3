// Generated benchmark histories of known truth, for measuring change point detection
// (analysis/changepoint.h) in tests/accuracy and bench/detect_corpus_bench.cc (issue 17).
//
// Every series is a level path (steps, drifts, a slow trend) times a periodic load (a season)
// times relative noise (Gaussian, AR(1), outliers, spikes, bimodal, a change of spread), all
// drawn from a seeded std::mt19937_64, so a corpus is the same on every machine and run. Each
// series carries its truth: the changes it holds (kind and span) and whether its only movement
// is noise, season, AR(1) or a slow whole-series trend ("no change": nothing there should
// alert).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace perfledger::testing {

enum class TruthKind { kStep, kDrift, kNoise };
const char* TruthKindName(TruthKind kind);

// One true change. A step and a noise change: first == last == the first point after it. A
// drift: the points first..last move from the level before to the level after.
struct TrueChange {
  TruthKind kind = TruthKind::kStep;
  size_t first = 0, last = 0;
};

enum class DriftShape { kLinear, kLogistic, kExponential };
enum class SeasonShape { kNone, kSine, kSquare };
enum class Contamination { kNone, kOutliers, kSpikes };

// What a generated series holds. Magnitudes relative to `sigma`, the relative noise deviation
// (drawn uniformly in 1-5%).
struct SeriesSpec {
  size_t n = 200;
  int steps = 0;  // step changes of max(5%, 3 sigma)..50% either way, segments >= min_gap
  size_t min_gap = 15;
  bool drift = false;  // one drift of max(10%, 6 sigma)..40%, over 10-40% of the series
  DriftShape drift_shape = DriftShape::kLinear;
  bool drift_to_end = false;  // the drift still goes on at the newest point
  double trend_sigmas = 0;    // a linear trend over the whole series, total change in sigmas
  SeasonShape season = SeasonShape::kNone;
  double season_sigmas = 0;  // the season's peak amplitude in sigmas
  size_t period = 0;         // 0: chosen from 7, 24, 168 (weekly / daily load) to fit >= 4
  double ar = 0;             // AR(1) coefficient of the noise (marginal deviation stays sigma)
  Contamination contamination = Contamination::kNone;
  bool bimodal = false;          // the whole series: 20-50% of points in a mode 3-6 sigma up
  bool variance_change = false;  // the spread grows 3-5x at a point (truth: kNoise)
  bool bimodal_onset = false;    // from a point on, 25-40% of points 5-8 sigma up (kNoise)
};

struct CorpusSeries {
  std::string family;
  std::vector<double> values;
  std::vector<TrueChange> truth;  // sorted by first
  double sigma = 0;
  bool no_change = false;   // noise, season, AR(1), bimodal noise, slow trend only
  bool pure_drift = false;  // a single drift and white noise, nothing else
};

CorpusSeries GenerateSeries(const SeriesSpec& spec, std::mt19937_64& rng);

// The families of the corpus, each a rule drawing a SeriesSpec for a length n.
enum class FamilyGroup {
  kNoChange,     // white, outliers, spikes, AR(1), seasons, trend, bimodal, combinations
  kSteps,        // 1-3 steps >= 3 sigma under white noise, outliers or spikes (as today)
  kStepsMixed,   // steps under a season or AR(1) noise
  kDrift,        // one pure drift: linear, logistic, exponential, half of them ongoing
  kDriftMixed,   // a drift with a season, a step and a drift
  kNoiseChange,  // a variance change, a bimodal onset
};
const char* FamilyGroupName(FamilyGroup group);

struct Family {
  std::string name;
  FamilyGroup group;
  size_t min_n;  // the shortest series the family makes sense at
  SeriesSpec (*draw)(size_t n, std::mt19937_64& rng);
};
const std::vector<Family>& Families();

// `per_family` series of each family in `groups` at each length of `lengths` (skipping lengths
// below a family's min_n), from `seed`.
std::vector<CorpusSeries> MakeCorpus(const std::vector<FamilyGroup>& groups,
                                     const std::vector<size_t>& lengths, size_t per_family,
                                     uint64_t seed);

}  // namespace perfledger::testing
