#include "runner/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace perfledger::runner {

MedianInterval MedianConfidence(std::span<const double> samples) {
  MedianInterval out;
  if (samples.empty()) {
    out.relative_width = std::numeric_limits<double>::infinity();
    return out;
  }
  std::vector<double> v(samples.begin(), samples.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  out.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  if (n < 6) {
    out.lower = v.front();
    out.upper = v.back();
    out.relative_width = std::numeric_limits<double>::infinity();
    return out;
  }
  // Ranks (1-based) j and k with P(j <= rank of the median <= k) >= 95%.
  const double z = 1.959963984540054;
  const double half = z * std::sqrt(static_cast<double>(n)) / 2;
  const double centre = static_cast<double>(n) / 2;
  size_t j = static_cast<size_t>(std::max(1.0, std::floor(centre - half - 0.5) + 1));
  size_t k = static_cast<size_t>(std::min(static_cast<double>(n), std::ceil(centre + half + 0.5)));
  j = std::min(j, n);
  k = std::max(k, j);
  out.lower = v[j - 1];
  out.upper = v[k - 1];
  out.relative_width = out.median > 0 ? (out.upper - out.lower) / out.median
                                      : std::numeric_limits<double>::infinity();
  return out;
}

}  // namespace perfledger::runner
