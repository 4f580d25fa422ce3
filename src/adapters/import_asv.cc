// asv (airspeed velocity) results, as `asv run` writes them under results/:
//   benchmarks.json            {"<name>": {"type", "unit", "param_names", "params", ...}}
//   <machine>/machine.json     {"<machine>": {"arch", "cpu", "machine", "num_cpu", "os",
//                               "ram"}, "version": 1}
//   <machine>/<hash>-<env>.json one commit on one machine in one environment:
//     version 2: {"commit_hash", "env_name", "date", "params": {"machine", ...}, "python",
//                 "result_columns": ["result", "params", "version", "started_at",
//                   "duration", "stats_ci_99_a", "stats_ci_99_b", "stats_q_25",
//                   "stats_q_75", "stats_number", "stats_repeat", "samples", "profile"],
//                 "results": {"<name>": [<one value per column, trailing ones omitted>]}}
//     version 1: "results": {"<name>": <number> | null | {"result": [...], "params": [...],
//                 "samples": [...]?}}, "started_at"/"ended_at": {"<name>": <ms>}
// Each column of a parametrised benchmark holds one value per combination of its parameters
// (the Cartesian product of "params", first parameter slowest). "result" is asv's value: for
// time benchmarks the median of the samples.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "adapters/history_import.h"
#include "adapters/import_support.h"
#include "adapters/json_reading.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "core/artifact.h"

