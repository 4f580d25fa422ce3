// JMH result files (`-rf json`, JSONResultFormat): an array with one object per benchmark,
// mode and parameter combination:
//
//   [{"jmhVersion": "1.37", "benchmark": "org.x.ParseBench.parse", "mode": "avgt",
//     "params": {"size": "1000"},
//     "primaryMetric": {"score": 1.2, "scoreError": 0.1, "scoreConfidence": [1.1, 1.3],
//                       "scorePercentiles": {"0.0": ..., "50.0": ..., "100.0": ...},
//                       "scoreUnit": "ns/op", "rawData": [[fork 1 iterations], [fork 2]]},
//     "secondaryMetrics": {"·gc.alloc.rate": {... same shape ...}}}]
//
// How it maps:
//   - name: "benchmark" alone, or "benchmark:key=value,key=value" with the params in file
//     order. When one name occurs with several modes (@BenchmarkMode({Throughput,
//     AverageTime})), each of those entries gets the mode as a last parameter
//     ("...parse:size=1000,mode=avgt") so names stay unique;
//   - mode avgt, ss, sample -> wall_time; thrpt -> throughput (higher is better). A score unit
//     "<time>/op" becomes the time unit ("ns/op" -> "ns": per operation is what wall_time
//     means everywhere, and the artifact knows "ns" as a time unit); any other unit ("ops/s")
//     is kept as written;
//   - samples: rawData flattened fork-major (fork 1's iterations, then fork 2's, ...);
//   - no rawData (sample mode writes rawDataHistogram: [fork][iteration][[value, count]]):
//     a Summary from the aggregates rather than hundreds of thousands of expanded samples:
//     n = the histogram's total count (1 without a histogram), mean = score, median/min/max
//     = scorePercentiles "50.0"/"0.0"/"100.0", lower/upper = scoreConfidence. JMH writes
//     NaN as the string "NaN" (e.g. scoreError of a single iteration): such optional
//     aggregates are left out;
//   - secondaryMetrics: each under its own name without JMH's leading "·" ("gc.alloc.rate"),
//     unit as written ("MB/sec", "B/op"), the same samples-or-summary rule.
// JMH leaves failed benchmarks out of the file, so there are no structured failures here.
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

Result<double> GetNumber(const Ctx& ctx, element e) {
  auto v = FiniteNumber(e);
  if (!v) return Expected(ctx, "a finite number", e);
  return *v;
}

// The array `e` holds (by value: ranging over get_array().value_unsafe() directly would
// dangle, since it refers into a temporary). `e` must be an array.
simdjson::dom::array Array(element e) { return e.get_array().value_unsafe(); }

Result<simdjson::dom::object> GetObject(const Ctx& ctx, element e, std::string_view what) {
  if (e.type() != element_type::OBJECT) return Expected(ctx, what, e);
  return e.get_object().value_unsafe();
}

Result<std::string> GetString(const Ctx& ctx, element e, std::string_view what) {
  if (e.type() != element_type::STRING) return Expected(ctx, what, e);
  std::string_view s = e.get_string().value_unsafe();
  if (s.empty()) return ctx.Fail(fmt::format("expected {}, got \"\"", what));
  return std::string(s);
}

// An optional aggregate: a finite number under `key`, else nothing.
std::optional<double> OptionalNumber(simdjson::dom::object obj, std::string_view key) {
  element v;
  if (!Lookup(obj, key, &v)) return std::nullopt;
  return FiniteNumber(v);
}

// "ns/op" -> "ns"; other units unchanged.
std::string TimeUnit(const std::string& score_unit) {
  if (base::EndsWith(score_unit, "/op")) {
    std::string head = score_unit.substr(0, score_unit.size() - 3);
    if (core::IsTimeUnit(head)) return head;
  }
  return score_unit;
}

