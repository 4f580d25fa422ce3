// Google Benchmark's JSON reporter (--benchmark_format=json, --benchmark_out=...):
//
//   {"context": {...}, "benchmarks": [{"name", "run_name", "run_type", "repetitions",
//     "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
//     <user counters>...}, ...]}
//
// Rows of run_type "iteration" that share a run_name are the repetitions of one benchmark and
// become its samples, in the order the file lists them. Aggregate rows (mean, median, stddev,
// cv, BigO, RMS and user-defined statistics) are dropped: they are computed from the samples
// we keep. Versions before 1.5 write neither run_name nor run_type: rows are grouped by name,
// and a row is an aggregate when its name ends in _BigO or _RMS, or in _mean, _median,
// _stddev or _cv after a benchmark of the stripped name (so a benchmark really called
// "BM_mean" survives).
//
// The reporter writes NaN and Infinity for non-finite doubles (a cv of a counter whose mean
// is 0, say), which is not JSON. When simdjson rejects a document, a small syntax checker
// finds where; if the only problems are such literals, they are read as null: dropped in
// aggregate rows and user counters (not a data point), an error in real_time and cpu_time.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/adapters.h"
#include "adapters/harness_output.h"
#include "adapters/json_reading.h"
#include "base/strings.h"
#include "core/artifact.h"

namespace perfledger::adapters {
namespace {

using base::InvalidInput;
using base::LineColumn;
using base::Result;
using base::Status;
using json::Describe;
using json::IsNumber;
using json::NumberValue;
using simdjson::dom::element;
using simdjson::dom::element_type;

// --- Syntax errors ---------------------------------------------------------------------------

// A recursive-descent JSON checker used only after simdjson rejected a document: it finds the
// first offending byte (simdjson says what, not where) and, with `nonfinite` set, accepts the
// NaN / Infinity / -Infinity literals Google Benchmark writes and records where they are.
class SyntaxChecker {
 public:
  SyntaxChecker(std::string_view text, std::vector<std::pair<size_t, size_t>>* nonfinite)
      : text_(text), nonfinite_(nonfinite) {}

  // True when the whole text is one valid value; otherwise offset() and expected() say where
  // and what.
  bool Check() {
    SkipSpace();
    if (!Value(0)) return false;
    SkipSpace();
    if (pos_ < text_.size()) return Fail("the end of the document");
    return true;
  }
  size_t offset() const { return pos_; }
  const std::string& expected() const { return expected_; }

 private:
  static constexpr int kMaxDepth = 1024;

  bool Fail(std::string expected) {
    expected_ = std::move(expected);
    return false;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Fail("a JSON value");
    pos_ += word.size();
    return true;
  }
  bool Value(int depth) {
    if (AtEnd()) return Fail("a JSON value");
    if (depth > kMaxDepth) return Fail("less deeply nested values");
    switch (Peek()) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }
  bool Object(int depth) {
    ++pos_;
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (AtEnd() || Peek() != '"') return Fail("a string key");
      if (!String()) return false;
      SkipSpace();
      if (AtEnd() || Peek() != ':') return Fail("':'");
      ++pos_;
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (AtEnd()) return Fail("',' or '}'");
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return Fail("',' or '}'");
      ++pos_;
    }
  }
  bool Array(int depth) {
    ++pos_;
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (AtEnd()) return Fail("',' or ']'");
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return Fail("',' or ']'");
      ++pos_;
    }
  }
  bool String() {
    ++pos_;
    while (!AtEnd()) {
      const unsigned char c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("a closing '\"' (control characters must be escaped)");
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) break;
        const char e = Peek();
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i) {
            if (pos_ + i >= text_.size() ||
                !std::isxdigit(static_cast<unsigned char>(text_[pos_ + static_cast<size_t>(i)]))) {
              pos_ += static_cast<size_t>(i);
              return Fail("four hexadecimal digits after \\u");
            }
          }
          pos_ += 4;
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return Fail("a valid escape sequence");
        }
      }
      ++pos_;
    }
    return Fail("a closing '\"'");
  }
  bool Digits() {
    const size_t start = pos_;
    while (!AtEnd() && std::isdigit(static_cast<unsigned char>(Peek()))) ++pos_;
    return pos_ > start;
  }
  bool Number() {
    const size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (nonfinite_ != nullptr) {
      for (std::string_view word : {"NaN", "Infinity"}) {
        if (text_.substr(pos_, word.size()) == word) {
          pos_ += word.size();
          nonfinite_->emplace_back(start, pos_);
          return true;
        }
      }
    }
    if (AtEnd()) return Fail("a JSON value");
    if (Peek() == '0') {
      ++pos_;
    } else if (!Digits()) {
      return Fail("a JSON value");
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (!Digits()) return Fail("a digit after '.'");
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (!Digits()) return Fail("a digit in the exponent");
    }
    return true;
  }

  std::string_view text_;
  std::vector<std::pair<size_t, size_t>>* nonfinite_;
  size_t pos_ = 0;
  std::string expected_;
};

