// `go test -bench` text output. A result line is
//   BenchmarkParse/small-8  1000000  1043 ns/op  128 B/op  3 allocs/op
// (tab-separated and padded): the name (with the -GOMAXPROCS suffix), the iteration count, then
// "value unit" pairs. With -count N a benchmark has N result lines, each adding one sample to every
// metric it names.
//
// How, where it is not obvious:
//   - The "-8" suffix is stripped only when every result line of the input ends in the same
//     "-N": go test appends it to every benchmark when GOMAXPROCS > 1. Mixed suffixes (-cpu 1,2,4
//     runs the same benchmark under several GOMAXPROCS, and GOMAXPROCS=1 adds none) are kept,
//     since then they tell the benchmarks apart, and so is a name that merely ends in a
//     number. The one case this gets wrong: GOMAXPROCS=1 and every benchmark's own name ending
//     in the same "-N".
//   - When a benchmark prints to stdout, go test writes the name, then the printed text, and
//     the numbers on a later line ("BenchmarkX-8   \thello\n     100\t  128 ns/op"): a line of
//     an iteration count and pairs including ns/op continues the last unfinished name.
//   - "--- FAIL: BenchmarkX" and "--- SKIP: BenchmarkX" make BenchmarkX a structured failure
//     when it produced no result line; the message is the first indented line after it (or,
//     with -v, the first indented line between the bare name line and it).
//   - Everything else (goos/goarch/pkg/cpu, PASS, ok, FAIL, logs, test output) is ignored.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include "adapters/adapters.h"
#include "base/strings.h"
#include "core/artifact.h"

namespace perfledger::adapters {
namespace {

using base::InvalidInput;
using base::Status;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsInteger(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A benchmark name as go test prints it: "Benchmark" then anything but whitespace.
bool IsBenchmarkName(std::string_view s) { return s.size() > 9 && s.starts_with("Benchmark"); }

// True when fields[first..] are "value unit" pairs with a number before "ns/op".
bool HasNsPerOp(const std::vector<std::string_view>& fields, size_t first) {
  for (size_t i = first; i + 1 < fields.size(); i += 2) {
    if (fields[i + 1] == "ns/op" && ParseNumber(fields[i])) return true;
  }
  return false;
}

// The metric a go unit becomes: its name and the unit it is stored in.
std::pair<std::string, std::string> MetricFor(std::string_view unit) {
  if (unit == "ns/op") return {"wall_time", "ns"};
  if (unit == "B/op") return {"bytes_per_op", "bytes"};
  if (unit == "allocs/op") return {"allocs_per_op", "count"};
  if (unit == "MB/s") return {"throughput", "MB/s"};
  std::string name;
  for (char c : unit) {
    if (c == '/') {
      name += "_per_";
    } else {
      name += c;
    }
  }
  return {name, std::string(unit)};
}

struct ResultLine {
  int line = 0;
  std::string_view name;
  std::vector<std::string_view> pairs;  // value, unit, value, unit, ...
};

struct Failure {
  int line = 0;
  std::string_view name;
  std::string error;
};

// "-8" when every result line's name ends in the same "-N", else "".
std::string_view CommonProcsSuffix(const std::vector<ResultLine>& lines) {
  std::string_view common;
  for (const ResultLine& r : lines) {
    const size_t dash = r.name.rfind('-');
    if (dash == std::string_view::npos || !IsInteger(r.name.substr(dash + 1))) return "";
    const std::string_view suffix = r.name.substr(dash);
    if (common.empty()) {
      common = suffix;
    } else if (suffix != common) {
      return "";
    }
  }
  return common;
}

std::string_view StripSuffix(std::string_view name, std::string_view suffix) {
  if (!suffix.empty() && name.ends_with(suffix) && name.size() > suffix.size() + 9) {
    name.remove_suffix(suffix.size());
  }
  return name;
}

// Adds one result line's pairs as one more sample of each metric they name.
Status AddSamples(const ResultLine& r, const std::string& source,
                  std::map<std::string, core::Metric, std::less<>>* metrics) {
  std::map<std::string, bool, std::less<>> in_line;
  for (size_t i = 0; i < r.pairs.size(); i += 2) {
    const std::string_view value = r.pairs[i];
    if (i + 1 == r.pairs.size()) {
      return InvalidInput(fmt::format("{}:{}: expected a unit after the value {} of {}", source,
                                      r.line, base::Quote(value), r.name));
    }
    const std::string_view unit = r.pairs[i + 1];
    const std::optional<double> v = ParseNumber(value);
    if (!v) {
      return InvalidInput(fmt::format("{}:{}: expected a number before the unit {}, got {}", source,
                                      r.line, base::Quote(unit), base::Quote(value)));
    }
    auto [name, stored_unit] = MetricFor(unit);
    if (!in_line.emplace(name, true).second) {
      return InvalidInput(fmt::format("{}:{}: the unit {} appears twice in one result line", source,
                                      r.line, base::Quote(unit)));
    }
    if (core::IsTimeUnit(stored_unit) && *v < 0) {
      return InvalidInput(fmt::format("{}:{}: expected a non-negative time before {}, got {}",
                                      source, r.line, base::Quote(unit), value));
    }
    auto it = metrics->find(name);
    if (it == metrics->end()) {
      core::Metric m;
      m.name = name;
      m.unit = stored_unit;
      m.direction = core::DefaultDirection(m.name);
      it = metrics->emplace(name, std::move(m)).first;
    }
    it->second.samples.push_back(*v);
  }
  return Status::Ok();
}

}  // namespace

Parsed ParseGo(std::string_view text, const std::string& source) {
  std::vector<ResultLine> results;
  std::vector<Failure> failures;
  std::optional<std::string_view> pending;  // a name whose numbers are still to come
  // The first indented line after `pending`: with -v, go test logs a failing or skipped
  // benchmark's message there, before "--- FAIL:"/"--- SKIP:", instead of after it.
  std::string_view pending_message;     // empty: none (a message line is never blank)
  std::optional<size_t> wants_message;  // the failure whose message is the next line
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::vector<std::string_view> f = Fields(line);
    if (f.empty()) continue;
    // A message go test indents under a benchmark ("    x_test.go:9: boom"); a nested
    // "--- FAIL:" is a sub-benchmark's own failure, not a message.
    const bool message = IsSpace(line.front()) && f[0] != "---";
    if (wants_message) {
      if (message) {
        failures[*wants_message].error += ": ";
        failures[*wants_message].error += Trim(line);
      }
      wants_message.reset();
    }
    if (f.size() >= 3 && f[0] == "---" && (f[1] == "FAIL:" || f[1] == "SKIP:") &&
        IsBenchmarkName(f[2])) {
      failures.push_back({line_no, f[2], f[1] == "FAIL:" ? "failed" : "skipped"});
      if (pending == f[2] && !pending_message.empty()) {
        failures.back().error += ": ";
        failures.back().error += pending_message;
      } else {
        wants_message = failures.size() - 1;
      }
      continue;
    }
    if (IsBenchmarkName(f[0])) {
      pending.reset();
      pending_message = {};
      if (f.size() >= 2 && IsInteger(f[1])) {
        results.push_back({line_no, f[0], {f.begin() + 2, f.end()}});
        if (results.back().pairs.empty()) {
          return InvalidInput(
              fmt::format("{}:{}: expected \"value unit\" pairs such as "
                          "\"1043 ns/op\" after the iteration count of {}",
                          source, line_no, f[0]));
        }
      } else {
        pending = f[0];
      }
      continue;
    }
    if (pending && f.size() >= 3 && IsInteger(f[0]) && HasNsPerOp(f, 1)) {
      results.push_back({line_no, *pending, {f.begin() + 1, f.end()}});
      pending.reset();
      pending_message = {};
    } else if (pending && message && pending_message.empty()) {
      pending_message = Trim(line);
    }
  }

