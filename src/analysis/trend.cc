#include "analysis/trend.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace perfledger::analysis {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// From this grid on FitRamp refines exhaustively (within a grid step of either end); below it,
// coarse to fine, which is much cheaper on long stretches.
constexpr size_t kThoroughGrid = 48;
// TestStep tries every bend of a stretch up to this long; a longer one on a grid first.
constexpr size_t kKinkFullScan = 512;

}  // namespace

LocalFits::LocalFits(std::span<const double> y) { Assign(y); }

void LocalFits::Assign(std::span<const double> y) {
  y_.assign(y.size() + 1, 0);
  iy_.assign(y.size() + 1, 0);
  yy_.assign(y.size() + 1, 0);
  mean_ = 0;
  for (double v : y) mean_ += v / static_cast<double>(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const double v = y[i] - mean_;
    y_[i + 1] = y_[i] + v;
    iy_[i + 1] = iy_[i] + static_cast<double>(i) * v;
    yy_[i + 1] = yy_[i] + v * v;
  }
}

LocalFits::Sums LocalFits::Range(size_t begin, size_t end, double origin) const {
  Sums s;
  s.n = static_cast<double>(end - begin);
  const double a = static_cast<double>(begin) - origin;  // the first u
  s.u = s.n * a + s.n * (s.n - 1) / 2;
  s.uu = s.n * a * a + a * s.n * (s.n - 1) + (s.n - 1) * s.n * (2 * s.n - 1) / 6;
  s.y = y_[end] - y_[begin];
  s.uy = iy_[end] - iy_[begin] - origin * s.y;
  s.yy = yy_[end] - yy_[begin];
  return s;
}

double LocalFits::ConstantRss(size_t begin, size_t end) const {
  if (end <= begin) return 0;
  const double sum = y_[end] - y_[begin], count = static_cast<double>(end - begin);
  return std::max(0.0, yy_[end] - yy_[begin] - sum * sum / count);
}

double LocalFits::LineRss(size_t begin, size_t end) const {
  if (end <= begin + 2) return 0;
  const Sums s = Range(begin, end, static_cast<double>(begin + end) / 2);
  const double suu = s.uu - s.u * s.u / s.n, suy = s.uy - s.u * s.y / s.n;
  return std::max(0.0, s.yy - s.y * s.y / s.n - (suu > 0 ? suy * suy / suu : 0));
}

double LocalFits::KinkRss(size_t begin, size_t t, size_t end) const {
  const double origin = static_cast<double>(t) - 0.5;
  const Sums l = Range(begin, t, origin), r = Range(t, end, origin);
  // a + bl u [u < 0] + br u [u > 0], by the normal equations (Cramer's rule).
  const double a11 = l.n + r.n, a12 = l.u, a13 = r.u, a22 = l.uu, a33 = r.uu;
  const double b1 = l.y + r.y, b2 = l.uy, b3 = r.uy;
  const double det = a11 * a22 * a33 - a12 * a12 * a33 - a13 * a13 * a22;
  if (!(det > 1e-9 * a11 * a22 * a33)) return kInf;
  const double c = (b1 * a22 * a33 - a12 * b2 * a33 - a13 * a22 * b3) / det;
  const double bl = (b2 - a12 * c) / a22, br = (b3 - a13 * c) / a33;
  return std::max(0.0, l.yy + r.yy - c * b1 - bl * b2 - br * b3);
}

