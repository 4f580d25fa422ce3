// Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format/):
//   {"<benchmark>": {"<measure>": {"value": 3247.0, "lower_value": 1044.0,
//                                  "upper_value": 4100.0}}}
// One value per benchmark and measure, with optional bounds: a summary of n = 1 whose mean is
// the value and lower/upper the bounds. BMF says nothing of units; Bencher's built-in measures
// have fixed ones, which perfledger writes.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "adapters/history_import.h"
#include "adapters/import_support.h"
#include "adapters/json_reading.h"
#include "base/strings.h"
#include "core/artifact.h"

namespace perfledger::adapters {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using Ctx = json::Context;

struct Builtin {
  std::string_view measure, metric, unit;
  core::Direction direction;
};
constexpr Builtin kBuiltins[] = {
    {"latency", "latency", "ns", core::Direction::kLower},
    {"throughput", "throughput", "ops/s", core::Direction::kHigher},
    {"file-size", "file_size", "bytes", core::Direction::kLower},
    {"build-time", "build_time", "s", core::Direction::kLower},
};

base::Result<core::Metric> ReadMeasure(Ctx& ctx, std::string_view measure, element e) {
  if (e.type() != element_type::OBJECT) {
    return json::Expected(ctx, "an object with \"value\" (and \"lower_value\", \"upper_value\")",
                          e);
  }
  auto obj = e.get_object().value_unsafe();
  core::Metric m;
  m.name = std::string(measure);
  m.unit = "unknown";
  m.direction = core::Direction::kLower;
  for (const Builtin& b : kBuiltins) {
    if (measure == b.measure) {
      m.name = std::string(b.metric);
      m.unit = std::string(b.unit);
      m.direction = b.direction;
    }
  }
  core::Summary s;
  s.n = 1;
  element v;
  if (!json::Lookup(obj, "value", &v)) return ctx.Missing("value", "a number");
  {
    Ctx::Scope scope(&ctx, "value");
    const std::optional<double> value = json::FiniteNumber(v);
    if (!value) return json::Expected(ctx, "a finite number", v);
    s.mean = *value;
  }
  for (auto [key, field] :
       {std::pair{"lower_value", &s.lower}, std::pair{"upper_value", &s.upper}}) {
    if (!json::Lookup(obj, key, &v) || v.is_null()) continue;
    Ctx::Scope scope(&ctx, key);
    *field = json::FiniteNumber(v);
    if (!*field) return json::Expected(ctx, "a finite number", v);
  }
  m.summary = s;
  return m;
}

}  // namespace

base::Result<std::vector<core::BenchmarkResult>> ParseBencherMetricFormat(
    std::string_view text, const std::string& source) {
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseImportJson(parser, text, source, &root));
  Ctx ctx(source);
  if (root.type() != element_type::OBJECT) {
    return json::Expected(ctx, "an object {\"<benchmark>\": {\"<measure>\": {\"value\": ...}}}",
                          root);
  }
  std::vector<core::BenchmarkResult> out;
  for (auto [name, measures] : AsObject(root)) {
    Ctx::Scope bench(&ctx, name);
    if (name.empty()) return ctx.Fail("expected a benchmark name, got an empty key");
    if (measures.type() != element_type::OBJECT) {
      return json::Expected(ctx, "an object of measures", measures);
    }
    core::BenchmarkResult b;
    b.name = std::string(name);
    for (auto [measure, value] : AsObject(measures)) {
      Ctx::Scope scope(&ctx, measure);
      ASSIGN_OR_RETURN(core::Metric m, ReadMeasure(ctx, measure, value));
      b.metrics.push_back(std::move(m));
    }
    if (b.metrics.empty()) return ctx.Fail("expected at least one measure, got an empty object");
    std::sort(b.metrics.begin(), b.metrics.end(),
              [](const auto& x, const auto& y) { return x.name < y.name; });
    out.push_back(std::move(b));
  }
  if (out.empty()) return base::InvalidInput(source + ": no benchmark results (an empty object)");
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  RETURN_IF_ERROR(core::ValidateBenchmarks(out).WithPrefix(source));
  return out;
}

}  // namespace perfledger::adapters