  const std::string_view suffix = CommonProcsSuffix(results);
  struct Entry {
    std::string name;
    std::map<std::string, core::Metric, std::less<>> metrics;
    std::optional<std::string> error;
  };
  std::vector<Entry> entries;
  std::map<std::string, size_t, std::less<>> index;
  auto entry = [&](std::string_view name) -> Entry& {
    auto [it, inserted] = index.emplace(std::string(name), entries.size());
    if (inserted) entries.push_back({std::string(name), {}, std::nullopt});
    return entries[it->second];
  };
  // Results and failures interleaved in input order, so the output follows the input.
  size_t r = 0;
  size_t fi = 0;
  while (r < results.size() || fi < failures.size()) {
    if (fi == failures.size() || (r < results.size() && results[r].line < failures[fi].line)) {
      const ResultLine& line = results[r++];
      Entry& e = entry(StripSuffix(line.name, suffix));
      RETURN_IF_ERROR(AddSamples(line, source, &e.metrics));
    } else {
      const Failure& failure = failures[fi++];
      Entry& e = entry(StripSuffix(failure.name, suffix));
      if (!e.error) e.error = failure.error;
    }
  }
  if (entries.empty()) {
    return InvalidInput(fmt::format(
        "{}: no benchmark results (no line like \"BenchmarkName-8  1000  1043 ns/op\"; was "
        "go test run with -bench?)",
        source));
  }
  std::vector<core::BenchmarkResult> out;
  out.reserve(entries.size());
  for (Entry& e : entries) {
    core::BenchmarkResult b;
    b.name = std::move(e.name);
    if (e.metrics.empty()) {
      b.error = std::move(e.error);
    } else {
      for (auto& [name, metric] : e.metrics) b.metrics.push_back(std::move(metric));
    }
    out.push_back(std::move(b));
  }
  // What the artifact would refuse is refused here, naming the harness output.
  RETURN_IF_ERROR(core::ValidateBenchmarks(out).WithPrefix(source));
  return out;
}

bool LooksLikeGo(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with("Benchmark")) continue;
    const std::vector<std::string_view> f = Fields(line);
    if (f.size() >= 4 && IsBenchmarkName(f[0]) && IsInteger(f[1]) && HasNsPerOp(f, 2)) {
      return true;
    }
  }
  return false;
}

}  // namespace perfledger::adapters
