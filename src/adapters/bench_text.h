// Internal to src/adapters (not part of the layer's interface, which is adapters.h): the
// "test NAME ... bench: 1,234 ns/iter (+/- 56)" lines that Rust's libtest and criterion's
// bencher output share, and the signs that tell the two apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace perfledger::adapters::bench_text {

// Lines without their "\n" or "\r\n".
std::vector<std::string_view> Lines(std::string_view text);
std::string_view Trim(std::string_view s);
// Removes `prefix` from the front of `s` when it is there.
bool Consume(std::string_view& s, std::string_view prefix);
// A number as these tools print it: digits with ',' thousands separators and an optional
// fraction ("1,234", "0.25", "18,794.12"), taken from the front of `s`.
std::optional<double> TakeNumber(std::string_view& s);

// What follows "bench:": "   1,234 ns/iter (+/- 56)[ = 120 MB/s]".
struct Estimate {
  double value = 0;
  std::string unit;       // before "/iter": "ns", or a custom measurement's unit
  double plus_minus = 0;  // the "(+/- x)" figure
  std::optional<double> mb_per_s;
};
std::optional<Estimate> ParseEstimate(std::string_view rest);

// "test ID ... RESULT" -> ID and RESULT (RESULT may be empty: "test ID ..." while it runs).
bool SplitTestLine(std::string_view line, std::string_view* id, std::string_view* result);

// "running 3 tests" -> 3.
std::optional<int64_t> RunningCount(std::string_view line);

// libtest prints its bench lines inside "running N tests" ... "test result:" blocks, and only
// libtest prints "= N MB/s". Criterion's bencher format prints the same lines outside such
// blocks (cargo bench also runs libtest targets, which print "running 0 tests"), its ids may
// hold spaces, and criterion prints "Gnuplot not found" / "Benchmarking" / "Warning: Unable to
// complete" lines. Bench lines with no sign either way look like both formats.
struct Signs {
  bool any_bench = false;
  bool libtest = false;
  bool criterion = false;
};
Signs ScanSigns(std::string_view text);

}  // namespace perfledger::adapters::bench_text
