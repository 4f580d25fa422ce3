#include "analysis/parameters.h"

#include <fmt/format.h>

#include <cmath>

namespace perfledger::analysis {

base::Status CheckAlpha(double alpha, std::string_view what) {
  if (!(std::isfinite(alpha) && alpha >= kMinAlpha && alpha <= kMaxAlpha)) {
    return base::InvalidInput(
        fmt::format("{}: expected a probability from {:g} to {:g}, like 0.05, got {:g}", what,
                    kMinAlpha, kMaxAlpha, alpha));
  }
  return base::Status::Ok();
}

base::Status CheckMinSegment(int64_t n, std::string_view what) {
  if (n < kMinSegmentMin || n > kMinSegmentMax) {
    return base::InvalidInput(fmt::format("{}: expected a whole number from {} to {}, got {}", what,
                                          kMinSegmentMin, kMinSegmentMax, n));
  }
  return base::Status::Ok();
}

base::Status CheckRuns(int64_t n, std::string_view what, int64_t min) {
  if (n < min || n > kMaxRuns) {
    return base::InvalidInput(
        fmt::format("{}: expected a whole number from {} to {}, got {}", what, min, kMaxRuns, n));
  }
  return base::Status::Ok();
}

base::Status CheckFraction(double v, std::string_view what, bool allow_zero, double max) {
  const bool low_ok = allow_zero ? v >= 0 : v > 0;
  if (!(std::isfinite(v) && low_ok && v <= max)) {
    return base::InvalidInput(fmt::format("{}: expected {} {:g}% and at most {:g}%, got {:g}%",
                                          what, allow_zero ? "at least" : "above", 0.0, max * 100,
                                          v * 100));
  }
  return base::Status::Ok();
}

}  // namespace perfledger::analysis
