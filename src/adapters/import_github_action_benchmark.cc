// github-action-benchmark's data.js, as its gh-pages branch holds it:
//   window.BENCHMARK_DATA = {"lastUpdate": <ms>, "repoUrl": "https://github.com/o/r",
//     "entries": {"<suite>": [{"commit": {"id", "message", "timestamp", "url", ...},
//                             "date": <ms>, "tool": "cargo",
//                             "benches": [{"name", "value", "unit", "range"?, "extra"?}]}]}}
// The action appends one entry per workflow run, so one commit can have several entries (a
// re-run, or one per suite); all of a commit's entries become one run.
//
// What the numbers mean, by tool (the action's own extractors):
//   - cargo, go, googlecpp, catch2, ...: a time per iteration ("ns/iter", "ns/op"); cargo's
//     range "± N" is libtest's max - min spread, kept verbatim, not turned into an interval;
//   - benchmarkjs: operations per second with "±X%" (the relative margin of error, 95%): a
//     summary with lower/upper = value × (1 ∓ X%);
//   - pytest: iterations per second (1 / mean), with "stddev: S" of the time in seconds (a
//     different unit from the value, so kept verbatim) and "mean: ... rounds: N";
//   - customBiggerIsBetter / customSmallerIsBetter: the user's own value, unit and direction.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <tuple>

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

constexpr std::string_view kWhyFull =
    "import needs full commit ids to place each result in history";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A unit of time as perfledger writes it ("sec" -> "s"), or "" when `word` is none.
std::string TimeUnit(std::string_view word) {
  const std::string w = Lower(word);
  static const std::pair<std::string_view, std::string_view> kUnits[] = {
      {"ns", "ns"},           {"nsec", "ns"},     {"nanoseconds", "ns"},
      {"us", "us"},           {"µs", "us"},       {"usec", "us"},
      {"microseconds", "us"}, {"ms", "ms"},       {"msec", "ms"},
      {"milliseconds", "ms"}, {"s", "s"},         {"sec", "s"},
      {"secs", "s"},          {"second", "s"},    {"seconds", "s"},
      {"min", "min"},         {"minutes", "min"}, {"h", "h"},
      {"hours", "h"}};
  for (const auto& [name, unit] : kUnits) {
    if (w == name) return std::string(unit);
  }
  return "";
}

struct MetricKind {
  std::string name, unit;
  bool rate = false;
};

// "ns/iter" -> wall_time in ns; "ops/sec" -> throughput in ops/sec; "milliseconds" ->
// wall_time in ms; anything else -> "value" in the source's unit.
MetricKind KindOfUnit(std::string_view unit) {
  const size_t slash = unit.find('/');
  if (slash != std::string_view::npos) {
    const std::string numerator = TimeUnit(unit.substr(0, slash));
    if (!numerator.empty()) return {"wall_time", numerator, false};
    if (!TimeUnit(unit.substr(slash + 1)).empty()) return {"throughput", std::string(unit), true};
    return {"value", std::string(unit), false};
  }
  if (std::string t = TimeUnit(unit); !t.empty()) return {"wall_time", t, false};
  return {"value", std::string(unit), false};
}

core::Direction DirectionOf(std::string_view tool, const MetricKind& kind) {
  if (tool == "customBiggerIsBetter") return core::Direction::kHigher;
  if (tool == "customSmallerIsBetter") return core::Direction::kLower;
  return kind.rate ? core::Direction::kHigher : core::Direction::kLower;
}

// "rounds: 5" (pytest) or "81 samples" (benchmarkjs) in the extra text: how many measurements
// the value summarises.
std::optional<int64_t> CountInExtra(std::string_view extra) {
  auto number_at = [&](size_t pos) -> std::optional<int64_t> {
    int64_t n = 0;
    const char* begin = extra.data() + pos;
    auto [end, ec] = std::from_chars(begin, extra.data() + extra.size(), n);
    if (ec != std::errc() || end == begin || n < 1) return std::nullopt;
    return n;
  };
  if (size_t p = extra.find("rounds: "); p != std::string_view::npos) return number_at(p + 8);
  if (size_t p = extra.find(" samples"); p != std::string_view::npos) {
    size_t start = p;
    while (start > 0 && std::isdigit(static_cast<unsigned char>(extra[start - 1]))) --start;
    if (start < p) return number_at(start);
  }
  return std::nullopt;
}

