// BenchmarkDotNet's full JSON exporter (`--exporters json`, "*-report-full.json"):
//
//   {"Title": ..., "HostEnvironmentInfo": {...},
//    "Benchmarks": [{"DisplayInfo", "Namespace", "Type", "Method", "MethodTitle",
//                    "Parameters", "FullName",
//                    "Statistics": {"OriginalValues", "N", "Mean", "StandardDeviation",
//                                   "Median", "Min", "Max", "ConfidenceInterval", ...} | null,
//                    "Memory": {"Gen0Collections", ..., "TotalOperations",
//                               "BytesAllocatedPerOperation"},
//                    "Measurements": [{"IterationMode", "IterationStage", "LaunchIndex",
//                                      "IterationIndex", "Operations", "Nanoseconds"}],
//                    "Metrics": [{"Value", "Descriptor": {"Id", "Unit",
//                                                         "TheGreaterTheBetter", ...}}]}]}
//
// How it maps:
//   - name: FullName ("Ns.Type.Method(N: 100)": it includes the parameters); without one,
//     Namespace.Type.Method plus "(Parameters)" when there are parameters. When several
//     entries share a name (the same case run under several jobs, e.g. two runtimes), each
//     of them gets " [DisplayInfo]" appended, which names the job;
//   - wall_time (ns, per operation): one sample per Workload/Result measurement,
//     Nanoseconds / Operations, in file order (launch by launch). Without such measurements,
//     Statistics.OriginalValues as samples; without those, a Summary from Statistics (N,
//     Mean, StandardDeviation, Median, Min, Max, ConfidenceInterval.Lower/Upper);
//   - no measurements and no Statistics (BenchmarkDotNet writes "Statistics": null for a case
//     that threw or did not run): a structured failure;
//   - bytes_allocated_per_op (bytes) from Memory.BytesAllocatedPerOperation, when the
//     MemoryDiagnoser measured it: the Metrics array has an "Allocated Memory" entry, or
//     (older files without Metrics) the value is not zero;
//   - the Metrics array's GC counts as gc_gen0_per_1k_ops, gc_gen1_per_1k_ops,
//     gc_gen2_per_1k_ops (count; BenchmarkDotNet reports them per 1000 operations), and every
//     other diagnoser metric (threading, exceptions, hardware counters) under its Id, unit
//     from Descriptor.Unit ("B" -> bytes, "Count" -> count), direction from
//     TheGreaterTheBetter. These are one value per benchmark: a Summary with n = 1.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
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

Result<double> GetNumber(const Ctx& ctx, element e, std::string_view what) {
  auto v = FiniteNumber(e);
  if (!v) return Expected(ctx, what, e);
  return *v;
}

// The array `e` holds (by value: ranging over get_array().value_unsafe() directly would
// dangle, since it refers into a temporary). `e` must be an array.
simdjson::dom::array Array(element e) { return e.get_array().value_unsafe(); }

// A present, non-null field.
bool LookupValue(simdjson::dom::object obj, std::string_view key, element* out) {
  return Lookup(obj, key, out) && !out->is_null();
}

