#include "analysis/season.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "analysis/noise_model.h"

namespace perfledger::analysis {
namespace {

// The seasonal differences of a lag are measured on at most this many points (quasi-random, so
// that no stride lines up with a period): cheap at any length.
constexpr size_t kScreenPoints = 256;
// Squared lag differences are capped at this many times the median squared successive
// difference (three times the typical difference: a step weighs little).
constexpr double kScreenCap = 9;
// The profile of a long series is the median over at most about this many of its cycles.
constexpr size_t kProfileCycles = 128;
// In a long series the candidate periods are compared on this many cycles in the middle.
constexpr size_t kWindowCycles = 64;
// A shorter period whose dip is at least this share of the deepest is the period (the deepest
// dip may be at a multiple of it).
constexpr double kDivisorShare = 0.8;
// The false-alarm rate of the profile test over all the periods tried.
constexpr double kSeasonAlpha = 1e-3;
// No period is tested further unless its dip is this share of V at the period deep.
constexpr double kMinDip = 0.3;

double MedianInPlace(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + mid)) / 2;
  return m;
}

double Rms(std::span<const double> v) {
  double ss = 0;
  for (double x : v) ss += x * x;
  return std::sqrt(ss / static_cast<double>(v.size()));
}

// The upper `tail` quantile of the standard normal, by bisection on erfc.
double NormalQuantile(double tail) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 80; ++i) {
    const double z = (lo + hi) / 2;
    (0.5 * std::erfc(z / std::numbers::sqrt2) > tail ? lo : hi) = z;
  }
  return (lo + hi) / 2;
}

// The upper `tail` quantile of chi-square with k degrees of freedom (Wilson & Hilferty 1931).
double ChiSquareQuantile(double k, double tail) {
  const double z = NormalQuantile(tail), a = 2 / (9 * k);
  const double c = 1 - a + z * std::sqrt(a);
  return k * c * c * c;
}

// The mean of squared lag differences (x[t] - x[t - lag])^2 over `positions`, each capped at
// `cap`, so that steps and outliers weigh a bounded amount (a median would do too, but costs a
// selection for every lag).
double LagDifference(std::span<const double> x, size_t lag, std::span<const size_t> positions,
                     double cap) {
  double sum = 0;
  for (size_t t : positions) sum += std::min(cap, (x[t] - x[t - lag]) * (x[t] - x[t - lag]));
  return sum / static_cast<double>(positions.size());
}