// "±0.32%" or "+-1.5%": the relative half-width, 0.0032.
std::optional<double> RelativeRange(std::string_view range) {
  std::string_view r = range;
  auto trim = [&r] {
    while (!r.empty() && std::isspace(static_cast<unsigned char>(r.front()))) r.remove_prefix(1);
    while (!r.empty() && std::isspace(static_cast<unsigned char>(r.back()))) r.remove_suffix(1);
  };
  trim();
  if (r.starts_with("±")) {
    r.remove_prefix(std::string_view("±").size());
  } else if (r.starts_with("+-") || r.starts_with("+/-")) {
    r.remove_prefix(r.starts_with("+-") ? 2 : 3);
  } else {
    return std::nullopt;
  }
  trim();
  if (!r.ends_with('%')) return std::nullopt;
  r.remove_suffix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(r.data(), r.data() + r.size(), v);
  if (ec != std::errc() || end != r.data() + r.size() || v < 0 || v > 100) return std::nullopt;
  return v / 100;
}

struct Value {
  double value;
  std::optional<std::string> range, extra;
};

struct Bench {
  MetricKind kind;
  std::string source_unit;
  core::Direction direction;
  std::string first_pointer;
  std::vector<Value> values;
};

struct CommitAcc {
  ImportedRun run;
  bool have_time = false;
  std::map<std::string, std::string> tools;  // suite -> tool
  std::map<std::string, Bench> benches;
};

Result<std::string> GetString(Ctx& ctx, simdjson::dom::object obj, std::string_view key,
                              std::string_view expected, bool non_empty = true) {
  element v;
  if (!json::Lookup(obj, key, &v)) return ctx.Missing(key, expected);
  Ctx::Scope scope(&ctx, key);
  if (v.type() != element_type::STRING || (non_empty && v.get_string().value_unsafe().empty())) {
    return json::Expected(ctx, expected, v);
  }
  return std::string(v.get_string().value_unsafe());
}

std::optional<std::string> OptionalString(simdjson::dom::object obj, std::string_view key) {
  element v;
  if (!json::Lookup(obj, key, &v) || v.type() != element_type::STRING) return std::nullopt;
  return std::string(v.get_string().value_unsafe());
}

// "https://github.com/hyperium/hyper" -> "hyperium/hyper".
std::string ProjectOfRepoUrl(std::string_view url) {
  while (url.ends_with('/')) url.remove_suffix(1);
  if (url.ends_with(".git")) url.remove_suffix(4);
  const size_t last = url.rfind('/');
  if (last == std::string_view::npos || last == 0) return "";
  const size_t owner = url.rfind('/', last - 1);
  if (owner == std::string_view::npos) return "";
  std::string_view project = url.substr(owner + 1);
  if (project.find(':') != std::string_view::npos || project.size() < 3) return "";
  return std::string(project);
}

base::Status ReadBench(Ctx& ctx, element e, const std::string& suite, const std::string& tool,
                       CommitAcc* acc) {
  if (e.type() != element_type::OBJECT) return json::Expected(ctx, "an object", e);
  auto obj = e.get_object().value_unsafe();
  ASSIGN_OR_RETURN(std::string name, GetString(ctx, obj, "name", "a non-empty string"));
  ASSIGN_OR_RETURN(std::string unit, GetString(ctx, obj, "unit", "a non-empty unit string"));
  element v;
  if (!json::Lookup(obj, "value", &v)) return ctx.Missing("value", "a number");
  std::optional<double> value;
  {
    Ctx::Scope scope(&ctx, "value");
    value = json::FiniteNumber(v);
    if (!value) return json::Expected(ctx, "a finite number", v);
  }
  const std::string full = suite + "/" + name;
  const MetricKind kind = KindOfUnit(unit);
  auto [it, inserted] =
      acc->benches.try_emplace(full, Bench{kind, unit, DirectionOf(tool, kind), ctx.pointer(), {}});
  if (!inserted && it->second.source_unit != unit) {
    return ctx.FailAt("unit",
                      fmt::format("expected {} for {} (as at {} for the same commit), got {}",
                                  base::Quote(it->second.source_unit), base::Quote(full),
                                  it->second.first_pointer, base::Quote(unit)));
  }
  it->second.values.push_back(
      Value{*value, OptionalString(obj, "range"), OptionalString(obj, "extra")});
  return base::Status::Ok();
}

