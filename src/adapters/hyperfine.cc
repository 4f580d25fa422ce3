// hyperfine --export-json: {"results": [{"command", "mean", "stddev", "median", "user",
// "system", "min", "max", "times": [...], "exit_codes": [...], "parameters"?}, ...]}.
//
// Every run's time is a sample of wall_time in seconds. hyperfine reports user and system time
// only as means over the runs, so those become summaries with n = the number of runs. The
// benchmark name is "command", which is where hyperfine writes --command-name when given (and
// the parameter-substituted command for --parameter-scan/-list, so parameterised runs get
// distinct names). A run with a non-zero exit code (only possible with -i) makes the benchmark a
// structured failure without metrics: its times measure a failing command.
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
    "an object with \"results\" (hyperfine --export-json output)";

// "user"/"system": hyperfine's mean over the runs, as a summary of `runs` runs.
Status ReadMeanTime(Ctx& ctx, simdjson::dom::object obj, std::string_view key,
                    std::string_view metric_name, int64_t runs, core::BenchmarkResult* b) {
  element v;
  if (!Lookup(obj, key, &v) || v.is_null()) return Status::Ok();
  Ctx::Scope scope(&ctx, key);
  ASSIGN_OR_RETURN(double mean, GetSeconds(ctx, v));
  core::Summary summary;
  summary.n = runs;
  summary.mean = mean;
  b->metrics.push_back(core::Metric{.name = std::string(metric_name),
                                    .unit = "s",
                                    .direction = core::DefaultDirection(metric_name),
                                    .samples = {},
                                    .summary = summary});
  return Status::Ok();
}

// The failure text for the first non-zero (or missing: killed by a signal) exit code, if any.
Result<std::optional<std::string>> ReadExitCodes(Ctx& ctx, element e) {
  if (e.type() != element_type::ARRAY) return Expected(ctx, "an array of exit codes", e);
  auto codes = e.get_array().value_unsafe();
  const size_t total = codes.size();
  std::optional<std::string> first;
  size_t failed = 0;
  size_t i = 0;
  for (element code : codes) {
    Ctx::Scope item(&ctx, i);
    ++i;
    if (code.is_null()) {
      // hyperfine writes null when the process had no exit code (terminated by a signal).
      if (!first) first = fmt::format("terminated by a signal in run {}", i);
      ++failed;
      continue;
    }
    int64_t value = 0;
    if (code.get_int64().get(value) != simdjson::SUCCESS) {
      return Expected(ctx, "an integer exit code or null", code);
    }
    if (value != 0) {
      if (!first) first = fmt::format("exit code {} in run {}", value, i);
      ++failed;
    }
  }
  if (first && total > 1) *first += fmt::format(" ({} of {} runs failed)", failed, total);
  return first;
}

Result<core::BenchmarkResult> ReadResult(Ctx& ctx, element e) {
  if (e.type() != element_type::OBJECT) return Expected(ctx, "an object", e);
  auto obj = e.get_object().value_unsafe();
  core::BenchmarkResult b;
  element v;
  if (!Lookup(obj, "command", &v)) return ctx.Missing("command", "the command as a string");
  {
    Ctx::Scope scope(&ctx, "command");
    if (v.type() != element_type::STRING || v.get_string().value_unsafe().empty()) {
      return Expected(ctx, "a non-empty string", v);
    }
    b.name = std::string(v.get_string().value_unsafe());
  }
  if (!Lookup(obj, "times", &v)) {
    return ctx.Missing("times", "an array of run times in seconds (hyperfine 1.5 or later)");
  }
  core::Metric wall{.name = "wall_time",
                    .unit = "s",
                    .direction = core::DefaultDirection("wall_time"),
                    .samples = {},
                    .summary = std::nullopt};
  {
    Ctx::Scope scope(&ctx, "times");
    if (v.type() != element_type::ARRAY) return Expected(ctx, "an array of run times", v);
    auto times = v.get_array().value_unsafe();
    if (times.size() == 0) return ctx.Fail("expected at least one run time, got an empty array");
    size_t i = 0;
    for (element t : times) {
      Ctx::Scope item(&ctx, i++);
      ASSIGN_OR_RETURN(double seconds, GetSeconds(ctx, t));
      wall.samples.push_back(seconds);
    }
  }
  if (Lookup(obj, "exit_codes", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "exit_codes");
    ASSIGN_OR_RETURN(b.error, ReadExitCodes(ctx, v));
    if (b.error) return b;
  }
  const auto runs = static_cast<int64_t>(wall.samples.size());
  RETURN_IF_ERROR(ReadMeanTime(ctx, obj, "system", "system_time", runs, &b));
  RETURN_IF_ERROR(ReadMeanTime(ctx, obj, "user", "user_time", runs, &b));
  b.metrics.push_back(std::move(wall));  // system_time < user_time < wall_time: sorted
  return b;
}

}  // namespace

Parsed ParseHyperfine(std::string_view text, const std::string& source) {
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseHarnessJson(parser, text, source, "empty", &root));
  Ctx ctx(source);
  ASSIGN_OR_RETURN(
      const simdjson::dom::array items,
      RootMemberArray(ctx, root, "results", kExpectedRoot, "an array of benchmark results"));
  Ctx::Scope scope(&ctx, "results");
  std::vector<core::BenchmarkResult> out;
  std::map<std::string, size_t, std::less<>> seen;  // name -> index in /results
  size_t i = 0;
  for (element e : items) {
    Ctx::Scope item(&ctx, i);
    ASSIGN_OR_RETURN(core::BenchmarkResult b, ReadResult(ctx, e));
    auto [it, inserted] = seen.emplace(b.name, i);
    if (!inserted) {
      Ctx::Scope command(&ctx, "command");
      return ctx.Fail(
          fmt::format("duplicate benchmark name {} (also /results/{}/command); give each command a "
                      "distinct --command-name",
                      base::Quote(b.name), it->second));
    }
    out.push_back(std::move(b));
    ++i;
  }
  if (out.empty()) return InvalidInput(source + ": /results: no benchmark results");
  // What the artifact would refuse is refused here, naming the harness output.
  RETURN_IF_ERROR(core::ValidateBenchmarks(out).WithPrefix(source));
  return out;
}

bool LooksLikeHyperfine(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] != '{') return false;
  // hyperfine writes "results" first and each result's "times"/"exit_codes" within its first
  // few hundred bytes; 64 KiB is generous for a reordered file without scanning a huge one.
  const std::string_view head = text.substr(start, 64 * 1024);
  return head.find("\"results\"") != std::string_view::npos &&
         head.find("\"command\"") != std::string_view::npos &&
         (head.find("\"exit_codes\"") != std::string_view::npos ||
          head.find("\"times\"") != std::string_view::npos);
}

}  // namespace perfledger::adapters
