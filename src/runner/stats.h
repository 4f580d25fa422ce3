// Order statistics for the runner's stopping rule: the median and a distribution-free
// confidence interval for it (benchmark timings are skewed; no normality is assumed).
#pragma once

#include <span>

namespace perfledger::runner {

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

}  // namespace perfledger::runner
