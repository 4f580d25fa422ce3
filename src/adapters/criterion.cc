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
#include "base/strings.h"

namespace perfledger::adapters {
namespace {

constexpr std::string_view kBenchSeparator = " ... bench:";

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool Consume(std::string_view& s, std::string_view prefix) {
  if (!base::StartsWith(s, prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Digits with ',' thousands separators and an optional fraction; consumed from `s`.
std::optional<double> TakeNumber(std::string_view& s) {
  std::string digits;
  size_t i = 0;
  if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == ',')) {
    if (s[i] != ',') digits += s[i];
    ++i;
  }
  if (i + 1 < s.size() && s[i] == '.' && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
    digits += s[i++];
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits += s[i++];
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

struct Estimate {
  double median = 0;
  double stddev = 0;
  std::string unit;
  bool mb_per_s = false;  // "= N MB/s": libtest's, never criterion's
};

// What follows "bench:": "   123,456 ns/iter (+/- 789)".
std::optional<Estimate> ParseEstimate(std::string_view rest) {
  Estimate e;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto median = TakeNumber(rest);
  if (!median || !Consume(rest, " ")) return std::nullopt;
  e.median = *median;
  size_t slash = rest.find("/iter");
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  e.unit = std::string(rest.substr(0, slash));
  if (e.unit.find(' ') != std::string::npos) return std::nullopt;
  rest.remove_prefix(slash + 5);
  if (!Consume(rest, " (+/- ")) return std::nullopt;
  auto stddev = TakeNumber(rest);
  if (!stddev || !Consume(rest, ")")) return std::nullopt;
  e.stddev = *stddev;
  rest = Trim(rest);
  if (!rest.empty()) {
    if (!Consume(rest, "= ") || !TakeNumber(rest) || Trim(rest) != "MB/s") return std::nullopt;
    e.mb_per_s = true;
  }
  return e;
}

// "test ID ... RESULT" -> ID and RESULT (RESULT may be empty while the benchmark runs).
bool SplitTestLine(std::string_view line, std::string_view* id, std::string_view* result) {
  if (!base::StartsWith(line, "test ") || base::StartsWith(line, "test result:")) return false;
  size_t sep = line.rfind(kBenchSeparator);
  if (sep == std::string_view::npos) sep = line.rfind(" ... ");
  if (sep == std::string_view::npos) {
    // "test ID ..." at the very end of a line, the trailing space trimmed away.
    if (!base::EndsWith(line, " ...")) return false;
    sep = line.size() - 4;
  }
  if (sep < 5) return false;
  *id = Trim(line.substr(5, sep - 5));
  *result = sep + 5 <= line.size() ? Trim(line.substr(sep + 5)) : std::string_view();
  return !id->empty();
}

std::optional<int64_t> RunningCount(std::string_view line) {
  if (!Consume(line, "running ")) return std::nullopt;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
  if (ec != std::errc()) return std::nullopt;
  std::string_view tail(ptr, static_cast<size_t>(line.data() + line.size() - ptr));
  if (tail != " tests" && tail != " test") return std::nullopt;
  return n;
}

core::Metric ToMetric(const Estimate& e) {
  core::Metric m;
  m.name = e.unit == "ns" ? "wall_time" : e.unit;
  m.unit = e.unit;
  m.direction = core::DefaultDirection(m.name);
  core::Summary s;
  s.n = 1;
  s.mean = e.median;
  s.median = e.median;
  s.stddev = e.stddev;
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
  if (results.empty()) {
    return base::InvalidInput(
        fmt::format("{}: no benchmark results (expected lines like \"test group/name ... bench: "
                    "123,456 ns/iter (+/- 789)\" from criterion's --output-format bencher)",
                    source));
  }
  return results;
}

// The same rules as LooksLikeLibtest, seen from the other side: criterion's signs are its own
// stderr lines, ids with spaces, and bench lines outside libtest's "running N tests" blocks
// when such blocks exist (cargo bench also runs libtest targets, which print "running 0
// tests"). Bench lines with no sign either way look like both formats (ambiguous for
// --adapter auto).
bool LooksLikeCriterion(std::string_view text) {
  bool any_bench = false, libtest_sign = false, criterion_sign = false, any_running = false;
  bool outside_block = false;
  bool in_block = false;
  for (std::string_view line : Lines(text)) {
    if (auto n = RunningCount(line)) {
      any_running = true;
      in_block = *n > 0;
      continue;
    }
    if (base::StartsWith(line, "test result:")) {
      in_block = false;
      continue;
    }
    if (base::StartsWith(line, "Gnuplot not found") || base::StartsWith(line, "Benchmarking ") ||
        base::StartsWith(line, "Warning: Unable to complete") ||
        base::StartsWith(line, "WARNING: HTML report generation")) {
      criterion_sign = true;
      continue;
    }
    std::string_view id, result;
    if (!SplitTestLine(line, &id, &result) || !base::StartsWith(result, "bench:")) continue;
    auto e = ParseEstimate(result.substr(6));
    if (!e) continue;
    any_bench = true;
    if (in_block || e->mb_per_s) libtest_sign = true;
    if (!in_block) outside_block = true;
    if (id.find(' ') != std::string_view::npos) criterion_sign = true;
  }
  if (any_running && outside_block) criterion_sign = true;
  return any_bench && (criterion_sign || !libtest_sign);
}

}  // namespace perfledger::adapters
