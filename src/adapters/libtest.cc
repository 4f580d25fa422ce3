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
#include "base/strings.h"

namespace perfledger::adapters {
namespace {

constexpr int64_t kLibtestSamples = 50;
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

// A number as libtest prints it: digits with ',' thousands separators and an optional
// fraction ("1,234", "0.25", "18,794.12"). Consumes it from the front of `s`.
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

bool Consume(std::string_view& s, std::string_view prefix) {
  if (!base::StartsWith(s, prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

void SkipSpaces(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

struct BenchLine {
  std::string name;
  double value = 0;
  std::string unit;  // before "/iter": "ns" for libtest
  double range = 0;  // the "+/-" figure
  std::optional<double> mb_per_s;
};

// Parses what follows "bench:": "   1,234 ns/iter (+/- 56)[ = 120 MB/s]".
std::optional<BenchLine> ParseMeasurement(std::string_view rest) {
  BenchLine b;
  SkipSpaces(rest);
  auto value = TakeNumber(rest);
  if (!value) return std::nullopt;
  b.value = *value;
  if (!Consume(rest, " ")) return std::nullopt;
  size_t slash = rest.find("/iter");
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  b.unit = std::string(rest.substr(0, slash));
  if (b.unit.find(' ') != std::string::npos) return std::nullopt;
  rest.remove_prefix(slash + 5);
  if (!Consume(rest, " (+/- ")) return std::nullopt;
  auto range = TakeNumber(rest);
  if (!range || !Consume(rest, ")")) return std::nullopt;
  b.range = *range;
  rest = Trim(rest);
  if (!rest.empty()) {
    if (!Consume(rest, "= ")) return std::nullopt;
    auto mb = TakeNumber(rest);
    if (!mb || Trim(rest) != "MB/s") return std::nullopt;
    b.mb_per_s = *mb;
  }
  return b;
}

// "test NAME ... RESULT" -> NAME and RESULT; libtest pads names on the right.
bool SplitTestLine(std::string_view line, std::string_view* name, std::string_view* result) {
  if (!base::StartsWith(line, "test ") || base::StartsWith(line, "test result:")) return false;
  size_t sep = line.rfind(kBenchSeparator);
  if (sep == std::string_view::npos) sep = line.rfind(" ... ");
  if (sep == std::string_view::npos || sep < 5) return false;
  *name = Trim(line.substr(5, sep - 5));
  *result = Trim(line.substr(sep + 5));
  return !name->empty();
}

// "running 3 tests" -> 3.
std::optional<int64_t> RunningCount(std::string_view line) {
  if (!Consume(line, "running ")) return std::nullopt;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
  if (ec != std::errc()) return std::nullopt;
  std::string_view tail(ptr, static_cast<size_t>(line.data() + line.size() - ptr));
  if (tail != " tests" && tail != " test") return std::nullopt;
  return n;
}

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
    auto b = ParseMeasurement(result.substr(6));
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
  if (results.empty()) {
    return base::InvalidInput(
        fmt::format("{}: no benchmark results (expected lines like \"test name ... bench: "
                    "1,234 ns/iter (+/- 56)\" from cargo bench)",
                    source));
  }
  return results;
}

// libtest prints its bench lines inside "running N tests" ... "test result:" blocks, and only
// libtest prints "= N MB/s". Criterion's bencher format prints the same "test ... bench:"
// lines outside such blocks (a harness = false binary prints no "running" line), names may
// hold spaces, and criterion prints "Gnuplot not found"/"Benchmarking"/"Warning: Unable to
// complete" lines. Input with bench lines and no sign either way (bare lines) looks like both,
// and --adapter auto reports it as ambiguous; LooksLikeCriterion applies the same rules.
bool LooksLikeLibtest(std::string_view text) {
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
    std::string_view name, result;
    if (!SplitTestLine(line, &name, &result) || !base::StartsWith(result, "bench:")) continue;
    auto b = ParseMeasurement(result.substr(6));
    if (!b) continue;
    any_bench = true;
    if (in_block || b->mb_per_s) libtest_sign = true;
    if (!in_block) outside_block = true;
    if (name.find(' ') != std::string_view::npos) criterion_sign = true;
  }
  if (any_running && outside_block) criterion_sign = true;
  return any_bench && (libtest_sign || !criterion_sign);
}

}  // namespace perfledger::adapters
