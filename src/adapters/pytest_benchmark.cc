// pytest-benchmark JSON: {"machine_info", "commit_info", "benchmarks": [{"name", "fullname",
// "group", "params", "stats": {"min", "max", "mean", "stddev", "rounds", "median", "iqr", "q1",
// "q3", ..., "data"?, "iterations"}}], "datetime", "version"}.
//
// The benchmark name is "fullname" as pytest prints it ("tests/test_x.py::test_parse[small]"),
// kept verbatim: parametrised tests differ only in their brackets. "stats.data" holds one time
// per round, already divided by the iterations of a round; --benchmark-json always writes it,
// while files saved with --benchmark-save/--benchmark-autosave have it only with
// --benchmark-save-data. With data: samples of wall_time in seconds; without: a summary.
// pytest-benchmark leaves benchmarks whose test raised out of the file, so there are no
// failures to report.
#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <map>
#include <optional>

#include "adapters/adapters.h"
#include "adapters/harness_output.h"
#include "adapters/json_reading.h"
#include "base/strings.h"
#include "core/artifact.h"

namespace perfledger::adapters {
namespace {

using base::InvalidInput;
using base::Result;
using base::Status;
using simdjson::dom::element;
using simdjson::dom::element_type;
using Ctx = json::Context;
using json::Describe;
using json::Expected;
using json::FiniteNumber;
using json::IsNumber;
using json::Lookup;
using json::NumberValue;

constexpr std::string_view kExpectedRoot =
    "an object with \"benchmarks\" (pytest-benchmark --benchmark-json output)";

Result<std::string> GetName(Ctx& ctx, simdjson::dom::object obj) {
  element v;
  // "fullname" has been written since pytest-benchmark 3.0; "name" alone is ambiguous across
  // modules, so it is only the fallback for files without "fullname".
  std::string_view key = "fullname";
  if (!Lookup(obj, key, &v)) {
    key = "name";
    if (!Lookup(obj, key, &v)) {
      return ctx.Missing("fullname", "the test's node id such as \"test_x.py::test_parse\"");
    }
  }
  Ctx::Scope scope(&ctx, key);
  if (v.type() != element_type::STRING || v.get_string().value_unsafe().empty()) {
    return Expected(ctx, "a non-empty string", v);
  }
  return std::string(v.get_string().value_unsafe());
}

Result<core::Summary> ReadSummary(Ctx& ctx, simdjson::dom::object stats) {
  core::Summary s;
  element v;
  if (!Lookup(stats, "rounds", &v)) return ctx.Missing("rounds", "the number of rounds");
  {
    Ctx::Scope scope(&ctx, "rounds");
    int64_t rounds = 0;
    if (v.get_int64().get(rounds) != simdjson::SUCCESS || rounds < 1) {
      return Expected(ctx, "a positive integer", v);
    }
    s.n = rounds;
  }
  if (!Lookup(stats, "mean", &v)) return ctx.Missing("mean", "a number of seconds");
  {
    Ctx::Scope scope(&ctx, "mean");
    ASSIGN_OR_RETURN(s.mean, GetSeconds(ctx, v));
  }
  const std::pair<std::string_view, std::optional<double>*> optionals[] = {
      {"stddev", &s.stddev}, {"median", &s.median}, {"min", &s.min}, {"max", &s.max}};
  for (const auto& [key, field] : optionals) {
    if (!Lookup(stats, key, &v) || v.is_null()) continue;
    Ctx::Scope scope(&ctx, key);
    ASSIGN_OR_RETURN(*field, GetSeconds(ctx, v));
  }
  return s;
}

Result<core::BenchmarkResult> ReadBenchmark(Ctx& ctx, element e) {
  if (e.type() != element_type::OBJECT) return Expected(ctx, "an object", e);
  auto obj = e.get_object().value_unsafe();
  core::BenchmarkResult b;
  ASSIGN_OR_RETURN(b.name, GetName(ctx, obj));
  element v;
  if (!Lookup(obj, "stats", &v)) {
    return ctx.Missing("stats", "an object with the timings (\"data\" or \"rounds\" and \"mean\")");
  }
  Ctx::Scope scope(&ctx, "stats");
  if (v.type() != element_type::OBJECT) return Expected(ctx, "an object", v);
  auto stats = v.get_object().value_unsafe();
  core::Metric m{.name = "wall_time",
                 .unit = "s",
                 .direction = core::DefaultDirection("wall_time"),
                 .samples = {},
                 .summary = std::nullopt};
  element data;
  if (Lookup(stats, "data", &data) && !data.is_null()) {
    Ctx::Scope data_scope(&ctx, "data");
    if (data.type() != element_type::ARRAY) return Expected(ctx, "an array of times", data);
    auto times = data.get_array().value_unsafe();
    if (times.size() == 0) return ctx.Fail("expected at least one time, got an empty array");
    size_t i = 0;
    for (element t : times) {
      Ctx::Scope item(&ctx, i++);
      ASSIGN_OR_RETURN(double seconds, GetSeconds(ctx, t));
      m.samples.push_back(seconds);
    }
  } else {
    ASSIGN_OR_RETURN(m.summary, ReadSummary(ctx, stats));
  }
  b.metrics.push_back(std::move(m));
  return b;
}

// Python's json module writes NaN and Infinity, which JSON does not have (pytest-benchmark's
// stats can hold them); simdjson rejects them without saying where. Finds the first one
// outside a string: "12:17: NaN". Only on the error path.
std::optional<std::string> NonFiniteToken(std::string_view text) {
  bool in_string = false;
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else {
      for (std::string_view token : {"NaN", "Infinity", "-Infinity"}) {
        if (text.substr(i).starts_with(token)) {
          return fmt::format(
              "{}:{}: expected a finite number, got {} (JSON has no NaN or "
              "Infinity)",
              line, i - line_start + 1, token);
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Parsed ParsePytestBenchmark(std::string_view text, const std::string& source) {
  simdjson::dom::parser parser;
  element root;
  if (base::Status s = ParseHarnessJson(parser, text, source, "empty", &root); !s.ok()) {
    // Python's json module writes NaN and Infinity: say where, not just "invalid JSON".
    if (!IsBlank(text)) {
      if (auto where = NonFiniteToken(text)) return InvalidInput(source + ":" + *where);
    }
    return s;
  }
  Ctx ctx(source);
  ASSIGN_OR_RETURN(
      const simdjson::dom::array items,
      RootMemberArray(ctx, root, "benchmarks", kExpectedRoot, "an array of benchmarks"));
  Ctx::Scope scope(&ctx, "benchmarks");
  std::vector<core::BenchmarkResult> out;
  std::map<std::string, size_t, std::less<>> seen;  // name -> index in /benchmarks
  size_t i = 0;
  for (element e : items) {
    Ctx::Scope item(&ctx, i);
    ASSIGN_OR_RETURN(core::BenchmarkResult b, ReadBenchmark(ctx, e));
    auto [it, inserted] = seen.emplace(b.name, i);
    if (!inserted) {
      return ctx.Fail(fmt::format("duplicate benchmark name {} (also /benchmarks/{})",
                                  base::Quote(b.name), it->second));
    }
    out.push_back(std::move(b));
    ++i;
  }
  if (out.empty()) return InvalidInput(source + ": /benchmarks: no benchmark results");
  // What the artifact would refuse is refused here, naming the harness output.
  RETURN_IF_ERROR(core::ValidateBenchmarks(out).WithPrefix(source));
  return out;
}

bool LooksLikePytestBenchmark(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] != '{') return false;
  // "machine_info" comes first and is small; "benchmarks" follows it and "commit_info".
  const std::string_view head = text.substr(start, 64 * 1024);
  return head.find("\"machine_info\"") != std::string_view::npos &&
         head.find("\"benchmarks\"") != std::string_view::npos;
}

}  // namespace perfledger::adapters
