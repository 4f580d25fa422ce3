#include "analysis/noise_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

namespace perfledger::analysis {
namespace {

// The share of squared differences kept (the smallest) at lag k: a step spoils 2k differences
// at lag k, so the trim grows with the lag (a short series with two steps, 50 points, has 27%
// of its lag-3 differences spoiled). kKeep[0] is also the share LocalNoise keeps.
constexpr std::array<double, 4> kKeep{0.75, 0.75, 0.7, 0.6};
// At most about this many differences a lag are used (a strided subset of a longer series).
constexpr size_t kMaxDifferences = 16384;

// E[Z^2 | |Z| < q] for the standard normal Z, with P(|Z| < q) = keep: 1 - 2 q phi(q) / keep.
double TrimmedSecondMoment(double keep) {
  double lo = 0, hi = 10;  // q by bisection on erf(q / sqrt 2) = keep
  for (int i = 0; i < 60; ++i) {
    const double q = (lo + hi) / 2;
    (std::erf(q / std::numbers::sqrt2) < keep ? lo : hi) = q;
  }
  const double q = (lo + hi) / 2;
  return 1 - 2 * q * std::exp(-q * q / 2) / std::sqrt(2 * std::numbers::pi) / keep;
}

// The variance of Gaussian differences from their smallest `keep_share` of squares, `moment`
// its TrimmedSecondMoment; reorders `sq`.
double TrimmedVariance(std::vector<double>& sq, double keep_share, double moment) {
  if (sq.empty()) return 0;
  const size_t keep =
      std::max<size_t>(1, static_cast<size_t>(keep_share * static_cast<double>(sq.size())));
  std::nth_element(sq.begin(), sq.begin() + static_cast<ptrdiff_t>(keep - 1), sq.end());
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += sq[i];
  return sum / static_cast<double>(keep) / moment;
}

// TrimmedSecondMoment of each share of kKeep, computed once.
const std::array<double, kKeep.size()>& KeptMoments() {
  static const std::array<double, kKeep.size()> moments = [] {
    std::array<double, kKeep.size()> out{};
    for (size_t i = 0; i < kKeep.size(); ++i) out[i] = TrimmedSecondMoment(kKeep[i]);
    return out;
  }();
  return moments;
}

// Var(x[t+k] - 2 x[t] + x[t-k]) over x[begin, end), trimmed, leaving out the differences
// whose window x[t-k, t+k] holds one of the `jumps` (sorted, see Jumps).
double SecondDifferenceVariance(std::span<const double> x, size_t begin, size_t end, size_t k,
                                std::span<const size_t> jumps, std::vector<double>& scratch) {
  scratch.clear();
  // In a long series every stride-th difference: kMaxDifferences are plenty.
  const size_t stride = std::max<size_t>(1, (end - begin) / kMaxDifferences);
  scratch.reserve((end - begin) / stride + 1);
  size_t next = 0;  // the first jump after t - k
  for (size_t t = begin + k; t + k < end; t += stride) {
    // A jump at b (between b - 1 and b) lies in the window when t - k < b <= t + k.
    while (next < jumps.size() && jumps[next] <= t - k) ++next;
    if (next < jumps.size() && jumps[next] <= t + k) continue;
    const double d = x[t + k] - 2 * x[t] + x[t - k];
    scratch.push_back(d * d);
  }
  const size_t share = std::min(k, kKeep.size() - 1);
  return TrimmedVariance(scratch, kKeep[share], KeptMoments()[share]);
}

// The jumps: the points b with |x[b] - x[b-1]| above kJumpDeviations robust deviations of the
// successive differences (1.4826 MAD, from up to kJumpSample of them). Gaussian noise, white or
// AR(1), has almost none; a large step or an outlier makes one or two. They spoil 2k
// differences at lag k, too many for the trim in a short series with two steps. None when
// more than a tenth of the points jump (then the noise is not Gaussian and the trim alone
// serves).
std::vector<size_t> Jumps(std::span<const double> x) {
  constexpr double kJumpDeviations = 4;
  constexpr size_t kJumpSample = 8192;
  const size_t n = x.size();
  const size_t stride = std::max<size_t>(1, (n - 1) / kJumpSample);
  std::vector<double> sample;
  for (size_t i = 1; i < n; i += stride) sample.push_back(std::abs(x[i] - x[i - 1]));
  const size_t mid = sample.size() / 2;
  std::nth_element(sample.begin(), sample.begin() + static_cast<ptrdiff_t>(mid), sample.end());
  const double limit = kJumpDeviations * 1.4826 * sample[mid];
  std::vector<size_t> out;
  if (!(limit > 0)) return out;
  for (size_t i = 1; i < n; ++i) {
    if (std::abs(x[i] - x[i - 1]) > limit) out.push_back(i);
  }
  if (out.size() > std::max<size_t>(4, n / 25)) out.clear();
  return out;
}

// The variance factor of a lag-k second difference of unit AR(1) noise.
double Factor(double phi, size_t k) {
  const double pk = std::pow(phi, static_cast<double>(k));
  return 6 - 8 * pk + 2 * pk * pk;
}

// The grid of phi in [0, kMaxNoisePhi] EstimateNoise searches, and log Factor(phi, k) on it for
// the lags k = 1, 2, 3, computed once.
constexpr size_t kPhiGrid = 180;
const std::array<std::array<double, 3>, kPhiGrid + 1>& LogFactors() {
  static const auto table = [] {
    std::array<std::array<double, 3>, kPhiGrid + 1> out{};
    for (size_t g = 0; g <= kPhiGrid; ++g) {
      const double phi = kMaxNoisePhi * static_cast<double>(g) / kPhiGrid;
      for (size_t k = 1; k <= 3; ++k) out[g][k - 1] = std::log(Factor(phi, k));
    }
    return out;
  }();
  return table;
}

}  // namespace

NoiseModel EstimateNoise(std::span<const double> x) {
  constexpr std::array<size_t, 3> kLags{1, 2, 3};  // as LogFactors
  if (x.size() < 7) return {};
  std::vector<double> scratch;
  const std::vector<size_t> jumps = Jumps(x);
  std::array<double, kLags.size()> v{};
  size_t lags = 0;
  for (size_t k : kLags) {
    if (x.size() < 2 * k + 5) break;
    v[lags++] = SecondDifferenceVariance(x, 0, x.size(), k, jumps, scratch);
  }
  if (!(v[0] > 0)) return {};
  // Quantized: more than half the differences are exactly 0.
  size_t zeros = 0;
  for (size_t t = 1; t + 1 < x.size(); ++t) zeros += x[t + 1] - 2 * x[t] + x[t - 1] == 0 ? 1 : 0;
  if (2 * zeros > x.size() - 2) return {};
  // phi by least squares on the log variances, s^2 profiled out: a grid is plenty.
  std::array<double, kLags.size()> log_v{};
  for (size_t j = 0; j < lags; ++j) log_v[j] = std::log(std::max(v[j], 1e-300));
  double best_phi = 0, best_loss = INFINITY;
  for (size_t g = 0; g <= kPhiGrid; ++g) {
    const double phi = kMaxNoisePhi * static_cast<double>(g) / kPhiGrid;
    double mean = 0;
    std::array<double, kLags.size()> r{};
    for (size_t j = 0; j < lags; ++j) {
      r[j] = log_v[j] - LogFactors()[g][j];
      mean += r[j] / static_cast<double>(lags);
    }
    double loss = 0;
    for (size_t j = 0; j < lags; ++j) loss += (r[j] - mean) * (r[j] - mean);
    if (loss < best_loss) best_loss = loss, best_phi = phi;
  }
  NoiseModel model;
  model.phi = best_phi;
  model.sigma = std::sqrt(v[0] / Factor(best_phi, 1));
  return WithPhi(model, best_phi,
                 best_phi + kPhiMargin * kPhiSpread / std::sqrt(static_cast<double>(x.size())));
}

NoiseModel WithPhi(const NoiseModel& model, double phi, double phi_upper) {
  NoiseModel out;
  out.phi = std::clamp(phi, 0.0, kMaxNoisePhi);
  out.sigma = model.sigma * std::sqrt(Factor(model.phi, 1) / Factor(out.phi, 1));
  out.phi_upper = std::clamp(phi_upper, out.phi, kMaxNoisePhi);
  out.long_run = out.sigma * std::sqrt((1 + out.phi_upper) / (1 - out.phi_upper));
  return out;
}

double LocalNoise(std::span<const double> x, size_t begin, size_t end) {
  if (end < begin + 5) return 0;
  std::vector<double> scratch;
  return std::sqrt(SecondDifferenceVariance(x, begin, end, 1, {}, scratch) / 6);
}

}  // namespace perfledger::analysis
