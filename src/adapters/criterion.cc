// Rust criterion's bencher output format (`cargo bench -- --output-format bencher`).
//
// criterion's BencherReport (src/report.rs) prints, per benchmark,
//
//   test parse/small input ... bench:      123,456 ns/iter (+/- 789)
//
// where "test <id> ... " is printed when measurement starts and "bench: ..." when it ends;
// the id is "group/function/parameter" and may hold spaces. The number is the point estimate
// of the median and "+/-" the point estimate of the standard deviation, both scaled by the
// measurement's scale_for_machines: "ns" for wall time, the measurement's own unit (e.g.
// "cycles") for custom measurements; format::integer prints them as integers with ','
// thousands separators. Each benchmark becomes a core::Summary:
//   - median = the printed value; mean = the same value, because Summary requires a mean and
//     the format prints none;
//   - stddev = the "+/-" value;
//   - n = 1: the sample count (sample_size, 100 by default and often changed) is not printed,
//     so the line counts as one reported estimate. This understates n, which keeps any test
//     built on (n, stddev) conservative rather than overconfident.
// Unit "ns" is wall_time (ns); any other unit is kept as a metric named after the unit.
// Warnings criterion writes to stderr ("Warning: Unable to complete 100 samples ...") may land
// between "test <id> ... " and "bench:" when both streams are captured together; a "bench:"
// at the start of a later line completes the pending benchmark.
#include <fmt/format.h>

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

core::Metric ToMetric(const Estimate& e) {
  core::Metric m;
  m.name = e.unit == "ns" ? "wall_time" : e.unit;
  m.unit = e.unit;
  m.direction = core::DefaultDirection(m.name);
  core::Summary s;
  s.n = 1;
  s.mean = e.value;
  s.median = e.value;
  s.stddev = e.plus_minus;
  m.summary = s;
  return m;
}

}  // namespace

Parsed ParseCriterion(std::string_view text, const std::string& source) {
  const std::vector<std::string_view> lines = Lines(text);
  std::vector<core::BenchmarkResult> results;
  std::map<std::string, size_t> seen;                     // id -> 1-based line number
  std::optional<std::pair<std::string, size_t>> pending;  // "test ID ... " awaiting "bench:"

  auto add = [&](const std::string& id, size_t id_line, std::string_view bench,
                 size_t bench_line) -> base::Status {
    auto e = ParseEstimate(bench.substr(6));
    if (!e) {
      return base::InvalidInput(
          fmt::format("{}:{}: expected \"bench: <number> <unit>/iter (+/- <number>)\", got {}",
                      source, bench_line, base::Quote(bench)));
    }
    if (auto [it, inserted] = seen.emplace(id, id_line); !inserted) {
      return base::InvalidInput(
          fmt::format("{}:{}: benchmark {} was already reported on line {} (several runs in one "
                      "input? pass each run's output separately)",
                      source, id_line, base::Quote(id), it->second));
    }
    core::BenchmarkResult r;
    r.name = id;
    r.metrics.push_back(ToMetric(*e));
    results.push_back(std::move(r));
    return base::Status::Ok();
  };

  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t line_no = i + 1;
    std::string_view id, result;
    if (SplitTestLine(lines[i], &id, &result)) {
      pending.reset();
      if (base::StartsWith(result, "bench:")) {
        RETURN_IF_ERROR(add(std::string(id), line_no, result, line_no));
      } else if (result != "ok" && result != "FAILED" && !base::StartsWith(result, "ignored")) {
        pending.emplace(std::string(id), line_no);  // stderr text came between
      }
      continue;
    }
    std::string_view trimmed = Trim(lines[i]);
    if (pending && base::StartsWith(trimmed, "bench:")) {
      RETURN_IF_ERROR(add(pending->first, pending->second, trimmed, line_no));
      pending.reset();
    }
  }
  return CheckedResults(std::move(results), source,
                        "expected lines like \"test group/name ... bench: 123,456 ns/iter "
                        "(+/- 789)\" from criterion's --output-format bencher");
}

bool LooksLikeCriterion(std::string_view text) {
  const bench_text::Signs signs = bench_text::ScanSigns(text);
  return signs.any_bench && (signs.criterion || !signs.libtest);
}

}  // namespace perfledger::adapters
