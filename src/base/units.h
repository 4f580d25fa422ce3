// Values with their units for people to read: the unit that reads best is chosen
// automatically, so a table says "97.2 ms", "1.5 MiB" and "91.02M" rather than "9.72e+07".
// Every text surface (run's summary, detect, compare, check: tables, Markdown and JUnit
// messages) formats values here; machine formats (JSON, artifacts) keep the raw numbers.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace perfledger::base {

// What a metric's unit counts, as far as formatting is concerned.
enum class UnitKind {
  kTime,   // ps, ns, us, µs, ms, s, min, h
  kBytes,  // bytes, byte, B
  kCount,  // count, or no unit
  kOther,  // anything else ("MB/s", "x", "iter/sec"): kept as written after the number
};
UnitKind KindOfUnit(std::string_view unit);

// `value` of `unit`, with 4 significant digits (whole numbers from 1000 of the largest unit
// on), never in scientific notation for values of 1 and more:
//   times:  ns, µs, ms or s, the largest with at least one whole unit ("812.4 ns", "97.2 ms",
//           "1.202 s"; hours stay seconds: "7200 s");
//   bytes:  B, KiB, MiB, GiB, TiB by powers of 1024 ("512 B", "1.5 MiB");
//   counts: k, M, G, T by powers of 1000, without a unit ("950", "91.02M");
//   others: the same prefixes, then the unit ("12.35k MB/s", "1.5 x").
// Negative values keep their sign ("-1.5 ms"); NaN and infinities print as fmt does.
std::string FormatQuantity(double value, std::string_view unit);

}  // namespace perfledger::base
