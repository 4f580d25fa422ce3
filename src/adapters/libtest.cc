// Rust libtest (`cargo bench` with #[bench]) text output.
//
// libtest (library/test/src/bench.rs) times 50 samples per benchmark, winsorizes them at 5%,
// and prints one line per benchmark:
//
//   test parse::small ... bench:       1,234 ns/iter (+/- 56)            (Rust < 1.77)
//   test parse::small ... bench:       1,234.56 ns/iter (+/- 56.78)      (Rust >= 1.77)
//   test parse::bytes ... bench:       8,300 ns/iter (+/- 120) = 120 MB/s
//
// The number is the median of those samples; "+/-" is max - min of the winsorized samples;
// "= N MB/s" is derived from the median and Bencher::bytes. No sample is printed, so each
// benchmark becomes a core::Summary:
//   - n = 50, the number of samples libtest's summary is over (fixed in libtest);
//   - median = the printed value; mean = the same value, because Summary requires a mean and
//     libtest prints none: the median is the only location estimate there is;
//   - the "+/-" range is dropped: Summary has no field for a range width, and turning it into
//     min/max or lower/upper would invent values libtest never measured.
// "ok" and "ignored" lines are tests, not benchmarks; "FAILED" is a structured failure whose
// error is the panic message from the "---- name stdout ----" section when there is one.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>

#include "adapters/adapters.h"
#include "adapters/bench_text.h"
#include "adapters/harness_output.h"
#include "base/strings.h"
#include "core/artifact.h"

namespace perfledger::adapters {
namespace {

using bench_text::Consume;
using bench_text::Estimate;
using bench_text::Lines;
using bench_text::ParseEstimate;
using bench_text::RunningCount;
using bench_text::SplitTestLine;
using bench_text::TakeNumber;
using bench_text::Trim;

constexpr int64_t kLibtestSamples = 50;

// The panic message of `name` from its "---- name stdout ----" section, on one line.
std::string PanicMessage(const std::vector<std::string_view>& lines, const std::string& name) {
  const std::string header = fmt::format("---- {} stdout ----", name);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != header) continue;
    std::string message;
    size_t j = i + 1;
    while (j < lines.size() && Trim(lines[j]).empty()) ++j;
    for (; j < lines.size(); ++j) {
      std::string_view l = Trim(lines[j]);
      if (l.empty() || base::StartsWith(l, "---- ") || base::StartsWith(l, "note: run with") ||
          l == "failures:") {
        break;
      }
      const std::string prefix = fmt::format("thread '{}' ", name);
      if (base::StartsWith(l, prefix)) l.remove_prefix(prefix.size());
      if (!message.empty()) message += ' ';
      message += l;
    }
    return message;
  }
  return "";
}

core::Metric SummaryMetric(std::string name, std::string unit, double value) {
  core::Metric m;
  m.direction = core::DefaultDirection(name);
  m.name = std::move(name);
  m.unit = std::move(unit);
  core::Summary s;
  s.n = kLibtestSamples;
  s.mean = value;
  s.median = value;
  m.summary = s;
  return m;
}

}  // namespace

Parsed ParseLibtest(std::string_view text, const std::string& source) {
  const std::vector<std::string_view> lines = Lines(text);
  std::vector<core::BenchmarkResult> results;
  std::map<std::string, size_t> seen;  // name -> 1-based line number
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view name, result;
    if (!SplitTestLine(lines[i], &name, &result)) continue;
    const size_t line_no = i + 1;
    const bool failed = result == "FAILED";
    const bool bench = base::StartsWith(result, "bench:");
    if (!failed && !bench) continue;  // "ok", "ignored", "ignored, reason": tests
    core::BenchmarkResult r;
    r.name = std::string(name);
    if (auto [it, inserted] = seen.emplace(r.name, line_no); !inserted) {
      return base::InvalidInput(fmt::format(
          "{}:{}: benchmark {} was already reported on line {} (output of several bench "
          "binaries in one input? pass each binary's output separately)",
          source, line_no, base::Quote(r.name), it->second));
    }
    if (failed) {
      std::string panic = PanicMessage(lines, r.name);
      r.error = panic.empty() ? "FAILED" : "FAILED: " + panic;
      results.push_back(std::move(r));
      continue;
    }
    auto b = ParseEstimate(result.substr(6));
    if (!b) {
      return base::InvalidInput(
          fmt::format("{}:{}: expected \"bench: <number> ns/iter (+/- <number>)\" after the "
                      "benchmark name, got {}",
                      source, line_no, base::Quote(result)));
    }
    if (b->unit == "ns") {
      r.metrics.push_back(SummaryMetric("wall_time", "ns", b->value));
    } else {
      // Not libtest's own output (a custom harness printing libtest-style lines): the value
      // is kept under its unit's name.
      r.metrics.push_back(SummaryMetric(b->unit, b->unit, b->value));
    }
    if (b->mb_per_s) r.metrics.push_back(SummaryMetric("throughput", "MB/s", *b->mb_per_s));
    std::sort(r.metrics.begin(), r.metrics.end(),
              [](const core::Metric& a, const core::Metric& c) { return a.name < c.name; });
    results.push_back(std::move(r));
  }
  return CheckedResults(std::move(results), source,
                        "expected lines like \"test name ... bench: 1,234 ns/iter (+/- 56)\" "
                        "from cargo bench");
}

bool LooksLikeLibtest(std::string_view text) {
  const bench_text::Signs signs = bench_text::ScanSigns(text);
  return signs.any_bench && (signs.libtest || !signs.criterion);
}

}  // namespace perfledger::adapters