std::string StringOr(simdjson::dom::object obj, std::string_view key) {
  element v;
  std::string_view s;
  if (Lookup(obj, key, &v) && v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return "";
}

core::Metric SummaryMetric(std::string name, std::string unit, core::Direction direction,
                           double value) {
  core::Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.direction = direction;
  core::Summary s;
  s.n = 1;
  s.mean = value;
  m.summary = s;
  return m;
}

// The benchmark's name before disambiguation.
Result<std::string> BaseName(const Ctx& ctx, simdjson::dom::object obj) {
  std::string full = StringOr(obj, "FullName");
  if (!full.empty()) return full;
  const std::string type = StringOr(obj, "Type"), method = StringOr(obj, "Method");
  if (type.empty() || method.empty()) {
    return ctx.Missing("FullName", "the benchmark's full name (or \"Type\" and \"Method\")");
  }
  const std::string ns = StringOr(obj, "Namespace"), params = StringOr(obj, "Parameters");
  std::string name = ns.empty() ? type + "." + method : ns + "." + type + "." + method;
  if (!params.empty()) name += "(" + params + ")";
  return name;
}

// wall_time from Measurements, else Statistics; nullopt when there is neither.
Result<std::optional<core::Metric>> ReadWallTime(Ctx& ctx, simdjson::dom::object obj) {
  core::Metric m{.name = "wall_time",
                 .unit = "ns",
                 .direction = core::DefaultDirection("wall_time"),
                 .samples = {},
                 .summary = std::nullopt};
  element v;
  if (LookupValue(obj, "Measurements", &v)) {
    Ctx::Scope scope(&ctx, "Measurements");
    if (v.type() != element_type::ARRAY) return Expected(ctx, "an array of measurements", v);
    size_t i = 0;
    for (element item : Array(v)) {
      Ctx::Scope item_scope(&ctx, i++);
      if (item.type() != element_type::OBJECT) return Expected(ctx, "an object", item);
      auto measurement = item.get_object().value_unsafe();
      if (StringOr(measurement, "IterationMode") != "Workload" ||
          StringOr(measurement, "IterationStage") != "Result") {
        continue;
      }
      element ops, ns;
      if (!Lookup(measurement, "Operations", &ops)) {
        return ctx.Missing("Operations", "the number of operations measured");
      }
      if (!Lookup(measurement, "Nanoseconds", &ns)) {
        return ctx.Missing("Nanoseconds", "the measured time in nanoseconds");
      }
      double operations = 0, nanoseconds = 0;
      {
        Ctx::Scope s(&ctx, "Operations");
        ASSIGN_OR_RETURN(operations, GetNumber(ctx, ops, "a positive number"));
        if (operations <= 0) return Expected(ctx, "a positive number", ops);
      }
      {
        Ctx::Scope s(&ctx, "Nanoseconds");
        ASSIGN_OR_RETURN(nanoseconds, GetNumber(ctx, ns, "a non-negative number"));
        if (nanoseconds < 0) return Expected(ctx, "a non-negative number", ns);
      }
      m.samples.push_back(nanoseconds / operations);
    }
    if (!m.samples.empty()) return std::optional<core::Metric>(std::move(m));
  }
  if (!LookupValue(obj, "Statistics", &v)) return std::optional<core::Metric>();
  Ctx::Scope scope(&ctx, "Statistics");
  if (v.type() != element_type::OBJECT) return Expected(ctx, "an object", v);
  auto stats = v.get_object().value_unsafe();
  if (LookupValue(stats, "OriginalValues", &v)) {
    Ctx::Scope values_scope(&ctx, "OriginalValues");
    if (v.type() != element_type::ARRAY) return Expected(ctx, "an array of numbers", v);
    size_t i = 0;
    for (element x : Array(v)) {
      Ctx::Scope item(&ctx, i++);
      ASSIGN_OR_RETURN(double sample, GetNumber(ctx, x, "a non-negative number"));
      if (sample < 0) return Expected(ctx, "a non-negative number", x);
      m.samples.push_back(sample);
    }
    if (!m.samples.empty()) return std::optional<core::Metric>(std::move(m));
  }
  core::Summary s;
  if (!Lookup(stats, "N", &v)) return ctx.Missing("N", "the number of measurements");
  {
    Ctx::Scope n_scope(&ctx, "N");
    auto n = FiniteNumber(v);
    if (!n || *n < 1 || *n != std::trunc(*n)) return Expected(ctx, "a positive integer", v);
    s.n = static_cast<int64_t>(*n);
  }
  if (!Lookup(stats, "Mean", &v)) return ctx.Missing("Mean", "the mean time in nanoseconds");
  {
    Ctx::Scope mean_scope(&ctx, "Mean");
    ASSIGN_OR_RETURN(s.mean, GetNumber(ctx, v, "a finite number"));
  }
  auto optional = [&](std::string_view key) -> std::optional<double> {
    element x;
    return Lookup(stats, key, &x) ? FiniteNumber(x) : std::nullopt;
  };
  s.stddev = optional("StandardDeviation");
  s.median = optional("Median");
  s.min = optional("Min");
  s.max = optional("Max");
  element ci;
  if (LookupValue(stats, "ConfidenceInterval", &ci) && ci.type() == element_type::OBJECT) {
    auto interval = ci.get_object().value_unsafe();
    element lower, upper;
    if (Lookup(interval, "Lower", &lower) && Lookup(interval, "Upper", &upper)) {
      s.lower = FiniteNumber(lower);
      s.upper = FiniteNumber(upper);
      if (!s.lower || !s.upper) s.lower = s.upper = std::nullopt;
    }
  }
  m.summary = s;
  return std::optional<core::Metric>(std::move(m));
}

// Memory and the Metrics array.
Status ReadDiagnosers(Ctx& ctx, simdjson::dom::object obj, std::vector<core::Metric>* out) {
  element v;
  bool allocation_measured = false;
  const bool has_metrics = LookupValue(obj, "Metrics", &v);
  if (has_metrics) {
    Ctx::Scope scope(&ctx, "Metrics");
    if (v.type() != element_type::ARRAY) return Expected(ctx, "an array of metrics", v);
    size_t i = 0;
    for (element item : Array(v)) {
      Ctx::Scope item_scope(&ctx, i++);
      if (item.type() != element_type::OBJECT) return Expected(ctx, "an object", item);
      auto metric = item.get_object().value_unsafe();
      element descriptor_value;
      if (!LookupValue(metric, "Descriptor", &descriptor_value) ||
          descriptor_value.type() != element_type::OBJECT) {
        return ctx.Missing("Descriptor", "an object with the metric's Id");
      }
      auto descriptor = descriptor_value.get_object().value_unsafe();
      const std::string id = StringOr(descriptor, "Id");
      if (id.empty()) {
        Ctx::Scope d(&ctx, "Descriptor");
        return ctx.Missing("Id", "the metric's id, e.g. \"Gen0Collects\"");
      }
      if (id == "Allocated Memory") {
        allocation_measured = true;  // the value is read from Memory below
        continue;
      }
      element value;
      if (!Lookup(metric, "Value", &value)) return ctx.Missing("Value", "a number");
      double x = 0;
      {
        Ctx::Scope value_scope(&ctx, "Value");
        ASSIGN_OR_RETURN(x, GetNumber(ctx, value, "a finite number"));
      }
      std::string name, unit;
      core::Direction direction = core::Direction::kLower;
      if (id == "Gen0Collects" || id == "Gen1Collects" || id == "Gen2Collects") {
        name = fmt::format("gc_gen{}_per_1k_ops", id[3]);
        unit = "count";
      } else {
        name = id;
        unit = StringOr(descriptor, "Unit");
        if (unit.empty() || unit == "Count") unit = "count";
        if (unit == "B") unit = "bytes";
        element better;
        bool higher = false;
        if (Lookup(descriptor, "TheGreaterTheBetter", &better) &&
            better.get_bool().get(higher) == simdjson::SUCCESS && higher) {
          direction = core::Direction::kHigher;
        }
      }
      out->push_back(SummaryMetric(std::move(name), std::move(unit), direction, x));
    }
  }
  if (LookupValue(obj, "Memory", &v) && v.type() == element_type::OBJECT) {
    Ctx::Scope scope(&ctx, "Memory");
    element bytes;
    if (LookupValue(v.get_object().value_unsafe(), "BytesAllocatedPerOperation", &bytes)) {
      Ctx::Scope bytes_scope(&ctx, "BytesAllocatedPerOperation");
      ASSIGN_OR_RETURN(double x, GetNumber(ctx, bytes, "a non-negative number"));
      if (x < 0) return Expected(ctx, "a non-negative number", bytes);
      if (allocation_measured || (!has_metrics && x > 0)) {
        out->push_back(
            SummaryMetric("bytes_allocated_per_op", "bytes", core::Direction::kLower, x));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Parsed ParseBenchmarkDotNet(std::string_view text, const std::string& source) {
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseHarnessJson(
      parser, text, source,
      "the input is empty; expected BenchmarkDotNet's full JSON report, *-report-full.json",
      &root));
  Ctx ctx(source);
  if (root.type() != element_type::OBJECT) {
    return Expected(ctx, "an object (BenchmarkDotNet's full JSON report)", root);
  }
  element benchmarks;
  if (!Lookup(root.get_object().value_unsafe(), "Benchmarks", &benchmarks)) {
    return ctx.Missing("Benchmarks", "an array of benchmarks (is this the full JSON report?)");
  }
  Ctx::Scope benchmarks_scope(&ctx, "Benchmarks");
  if (benchmarks.type() != element_type::ARRAY) {
    return Expected(ctx, "an array of benchmarks", benchmarks);
  }
  auto items = benchmarks.get_array().value_unsafe();

  // Pass 1: names, to find the ones shared by several jobs.
  std::vector<std::string> names;
  std::map<std::string, int> counts;
  size_t index = 0;
  for (element item : items) {
    Ctx::Scope scope(&ctx, index++);
    if (item.type() != element_type::OBJECT) return Expected(ctx, "a benchmark object", item);
    ASSIGN_OR_RETURN(std::string name, BaseName(ctx, item.get_object().value_unsafe()));
    ++counts[name];
    names.push_back(std::move(name));
  }
  if (names.empty()) {
    return base::InvalidInput(
        fmt::format("{}: no benchmark results (\"Benchmarks\" is empty)", source));
  }

  std::vector<core::BenchmarkResult> results;
  std::map<std::string, size_t> seen;
  index = 0;
  for (element item : items) {
    const size_t i = index++;
    Ctx::Scope scope(&ctx, i);
    auto obj = item.get_object().value_unsafe();
    core::BenchmarkResult r;
    r.name = names[i];
    if (counts[r.name] > 1) {
      const std::string display = StringOr(obj, "DisplayInfo");
      if (!display.empty()) r.name += " [" + display + "]";
    }
    if (auto [it, inserted] = seen.emplace(r.name, i); !inserted) {
      return ctx.Fail(fmt::format("benchmark {} was already reported at /Benchmarks/{}",
                                  base::Quote(r.name), it->second));
    }
    ASSIGN_OR_RETURN(std::optional<core::Metric> wall_time, ReadWallTime(ctx, obj));
    if (!wall_time) {
      r.error =
          "BenchmarkDotNet reported no measurements (the benchmark threw or did not run; see "
          "the BenchmarkDotNet log)";
      results.push_back(std::move(r));
      continue;
    }
    r.metrics.push_back(std::move(*wall_time));
    RETURN_IF_ERROR(ReadDiagnosers(ctx, obj, &r.metrics));
    std::sort(r.metrics.begin(), r.metrics.end(),
              [](const core::Metric& a, const core::Metric& b) { return a.name < b.name; });
    for (size_t k = 1; k < r.metrics.size(); ++k) {
      if (r.metrics[k].name == r.metrics[k - 1].name) {
        return ctx.Fail(fmt::format("metric {} is reported twice for this benchmark",
                                    base::Quote(r.metrics[k].name)));
      }
    }
    results.push_back(std::move(r));
  }
  // What the artifact would refuse is refused here, naming the harness output.
  RETURN_IF_ERROR(core::ValidateBenchmarks(results).WithPrefix(source));
  return results;
}

// A JSON object whose opening bytes carry the full exporter's distinctive keys.
bool LooksLikeBenchmarkDotNet(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return false;
  const std::string_view head = text.substr(first, 8192);
  return head.find("\"HostEnvironmentInfo\"") != std::string_view::npos ||
         head.find("\"BenchmarkDotNetVersion\"") != std::string_view::npos;
}

}  // namespace perfledger::adapters
