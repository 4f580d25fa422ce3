#include "analysis/stats.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>
#include <utility>

#include "core/series.h"

namespace perfledger::analysis {
namespace {

constexpr double kMaxDouble = std::numeric_limits<double>::max();

// Exact p-values and critical values up to this many values a side (the count table is
// (n2 + 1) x (n1 n2 / 2 + 1) doubles).
constexpr size_t kExactMaxPerSide = 50;

// Saturates an overflow to the largest finite double (never given NaN).
double Finite(double v) { return std::clamp(v, -kMaxDouble, kMaxDouble); }

// The median of `v`, reordering it (one definition with the points the store keeps).
using core::MedianInPlace;

// C(n1 + n2, n1) as a double (long double steps: exact below 2^64, then within an ulp or so).
double Choose(int64_t n1, int64_t n2) {
  long double c = 1;
  for (int64_t i = 1; i <= n1; ++i) c = c * static_cast<long double>(n2 + i) / i;
  return static_cast<double>(c);
}

// counts[k] for k = 0..k_max: how many of the C(n1 + n2, n1) orderings of distinct values give
// the first sample U = k. f(i, j, k) = f(i - 1, j, k - j) + f(i, j - 1, k): the largest value
// is either an x above all j y's or a y. Sums only, so no cancellation.
std::vector<double> UCounts(int64_t n1, int64_t n2, int64_t k_max) {
  const auto width = static_cast<size_t>(k_max + 1);
  // Row j holds f(i, j, .) for the current i; row 0 is f(i, 0, k) = [k == 0].
  std::vector<double> f(static_cast<size_t>(n2 + 1) * width, 0.0);
  auto at = [&](int64_t j, int64_t k) -> double& {
    return f[static_cast<size_t>(j) * width + static_cast<size_t>(k)];
  };
  for (int64_t j = 0; j <= n2; ++j) at(j, 0) = 1;  // i = 0
  for (int64_t i = 1; i <= n1; ++i) {
    for (int64_t j = 1; j <= n2; ++j) {
      // Descending k: at(j, k - j) still holds f(i - 1, j, .).
      for (int64_t k = k_max; k >= 0; --k) at(j, k) = (k >= j ? at(j, k - j) : 0) + at(j - 1, k);
    }
  }
  return {f.end() - static_cast<std::ptrdiff_t>(width), f.end()};
}

// Exact two-sided p-value of an integral U without ties. The distribution is symmetric about
// n1 n2 / 2, so the smaller tail is P(U <= min(u, n1 n2 - u)).
double ExactP(int64_t n1, int64_t n2, int64_t u) {
  const int64_t k = std::min(u, n1 * n2 - u);
  const std::vector<double> counts = UCounts(n1, n2, k);
  double tail = 0;
  for (double c : counts) tail += c;
  return std::min(1.0, 2 * tail / Choose(n1, n2));
}

// The lower critical value of U at two-sided level alpha: the largest c with
// P(U <= c) <= alpha / 2 (exact), or floor(n1 n2 / 2 - z sqrt(n1 n2 (N + 1) / 12)); at least 0
// and at most (n1 n2 - 1) / 2 so that the interval [d(c), d(m - 1 - c)] is never inverted.
int64_t LowerCriticalValue(int64_t n1, int64_t n2, double alpha, bool exact) {
  const int64_t m = n1 * n2;
  if (alpha <= 0) return 0;
  int64_t c = 0;
  if (exact) {
    // The exact value depends only on (n1, n2, alpha) and costs O(n1 n2 min(n1, n2)): a suite
    // compares hundreds of benchmarks with the same sample counts, so it is computed once.
    thread_local std::map<std::tuple<int64_t, int64_t, double>, int64_t> cache;
    const auto key = std::make_tuple(n1, n2, alpha);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    const std::vector<double> counts = UCounts(n1, n2, m / 2);
    const double limit = alpha / 2 * Choose(n1, n2);
    double cumulative = 0;
    for (int64_t k = 0; k <= m / 2; ++k) {
      cumulative += counts[static_cast<size_t>(k)];
      if (cumulative > limit) break;
      c = k;
    }
    c = std::min(c, (m - 1) / 2);
    if (cache.size() > 4096) cache.clear();
    cache.emplace(key, c);
    return c;
  } else {
    const double z = alpha >= 1 ? 0 : boost::math::quantile(boost::math::normal(), 1 - alpha / 2);
    const double md = static_cast<double>(m);
    const double sd = std::sqrt(md * static_cast<double>(n1 + n2 + 1) / 12);
    c = static_cast<int64_t>(std::max(0.0, std::floor(md / 2 - z * sd)));
  }
  return std::min(c, (m - 1) / 2);
}

// h - b saturated: nondecreasing in h, nonincreasing in b (rounding is monotone).
double Difference(double h, double b) { return Finite(h - b); }

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The k-th smallest (0-based) of all Difference(h[j], b[i]), b and h ascending, without
// materialising the n1 n2 differences: a selection in the sorted matrix (rows i, columns j),
// in O((n1 + n2) log(n1 n2)) expected time. Row i keeps the candidate columns [lo[i], hi[i]);
// columns left of lo rank before the answer, columns from hi on after it. Each round counts,
// per row, the entries below and at most a random candidate pivot and drops one side.
double KthDifference(std::span<const double> b, std::span<const double> h, int64_t k) {
  const size_t n1 = b.size();
  const auto n2 = static_cast<int64_t>(h.size());
  std::vector<int64_t> lo(n1, 0), hi(n1, n2), lt(n1), le(n1);
  const int64_t gather_below = std::max<int64_t>(1024, 4 * (static_cast<int64_t>(n1) + n2));
  uint64_t rng = 0x5EED;  // fixed: the result is exact anyway, only the path varies
  int64_t before = 0;     // entries left of lo
  while (true) {
    int64_t candidates = 0;
    for (size_t i = 0; i < n1; ++i) candidates += hi[i] - lo[i];
    if (candidates <= gather_below) {
      std::vector<double> rest;
      rest.reserve(static_cast<size_t>(candidates));
      for (size_t i = 0; i < n1; ++i) {
        for (int64_t j = lo[i]; j < hi[i]; ++j) {
          rest.push_back(Difference(h[static_cast<size_t>(j)], b[i]));
        }
      }
      const auto nth = rest.begin() + (k - before);
      std::nth_element(rest.begin(), nth, rest.end());
      return *nth;
    }
    auto r = static_cast<int64_t>(SplitMix64(rng) % static_cast<uint64_t>(candidates));
    size_t row = 0;
    while (r >= hi[row] - lo[row]) {
      r -= hi[row] - lo[row];
      ++row;
    }
    const double pivot = Difference(h[static_cast<size_t>(lo[row] + r)], b[row]);
    // Going down the rows the differences shrink, so both counts only grow.
    int64_t below = 0, at_most = 0;
    size_t j_lt = 0, j_le = 0;
    for (size_t i = 0; i < n1; ++i) {
      while (j_lt < h.size() && Difference(h[j_lt], b[i]) < pivot) ++j_lt;
      while (j_le < h.size() && Difference(h[j_le], b[i]) <= pivot) ++j_le;
      lt[i] = static_cast<int64_t>(j_lt);
      le[i] = static_cast<int64_t>(j_le);
      below += lt[i];
      at_most += le[i];
    }
    if (k < below) {
      for (size_t i = 0; i < n1; ++i) hi[i] = std::min(hi[i], lt[i]);
    } else if (k < at_most) {
      return pivot;
    } else {
      before = 0;
      for (size_t i = 0; i < n1; ++i) {
        lo[i] = std::max(lo[i], le[i]);
        before += lo[i];
      }
    }
  }
}

bool HasTies(std::span<const double> a, std::span<const double> b) {
  std::vector<double> all(a.begin(), a.end());
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  return std::adjacent_find(all.begin(), all.end()) != all.end();
}

}  // namespace

double Median(std::span<const double> values) {
  std::vector<double> v(values.begin(), values.end());
  return MedianInPlace(v);
}

double Mad(std::span<const double> values) {
  if (values.size() < 2) return 0;
  std::vector<double> v(values.begin(), values.end());
  const double median = MedianInPlace(v);
  for (double& x : v) x = Finite(std::abs(x - median));
  return MedianInPlace(v);
}

double RobustSigma(std::span<const double> values) { return core::RobustSigmaOf(values); }

Description Describe(std::span<const double> values) {
  Description d;
  d.n = static_cast<int64_t>(values.size());
  if (values.empty()) return d;
  const auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  d.min = *min_it;
  d.max = *max_it;
  // Sums run on values scaled by a power of two (exact), so they cannot overflow.
  const double largest = std::max(std::abs(d.min), std::abs(d.max));
  const int exponent = largest > 0 ? std::ilogb(largest) : 0;
  double sum = 0;
  for (double x : values) sum += std::ldexp(x, -exponent);
  // Keep rounding from pushing the mean outside [min, max] (constant samples keep stddev 0).
  const double mean = std::clamp(sum / static_cast<double>(d.n), std::ldexp(d.min, -exponent),
                                 std::ldexp(d.max, -exponent));
  d.mean = std::ldexp(mean, exponent);
  if (d.n >= 2) {
    double squares = 0;
    for (double x : values) {
      const double deviation = std::ldexp(x, -exponent) - mean;
      squares += deviation * deviation;
    }
    d.stddev = Finite(std::ldexp(std::sqrt(squares / static_cast<double>(d.n - 1)), exponent));
  }
  d.median = Median(values);
  d.mad = Mad(values);
  return d;
}

RankTest MannWhitneyU(std::span<const double> x, std::span<const double> y) {
  RankTest result;
  if (x.empty() || y.empty()) return result;
  const auto n1 = static_cast<int64_t>(x.size());
  const auto n2 = static_cast<int64_t>(y.size());
  const int64_t n = n1 + n2;
  std::vector<std::pair<double, bool>> pooled;  // (value, from x)
  pooled.reserve(static_cast<size_t>(n));
  for (double v : x) pooled.emplace_back(v, true);
  for (double v : y) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end());
  // Midranks (1-based) for tied groups; U = rank sum of x - n1 (n1 + 1) / 2. All exact in
  // doubles: half-integers far below 2^53.
  double rank_sum = 0, tie_term = 0;  // tie_term: sum of t^3 - t over tied groups
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    int64_t from_x = 0;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) from_x += pooled[j++].second;
    const auto t = static_cast<double>(j - i);
    rank_sum += static_cast<double>(from_x) * (static_cast<double>(i + 1 + j) / 2);
    tie_term += t * t * t - t;
    i = j;
  }
  const double n1d = static_cast<double>(n1), n2d = static_cast<double>(n2);
  result.u = rank_sum - n1d * (n1d + 1) / 2;
  const size_t exact_max = kExactMaxPerSide;
  if (tie_term == 0 && x.size() <= exact_max && y.size() <= exact_max) {
    result.exact = true;
    result.p_value = ExactP(n1, n2, static_cast<int64_t>(result.u));
    return result;
  }
  const double nd = static_cast<double>(n);
  const double variance = n1d * n2d / 12 * ((nd + 1) - tie_term / (nd * (nd - 1)));
  if (!(variance > 0)) return result;  // every value tied: no evidence either way
  const double z = std::max(0.0, std::abs(result.u - n1d * n2d / 2) - 0.5) / std::sqrt(variance);
  result.p_value =
      std::min(1.0, 2 * boost::math::cdf(boost::math::complement(boost::math::normal(), z)));
  return result;
}