// The token at `offset` for a message: a word, or one character.
std::string TokenAt(std::string_view text, size_t offset) {
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' ||
           c == '_';
  };
  size_t stop = offset;
  while (stop < text.size() && word(text[stop]) && stop - offset < 24) ++stop;
  return std::string(text.substr(offset, std::max<size_t>(stop - offset, 1)));
}

// Parses `text`; on a syntax error returns "source:line:column: invalid JSON: ...". NaN and
// Infinity literals are rewritten to null in `*rewritten`, which then backs the document.
Result<element> ParseJson(simdjson::dom::parser& parser, std::string_view text,
                          const std::string& source, std::string* rewritten) {
  element root;
  const auto error = parser.parse(text.data(), text.size(), true).get(root);
  if (error == simdjson::SUCCESS) return root;

  std::vector<std::pair<size_t, size_t>> nonfinite;
  SyntaxChecker checker(text, &nonfinite);
  if (!checker.Check()) {
    const size_t at = checker.offset();
    if (at >= text.size()) {
      return InvalidInput(
          fmt::format("{}:{}: invalid JSON: unexpected end of input (is the file truncated?)",
                      source, LineColumn(text, at)));
    }
    return InvalidInput(fmt::format("{}:{}: invalid JSON: unexpected {}, expected {}", source,
                                    LineColumn(text, at), base::Quote(TokenAt(text, at)),
                                    checker.expected()));
  }
  if (nonfinite.empty()) {
    // Valid to our checker but not to simdjson: invalid UTF-8, a number out of range, ...
    return InvalidInput(
        fmt::format("{}: invalid JSON: {}", source, simdjson::error_message(error)));
  }
  rewritten->clear();
  size_t copied = 0;
  for (const auto& [begin, end] : nonfinite) {
    rewritten->append(text.substr(copied, begin - copied));
    rewritten->append("null");
    copied = end;
  }
  rewritten->append(text.substr(copied));
  const auto again = parser.parse(rewritten->data(), rewritten->size(), true).get(root);
  if (again != simdjson::SUCCESS) {
    return InvalidInput(
        fmt::format("{}: invalid JSON: {}", source, simdjson::error_message(again)));
  }
  return root;
}

// --- Values ----------------------------------------------------------------------------------

// Formats rejections as "source: /benchmarks/3/real_time: what".
class Where {
 public:
  Where(const std::string& source, size_t row) : source_(source), row_(row) {}
  Status Fail(std::string_view key, std::string_view what) const {
    if (key.empty()) {
      return InvalidInput(fmt::format("{}: /benchmarks/{}: {}", source_, row_, what));
    }
    return InvalidInput(
        fmt::format("{}: /benchmarks/{}/{}: {}", source_, row_, base::JsonPointerToken(key), what));
  }
  Status Expected(std::string_view key, std::string_view what, element got) const {
    return Fail(key, fmt::format("expected {}, got {}", what, Describe(got)));
  }

 private:
  const std::string& source_;
  size_t row_;
};

// Fields of a row that are not measurements. Everything else numeric is a user counter.
bool IsKnownField(std::string_view key) {
  // clang-format off
  static constexpr std::string_view kKnown[] = {
      "name", "run_name", "run_type", "family_index", "per_family_instance_index",
      "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
      "time_unit", "error_occurred", "error_message", "skipped", "skip_message",
      "aggregate_name", "aggregate_unit", "label", "big_o", "rms", "cpu_coefficient",
      "real_coefficient", "complexity_n",
  };
  // clang-format on
  for (std::string_view k : kKnown) {
    if (key == k) return true;
  }
  return false;
}

// Unit of a counter by its name: the built-in rates and memory-manager fields have one.
std::string CounterUnit(std::string_view key) {
  if (key == "bytes_per_second") return "bytes/s";
  if (key == "items_per_second") return "items/s";
  if (key == "max_bytes_used" || key == "total_allocated_bytes" || key == "net_heap_growth") {
    return "bytes";
  }
  return "count";
}

core::Direction CounterDirection(std::string_view key) {
  if (base::EndsWith(key, "_per_second")) return core::Direction::kHigher;
  return core::DefaultDirection(key);
}

// One benchmark being assembled from its repetitions.
struct Group {
  std::string name;
  std::string time_unit;
  std::optional<std::string> error;
  std::map<std::string, core::Metric> metrics;  // by name, so sorted
};

