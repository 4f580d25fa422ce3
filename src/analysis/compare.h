// Comparing two runs benchmark by benchmark (DESIGN.md "Statistics"): per benchmark x metric,
// the medians, the relative change with its confidence interval (Hodges-Lehmann), the
// Mann-Whitney U p-value, the Benjamini-Hochberg q-value across everything compared, and a
// verdict. A change counts only when it is significant after adjustment and at least the
// series' minimum effect in the metric's worse direction. The minimum effect is --threshold
// when given, else it comes from the series' noise (a multiple of it, within bounds), so a
// noisy series does not alert for noise and a quiet one catches changes below 10%.
// Pure functions: the CLI and the server call them with runs they loaded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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
  // metrics compared, with 0.37 (runs - 1) degrees of freedom (the noise is a robust estimate
  // from that many runs): the difference of two runs varies sqrt(2) times one run's noise,
  // and whole runs drifting together must not make any of m benchmarks alert in more than
  // alpha of comparisons (with 30 runs: 6.4x for 100 benchmarks; with a long history the
  // normal quantile: 4.65x).
  std::optional<double> threshold;
  double default_threshold = 0.10;
  double noise_multiple = 3;
  double min_threshold = 0.01, max_threshold = 0.50;
  double alpha = 0.05;               // for the q-values
  std::vector<std::string> metrics;  // only these metrics; empty: all
};

// A series' run-to-run noise learned from history (relative standard deviation), by
// (benchmark, metric). Where a series has none, the noise comes from the two runs' own
// sample spread.
struct HistoryNoise {
  double relative = 0;
  int runs = 0;  // how many historical runs it was learned from
};
using NoiseByMetric = std::map<std::pair<std::string, std::string>, HistoryNoise>;

struct ComparisonRow {
  std::string benchmark, metric, unit;
  core::Direction direction = core::Direction::kLower;
  double base_median = 0, head_median = 0;
  int64_t base_n = 0, head_n = 0;
  // Absent where they cannot be computed (too few samples, no spread in a summary).
  std::optional<double> change, ci_low, ci_high, p_value, q_value;
  Verdict verdict = Verdict::kInconclusive;
  double threshold = 0;      // the minimum effect applied
  double noise = 0;          // the relative noise it came from (0: unknown)
  std::string noise_source;  // "run-to-run over 35 runs", "within-run spread", "--threshold"
  std::string note;          // why inconclusive, e.g. "needs at least 4 samples a side, has 3"
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