std::optional<RelativeChange> HodgesLehmann(std::span<const double> base,
                                            std::span<const double> head, double confidence) {
  if (base.empty() || head.empty()) return std::nullopt;
  auto positive = [](double v) { return v > 0; };
  const bool log_scale = std::all_of(base.begin(), base.end(), positive) &&
                         std::all_of(head.begin(), head.end(), positive);
  std::vector<double> b(base.begin(), base.end()), h(head.begin(), head.end());
  double base_median = 0;
  if (log_scale) {
    for (double& v : b) v = std::log(v);
    for (double& v : h) v = std::log(v);
  } else {
    base_median = Median(base);
    if (base_median == 0) return std::nullopt;
  }
  std::sort(b.begin(), b.end());
  std::sort(h.begin(), h.end());
  const auto n1 = static_cast<int64_t>(b.size());
  const auto n2 = static_cast<int64_t>(h.size());
  const int64_t m = n1 * n2;
  const bool exact = b.size() <= kExactMaxPerSide && h.size() <= kExactMaxPerSide && !HasTies(b, h);
  const double alpha = std::clamp(1 - confidence, 0.0, 1.0);
  const int64_t c = LowerCriticalValue(n1, n2, alpha, exact);

  auto kth = [&](int64_t k) { return KthDifference(b, h, k); };
  const double middle = m % 2 == 1 ? kth(m / 2) : std::midpoint(kth(m / 2 - 1), kth(m / 2));
  auto relative = [&](double d) {
    return log_scale ? Finite(std::expm1(d)) : Finite(d / base_median);
  };
  RelativeChange change{relative(middle), relative(kth(c)), relative(kth(m - 1 - c))};
  if (change.low > change.high) std::swap(change.low, change.high);  // negative base median
  return change;
}