base::Status ReadEntry(Ctx& ctx, element e, const std::string& suite,
                       std::map<std::string, CommitAcc>* commits, const std::string& source) {
  if (e.type() != element_type::OBJECT) return json::Expected(ctx, "an object", e);
  auto obj = e.get_object().value_unsafe();
  element commit;
  if (!json::Lookup(obj, "commit", &commit)) {
    return ctx.Missing("commit", "the commit object (\"id\", \"timestamp\", \"message\")");
  }
  std::string sha;
  std::optional<base::Timestamp> commit_time;
  std::optional<std::string> subject;
  {
    Ctx::Scope scope(&ctx, "commit");
    if (commit.type() != element_type::OBJECT) return json::Expected(ctx, "an object", commit);
    auto c = commit.get_object().value_unsafe();
    element id;
    if (!json::Lookup(c, "id", &id)) return ctx.Missing("id", "the commit's full sha");
    {
      Ctx::Scope id_scope(&ctx, "id");
      ASSIGN_OR_RETURN(sha, ReadCommitSha(ctx, id, kWhyFull));
    }
    if (auto ts = OptionalString(c, "timestamp")) {
      auto parsed = base::ParseRfc3339(*ts);
      if (!parsed.ok()) {
        return ctx.FailAt("timestamp",
                          fmt::format("expected an RFC 3339 time, got {}", base::Quote(*ts)));
      }
      commit_time = *parsed;
    }
    if (auto message = OptionalString(c, "message"); message && !message->empty()) {
      subject = message->substr(0, message->find('\n'));
    }
  }
  element date;
  if (!json::Lookup(obj, "date", &date)) {
    return ctx.Missing("date", "when the benchmark ran, in milliseconds since 1970");
  }
  base::Timestamp measured;
  {
    Ctx::Scope scope(&ctx, "date");
    ASSIGN_OR_RETURN(measured, ReadMillis(ctx, date));
  }
  ASSIGN_OR_RETURN(std::string tool, GetString(ctx, obj, "tool", "the tool's name"));
  element benches;
  if (!json::Lookup(obj, "benches", &benches)) return ctx.Missing("benches", "an array");
  Ctx::Scope scope(&ctx, "benches");
  if (benches.type() != element_type::ARRAY) return json::Expected(ctx, "an array", benches);

  auto [it, inserted] = commits->try_emplace(sha);
  CommitAcc& acc = it->second;
  if (inserted) {
    acc.run.commit = sha;
    acc.run.origin = fmt::format("{}: {}", source, ctx.pointer());
  }
  if (!acc.run.commit_time && commit_time) acc.run.commit_time = commit_time;
  if (!acc.run.subject && subject) acc.run.subject = subject;
  if (!acc.have_time || measured < acc.run.started_at) acc.run.started_at = measured;
  if (!acc.have_time || measured > acc.run.finished_at) acc.run.finished_at = measured;
  acc.have_time = true;
  acc.tools.emplace(suite, tool);
  size_t i = 0;
  for (element b : AsArray(benches)) {
    Ctx::Scope item(&ctx, i++);
    RETURN_IF_ERROR(ReadBench(ctx, b, suite, tool, &acc));
  }
  return base::Status::Ok();
}

core::Metric MetricOf(const Bench& b) {
  core::Metric m;
  m.name = b.kind.name;
  m.unit = b.kind.unit;
  m.direction = b.direction;
  if (b.values.size() > 1) {
    for (const Value& v : b.values) m.samples.push_back(v.value);
    return m;
  }
  const Value& v = b.values.front();
  core::Summary s;
  s.n = v.extra ? CountInExtra(*v.extra).value_or(1) : 1;
  s.mean = v.value;
  if (v.range) {
    if (std::optional<double> rel = RelativeRange(*v.range)) {
      s.lower = v.value * (1 - *rel);
      s.upper = v.value * (1 + *rel);
    }
  }
  m.summary = s;
  return m;
}

