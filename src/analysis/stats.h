// Statistics for comparing runs (DESIGN.md "Statistics"): robust summaries, the Mann-Whitney U
// rank test, the Hodges-Lehmann estimate of a relative change with its confidence interval,
// Welch's test for aggregate-only metrics, and Benjamini-Hochberg false discovery rate
// control. Pure functions; NaN never comes out of them for valid input (see each function).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace perfledger::analysis {

// Precondition for all: the spans hold finite numbers.

// The median (mean of the middle two for an even count). Empty: 0.
double Median(std::span<const double> values);

// The median absolute deviation from the median, unscaled. Fewer than 2 values: 0.
double Mad(std::span<const double> values);

// MAD scaled to estimate a normal distribution's standard deviation (1.4826 x MAD).
double RobustSigma(std::span<const double> values);

struct Description {
  int64_t n = 0;
  double mean = 0, stddev = 0, min = 0, max = 0, median = 0, mad = 0;
};
// stddev is the sample standard deviation (n - 1); 0 below two values.
Description Describe(std::span<const double> values);

struct RankTest {
  double u = 0;        // U of the first sample: pairs (x, y) with x > y, plus half the ties
  double p_value = 1;  // two-sided
  bool exact = false;  // exact distribution (small samples without ties) or normal approximation
};

// Two-sided Mann-Whitney U test of x against y. Exact p-value (the permutation distribution of
// U) when both samples have at most 50 values and there are no ties; otherwise the normal
// approximation with tie correction and continuity correction. An empty side gives p = 1.
RankTest MannWhitneyU(std::span<const double> x, std::span<const double> y);

struct RelativeChange {
  double estimate = 0;       // head / base - 1: +0.10 is 10% larger
  double low = 0, high = 0;  // the confidence interval of the estimate
};

// The Hodges-Lehmann estimate of the shift between base and head on the log scale (the median
// of all pairwise log(head_j / base_i)), turned into a relative change, with the distribution-
// free confidence interval from the order statistics of the pairwise differences (the
// Mann-Whitney critical values, normal approximation for large samples). When a value is not
// positive, it works on differences relative to the base median instead. Needs at least one
// value a side; otherwise nullopt.
std::optional<RelativeChange> HodgesLehmann(std::span<const double> base,
                                            std::span<const double> head, double confidence = 0.95);

// Welch's two-sided t test from aggregates (n, mean, standard deviation of each side), for
// metrics that only have summaries. nullopt when either n < 2, or both deviations are 0.
std::optional<double> WelchPValue(int64_t n1, double mean1, double sd1, int64_t n2, double mean2,
                                  double sd2);

// Benjamini-Hochberg adjusted p-values (q-values), in the input's order, monotone, at most 1.
std::vector<double> BenjaminiHochberg(std::span<const double> p_values);

// The smallest equal sample count per side at which an exact two-sided Mann-Whitney test can
// reach `alpha` at all (2 / C(2n, n) <= alpha): 4 for 0.05.
int MinimumSamplesPerSide(double alpha);

// The runner's stopping rule and calibrate's proposal: the median with a distribution-free
// confidence interval for it (benchmark timings are skewed; no normality is assumed).
struct MedianInterval {
  double median = 0;
  double lower = 0, upper = 0;  // the confidence interval of the median
  // (upper - lower) / median; infinite for a zero median or too few samples.
  double relative_width = 0;
};

// The 95% interval uses the order statistics whose ranks come from the binomial(n, 1/2)
// distribution (normal approximation, continuity-corrected); below 6 samples the interval is
// [min, max] and the width is reported as infinite, so no rule stops that early.
MedianInterval MedianConfidence(std::span<const double> samples);

}  // namespace perfledger::analysis