// At most kScreenPoints positions in [from, n): all of them, or a sample spread by the
// golden-ratio sequence (no fixed stride lines up with a period), sorted so that the lags read
// memory in order.
std::vector<size_t> ScreenPositions(size_t from, size_t n) {
  const size_t span = n - from;
  std::vector<size_t> out(std::min(span, kScreenPoints));
  if (span <= kScreenPoints) {
    for (size_t i = 0; i < span; ++i) out[i] = from + i;
    return out;
  }
  constexpr double kGolden = 0.6180339887498949;
  double u = 0;
  for (size_t& t : out) {
    u += kGolden;
    u -= std::floor(u);
    t = from + std::min(span - 1, static_cast<size_t>(u * static_cast<double>(span)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The profile of period p: the median over cycles of the residual from a centred moving average
// over one period (2 x p for an even p: the ends weigh one half), centred on 0, and the
// residual variance around it. Empty when a phase has fewer than kMinSeasonCycles - 1 cycles.
// x starts at point `offset` of the series (phases count from the series' start). Of more than
// kProfileCycles cycles, every stride-th one is used (spread over the whole series, so a
// period that drifts against the profile still smears it). `scratch` holds the residuals
// grouped by phase.
std::vector<double> Profile(std::span<const double> x, size_t offset, size_t p,
                            std::vector<double>& scratch, std::vector<size_t>* cycles,
                            double* residual_variance) {
  const size_t n = x.size(), h = p / 2;
  if (n < 2 * h + (kMinSeasonCycles - 1) * p) return {};
  const size_t from = h, to = n - h;  // the moving average is defined on [from, to)
  const size_t stride = ((to - from + p - 1) / p + kProfileCycles - 1) / kProfileCycles;
  // Phase j holds the points from + j + k p of the cycles k kept: every stride-th one of the
  // (to - from - j + p - 1) / p there are.
  std::vector<size_t> start(p + 1);
  for (size_t j = 0; j < p; ++j) {
    start[j + 1] = start[j] + ((to - from - j + p - 1) / p + stride - 1) / stride;
  }
  scratch.resize(start[p]);
  const double width = static_cast<double>(p);
  // The moving sum, slid along: the p points around t for an odd p; for an even one the 2h - 1
  // inner points, and the two ends at one half.
  const size_t inner = p % 2 == 1 ? h : h - 1;
  double sum = 0;
  for (size_t i = from - inner; i <= from + inner; ++i) sum += x[i];
  for (size_t t = from, j = 0, k = 0; t < to; ++t) {  // t = from + j + k p
    if (t > from) sum += x[t + inner] - x[t - inner - 1];
    if (k % stride == 0) {
      const double total = p % 2 == 1 ? sum : sum + (x[t - h] + x[t + h]) / 2;
      scratch[start[j] + k / stride] = x[t] - total / width;
    }
    if (++j == p) j = 0, ++k;
  }
  std::vector<double> profile(p);
  cycles->assign(p, 0);
  double mean = 0, rss = 0;
  for (size_t j = 0; j < p; ++j) {
    const size_t c = start[j + 1] - start[j];
    if (c + 1 < kMinSeasonCycles) return {};
    (*cycles)[(offset + from + j) % p] = c;
    std::span<double> phase(scratch.data() + start[j], c);
    const size_t mid = c / 2;
    std::nth_element(phase.begin(), phase.begin() + static_cast<ptrdiff_t>(mid), phase.end());
    double m = phase[mid];
    if (c % 2 == 0) m = (m + *std::max_element(phase.begin(), phase.begin() + mid)) / 2;
    profile[(offset + from + j) % p] = m;
    mean += m / width;
    // The residual variance per degree of freedom: a profile of the wrong period fits the
    // cycles far from the middle badly.
    for (double r : phase) rss += (r - m) * (r - m);
  }
  for (double& v : profile) v -= mean;
  *residual_variance = rss / std::max(1.0, static_cast<double>(start[p]) - width);
  return profile;
}

}  // namespace

Season FindSeason(std::span<const double> x) {
  const size_t n = x.size();
  const size_t max_period = std::min(n / kMinSeasonCycles, kMaxSeasonPeriod);
  if (max_period < 3) return {};
  // V(lag) and the dip of each period: V(p / 2) - V(p). A periodic component of period p makes
  // V(p) the noise alone and V(p / 2) the noise plus twice the component's spread; white or
  // AR(1) noise, a trend and steps make V grow with the lag, so no dip.
  std::vector<double> v(max_period + 1), scratch;
  const std::vector<size_t> positions = ScreenPositions(max_period, n);
  for (size_t t : positions) scratch.push_back((x[t] - x[t - 1]) * (x[t] - x[t - 1]));
  const double cap = kScreenCap * MedianInPlace(scratch);
  if (!(cap > 0)) return {};
  for (size_t lag = 1; lag <= max_period; ++lag) v[lag] = LagDifference(x, lag, positions, cap);
  std::vector<double> dip(max_period + 1, -INFINITY);
  size_t deepest = 0;
  for (size_t p = 3; p <= max_period; ++p) {
    dip[p] = (v[p / 2] + v[(p + 1) / 2]) / 2 - v[p];
    if (deepest == 0 || dip[p] > dip[deepest]) deepest = p;
  }
  // A component too small to matter leaves too shallow a dip to look further: V(p) is then
  // the noise alone, and the test below needs a root mean square of kMinSeasonAmplitude noise
  // deviations, which deepens the dip by about that squared times V(p).
  if (deepest == 0 || !(dip[deepest] > kMinDip * v[deepest])) return {};
  size_t period = deepest;
  for (size_t k = deepest / 3; k >= 2; --k) {
    // A divisor (within a point: periods need not be whole) with nearly as deep a dip.
    const size_t q = (deepest + k / 2) / k;
    for (size_t p = std::max<size_t>(3, q - 1); p <= q + 1 && p < period; ++p) {
      if (dip[p] >= kDivisorShare * dip[deepest]) period = p;
    }
  }
  // The periods either side too (a twelfth of the period): the dip of a sine is flat around
  // its period. Of those that pass, the one whose profile leaves the least residual variance:
  // a profile of a period off by one fits the cycles far from the middle badly. In a long
  // series they are compared on kWindowCycles cycles in the middle only.
  const size_t reach = std::max<size_t>(2, period / 12);
  const size_t lo = period > 3 + reach ? period - reach : 3;
  const size_t hi = std::min(max_period, period + reach);
  const size_t window = std::min(n, kWindowCycles * hi);
  const size_t offset = (n - window) / 2;
  const std::span<const double> part = x.subspan(offset, window);
  // Every candidate's profile first (cheap); then the test, which estimates the noise of the
  // series without the component (the costly part), in order of residual variance until one
  // passes: the same answer as testing all, for a fraction of the cost.
  struct Candidate {
    size_t period = 0;
    std::vector<double> profile;
    std::vector<size_t> cycles;
    double residual = 0;
  };
  std::vector<Candidate> candidates;
  for (size_t p = lo; p <= hi; ++p) {
    Candidate c{p, {}, {}, 0};
    c.profile = Profile(part, offset, p, scratch, &c.cycles, &c.residual);
    if (!c.profile.empty()) candidates.push_back(std::move(c));
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.residual < b.residual; });
  std::vector<double> adjusted(window);
  Season best;
  double best_sigma = 0;
  const double limit_alpha = kSeasonAlpha / static_cast<double>(max_period - 2);
  for (Candidate& c : candidates) {
    const size_t p = c.period;
    // The noise of the series without the component: a short period inflates the second
    // differences of the series itself (noise_model.h) and passes for AR(1) noise.
    for (size_t t = 0; t < window; ++t) adjusted[t] = part[t] - c.profile[(offset + t) % p];
    const NoiseModel model = EstimateNoise(adjusted);
    const double sigma = model.sigma, phi = model.phi_upper;
    if (!(sigma > 0)) continue;
    // Under no season each phase median has variance about (pi / 2) s_p^2 / cycles, s_p^2 the
    // variance of a mean of points a period apart: s^2 (1 + phi^p) / (1 - phi^p) for AR(1).
    const double rho = std::pow(phi, static_cast<double>(p));
    const double var = std::numbers::pi / 2 * sigma * sigma * (1 + rho) / (1 - rho);
    double q = 0;
    for (size_t j = 0; j < p; ++j) {
      q += static_cast<double>(c.cycles[j]) * c.profile[j] * c.profile[j] / var;
    }
    const double limit = ChiSquareQuantile(static_cast<double>(p - 1), limit_alpha);
    if (q <= limit || Rms(c.profile) < kMinSeasonAmplitude * sigma) continue;
    best_sigma = sigma;
    best.period = p;
    best.profile = std::move(c.profile);
    break;
  }
  if (best.period == 0 || window == n) return best;
  // The profile of the whole series. A period that is not a whole number of points drifts
  // against it over many cycles and smears it: then it is no season of this period.
  std::vector<size_t> cycles;
  double residual = 0;
  best.profile = Profile(x, 0, best.period, scratch, &cycles, &residual);
  if (best.profile.empty() || Rms(best.profile) < kMinSeasonAmplitude * best_sigma) return {};
  return best;
}

}  // namespace perfledger::analysis
