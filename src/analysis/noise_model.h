// The noise model of change point detection (changepoint.h): how much a series of log values
// moves by chance around a level that may itself move smoothly (a trend, a slow curve, a
// season), and how strongly that chance movement is autocorrelated. Pure functions.
//
// Differences of the values cancel the level: second differences x[t+k] - 2 x[t] + x[t-k]
// cancel a locally linear trend too, so neither a slope nor a slow curve inflates the estimate,
// and the few differences that straddle a step or hold an outlier are trimmed away. Their
// variance at lags k = 1, 2, 4 identifies an AR(1) noise e_t = phi e_{t-1} + u_t of marginal
// variance s^2: Var(x[t+k] - 2 x[t] + x[t-k]) = s^2 (6 - 8 phi^k + 2 phi^2k). This is the
// difference-based estimation of Romano, Rigaill, Runge & Fearnhead, "Detecting abrupt changes in
// the presence of local fluctuations and autocorrelated noise" (DeCAFS, JASA 2022, section 3),
// on second instead of first differences so that a local slope cancels as well (the
// difference-sequence idea of Hall, Kay & Titterington, Biometrika 1990, and Dette, Munk &
// Wagner, JRSS B 1998), with a trimmed mean of squares in place of their MAD (higher
// efficiency; the trimmed 10% holds the steps and outliers).
//
// A mean over l points of AR(1) noise has variance about s^2 (1 + phi) / (1 - phi) / l (the
// long-run variance), not s^2 / l: tests of a level shift use `long_run`, so autocorrelated noise
// does not pass for a change.
#pragma once

#include <cstddef>
#include <span>

namespace perfledger::analysis {

// phi is capped here: closer to 1 an AR(1) noise cannot be told from a level that wanders.
inline constexpr double kMaxNoisePhi = 0.9;

// phi is estimated with a standard error of about kPhiSpread / sqrt(n) (simulated, for phi in
// 0..0.6 and n in 50..1,000); the long-run deviation uses phi plus kPhiMargin such errors, so
// that an estimate on the low side does not turn autocorrelated noise into false alarms.
inline constexpr double kPhiSpread = 2.4;
inline constexpr double kPhiMargin = 1.0;

struct NoiseModel {
  double sigma = 0;      // marginal standard deviation of the noise, s
  double phi = 0;        // AR(1) coefficient, in [0, kMaxNoisePhi]
  double phi_upper = 0;  // phi + kPhiMargin standard errors, at most kMaxNoisePhi
  double long_run = 0;   // s * sqrt((1 + phi_upper) / (1 - phi_upper))
};

// The model of `x` (log values). All zero for fewer than 7 points, or when more than 10% of
// the second differences are not 0 only because of steps and outliers (quantized series).
NoiseModel EstimateNoise(std::span<const double> x);

// `model` with phi set to `phi` (the variance of its lag-1 second differences kept, so sigma
// follows) and the long-run deviation taken at `phi_upper`; both capped at kMaxNoisePhi. For a
// phi estimated another way (changepoint.cc checks it on the residuals of the segments found).
NoiseModel WithPhi(const NoiseModel& model, double phi, double phi_upper);

// The standard deviation of the noise in x[begin, end), from its lag-1 second differences
// (trimmed as EstimateNoise); 0 for fewer than 5 points.
double LocalNoise(std::span<const double> x, size_t begin, size_t end);

}  // namespace perfledger::analysis