LocalFits::StepTest LocalFits::TestStep(size_t begin, size_t t, size_t end) const {
  StepTest out;
  const double origin = static_cast<double>(t) - 0.5;
  const Sums l = Range(begin, t, origin), r = Range(t, end, origin);
  out.rss_step = std::max(0.0, l.yy - l.y * l.y / l.n) + std::max(0.0, r.yy - r.y * r.y / r.n);
  // A line either side, each extrapolated to u = 0.
  out.jump_se = 0;
  out.rss_lines = 0;
  double at[2] = {0, 0};
  for (int side = 0; side < 2; ++side) {
    const Sums& s = side == 0 ? l : r;
    const double suu = s.uu - s.u * s.u / s.n, suy = s.uy - s.u * s.y / s.n;
    if (s.n < 2 || !(suu > 0)) {
      out.jump_se = kInf;
      continue;
    }
    const double slope = suy / suu, mean_u = s.u / s.n;
    at[side] = s.y / s.n - slope * mean_u;
    out.jump_se += 1 / s.n + mean_u * mean_u / suu;
    out.rss_lines += std::max(0.0, s.yy - s.y * s.y / s.n - slope * suy);
  }
  out.jump = at[1] - at[0];
  out.jump_se = std::sqrt(out.jump_se);
  if (!std::isfinite(out.jump_se)) out.rss_lines = out.rss_step;
  out.rss_kink = kInf;
  const size_t len = end - begin;
  if (len <= kKinkFullScan) {
    for (size_t k = begin + 1; k < end; ++k) {
      out.rss_kink = std::min(out.rss_kink, KinkRss(begin, k, end));
    }
    return out;
  }
  // A long stretch: every stride-th bend, then every bend within a stride of the best. The
  // residual sum of squares moves smoothly with the bend, and a minimum missed by a little
  // only makes the shift look more abrupt.
  const size_t stride = len / kKinkFullScan + 1;
  size_t best = begin + 1;
  for (size_t k = begin + 1; k < end; k += stride) {
    const double rss = KinkRss(begin, k, end);
    if (rss < out.rss_kink) out.rss_kink = rss, best = k;
  }
  const size_t lo = best > begin + stride ? best - stride : begin + 1;
  for (size_t k = lo; k < end && k <= best + stride; ++k) {
    out.rss_kink = std::min(out.rss_kink, KinkRss(begin, k, end));
  }
  return out;
}

LocalFits::Ramp LocalFits::RampAt(size_t begin, size_t end, size_t first, size_t last) const {
  Ramp out{first, last, 0, 0, kInf, kInf};
  const double len = static_cast<double>(last - first + 1);
  const double n = static_cast<double>(end - begin), after_n = static_cast<double>(end - 1 - last);
  const double g = (len + 1) / 2 + after_n;
  const double gg = (len + 1) * (2 * len + 1) / (6 * len) + after_n;
  const double sy = y_[end] - y_[begin];
  const double ramp_y = y_[last + 1] - y_[first];
  const double ramp_iy = iy_[last + 1] - iy_[first];
  const double gy =
      (ramp_iy - (static_cast<double>(first) - 1) * ramp_y) / len + (y_[end] - y_[last + 1]);
  const double det = n * gg - g * g;
  if (!(det > 1e-9 * n * gg)) return out;
  const double delta = (n * gy - g * sy) / det, c = (sy - delta * g) / n;
  out.before = mean_ + c;
  out.after = mean_ + c + delta;
  out.se = std::sqrt(n / det);
  out.rss = std::max(0.0, yy_[end] - yy_[begin] - c * sy - delta * gy);
  return out;
}

LocalFits::Ramp LocalFits::FitRamp(size_t begin, size_t end, size_t min_length, size_t grid) const {
  Ramp best{begin, end - 1, 0, 0, kInf, kInf};
  if (end < begin + 3 || end < begin + min_length) return best;
  const size_t len = end - begin, step = std::max<size_t>(1, len / std::max<size_t>(1, grid));
  auto consider = [&](size_t first, size_t last) {
    if (first < begin || last >= end || first + min_length > last + 1) return;
    const Ramp r = RampAt(begin, end, first, last);
    if (r.rss < best.rss) best = r;
  };
  for (size_t first = begin; first < end; first += step) {
    for (size_t last = first; last < end; last += step) consider(first, last);
    consider(first, end - 1);
  }
  if (grid >= kThoroughGrid) {
    // Every position within a grid step of either end, one end at a time, until it settles.
    for (int sweep = 0; sweep < 4; ++sweep) {
      const Ramp at = best;
      const size_t lo = at.first > begin + step ? at.first - step : begin;
      for (size_t first = lo; first <= at.first + step; ++first) consider(first, best.last);
      const size_t lo2 = best.last > step ? best.last - step : 0;
      const size_t keep_first = best.first;
      for (size_t last = std::max(lo2, keep_first); last <= best.last + step; ++last) {
        consider(keep_first, last);
      }
      if (at.first == best.first && at.last == best.last) break;
    }
    return best;
  }
  // Coarse to fine: move either end by s, halving s down to one point.
  for (size_t s = step;; s /= 2) {
    for (int sweep = 0; sweep < 16; ++sweep) {
      const Ramp at = best;
      for (int df = -1; df <= 1; ++df) {
        for (int dl = -1; dl <= 1; ++dl) {
          if ((df < 0 && at.first < s) || (dl < 0 && at.last < s)) continue;
          consider(at.first + df * static_cast<ptrdiff_t>(s),
                   at.last + dl * static_cast<ptrdiff_t>(s));
        }
      }
      if (at.first == best.first && at.last == best.last) break;
    }
    if (s <= 1) break;
  }
  return best;
}

}  // namespace perfledger::analysis