// One JMH metric object (primary or secondary) as a core::Metric named `name`.
Result<core::Metric> ReadMetric(Ctx& ctx, element e, std::string name, bool primary,
                                bool throughput) {
  ASSIGN_OR_RETURN(auto obj, GetObject(ctx, e, "an object with scoreUnit and rawData"));
  core::Metric m;
  m.name = std::move(name);
  m.direction = core::DefaultDirection(m.name);
  element v;
  if (!Lookup(obj, "scoreUnit", &v)) return ctx.Missing("scoreUnit", "a unit such as \"ns/op\"");
  {
    Ctx::Scope scope(&ctx, "scoreUnit");
    ASSIGN_OR_RETURN(std::string unit, GetString(ctx, v, "a unit such as \"ns/op\""));
    m.unit = primary && !throughput ? TimeUnit(unit) : unit;
  }
  if (Lookup(obj, "rawData", &v)) {
    Ctx::Scope scope(&ctx, "rawData");
    if (v.type() != element_type::ARRAY) {
      return Expected(ctx, "an array of forks, each an array of numbers", v);
    }
    size_t fork = 0;
    for (element iterations : Array(v)) {
      Ctx::Scope fork_scope(&ctx, fork++);
      if (iterations.type() != element_type::ARRAY) {
        return Expected(ctx, "an array of numbers (one fork's iterations)", iterations);
      }
      size_t i = 0;
      for (element x : Array(iterations)) {
        Ctx::Scope item(&ctx, i++);
        ASSIGN_OR_RETURN(double sample, GetNumber(ctx, x));
        m.samples.push_back(sample);
      }
    }
    if (m.samples.empty()) return ctx.Fail("expected at least one sample, got none");
    return m;
  }
  // No raw data: the aggregates JMH computed.
  if (!Lookup(obj, "score", &v)) {
    return ctx.Missing("rawData", "raw samples, or at least a \"score\"");
  }
  core::Summary s;
  {
    Ctx::Scope scope(&ctx, "score");
    ASSIGN_OR_RETURN(s.mean, GetNumber(ctx, v));
  }
  s.n = 1;
  if (Lookup(obj, "rawDataHistogram", &v)) {
    Ctx::Scope scope(&ctx, "rawDataHistogram");
    // [fork][iteration][[value, count], ...]
    int64_t total = 0;
    auto bad = [&]() {
      return Expected(ctx, "an array of forks of iterations of [value, count] pairs", v);
    };
    if (v.type() != element_type::ARRAY) return bad();
    for (element fork : Array(v)) {
      if (fork.type() != element_type::ARRAY) return bad();
      for (element iteration : Array(fork)) {
        if (iteration.type() != element_type::ARRAY) return bad();
        for (element pair : Array(iteration)) {
          element count;
          if (pair.type() != element_type::ARRAY || pair.get_array().value_unsafe().size() != 2 ||
              pair.get_array().value_unsafe().at(1).get(count) != simdjson::SUCCESS) {
            return bad();
          }
          auto c = FiniteNumber(count);
          if (!c || *c < 0) return bad();
          total += static_cast<int64_t>(*c);
        }
      }
    }
    if (total > 0) s.n = total;
  }
  if (Lookup(obj, "scorePercentiles", &v) && v.type() == element_type::OBJECT) {
    auto percentiles = v.get_object().value_unsafe();
    s.median = OptionalNumber(percentiles, "50.0");
    s.min = OptionalNumber(percentiles, "0.0");
    s.max = OptionalNumber(percentiles, "100.0");
  }
  if (Lookup(obj, "scoreConfidence", &v) && v.type() == element_type::ARRAY &&
      v.get_array().value_unsafe().size() == 2) {
    auto bounds = v.get_array().value_unsafe();
    auto lower = FiniteNumber(bounds.at(0).value_unsafe());
    auto upper = FiniteNumber(bounds.at(1).value_unsafe());
    if (lower && upper) {
      s.lower = lower;
      s.upper = upper;
    }
  }
  m.summary = s;
  return m;
}

constexpr std::string_view kModes = "\"thrpt\", \"avgt\", \"sample\" or \"ss\"";

struct Entry {
  std::string name;  // benchmark[:params]
  std::string mode;
};

// Name and mode of result `index`, validated; for the disambiguation pre-pass.
Result<Entry> ReadEntry(Ctx& ctx, element e) {
  ASSIGN_OR_RETURN(auto obj,
                   GetObject(ctx, e, "an object with \"benchmark\" and \"primaryMetric\""));
  Entry entry;
  element v;
  if (!Lookup(obj, "benchmark", &v)) {
    return ctx.Missing("benchmark", "the benchmark's name, e.g. \"org.x.MyBench.parse\"");
  }
  {
    Ctx::Scope scope(&ctx, "benchmark");
    ASSIGN_OR_RETURN(entry.name, GetString(ctx, v, "a non-empty string"));
  }
  if (!Lookup(obj, "mode", &v)) return ctx.Missing("mode", kModes);
  {
    Ctx::Scope scope(&ctx, "mode");
    if (v.type() != element_type::STRING) return Expected(ctx, kModes, v);
    entry.mode = std::string(v.get_string().value_unsafe());
    if (entry.mode != "thrpt" && entry.mode != "avgt" && entry.mode != "sample" &&
        entry.mode != "ss") {
      return Expected(ctx, kModes, v);
    }
  }
  if (Lookup(obj, "params", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "params");
    ASSIGN_OR_RETURN(auto params, GetObject(ctx, v, "an object of parameter values"));
    std::string joined;
    for (auto [key, value] : params) {
      Ctx::Scope param(&ctx, key);
      if (value.type() != element_type::STRING) return Expected(ctx, "a string", value);
      if (!joined.empty()) joined += ',';
      joined += fmt::format("{}={}", key, value.get_string().value_unsafe());
    }
    if (!joined.empty()) entry.name += ":" + joined;
  }
  return entry;
}

}  // namespace