std::optional<double> WelchPValue(int64_t n1, double mean1, double sd1, int64_t n2, double mean2,
                                  double sd2) {
  if (n1 < 2 || n2 < 2) return std::nullopt;
  sd1 = std::abs(sd1);
  sd2 = std::abs(sd2);
  const double scale = std::max(sd1, sd2);
  if (scale == 0) return std::nullopt;
  // Squared standard errors relative to the larger deviation, so nothing overflows; the larger
  // one is 1 / n, so their sum is positive.
  const double n1d = static_cast<double>(n1), n2d = static_cast<double>(n2);
  const double v1 = (sd1 / scale) * (sd1 / scale) / n1d;
  const double v2 = (sd2 / scale) * (sd2 / scale) / n2d;
  const double v = v1 + v2;
  const double df = v * v / (v1 * v1 / (n1d - 1) + v2 * v2 / (n2d - 1));
  const double t = std::abs((mean1 - mean2) / scale) / std::sqrt(v);
  if (!std::isfinite(t)) return 0.0;
  const boost::math::students_t dist(df);
  return std::min(1.0, 2 * boost::math::cdf(boost::math::complement(dist, t)));
}

std::vector<double> BenjaminiHochberg(std::span<const double> p_values) {
  const size_t n = p_values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  // Step-up: q of rank r is the smallest p n / rank over ranks r and above.
  std::vector<double> q(n);
  double running = 1;
  for (size_t r = n; r-- > 0;) {
    const size_t i = order[r];
    const double p = std::clamp(p_values[i], 0.0, 1.0);
    running = std::min(running, p * static_cast<double>(n) / static_cast<double>(r + 1));
    q[i] = running;
  }
  return q;
}

int MinimumSamplesPerSide(double alpha) {
  // C(2n, n), stepped by C(2n + 2, n + 1) = C(2n, n) 2 (2n + 1) / (n + 1): exact while it fits
  // 53 bits. A non-positive alpha ends where C(2n, n) overflows (n = 515), unreachable anyway.
  alpha = std::max(alpha, 0.0);
  double central = 2;
  int n = 1;
  while (2 / central > alpha) {
    central = central * (2 * (2 * n + 1)) / (n + 1);
    ++n;
  }
  return n;
}

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

}  // namespace perfledger::analysis