namespace perfledger::adapters {
namespace {

using base::Result;
using simdjson::dom::element;
using simdjson::dom::element_type;
using Ctx = json::Context;

std::optional<std::string> StringMember(simdjson::dom::object obj, std::string_view key) {
  element v;
  if (!json::Lookup(obj, key, &v)) return std::nullopt;
  if (v.type() == element_type::STRING) return std::string(v.get_string().value_unsafe());
  if (json::IsNumber(v)) return base::FormatNumber(json::NumberValue(v));
  return std::nullopt;
}

// asv's machine description ("arch", "cpu", "os", "num_cpu", "ram") as an environment. asv
// writes every field as a string; "ram" is kept as written (its unit differs by asv version).
core::Environment EnvironmentOf(simdjson::dom::object obj) {
  core::Environment env;
  env.arch = StringMember(obj, "arch");
  env.cpu = StringMember(obj, "cpu");
  env.os = StringMember(obj, "os");
  if (auto cores = StringMember(obj, "num_cpu")) {
    char* end = nullptr;
    const long long n = std::strtoll(cores->c_str(), &end, 10);
    if (end != cores->c_str() && *end == '\0' && n > 0) env.cores = n;
  }
  if (auto ram = StringMember(obj, "ram")) {
    std::string quoted;
    base::AppendJsonString(quoted, *ram);
    env.extra_json["ram"] = quoted;
  }
  for (auto& field : {&env.arch, &env.cpu, &env.os}) {
    if (*field && (*field)->empty()) field->reset();
  }
  return env;
}

struct Kind {
  std::string metric, unit;
};

// The metric a benchmark measures: from benchmarks.json's type and unit when it lists the
// benchmark, else from asv's naming convention (the prefix of the last dotted component).
Kind KindOf(std::string_view name, const AsvBenchmarks& benchmarks) {
  std::string type, unit;
  if (auto it = benchmarks.find(name); it != benchmarks.end()) {
    type = it->second.type;
    unit = it->second.unit;
  }
  if (type.empty()) {
    const size_t dot = name.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
    if (last.starts_with("time_") || last.starts_with("timeraw_")) {
      type = "time";
    } else if (last.starts_with("peakmem_")) {
      type = "peakmemory";
    } else if (last.starts_with("mem_")) {
      type = "memory";
    } else {
      type = "track";
    }
  }
  if (type == "time") return {"wall_time", "s"};
  if (type == "peakmemory") return {"max_rss", "bytes"};
  if (type == "memory") return {"memory", "bytes"};
  if (unit.empty() || unit == "unit") unit = "unit";
  if (unit == "seconds") unit = "s";
  return {"value", unit};
}

// A parameter value as asv writes it (Python's repr: "'SequentialRunner'", "10") as part of a
// benchmark name: "SequentialRunner", "10".
std::string ParamText(std::string_view repr) {
  if (repr.size() >= 2 && (repr.front() == '\'' || repr.front() == '"') &&
      repr.back() == repr.front()) {
    repr = repr.substr(1, repr.size() - 2);
  }
  return std::string(repr);
}

// The names of the combinations of `params` (an array of arrays of reprs), in asv's order.
Result<std::vector<std::string>> Combinations(Ctx& ctx, element params) {
  std::vector<std::string> names = {""};
  if (params.is_null()) return names;
  if (params.type() != element_type::ARRAY) {
    return json::Expected(ctx, "an array of parameter value lists", params);
  }
  size_t i = 0;
  for (element values : AsArray(params)) {
    Ctx::Scope item(&ctx, i++);
    if (values.type() != element_type::ARRAY) {
      return json::Expected(ctx, "an array of parameter values", values);
    }
    std::vector<std::string> next;
    for (const std::string& prefix : names) {
      size_t j = 0;
      for (element v : AsArray(values)) {
        Ctx::Scope value_scope(&ctx, j++);
        if (v.type() != element_type::STRING) {
          return json::Expected(ctx, "a parameter value as a string", v);
        }
        next.push_back(prefix + "/" + ParamText(v.get_string().value_unsafe()));
      }
    }
    names = std::move(next);
  }
  return names;
}

// One benchmark's columns, each an array with one entry per parameter combination (or null).
// A column the file does not have is nullopt.
using Col = std::optional<element>;
struct Columns {
  Col result, params, ci_a, ci_b, q25, q75, number, repeat, samples;
  bool has_params = false;
};

bool IsArray(const Col& c) { return c && c->type() == element_type::ARRAY; }

std::optional<double> At(const Col& column, size_t k) {
  if (!IsArray(column)) return std::nullopt;
  element v;
  if (column->at(k).get(v) != simdjson::SUCCESS) return std::nullopt;
  return json::FiniteNumber(v);
}

std::optional<double> Number(const Col& c) { return c ? json::FiniteNumber(*c) : std::nullopt; }

base::Status AddBenchmarks(Ctx& ctx, const std::string& name, const Columns& c,
                           const AsvBenchmarks& benchmarks, base::JsonWriter* details,
                           std::vector<core::BenchmarkResult>* out) {
  std::vector<std::string> combos = {""};
  if (c.has_params) {
    ASSIGN_OR_RETURN(combos, Combinations(ctx, *c.params));
  }
  const Kind kind = KindOf(name, benchmarks);
  const bool listed = IsArray(c.result);
  if (listed && c.result->get_array().value_unsafe().size() != combos.size()) {
    return ctx.Fail(fmt::format("expected {} result{} (one per parameter combination), got {}",
                                combos.size(), combos.size() == 1 ? "" : "s",
                                c.result->get_array().value_unsafe().size()));
  }
  for (size_t k = 0; k < combos.size(); ++k) {
    core::BenchmarkResult b;
    b.name = name + combos[k];
    std::optional<double> value;
    if (listed) {
      value = At(c.result, k);
    } else if (c.result && !c.result->is_null()) {
      value = json::FiniteNumber(*c.result);
      if (!value) return json::Expected(ctx, "a number, an array of numbers or null", *c.result);
    }
    if (!value) {
      b.error = "asv recorded no result (the benchmark failed or was skipped)";
      out->push_back(std::move(b));
      continue;
    }
    core::Metric m;
    m.name = kind.metric;
    m.unit = kind.unit;
    m.direction = core::Direction::kLower;
    element samples;
    if (IsArray(c.samples) && c.samples->at(k).get(samples) == simdjson::SUCCESS &&
        samples.type() == element_type::ARRAY && samples.get_array().value_unsafe().size() > 0) {
      for (element s : AsArray(samples)) {
        if (auto v = json::FiniteNumber(s)) m.samples.push_back(*v);
      }
    }
    const std::optional<double> repeat = At(c.repeat, k);
    if (m.samples.empty() && !repeat) {
      m.samples.push_back(*value);  // one measurement (memory, track): the value itself
    } else if (m.samples.empty()) {
      // asv keeps the median of `repeat` samples and its 99% interval, not the samples: a
      // summary whose mean is that median too, as Summary requires a mean (libtest does the
      // same for the same reason).
      core::Summary s;
      s.n = std::max<int64_t>(1, std::llround(*repeat));
      s.mean = *value;
      s.median = *value;
      s.lower = At(c.ci_a, k);
      s.upper = At(c.ci_b, k);
      m.summary = s;
    }
    const std::optional<double> q25 = At(c.q25, k), q75 = At(c.q75, k), number = At(c.number, k);
    if (q25 || q75 || number) {
      details->Key(b.name).BeginObject();
      if (q25) details->Key("q_25").Number(*q25);
      if (q75) details->Key("q_75").Number(*q75);
      if (number) details->Key("number").Number(*number);
      details->EndObject();
    }
    b.metrics.push_back(std::move(m));
    out->push_back(std::move(b));
  }
  return base::Status::Ok();
}

// The column `key` of a version-2 row (asv leaves trailing empty columns out).
Col Column(simdjson::dom::array row, const std::vector<std::string>& columns,
           std::string_view key) {
  for (size_t i = 0; i < columns.size(); ++i) {
    element v;
    if (columns[i] == key && row.at(i).get(v) == simdjson::SUCCESS) return v;
  }
  return std::nullopt;
}

}  // namespace

base::Result<AsvBenchmarks> ParseAsvBenchmarks(std::string_view text, const std::string& source) {
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseImportJson(parser, text, source, &root));
  Ctx ctx(source);
  if (root.type() != element_type::OBJECT) {
    return json::Expected(ctx, "an object of benchmarks (asv's benchmarks.json)", root);
  }
  AsvBenchmarks out;
  for (auto [key, value] : AsObject(root)) {
    if (value.type() != element_type::OBJECT) continue;  // "version": 2
    auto obj = value.get_object().value_unsafe();
    AsvBenchmarkInfo info;
    info.type = StringMember(obj, "type").value_or("");
    info.unit = StringMember(obj, "unit").value_or("");
    out.emplace(std::string(key), std::move(info));
  }
  return out;
}

