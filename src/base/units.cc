#include "base/units.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "base/time.h"

namespace perfledger::base {
namespace {

// Nanoseconds per unit of each time unit an artifact may use (core::IsTimeUnit's list).
double NanosPer(std::string_view unit) {
  static constexpr std::pair<std::string_view, double> kTimes[] = {
      {"ps", 1e-3}, {"ns", 1},  {"us", 1e3},   {"\xC2\xB5s", 1e3},
      {"ms", 1e6},  {"s", 1e9}, {"min", 60e9}, {"h", 3600e9}};
  for (const auto& [name, nanos] : kTimes) {
    if (unit == name) return nanos;
  }
  return 0;
}

// 4 significant digits ("97.2", "1.202", "812.4"); from 1000 on, whole numbers ("7200"), so
// that no value of 1 or more is written with an exponent.
std::string Significant(double v) {
  return std::abs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v);
}

// The largest prefix of `prefixes` (each `step` times the one before) with at least one whole
// unit of |value| once rounded to 4 digits (999.97 is "1k", not "1000").
template <size_t N>
std::pair<double, const char*> Scale(double value, double step, const char* const (&prefixes)[N]) {
  double magnitude = std::abs(value);
  size_t i = 0;
  while (i + 1 < N && magnitude >= step * (1 - 5e-5)) {
    magnitude /= step;
    ++i;
  }
  return {std::copysign(magnitude, value), prefixes[i]};
}

}  // namespace

UnitKind KindOfUnit(std::string_view unit) {
  if (NanosPer(unit) > 0) return UnitKind::kTime;
  if (unit == "bytes" || unit == "byte" || unit == "B") return UnitKind::kBytes;
  if (unit == "count" || unit.empty()) return UnitKind::kCount;
  return UnitKind::kOther;
}

std::string FormatQuantity(double value, std::string_view unit) {
  if (!std::isfinite(value)) {
    return unit.empty() ? fmt::format("{}", value) : fmt::format("{} {}", value, unit);
  }
  switch (KindOfUnit(unit)) {
    case UnitKind::kTime: {
      const ScaledTime t = ScaleNanos(std::abs(value) * NanosPer(unit));
      return fmt::format("{} {}", Significant(std::copysign(t.value, value)), t.unit);
    }
    case UnitKind::kBytes: {
      static constexpr const char* kBytes[] = {"B", "KiB", "MiB", "GiB", "TiB"};
      const auto [v, prefix] = Scale(value, 1024, kBytes);
      return fmt::format("{} {}", Significant(v), prefix);
    }
    case UnitKind::kCount: {
      static constexpr const char* kCounts[] = {"", "k", "M", "G", "T"};
      const auto [v, prefix] = Scale(value, 1000, kCounts);
      return Significant(v) + prefix;
    }
    case UnitKind::kOther: {
      static constexpr const char* kCounts[] = {"", "k", "M", "G", "T"};
      const auto [v, prefix] = Scale(value, 1000, kCounts);
      return fmt::format("{}{} {}", Significant(v), prefix, unit);
    }
  }
  return fmt::format("{} {}", value, unit);
}

}  // namespace perfledger::base
