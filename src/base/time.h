// Timestamps: instants as nanoseconds since the Unix epoch, read from and written as RFC 3339.
//
// Artifacts carry times with any UTC offset; perfledger normalises them to UTC on reading, so
// an instant has exactly one written form (what export prints and what identity compares).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace perfledger::base {

struct Timestamp {
  int64_t unix_nanos = 0;
  auto operator<=>(const Timestamp&) const = default;
};

// Parses "2026-11-22T10:04:00Z", "2026-11-22T10:04:00.123+01:00" and the like (RFC 3339, up
// to nine fraction digits). The error message says what was expected; callers add where.
Result<Timestamp> ParseRfc3339(std::string_view text);

// Formats as UTC with a "Z": no fraction when whole seconds, else 3, 6 or 9 digits.
std::string FormatRfc3339(Timestamp t);

// Durations as users write them: "90s", "15m", "1h30m", "2d", "500ms". A bare number is
// refused (the unit is never guessed). Returns nanoseconds.
Result<int64_t> ParseDuration(std::string_view text);

// The system's wall clock, now. The one place perfledger reads it: env::Env::Now() passes it
// on to the layers that have an Env (tests give them a fake, env/fake_env.h), and a store is
// given its clock through store::OpenOptions::clock.
Timestamp SystemNow();

// A time in nanoseconds in the unit that reads best: the largest of s, ms, µs (UTF-8) with at
// least one whole unit (0.99995 counts: it rounds to 1 at 4 digits), else ns. Callers format
// the value at their precision ("41.71 ms"); base/units.h formats any metric's value.
struct ScaledTime {
  double value = 0;
  const char* unit = "ns";
};
ScaledTime ScaleNanos(double nanos);

// "15m", "1h30m", "90s": the shortest exact spelling of a whole number of seconds (else ms).
std::string FormatDuration(int64_t nanos);

}  // namespace perfledger::base