core::Metric& MetricFor(Group& g, const std::string& name, std::string_view unit,
                        core::Direction direction) {
  auto [it, inserted] = g.metrics.try_emplace(name);
  if (inserted) {
    it->second.name = name;
    it->second.unit = std::string(unit);
    it->second.direction = direction;
  }
  return it->second;
}

bool IsOldAggregate(std::string_view name, const std::map<std::string, size_t, std::less<>>& seen) {
  if (base::EndsWith(name, "_BigO") || base::EndsWith(name, "_RMS")) return true;
  for (std::string_view suffix : {"_mean", "_median", "_stddev", "_cv"}) {
    if (base::EndsWith(name, suffix) &&
        seen.find(name.substr(0, name.size() - suffix.size())) != seen.end()) {
      return true;
    }
  }
  return false;
}

// A time (real_time, cpu_time): a finite, non-negative number.
Result<double> GetTime(const Where& where, simdjson::dom::object row, std::string_view key) {
  element v;
  if (row.at_key(key).get(v) != simdjson::SUCCESS) {
    return where.Fail(key, "missing (expected a number)");
  }
  if (v.is_null()) return where.Fail(key, "expected a finite number, got NaN or Infinity");
  if (!IsNumber(v)) return where.Expected(key, "a number", v);
  const double x = NumberValue(v);
  if (x < 0) return where.Expected(key, "a non-negative number", v);
  return x;
}

// Adds the row to its group; `groups_by_name` indexes `groups`.
Status ReadRow(const Where& where, simdjson::dom::object row, std::vector<Group>& groups,
               std::map<std::string, size_t, std::less<>>& groups_by_name) {
  element v;
  std::string_view name;
  if (row.at_key("name").get(v) != simdjson::SUCCESS) {
    return where.Fail("", "missing \"name\" (expected the benchmark's name)");
  }
  if (v.get_string().get(name) != simdjson::SUCCESS || name.empty()) {
    return where.Expected("name", "a non-empty string", v);
  }
  std::string_view key = name;
  bool old_format = true;
  if (row.at_key("run_type").get(v) == simdjson::SUCCESS) {
    old_format = false;
    std::string_view run_type;
    if (v.get_string().get(run_type) != simdjson::SUCCESS ||
        (run_type != "iteration" && run_type != "aggregate")) {
      return where.Expected("run_type", "\"iteration\" or \"aggregate\"", v);
    }
    if (run_type == "aggregate") return Status::Ok();
  }
  if (row.at_key("aggregate_name").error() == simdjson::SUCCESS) return Status::Ok();
  if (row.at_key("run_name").get(v) == simdjson::SUCCESS) {
    if (v.get_string().get(key) != simdjson::SUCCESS || key.empty()) {
      return where.Expected("run_name", "a non-empty string", v);
    }
  }
  if (old_format && IsOldAggregate(name, groups_by_name)) return Status::Ok();

  auto [it, inserted] = groups_by_name.try_emplace(std::string(key), groups.size());
  if (inserted) {
    groups.emplace_back();
    groups.back().name = std::string(key);
  }
  Group& group = groups[it->second];

  bool failed = false;
  if (row.at_key("error_occurred").get(v) == simdjson::SUCCESS) {
    bool b = false;
    if (v.get_bool().get(b) != simdjson::SUCCESS) {
      return where.Expected("error_occurred", "true or false", v);
    }
    if (b) {
      std::string_view message = "error_occurred";
      if (row.at_key("error_message").get(v) == simdjson::SUCCESS &&
          v.get_string().get(message) != simdjson::SUCCESS) {
        return where.Expected("error_message", "a string", v);
      }
      if (!group.error) group.error = std::string(message);
      failed = true;
    }
  }
  if (row.at_key("skipped").get(v) == simdjson::SUCCESS) {
    bool b = false;
    if (v.get_bool().get(b) != simdjson::SUCCESS) {
      return where.Expected("skipped", "true or false", v);
    }
    if (b) {
      std::string_view message;
      if (row.at_key("skip_message").get(v) == simdjson::SUCCESS &&
          v.get_string().get(message) != simdjson::SUCCESS) {
        return where.Expected("skip_message", "a string", v);
      }
      if (!group.error) {
        group.error = message.empty() ? "skipped" : fmt::format("skipped: {}", message);
      }
      failed = true;
    }
  }
  // A failed repetition's times are zeros, not measurements.
  if (failed || group.error) return Status::Ok();

  std::string_view unit = "ns";
  if (row.at_key("time_unit").get(v) == simdjson::SUCCESS) {
    if (v.get_string().get(unit) != simdjson::SUCCESS ||
        (unit != "ns" && unit != "us" && unit != "ms" && unit != "s")) {
      return where.Expected("time_unit", "\"ns\", \"us\", \"ms\" or \"s\"", v);
    }
  }
  if (group.time_unit.empty()) {
    group.time_unit = std::string(unit);
  } else if (group.time_unit != unit) {
    return where.Fail("time_unit", fmt::format("\"{}\" differs from the \"{}\" of an earlier "
                                               "repetition of {}",
                                               unit, group.time_unit, base::Quote(group.name)));
  }
  ASSIGN_OR_RETURN(double real_time, GetTime(where, row, "real_time"));
  ASSIGN_OR_RETURN(double cpu_time, GetTime(where, row, "cpu_time"));
  MetricFor(group, "wall_time", unit, core::Direction::kLower).samples.push_back(real_time);
  MetricFor(group, "cpu_time", unit, core::Direction::kLower).samples.push_back(cpu_time);

  for (auto [field, value] : row) {
    if (IsKnownField(field) || !IsNumber(value)) continue;  // null: a NaN counter, no data
    if (field == "wall_time") {
      return where.Fail(field,
                        "a user counter may not be called wall_time (the real time's "
                        "metric name)");
    }
    const double x = NumberValue(value);
    MetricFor(group, std::string(field), CounterUnit(field), CounterDirection(field))
        .samples.push_back(x);
  }
  return Status::Ok();
}

}  // namespace