Parsed ParseJmh(std::string_view text, const std::string& source) {
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseHarnessJson(parser, text, source,
                                   "the input is empty; expected JMH's -rf json output", &root));
  Ctx ctx(source);
  if (root.type() != element_type::ARRAY) {
    return Expected(ctx, "an array of JMH results (-rf json)", root);
  }
  auto items = root.get_array().value_unsafe();

  // Pass 1: names and modes, to find names that occur with several modes.
  std::vector<Entry> entries;
  std::map<std::string, std::vector<std::string>> modes_by_name;
  size_t index = 0;
  for (element item : items) {
    Ctx::Scope scope(&ctx, index++);
    ASSIGN_OR_RETURN(Entry entry, ReadEntry(ctx, item));
    modes_by_name[entry.name].push_back(entry.mode);
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) {
    return base::InvalidInput(fmt::format("{}: no benchmark results (an empty array)", source));
  }

  std::vector<core::BenchmarkResult> results;
  std::map<std::string, size_t> seen;  // final name -> index
  index = 0;
  for (element item : items) {
    const size_t i = index++;
    Ctx::Scope scope(&ctx, i);
    const Entry& entry = entries[i];
    core::BenchmarkResult r;
    r.name = entry.name;
    const auto& modes = modes_by_name[entry.name];
    if (std::any_of(modes.begin(), modes.end(),
                    [&](const std::string& m) { return m != entry.mode; })) {
      r.name +=
          fmt::format("{}mode={}", r.name.find(':') == std::string::npos ? ":" : ",", entry.mode);
    }
    if (auto [it, inserted] = seen.emplace(r.name, i); !inserted) {
      return ctx.Fail(fmt::format(
          "benchmark {} (mode {}) was already reported at /{} (results of several runs in one "
          "file? pass each run's file separately)",
          base::Quote(r.name), entry.mode, it->second));
    }
    auto obj = item.get_object().value_unsafe();
    element primary;
    if (!Lookup(obj, "primaryMetric", &primary)) {
      return ctx.Missing("primaryMetric", "an object with score, scoreUnit and rawData");
    }
    const bool throughput = entry.mode == "thrpt";
    {
      Ctx::Scope metric_scope(&ctx, "primaryMetric");
      ASSIGN_OR_RETURN(core::Metric m,
                       ReadMetric(ctx, primary, throughput ? "throughput" : "wall_time",
                                  /*primary=*/true, throughput));
      r.metrics.push_back(std::move(m));
    }
    element secondary;
    if (Lookup(obj, "secondaryMetrics", &secondary) && !secondary.is_null()) {
      Ctx::Scope secondary_scope(&ctx, "secondaryMetrics");
      ASSIGN_OR_RETURN(auto metrics, GetObject(ctx, secondary, "an object of metrics"));
      for (auto [key, value] : metrics) {
        Ctx::Scope metric_scope(&ctx, key);
        std::string_view name = key;
        if (base::StartsWith(name, "\xC2\xB7")) name.remove_prefix(2);  // "·gc.alloc.rate"
        if (name.empty()) return ctx.Fail("expected a metric name, got \"\"");
        for (const core::Metric& existing : r.metrics) {
          if (existing.name == name) {
            return ctx.Fail(
                fmt::format("metric {} is reported twice for this benchmark", base::Quote(name)));
          }
        }
        ASSIGN_OR_RETURN(core::Metric m, ReadMetric(ctx, value, std::string(name),
                                                    /*primary=*/false, /*throughput=*/false));
        r.metrics.push_back(std::move(m));
      }
    }
    std::sort(r.metrics.begin(), r.metrics.end(),
              [](const core::Metric& a, const core::Metric& b) { return a.name < b.name; });
    results.push_back(std::move(r));
  }
  // What the artifact would refuse is refused here, naming the harness output.
  RETURN_IF_ERROR(core::ValidateBenchmarks(results).WithPrefix(source));
  return results;
}

// A JSON array whose first result carries JMH's keys; only the opening bytes are examined.
bool LooksLikeJmh(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '[') return false;
  const std::string_view head = text.substr(first, 8192);
  return head.find("\"primaryMetric\"") != std::string_view::npos ||
         (head.find("\"jmhVersion\"") != std::string_view::npos &&
          head.find("\"benchmark\"") != std::string_view::npos);
}

}  // namespace perfledger::adapters
