// Periodic components for change point detection (changepoint.h): a benchmark that moves with a
// periodic load on its runner (a daily or weekly cycle of commit-time load) returns to its
// level every period, so none of that movement is a change. FindSeason finds such a component
// when it is clearly there, and changepoint.cc takes it out of the series before it looks for
// steps and drifts, so that a step must exceed what the periodic component explains (the
// changepoint model with a periodic mean of Lu, Lund & Lee, "Finding changepoints in monthly
// data with a periodic mean", Canadian Journal of Statistics 38(2), 2010).
//
// The period is the lag at which the series differs least from itself against half that lag
// (the seasonal difference, robustly: the mean of capped squared lag differences, which steps
// and outliers barely move). The component is the classical decomposition (Hyndman &
// Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed., section 3.4): the
// residual from a centred moving average over one period, which cancels any periodic shape of
// that period, summarised per phase by the median over cycles instead of the mean, so that a
// step (which disturbs the moving average over one period) does not leak into the profile (the
// robustness idea of STL: Cleveland, Cleveland, McRae & Terpenning, "STL: a seasonal-trend
// decomposition procedure based on loess", Journal of Official Statistics 6(1), 1990). The
// component counts when its phase medians are jointly significant (a chi-square test against
// the noise of the series without it, corrected for the periods tried) and at least
// kMinSeasonAmplitude noise deviations in size.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace perfledger::analysis {

// At least this many full cycles: the median over cycles needs a few to ignore a step.
inline constexpr size_t kMinSeasonCycles = 6;
// The periods tried: 3 .. min(n / kMinSeasonCycles, kMaxSeasonPeriod).
inline constexpr size_t kMaxSeasonPeriod = 400;
// The root mean square of the phase profile, in noise deviations, below which a periodic
// component is too small to matter (it could not produce a significant level shift).
inline constexpr double kMinSeasonAmplitude = 0.75;

struct Season {
  size_t period = 0;            // 0: none
  std::vector<double> profile;  // period values, the component at phase t % period; mean 0
};

// The periodic component of `x` (log values), or none. Its test uses the noise model
// (noise_model.h) of the series with the component taken out.
Season FindSeason(std::span<const double> x);

}  // namespace perfledger::analysis
