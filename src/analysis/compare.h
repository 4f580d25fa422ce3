// Comparing two runs benchmark by benchmark (DESIGN.md "Statistics"): per benchmark x metric,
// the medians, the relative change with its confidence interval (Hodges-Lehmann), the
// Mann-Whitney U p-value, the Benjamini-Hochberg q-value across everything compared, and a
// verdict. A change counts only when it is significant after adjustment and at least the
// series' minimum effect in the metric's worse direction. The minimum effect is --threshold
// when given, else it comes from the series' noise (a multiple of it, within bounds), so a
// noisy series does not alert for noise and a quiet one catches changes below 10%.
//
// The run-to-run noise of a short history (issue 17): a series with 2-8 stored runs says little
// about its own noise (a robust spread of 4 successive differences is off by 2x one time in
// ten), and a Student's t quantile that allows for that, at the family-wise level of 100
// metrics, is 20x or more: every row clamped at 50%. But the series of one suite share a
// machine, so their noises are alike: each series' estimate is moderated towards the suite's
// (empirical Bayes, Smyth 2004, below), which is worth the degrees of freedom of all of them.
// Pure functions: the CLI and the server call them with runs they loaded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/run.h"

namespace perfledger::analysis {

enum class Verdict { kRegression, kImprovement, kUnchanged, kInconclusive };
std::string_view VerdictName(Verdict v);

struct CompareOptions {
  // The minimum relative effect; nullopt: a multiple of the series' noise, clamped to
  // [min_threshold, max_threshold], or default_threshold where the noise is unknown. For
  // within-run noise the multiple is noise_multiple. For run-to-run noise learned from history
  // it is max(noise_multiple, sqrt(2) t), t Student's quantile at 1 - alpha / m over the m
  // metrics compared, with the degrees of freedom of the moderated noise (ModerateNoise): the
  // difference of two runs varies sqrt(2) times one run's noise, and whole runs drifting
  // together must not make any of m benchmarks alert in more than alpha of comparisons (100
  // benchmarks with a well-known noise: the normal quantile, 4.65x).
  std::optional<double> threshold;
  double default_threshold = 0.10;
  double noise_multiple = 3;
  double min_threshold = 0.01, max_threshold = 0.50;
  double alpha = 0.05;               // for the q-values
  std::vector<std::string> metrics;  // only these metrics; empty: all
};

// A series' run-to-run noise learned from history (relative standard deviation), by
// (benchmark, metric). Where a series has none, the noise comes from the two runs' own sample
// spread.
struct HistoryNoise {
  // An estimate of the relative standard deviation of the series' run medians whose square is
  // unbiased for the variance (RunToRunNoise).
  double relative = 0;
  int runs = 0;  // how many historical runs (series points) it was learned from
};
using NoiseByMetric = std::map<std::pair<std::string, std::string>, HistoryNoise>;

// The run-to-run noise of a series from its points' medians (oldest first, positive and
// finite): the median absolute successive difference of the log medians, so steps and outliers
// barely move it, scaled to a standard deviation whose square is unbiased for Gaussian noise
// (RunToRunNoiseModel). nullopt for fewer than 3 points, a value that is not positive and
// finite, or no variation at all.
std::optional<HistoryNoise> RunToRunNoise(std::span<const double> medians);

// How RunToRunNoise's estimate s of a Gaussian series' sigma varies with the number of points
// k, from a simulation (400,000 series per k; k > 64 extrapolated as 1/(k - 1)): E[log s^2] -
// log sigma^2 (bias) and Var[log s^2] (variance), and the degrees of freedom of a scaled
// chi-square with that variance (2 trigamma^-1(variance): 1 for 2 points, 2.4 for 5, 3.0 for
// 8, 9.7 for 30; a standard deviation would have k - 1).
struct NoiseModel {
  double bias = 0, variance = 0, df = 0;
};
NoiseModel RunToRunNoiseModel(int points);

// The empirical Bayes moderation of many series' variances (Smyth, "Linear models and
// empirical Bayes methods for assessing differential expression in microarray experiments",
// Stat. Appl. Genet. Mol. Biol. 3(1), 2004, sections 3-4 and 6.2): the true variances of the
// series are taken as draws from a scaled inverse chi-square prior (s0^2, d0), fitted by the
// moments of the log estimates; each series' posterior variance is (d0 s0^2 + d s^2) / (d0 +
// d), with d0 + d degrees of freedom. With `scales` (one a series, each series' within-run
// spread in the runs compared), the prior is s0^2 scales_i^2: what the series share is then
// how much their run-to-run noise exceeds their within-run spread (a prior that follows a
// covariate, as limma-trend's follows the mean: Law, Chen, Shi & Smyth, "voom", Genome Biology
// 15:R29, 2014), so a suite of quiet and noisy benchmarks still pools. A scale is itself an
// estimate with scale_dfs degrees of freedom: its sampling variance is not counted as
// heterogeneity, and d0 is capped at the smallest of them (the prior of a series is no better
// known than its scale). d0 is infinite when the estimates vary no more than their sampling
// explains; it is capped at the degrees of freedom of all the series together, which is all
// the prior was learned from (our conservative choice, so a handful of series never acts as a
// known noise). Fewer than 3 series: no prior.
struct NoisePrior {
  double variance = 0;  // s0^2 (times scale^2 for a series with a scale)
  double df = 0;        // d0 after the cap; 0: no prior
  int series = 0;       // how many series it was learned from
};
NoisePrior FitNoisePrior(const std::vector<HistoryNoise>& noises,
                         std::span<const double> scales = {},
                         std::span<const double> scale_dfs = {});

struct ModeratedNoise {
  double relative = 0;  // sqrt of the posterior variance
  double df = 0;        // its degrees of freedom
};
// `scale`: the series' within-run spread when the prior was fitted with scales, else 1.
ModeratedNoise ModerateNoise(const HistoryNoise& own, const NoisePrior& prior, double scale = 1);

struct ComparisonRow {
  std::string benchmark, metric, unit;
  core::Direction direction = core::Direction::kLower;
  double base_median = 0, head_median = 0;
  int64_t base_n = 0, head_n = 0;
  // Absent where they cannot be computed (too few samples, no spread in a summary).
  std::optional<double> change, ci_low, ci_high, p_value, q_value;
  Verdict verdict = Verdict::kInconclusive;
  double threshold = 0;  // the minimum effect applied
  double noise = 0;      // the relative noise it came from (0: unknown)
  // "run-to-run over 35 runs", "run-to-run over 3 runs, pooled with 40 series",
  // "within-run spread", "--threshold", "default (noise unknown)".
  std::string noise_source;
  std::string note;  // why inconclusive, e.g. "needs at least 4 samples a side, has 3"
};

struct Comparison {
  std::vector<ComparisonRow> rows;  // sorted by benchmark, then metric
  int regressions = 0, improvements = 0, unchanged = 0, inconclusive = 0;
  // Benchmarks only one side has, or that failed on a side: not compared.
  std::vector<std::string> only_base, only_head, failed;
  // Metrics of a compared benchmark that only one side measured: "parse/cpu_time".
  std::vector<std::string> metrics_only_base, metrics_only_head;
};

// Compares every benchmark x metric the two runs share (a metric needs the same unit on both
// sides). Runs are compared as given; whether their environments may be compared is the
// caller's decision.
Comparison CompareRuns(const core::Run& base, const core::Run& head, const CompareOptions& options,
                       const NoiseByMetric& history = {});

}  // namespace perfledger::analysis
