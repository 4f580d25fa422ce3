// Local linear fits for change point detection (changepoint.h): whether a level shift found by
// the piecewise-constant search is abrupt (a step) or part of a smooth movement (a trend, a
// curve, a season), and where a smooth movement of the level starts and ends (a drift).
// Least squares from prefix sums: every fit is O(1) after O(n) set-up.
//
// The step test compares, on the stretch between a change's neighbours, a jump at the change
// with a continuous line that may bend there: the contrast of narrowest-over-threshold for
// piecewise-linear signals (Baranowski, Chen & Fryzlewicz, "Narrowest-over-threshold detection
// of multiple change points and change-point-like features", JRSS B 2019, section 3.2), used
// here as a test of one candidate rather than as the search.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace perfledger::analysis {

class LocalFits {
 public:
  explicit LocalFits(std::span<const double> y);
  // Fits of `y` instead, reusing the memory (a long series' prefix sums are megabytes).
  void Assign(std::span<const double> y);

  struct StepTest {
    // The residual sums of squares over [begin, end) of a constant either side of t, of a line
    // either side of t, and of the best continuous line that bends once anywhere (a kink).
    double rss_step = 0, rss_lines = 0, rss_kink = 0;
    // A line either side, extrapolated to the change: the jump between the two at t - 1/2 and
    // its standard error for unit noise.
    double jump = 0, jump_se = 0;
  };
  StepTest TestStep(size_t begin, size_t t, size_t end) const;

  // A continuous flat-ramp-flat fit over [begin, end): the level is `before` up to point
  // first - 1, moves linearly to `after` over points first..last, and stays there.
  struct Ramp {
    size_t first = 0, last = 0;
    double before = 0, after = 0;
    double se = 0;  // the standard error of after - before for unit noise
    double rss = 0;
  };
  // Ramps of at least `min_length` points (a ramp of 1 point is a step), searched on a grid
  // of about `grid` positions for each end, then refined: point by point within a grid step
  // for a grid of 48 or more, else coarse to fine (cheaper, and enough to tell a ramp from a
  // step).
  Ramp FitRamp(size_t begin, size_t end, size_t min_length = 1, size_t grid = 48) const;

  // The residual sum of squares of a line over [begin, end).
  double LineRss(size_t begin, size_t end) const;
  // The residual sum of squares of a constant over [begin, end).
  double ConstantRss(size_t begin, size_t end) const;

 private:
  struct Sums {
    double n = 0, u = 0, uu = 0, y = 0, uy = 0, yy = 0;
  };
  // Sums over [begin, end) with u = i - origin.
  Sums Range(size_t begin, size_t end, double origin) const;
  // The residual sum of squares of a continuous line over [begin, end) that bends at t - 1/2.
  double KinkRss(size_t begin, size_t t, size_t end) const;
  Ramp RampAt(size_t begin, size_t end, size_t first, size_t last) const;

  double mean_ = 0;                  // y is centred on its mean: the prefix sums stay small
  std::vector<double> y_, iy_, yy_;  // prefix sums of y, i * y, y^2 (y centred)
};

}  // namespace perfledger::analysis