// {"tool": {"<suite>": "cargo"}, "benches": {"<name>": {"unit": "ns/iter",
//  "range": ["± 8021"], "extra": [...]}}}: the source's words, for every benchmark that had
// any beyond its value (the unit only where perfledger renamed it).
std::string Details(const CommitAcc& acc) {
  base::JsonWriter w;
  w.BeginObject().Key("tool").BeginObject();
  for (const auto& [suite, tool] : acc.tools) w.Key(suite).String(tool);
  w.EndObject().Key("benches").BeginObject();
  for (const auto& [name, b] : acc.benches) {
    const bool renamed = b.kind.unit != b.source_unit;
    const bool any_range = std::any_of(b.values.begin(), b.values.end(),
                                       [](const Value& v) { return v.range.has_value(); });
    const bool any_extra = std::any_of(b.values.begin(), b.values.end(),
                                       [](const Value& v) { return v.extra.has_value(); });
    if (!renamed && !any_range && !any_extra) continue;
    w.Key(name).BeginObject();
    if (renamed) w.Key("unit").String(b.source_unit);
    if (any_range) {
      w.Key("range").BeginArray();
      for (const Value& v : b.values) v.range ? w.String(*v.range) : w.Null();
      w.EndArray();
    }
    if (any_extra) {
      w.Key("extra").BeginArray();
      for (const Value& v : b.values) v.extra ? w.String(*v.extra) : w.Null();
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

// data.js is JavaScript: `window.BENCHMARK_DATA = {...}` with perhaps a trailing ";". Blanks
// the assignment (keeping line and column numbers) so what remains is JSON; plain JSON (a
// data.json) is taken as it is.
Result<std::string> JsonOfDataJs(std::string_view text, const std::string& source) {
  std::string json(text);
  const size_t brace = json.find('{');
  if (brace == std::string::npos) {
    return base::InvalidInput(
        source + ": expected github-action-benchmark's data.js (window.BENCHMARK_DATA = {...})");
  }
  std::string_view head = std::string_view(json).substr(0, brace);
  const size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos) {
    std::string_view assignment = head.substr(first);
    while (!assignment.empty() && std::isspace(static_cast<unsigned char>(assignment.back()))) {
      assignment.remove_suffix(1);
    }
    if (!assignment.ends_with('=') ||
        assignment.substr(0, assignment.size() - 1).find("BENCHMARK_DATA") ==
            std::string_view::npos) {
      return base::InvalidInput(source +
                                ":1: expected `window.BENCHMARK_DATA = {` or a JSON object");
    }
    for (size_t i = first; i < brace; ++i) {
      if (json[i] != '\n') json[i] = ' ';
    }
  }
  const size_t last = json.find_last_not_of(" \t\r\n");
  if (last != std::string::npos && json[last] == ';') json[last] = ' ';
  return json;
}

}  // namespace

ImportedRuns ParseGithubActionBenchmark(std::string_view text, const std::string& source) {
  ASSIGN_OR_RETURN(const std::string json_text, JsonOfDataJs(text, source));
  simdjson::dom::parser parser;
  element root;
  RETURN_IF_ERROR(ParseImportJson(parser, json_text, source, &root));
  Ctx ctx(source);
  if (root.type() != element_type::OBJECT) {
    return json::Expected(ctx, "an object with \"entries\" (github-action-benchmark data)", root);
  }
  auto obj = root.get_object().value_unsafe();
  std::string project;
  if (auto url = OptionalString(obj, "repoUrl")) project = ProjectOfRepoUrl(*url);
  element entries;
  if (!json::Lookup(obj, "entries", &entries)) {
    return ctx.Missing("entries", "an object of benchmark suites");
  }
  Ctx::Scope scope(&ctx, "entries");
  if (entries.type() != element_type::OBJECT) {
    return json::Expected(ctx, "an object of benchmark suites", entries);
  }
  std::map<std::string, CommitAcc> commits;
  for (auto [key, suite] : AsObject(entries)) {
    const std::string suite_name(key);
    Ctx::Scope suite_scope(&ctx, key);
    if (suite_name.empty()) return ctx.Fail("expected a suite name, got an empty key");
    if (suite.type() != element_type::ARRAY) {
      return json::Expected(ctx, "an array of entries", suite);
    }
    size_t i = 0;
    for (element e : AsArray(suite)) {
      Ctx::Scope item(&ctx, i++);
      RETURN_IF_ERROR(ReadEntry(ctx, e, suite_name, &commits, source));
    }
  }
  std::vector<ImportedRun> out;
  for (auto& [sha, acc] : commits) {
    if (acc.benches.empty()) continue;
    acc.run.project = project;
    acc.run.details_json = Details(acc);
    for (const auto& [name, b] : acc.benches) {
      core::BenchmarkResult r;
      r.name = name;
      r.metrics.push_back(MetricOf(b));
      acc.run.benchmarks.push_back(std::move(r));
    }
    RETURN_IF_ERROR(core::ValidateBenchmarks(acc.run.benchmarks).WithPrefix(acc.run.origin));
    out.push_back(std::move(acc.run));
  }
  if (out.empty()) return base::InvalidInput(source + ": /entries: no benchmark results");
  std::sort(out.begin(), out.end(), [](const ImportedRun& a, const ImportedRun& b) {
    return std::tie(a.started_at, a.commit) < std::tie(b.started_at, b.commit);
  });
  return out;
}

}  // namespace perfledger::adapters
