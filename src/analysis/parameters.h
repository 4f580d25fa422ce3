// The ranges a user may set the statistical parameters in (docs/limits.md), checked in one
// place so the CLI (exit 2) and the HTTP API (400) refuse the same values with the same words.
// Outside them the statistics would not mean anything (a false-alarm rate of 0) or the
// distributions' quantiles overflow (Student's t at 1 - 1e-17). Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace perfledger::analysis {

inline constexpr double kMinAlpha = 1e-9;
inline constexpr double kMaxAlpha = 0.5;
inline constexpr int64_t kMinSegmentMin = 2;
inline constexpr int64_t kMinSegmentMax = 1000;
inline constexpr int64_t kMaxRuns = 1'000'000;

// A false-alarm or false-discovery rate: from kMinAlpha to kMaxAlpha. `what` names the flag
// or parameter in the message ("--alpha", "alpha").
base::Status CheckAlpha(double alpha, std::string_view what);

// Measured commits on each side of a change: kMinSegmentMin to kMinSegmentMax.
base::Status CheckMinSegment(int64_t n, std::string_view what);

// A number of measured runs or samples: 1 to kMaxRuns (`min` raises the lower bound).
base::Status CheckRuns(int64_t n, std::string_view what, int64_t min = 1);

// A relative precision or effect as a fraction (0.01 = 1%): finite, above 0 (or 0 when
// `allow_zero`), at most `max`.
base::Status CheckFraction(double v, std::string_view what, bool allow_zero, double max);

}  // namespace perfledger::analysis