base::Result<AsvMachine> ParseAsvMachine(std::string_view text, const std::string& source) {
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseImportJson(parser, text, source, &root));
  Ctx ctx(source);
  if (root.type() != element_type::OBJECT) {
    return json::Expected(ctx, "an object {\"<machine>\": {...}} (asv's machine.json)", root);
  }
  for (auto [key, value] : AsObject(root)) {
    if (value.type() != element_type::OBJECT) continue;  // "version": 1
    AsvMachine m;
    m.name = std::string(key);
    m.environment = EnvironmentOf(value.get_object().value_unsafe());
    return m;
  }
  return ctx.Fail("expected an object {\"<machine>\": {...}}, got no machine in it");
}

base::Result<ImportedRun> ParseAsvResult(std::string_view text, const std::string& source,
                                         const AsvBenchmarks& benchmarks) {
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseImportJson(parser, text, source, &root));
  Ctx ctx(source);
  if (root.type() != element_type::OBJECT) {
    return json::Expected(ctx, "an object with \"commit_hash\" and \"results\" (an asv result)",
                          root);
  }
  auto obj = root.get_object().value_unsafe();
  ImportedRun run;
  run.origin = source;
  element v;
  if (!json::Lookup(obj, "commit_hash", &v)) return ctx.Missing("commit_hash", "the commit's sha");
  {
    Ctx::Scope scope(&ctx, "commit_hash");
    ASSIGN_OR_RETURN(run.commit, ReadCommitSha(ctx, v, "asv writes full shas; is the file cut?"));
  }
  if (json::Lookup(obj, "date", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "date");
    ASSIGN_OR_RETURN(run.commit_time, ReadMillis(ctx, v));
  }
  element params;
  if (json::Lookup(obj, "params", &params) && params.type() == element_type::OBJECT) {
    auto p = params.get_object().value_unsafe();
    run.environment = EnvironmentOf(p);
    run.platform = StringMember(p, "machine").value_or("");
  }
  for (std::string_view key : {"env_name", "python"}) {
    if (auto s = StringMember(obj, key)) {
      std::string quoted;
      base::AppendJsonString(quoted, *s);
      run.environment.extra_json[std::string(key == "env_name" ? "asv_env_name" : key)] = quoted;
    }
  }
  std::vector<std::string> columns;
  element column_names;
  const bool v2 = json::Lookup(obj, "result_columns", &column_names);
  if (v2) {
    Ctx::Scope scope(&ctx, "result_columns");
    if (column_names.type() != element_type::ARRAY) {
      return json::Expected(ctx, "an array of column names", column_names);
    }
    for (element c : AsArray(column_names)) {
      if (c.type() != element_type::STRING) return json::Expected(ctx, "column names", c);
      columns.emplace_back(c.get_string().value_unsafe());
    }
    if (std::find(columns.begin(), columns.end(), "result") == columns.end()) {
      return ctx.Fail("expected a \"result\" column, got none");
    }
  }
  element results;
  if (!json::Lookup(obj, "results", &results)) return ctx.Missing("results", "an object");
  Ctx::Scope scope(&ctx, "results");
  if (results.type() != element_type::OBJECT) return json::Expected(ctx, "an object", results);

  // Version 1 keeps the times of each benchmark in maps beside "results".
  element started_map, ended_map;
  const bool have_started =
      json::Lookup(obj, "started_at", &started_map) && started_map.type() == element_type::OBJECT;
  const bool have_ended =
      json::Lookup(obj, "ended_at", &ended_map) && ended_map.type() == element_type::OBJECT;

  base::JsonWriter details;
  details.BeginObject().Key("asv_results_version").Int(v2 ? 2 : 1).Key("stats").BeginObject();
  std::optional<double> first_ms, last_ms;
  auto note_time = [&](std::optional<double> start, std::optional<double> end) {
    if (start && (!first_ms || *start < *first_ms)) first_ms = start;
    if (end && (!last_ms || *end > *last_ms)) last_ms = end;
  };
  for (auto [key, row] : AsObject(results)) {
    const std::string name(key);
    Ctx::Scope bench(&ctx, key);
    Columns c;
    if (v2) {
      if (row.type() != element_type::ARRAY) {
        return json::Expected(ctx, "an array of the result columns", row);
      }
      auto a = row.get_array().value_unsafe();
      c.result = Column(a, columns, "result");
      c.params = Column(a, columns, "params");
      c.has_params = IsArray(c.params) && c.params->get_array().value_unsafe().size() > 0;
      c.ci_a = Column(a, columns, "stats_ci_99_a");
      c.ci_b = Column(a, columns, "stats_ci_99_b");
      c.q25 = Column(a, columns, "stats_q_25");
      c.q75 = Column(a, columns, "stats_q_75");
      c.number = Column(a, columns, "stats_number");
      c.repeat = Column(a, columns, "stats_repeat");
      c.samples = Column(a, columns, "samples");
      const std::optional<double> start = Number(Column(a, columns, "started_at"));
      const std::optional<double> duration = Number(Column(a, columns, "duration"));
      note_time(start, start && duration ? std::optional<double>(*start + *duration * 1000)
                                         : std::nullopt);
    } else {
      if (row.type() == element_type::OBJECT) {
        auto o = row.get_object().value_unsafe();
        element member;
        if (json::Lookup(o, "result", &member)) c.result = member;
        if (json::Lookup(o, "params", &member)) c.params = member;
        if (json::Lookup(o, "samples", &member)) c.samples = member;
        c.has_params = IsArray(c.params) && c.params->get_array().value_unsafe().size() > 0;
      } else {
        c.result = row;
      }
      element t;
      std::optional<double> start, end;
      if (have_started && json::Lookup(started_map.get_object().value_unsafe(), key, &t)) {
        start = json::FiniteNumber(t);
      }
      if (have_ended && json::Lookup(ended_map.get_object().value_unsafe(), key, &t)) {
        end = json::FiniteNumber(t);
      }
      note_time(start, end);
    }
    RETURN_IF_ERROR(AddBenchmarks(ctx, name, c, benchmarks, &details, &run.benchmarks));
  }
  details.EndObject().EndObject();
  run.details_json = details.Take();
  if (run.benchmarks.empty())
    return base::InvalidInput(source + ": /results: no benchmark results");
  std::sort(run.benchmarks.begin(), run.benchmarks.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (size_t i = 1; i < run.benchmarks.size(); ++i) {
    if (run.benchmarks[i].name == run.benchmarks[i - 1].name) {
      return base::InvalidInput(fmt::format("{}: /results: two results named {}", source,
                                            base::Quote(run.benchmarks[i].name)));
    }
  }
  RETURN_IF_ERROR(core::ValidateBenchmarks(run.benchmarks).WithPrefix(source));
  // When the benchmarks ran: their own start and end times, else the commit's date.
  const base::Timestamp fallback = run.commit_time.value_or(base::Timestamp{});
  run.started_at = first_ms ? base::Timestamp{std::llround(*first_ms) * 1'000'000} : fallback;
  run.finished_at = last_ms ? base::Timestamp{std::llround(*last_ms) * 1'000'000} : run.started_at;
  if (run.finished_at < run.started_at) run.finished_at = run.started_at;
  return run;
}

}  // namespace perfledger::adapters