Parsed ParseGoogleBenchmark(std::string_view text, const std::string& source) {
  if (IsBlank(text)) return NoResults(source, "the input is empty");
  simdjson::dom::parser parser;
  std::string rewritten;
  ASSIGN_OR_RETURN(element root, ParseJson(parser, text, source, &rewritten));

  simdjson::dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return InvalidInput(fmt::format(
        "{}: (document root): expected an object with \"context\" and \"benchmarks\", got {}",
        source, Describe(root)));
  }
  element benchmarks;
  if (top.at_key("benchmarks").get(benchmarks) != simdjson::SUCCESS) {
    return InvalidInput(
        fmt::format("{}: /benchmarks: missing (expected the array Google Benchmark writes with "
                    "--benchmark_format=json)",
                    source));
  }
  simdjson::dom::array rows;
  if (benchmarks.get_array().get(rows) != simdjson::SUCCESS) {
    return InvalidInput(
        fmt::format("{}: /benchmarks: expected an array, got {}", source, Describe(benchmarks)));
  }
  if (rows.size() == 0) {
    return InvalidInput(fmt::format("{}: no benchmark results (/benchmarks is empty)", source));
  }

  std::vector<Group> groups;
  std::map<std::string, size_t, std::less<>> groups_by_name;
  size_t i = 0;
  for (element row : rows) {
    const Where where(source, i++);
    simdjson::dom::object obj;
    if (row.get_object().get(obj) != simdjson::SUCCESS) {
      return where.Fail("", fmt::format("expected an object, got {}", Describe(row)));
    }
    RETURN_IF_ERROR(ReadRow(where, obj, groups, groups_by_name));
  }
  if (groups.empty()) {
    return InvalidInput(
        fmt::format("{}: no benchmark results (/benchmarks holds only aggregate rows)", source));
  }

  std::vector<core::BenchmarkResult> out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    core::BenchmarkResult b;
    b.name = std::move(g.name);
    b.error = std::move(g.error);
    if (!b.error) {
      for (auto& [name, metric] : g.metrics) b.metrics.push_back(std::move(metric));
    }
    out.push_back(std::move(b));
  }
  // What the artifact would refuse is refused here, naming the harness output.
  RETURN_IF_ERROR(core::ValidateBenchmarks(out).WithPrefix(source));
  return out;
}

bool LooksLikeGoogleBenchmark(std::string_view text) {
  // The reporter always writes {"context": {...}, "benchmarks": [...]}; allow the keys in the
  // other order (a tool that sorts keys) but require a field only Google Benchmark writes.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const size_t open = text.find_first_not_of(" \t\r\n");
  if (open == std::string_view::npos || text[open] != '{') return false;
  const size_t key = text.find_first_not_of(" \t\r\n", open + 1);
  if (key == std::string_view::npos) return false;
  const std::string_view first = text.substr(key);
  if (!base::StartsWith(first, "\"context\"") && !base::StartsWith(first, "\"benchmarks\"")) {
    return false;
  }
  const std::string_view head = text.substr(0, 64 * 1024);
  return head.find("\"context\"") != std::string_view::npos &&
         head.find("\"benchmarks\"") != std::string_view::npos &&
         (head.find("\"cpu_time\"") != std::string_view::npos ||
          head.find("\"num_cpus\"") != std::string_view::npos);
}

}  // namespace perfledger::adapters
