#include "core/series.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace perfledger::core {
namespace {

constexpr double kMaxDouble = std::numeric_limits<double>::max();

// Saturates an overflow to the largest finite double.
double Finite(double v) { return std::clamp(v, -kMaxDouble, kMaxDouble); }

std::optional<double> SummaryValue(const Metric& m) {
  if (!m.samples.empty() || !m.summary) return std::nullopt;
  const double v = m.summary->median.value_or(m.summary->mean);
  if (!UsableValue(v)) return std::nullopt;
  return v;
}

}  // namespace

bool UsableValue(double v) { return std::isfinite(v) && v > 0; }

bool GivesPoint(const Metric& metric) {
  if (std::any_of(metric.samples.begin(), metric.samples.end(), UsableValue)) return true;
  return SummaryValue(metric).has_value();
}

double MedianInPlace(std::vector<double>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  // std::midpoint cannot overflow.
  return std::midpoint(*std::max_element(v.begin(), mid), *mid);
}

double RobustSigmaOf(std::span<const double> values) {
  if (values.size() < 2) return 0;
  std::vector<double> v(values.begin(), values.end());
  const double median = MedianInPlace(v);
  for (double& x : v) x = Finite(std::abs(x - median));
  return Finite(1.4826 * MedianInPlace(v));
}

PointSummary PoolPoint(std::span<const Metric* const> metrics) {
  PointSummary p;
  // One buffer per thread, reused: ingest pools a point per measurement, and allocations were
  // a visible share of its time. Medians are order statistics, so reordering the buffer in
  // place gives exactly the values copies would.
  thread_local std::vector<double> pooled;
  pooled.clear();
  bool summary_point = false;
  for (const Metric* m : metrics) {
    if (m == nullptr || !GivesPoint(*m)) continue;
    ++p.runs;
    if (summary_point) continue;  // the first run gave a summary: it stays the point
    if (std::optional<double> v = SummaryValue(*m)) {
      if (!pooled.empty()) continue;  // samples came first: a summary cannot join them
      summary_point = true;
      const Summary& s = *m->summary;
      p.median = *v;
      p.n = s.n;
      p.spread = s.stddev ? *s.stddev / *v : 0;
      p.min = s.min && UsableValue(*s.min) ? *s.min : *v;
      p.max = s.max && UsableValue(*s.max) ? *s.max : *v;
      continue;
    }
    for (double v : m->samples) {
      if (UsableValue(v)) pooled.push_back(v);
    }
  }
  if (summary_point || pooled.empty()) return p;
  p.n = static_cast<int64_t>(pooled.size());
  const auto [lo, hi] = std::minmax_element(pooled.begin(), pooled.end());
  p.min = *lo;
  p.max = *hi;
  p.median = MedianInPlace(pooled);
  if (pooled.size() >= 2 && p.median > 0) {
    // RobustSigmaOf, in the same buffer: the median of the absolute deviations.
    for (double& x : pooled) x = Finite(std::abs(x - p.median));
    p.spread = Finite(1.4826 * MedianInPlace(pooled)) / p.median;
  }
  return p;
}

}  // namespace perfledger::core
