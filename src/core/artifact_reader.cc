// Reading artifacts (core/artifact.h): simdjson, every field checked, each rejection one line
// naming the source, the JSON pointer, what was expected and what was found. About 650 lines,
// on purpose: one reader per section of the format, and the structure check beside the
// readers whose keys it must list (a key added to one and not the other is the bug to avoid).

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "base/json_writer.h"
#include "base/strings.h"
#include "core/artifact.h"
#include "core/json_reading.h"
#include "core/limits.h"

namespace perfledger::core {
namespace {

using base::InvalidInput;
using base::JsonWriter;
using base::Result;
using base::Status;
using simdjson::dom::element;
using simdjson::dom::element_type;

// --- Reading -------------------------------------------------------------------------------

// Artifacts document every required field, so a missing one is worded as such.
using Ctx = json::Context;
using json::Describe;
using json::Expected;
using json::IsNumber;
using json::Lookup;
using json::NumberValue;
constexpr std::string_view kMissing = "missing required field";

Result<std::string> GetString(const Ctx& ctx, element e, bool non_empty = true,
                              size_t max_bytes = kMaxNameBytes) {
  if (e.type() != element_type::STRING) {
    return Expected(ctx, non_empty ? "a non-empty string" : "a string", e);
  }
  std::string_view s = e.get_string().value_unsafe();
  if (non_empty && s.empty()) return ctx.Fail("expected a non-empty string, got \"\"");
  if (s.size() > max_bytes) {
    return ctx.Fail(fmt::format("expected at most {} bytes, got a string of {} bytes ({}...)",
                                max_bytes, s.size(), base::Quote(s.substr(0, 24))));
  }
  return std::string(s);
}

// JSON Schema's "integer": any number without a fractional part.
Result<int64_t> GetInteger(const Ctx& ctx, element e, int64_t min, std::string_view what) {
  if (e.type() == element_type::INT64) {
    int64_t v = e.get_int64().value_unsafe();
    if (v >= min) return v;
  } else if (e.type() == element_type::DOUBLE) {
    double d = e.get_double().value_unsafe();
    if (std::isfinite(d) && d == std::trunc(d) && d >= static_cast<double>(min) && d < 9.2e18) {
      return static_cast<int64_t>(d);
    }
  }
  return Expected(ctx, what, e);
}

Result<std::string> GetSha(const Ctx& ctx, element e) {
  if (e.type() != element_type::STRING || !base::IsSha1Hex(e.get_string().value_unsafe())) {
    return Expected(ctx, "a commit sha of 40 hexadecimal digits", e);
  }
  std::string sha(e.get_string().value_unsafe());
  std::transform(sha.begin(), sha.end(), sha.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return sha;
}

Result<base::Timestamp> GetTime(const Ctx& ctx, element e) {
  if (e.type() != element_type::STRING) {
    return Expected(ctx, "an RFC 3339 date-time string such as \"2026-11-22T10:04:00Z\"", e);
  }
  auto t = base::ParseRfc3339(e.get_string().value_unsafe());
  if (!t.ok()) return ctx.Fail(t.status().message());
  return *t;
}

Result<simdjson::dom::object> GetObject(const Ctx& ctx, element e) {
  if (e.type() != element_type::OBJECT) return Expected(ctx, "an object", e);
  return e.get_object().value_unsafe();
}

// A finite number; for time units also non-negative.
Result<double> GetMeasurement(const Ctx& ctx, element e, bool time_unit) {
  if (!IsNumber(e)) {
    return Expected(ctx, time_unit ? "a non-negative number" : "a number", e);
  }
  double v = NumberValue(e);
  if (!std::isfinite(v)) return Expected(ctx, "a finite number", e);
  if (time_unit && v < 0) {
    return ctx.Fail(fmt::format("expected a non-negative time, got {}", base::FormatNumber(v)));
  }
  return v;
}

Result<Summary> ReadSummary(Ctx& ctx, element e, bool time_unit) {
  ASSIGN_OR_RETURN(auto obj, GetObject(ctx, e));
  Summary s;
  element v;
  if (!Lookup(obj, "n", &v)) return ctx.Missing("n", "the number of samples summarised");
  {
    Ctx::Scope scope(&ctx, "n");
    ASSIGN_OR_RETURN(s.n, GetInteger(ctx, v, 1, "a positive integer"));
  }
  if (!Lookup(obj, "mean", &v)) return ctx.Missing("mean", "a number");
  {
    Ctx::Scope scope(&ctx, "mean");
    ASSIGN_OR_RETURN(s.mean, GetMeasurement(ctx, v, time_unit));
  }
  struct Optional {
    std::string_view key;
    std::optional<double>* field;
    bool non_negative;
  };
  const Optional optionals[] = {
      {"stddev", &s.stddev, true}, {"median", &s.median, time_unit}, {"min", &s.min, time_unit},
      {"max", &s.max, time_unit},  {"lower", &s.lower, time_unit},   {"upper", &s.upper, time_unit},
  };
  for (const auto& o : optionals) {
    if (!Lookup(obj, o.key, &v) || v.is_null()) continue;
    Ctx::Scope scope(&ctx, o.key);
    ASSIGN_OR_RETURN(*o.field, GetMeasurement(ctx, v, o.non_negative));
  }
  return s;
}

Result<Metric> ReadMetric(Ctx& ctx, std::string_view name, element e) {
  Metric m;
  m.name = std::string(name);
  if (name.empty()) return ctx.Fail("expected a non-empty metric name");
  if (name.size() > kMaxMetricNameBytes) {
    return ctx.Fail(fmt::format("expected a metric name of at most {} bytes, got {} bytes",
                                kMaxMetricNameBytes, name.size()));
  }
  ASSIGN_OR_RETURN(auto obj, GetObject(ctx, e));
  element v;
  if (!Lookup(obj, "unit", &v)) return ctx.Missing("unit", "a unit such as \"ns\" or \"count\"");
  {
    Ctx::Scope scope(&ctx, "unit");
    ASSIGN_OR_RETURN(m.unit, GetString(ctx, v, true, kMaxUnitBytes));
  }
  const bool time_unit = IsTimeUnit(m.unit);
  m.direction = DefaultDirection(m.name);
  if (Lookup(obj, "direction", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "direction");
    std::string_view d;
    if (v.get_string().get(d) != simdjson::SUCCESS || (d != "lower" && d != "higher")) {
      return Expected(ctx, "\"lower\" or \"higher\"", v);
    }
    m.direction = d == "higher" ? Direction::kHigher : Direction::kLower;
  }
  element samples, summary;
  const bool has_samples = Lookup(obj, "samples", &samples);
  const bool has_summary = Lookup(obj, "summary", &summary);
  if (has_samples) {
    Ctx::Scope scope(&ctx, "samples");
    if (samples.type() != element_type::ARRAY) {
      return Expected(ctx, "an array of numbers", samples);
    }
    auto arr = samples.get_array().value_unsafe();
    if (arr.size() == 0) return ctx.Fail("expected at least one sample, got an empty array");
    if (arr.size() > kMaxSamplesPerMetric) {
      return ctx.Fail(
          fmt::format("expected at most {} samples, got {}", kMaxSamplesPerMetric, arr.size()));
    }
    m.samples.reserve(arr.size());
    size_t i = 0;
    for (element s : arr) {
      Ctx::Scope item(&ctx, i++);
      ASSIGN_OR_RETURN(double x, GetMeasurement(ctx, s, time_unit));
      m.samples.push_back(x);
    }
  }
  if (has_summary) {
    // Validated even beside samples, so what the schema rejects the reader rejects too; kept
    // only without samples (raw samples are what analysis uses).
    Ctx::Scope scope(&ctx, "summary");
    ASSIGN_OR_RETURN(Summary s, ReadSummary(ctx, summary, time_unit));
    if (!has_samples) m.summary = s;
  }
  if (!has_samples && !has_summary) {
    return ctx.Fail("expected \"samples\" (an array of numbers) or a \"summary\", got neither");
  }
  return m;
}

Result<BenchmarkResult> ReadBenchmark(Ctx& ctx, element e) {
  ASSIGN_OR_RETURN(auto obj, GetObject(ctx, e));
  BenchmarkResult b;
  element v;
  if (!Lookup(obj, "name", &v)) return ctx.Missing("name", "the benchmark's name");
  {
    Ctx::Scope scope(&ctx, "name");
    ASSIGN_OR_RETURN(b.name, GetString(ctx, v));
  }
  if (Lookup(obj, "error", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "error");
    ASSIGN_OR_RETURN(b.error, GetString(ctx, v, /*non_empty=*/false, kMaxErrorBytes));
  }
  if (!Lookup(obj, "metrics", &v)) {
    return ctx.Missing("metrics", "an object of metrics by name");
  }
  Ctx::Scope scope(&ctx, "metrics");
  ASSIGN_OR_RETURN(auto metrics, GetObject(ctx, v));
  if (metrics.size() > kMaxMetricsPerBenchmark) {
    return ctx.Fail(fmt::format("expected at most {} metrics, got {}", kMaxMetricsPerBenchmark,
                                metrics.size()));
  }
  for (auto field : metrics) {
    Ctx::Scope metric_scope(&ctx, field.key);
    ASSIGN_OR_RETURN(Metric m, ReadMetric(ctx, field.key, field.value));
    b.metrics.push_back(std::move(m));
  }
  if (b.metrics.empty() && !b.error) {
    return ctx.Fail("expected at least one metric (or an \"error\" for a failed benchmark)");
  }
  std::sort(b.metrics.begin(), b.metrics.end(),
            [](const Metric& a, const Metric& c) { return a.name < c.name; });
  for (size_t i = 1; i < b.metrics.size(); ++i) {
    if (b.metrics[i].name == b.metrics[i - 1].name) {
      Ctx::Scope dup(&ctx, b.metrics[i].name);
      return ctx.Fail("duplicate metric name in one benchmark");
    }
  }
  return b;
}

Result<Environment> ReadEnvironmentElement(Ctx& ctx, element e) {
  ASSIGN_OR_RETURN(auto obj, GetObject(ctx, e));
  Environment env;
  for (auto field : obj) {
    std::string_view key = field.key;
    element v = field.value;
    Ctx::Scope scope(&ctx, key);
    std::optional<std::string>* str = nullptr;
    if (key == "provider") str = &env.provider;
    if (key == "runner") str = &env.runner;
    if (key == "os") str = &env.os;
    if (key == "kernel") str = &env.kernel;
    if (key == "arch") str = &env.arch;
    if (key == "cpu") str = &env.cpu;
    if (v.is_null()) continue;  // a null field is the same as an absent one
    if (str != nullptr) {
      ASSIGN_OR_RETURN(*str, GetString(ctx, v, /*non_empty=*/false, kMaxStringBytes));
    } else if (key == "ci") {
      if (v.type() != element_type::BOOL) return Expected(ctx, "true or false", v);
      env.ci = v.get_bool().value_unsafe();
    } else if (key == "cores") {
      ASSIGN_OR_RETURN(env.cores, GetInteger(ctx, v, 1, "a positive integer"));
    } else if (key == "memory_bytes") {
      ASSIGN_OR_RETURN(env.memory_bytes, GetInteger(ctx, v, 0, "a non-negative integer"));
    } else if (key == "fingerprint") {
      ASSIGN_OR_RETURN(env.fingerprint, GetString(ctx, v));
    } else {
      env.extra_json[std::string(key)] = simdjson::minify(v);
    }
  }
  if (env.fingerprint.empty()) env.fingerprint = ComputeFingerprint(env);
  return env;
}

Result<SuiteRef> ReadSuiteElement(Ctx& ctx, element e) {
  element v;
  ASSIGN_OR_RETURN(auto suite, GetObject(ctx, e));
  SuiteRef ref;
  if (!Lookup(suite, "name", &v)) return ctx.Missing("name", "the suite's name");
  {
    Ctx::Scope s(&ctx, "name");
    ASSIGN_OR_RETURN(ref.name, GetString(ctx, v));
  }
  if (!Lookup(suite, "revision", &v)) return ctx.Missing("revision", "a non-negative integer");
  {
    Ctx::Scope s(&ctx, "revision");
    ASSIGN_OR_RETURN(ref.revision, GetInteger(ctx, v, 0, "a non-negative integer"));
  }
  if (Lookup(suite, "definitions", &v) && !v.is_null()) {
    Ctx::Scope s(&ctx, "definitions");
    ASSIGN_OR_RETURN(auto defs, GetObject(ctx, v));
    for (auto field : defs) {
      Ctx::Scope d(&ctx, field.key);
      if (field.key.empty()) return ctx.Fail("expected a benchmark name, got an empty key");
      ASSIGN_OR_RETURN(std::string hash, GetString(ctx, field.value));
      ref.definitions[std::string(field.key)] = std::move(hash);
    }
  }
  if (Lookup(suite, "epoch", &v) && !v.is_null()) {
    Ctx::Scope s(&ctx, "epoch");
    ASSIGN_OR_RETURN(auto epoch_obj, GetObject(ctx, v));
    EpochRef epoch;
    if (!Lookup(epoch_obj, "number", &v)) return ctx.Missing("number", "a positive integer");
    {
      Ctx::Scope n(&ctx, "number");
      ASSIGN_OR_RETURN(epoch.number, GetInteger(ctx, v, 1, "a positive integer"));
    }
    if (Lookup(epoch_obj, "settings", &v) && !v.is_null()) {
      Ctx::Scope n(&ctx, "settings");
      ASSIGN_OR_RETURN(auto settings, GetObject(ctx, v));
      for (auto field : settings) {
        epoch.settings[std::string(field.key)] = simdjson::minify(field.value);
      }
    }
    ref.epoch = std::move(epoch);
  }
  return ref;
}

bool IsPlatformName(std::string_view p) {
  if (p.empty() || p.size() > 128 || p[0] == '.' || p[0] == '-') return false;
  for (char c : p) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

// Before any field is read: no object holds a key twice (simdjson, like most readers, would
// silently take the first, so two tools could read one file differently), nothing is nested
// deeper than kMaxJsonDepth, no object or array and no string is beyond its generic limit.
// The path is kept as a stack of references and made a JSON pointer only for a refusal.
class StructureCheck {
 public:
  explicit StructureCheck(const Ctx& ctx) : ctx_(ctx) {}

  Status Check(element e) {
    switch (e.type()) {
      case element_type::OBJECT: {
        if (path_.size() >= kMaxJsonDepth) return Fail("expected at most 64 levels of nesting");
        auto obj = e.get_object().value_unsafe();
        const size_t n = obj.size();
        if (n > kMaxObjectMembers && !InSamples()) {
          return Fail(fmt::format("expected at most {} members, got {}", kMaxObjectMembers, n));
        }
        if (n > 1) {
          std::vector<std::string_view> sorted;
          sorted.reserve(n);
          for (auto field : obj) sorted.push_back(field.key);
          std::sort(sorted.begin(), sorted.end());
          const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
          if (dup != sorted.end()) {
            const std::string_view key = *dup;
            path_.push_back({key, 0, true});
            return Fail(
                fmt::format("duplicate key {} in one object (which one counts would "
                            "depend on the reader)",
                            base::Quote(key)));
          }
        }
        for (auto field : obj) {
          if (field.key.size() > kMaxStringBytes) {
            return Fail(fmt::format("expected keys of at most {} bytes, got one of {} bytes",
                                    kMaxStringBytes, field.key.size()));
          }
          path_.push_back({field.key, 0, true});
          RETURN_IF_ERROR(Check(field.value));
          path_.pop_back();
        }
        return Status::Ok();
      }
      case element_type::ARRAY: {
        if (path_.size() >= kMaxJsonDepth) return Fail("expected at most 64 levels of nesting");
        auto arr = e.get_array().value_unsafe();
        const size_t limit = std::max(kMaxSamplesPerMetric, kMaxBenchmarksPerRun);
        if (arr.size() > limit) {
          return Fail(fmt::format("expected at most {} items, got {}", limit, arr.size()));
        }
        size_t i = 0;
        for (element item : arr) {
          const auto t = item.type();
          if (t == element_type::OBJECT || t == element_type::ARRAY || t == element_type::STRING) {
            path_.push_back({{}, i, false});
            RETURN_IF_ERROR(Check(item));
            path_.pop_back();
          }
          ++i;
        }
        return Status::Ok();
      }
      case element_type::STRING: {
        const size_t n = e.get_string().value_unsafe().size();
        // Named strings have tighter limits, checked where they are read.
        if (n > std::max(kMaxStringBytes, kMaxErrorBytes)) {
          return Fail(fmt::format("expected a string of at most {} bytes, got {} bytes",
                                  std::max(kMaxStringBytes, kMaxErrorBytes), n));
        }
        return Status::Ok();
      }
      default:
        return Status::Ok();
    }
  }

 private:
  struct Step {
    std::string_view key;
    size_t index;
    bool is_key;
  };

  bool InSamples() const {
    return !path_.empty() && path_.back().is_key && path_.back().key == "samples";
  }

  Status Fail(std::string_view what) const {
    std::string pointer;
    for (const Step& s : path_) {
      pointer += '/';
      pointer += s.is_key ? base::JsonPointerToken(s.key) : std::to_string(s.index);
    }
    return ctx_.FailAt(pointer, what);
  }

  const Ctx& ctx_;
  std::vector<Step> path_;
};

Result<Run> ReadRun(Ctx& ctx, element root) {
  RETURN_IF_ERROR(StructureCheck(ctx).Check(root));
  ASSIGN_OR_RETURN(auto obj, GetObject(ctx, root));
  Run run;
  element v;

  if (!Lookup(obj, "version", &v)) return ctx.Missing("version", "2");
  int64_t version;
  {
    Ctx::Scope scope(&ctx, "version");
    auto ver = GetInteger(ctx, v, 1, "");
    if (!ver.ok() || (*ver != 1 && *ver != 2)) {
      return Expected(ctx, "2 (or 1, which is upgraded)", v);
    }
    version = *ver;
  }

  if (!Lookup(obj, "run_id", &v)) return ctx.Missing("run_id", "a UUID");
  {
    Ctx::Scope scope(&ctx, "run_id");
    if (v.type() != element_type::STRING || !base::IsUuid(v.get_string().value_unsafe())) {
      return Expected(ctx, "a UUID such as \"0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3a\"", v);
    }
    run.run_id = std::string(v.get_string().value_unsafe());
    std::transform(run.run_id.begin(), run.run_id.end(), run.run_id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }

  if (!Lookup(obj, "project", &v)) return ctx.Missing("project", "the project's name");
  {
    Ctx::Scope scope(&ctx, "project");
    ASSIGN_OR_RETURN(run.project, GetString(ctx, v));
  }

  if (!Lookup(obj, "commit", &v)) return ctx.Missing("commit", "an object with \"sha\"");
  {
    Ctx::Scope scope(&ctx, "commit");
    ASSIGN_OR_RETURN(auto commit, GetObject(ctx, v));
    if (!Lookup(commit, "sha", &v)) return ctx.Missing("sha", "40 hexadecimal digits");
    {
      Ctx::Scope s(&ctx, "sha");
      ASSIGN_OR_RETURN(run.commit.sha, GetSha(ctx, v));
    }
    if (Lookup(commit, "branch", &v) && !v.is_null()) {
      Ctx::Scope s(&ctx, "branch");
      ASSIGN_OR_RETURN(run.commit.branch, GetString(ctx, v));
    }
    if (Lookup(commit, "time", &v) && !v.is_null()) {
      Ctx::Scope s(&ctx, "time");
      ASSIGN_OR_RETURN(run.commit.time, GetTime(ctx, v));
    }
    if (Lookup(commit, "subject", &v) && !v.is_null()) {
      Ctx::Scope s(&ctx, "subject");
      ASSIGN_OR_RETURN(run.commit.subject,
                       GetString(ctx, v, /*non_empty=*/false, kMaxSubjectBytes));
    }
  }

  run.commit_range = CommitRange{std::nullopt, run.commit.sha, 1};
  if (Lookup(obj, "commit_range", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "commit_range");
    ASSIGN_OR_RETURN(auto range, GetObject(ctx, v));
    if (Lookup(range, "from", &v) && !v.is_null()) {
      Ctx::Scope s(&ctx, "from");
      ASSIGN_OR_RETURN(run.commit_range.from, GetSha(ctx, v));
    }
    if (!Lookup(range, "to", &v)) return ctx.Missing("to", "the run's commit sha");
    {
      Ctx::Scope s(&ctx, "to");
      ASSIGN_OR_RETURN(run.commit_range.to, GetSha(ctx, v));
      if (run.commit_range.to != run.commit.sha) {
        return ctx.Fail(
            fmt::format("expected the run's commit {} (the range ends at the run's "
                        "commit), got {}",
                        run.commit.sha, base::Quote(run.commit_range.to)));
      }
    }
    if (!Lookup(range, "count", &v)) return ctx.Missing("count", "a positive integer");
    {
      Ctx::Scope s(&ctx, "count");
      ASSIGN_OR_RETURN(run.commit_range.count, GetInteger(ctx, v, 1, "a positive integer"));
    }
  }

  if (Lookup(obj, "reason", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "reason");
    std::string_view r;
    std::optional<Reason> reason;
    if (v.get_string().get(r) == simdjson::SUCCESS) reason = ParseReason(r);
    if (!reason) return Expected(ctx, "one of " + ReasonList(), v);
    run.reason = *reason;
  } else if (version >= 2) {
    return ctx.Missing("reason", "one of " + ReasonList());
  } else {
    run.reason = Reason::kBackfill;
    run.reason_detail = "upgraded from artifact version 1";
  }
  if (Lookup(obj, "reason_detail", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "reason_detail");
    ASSIGN_OR_RETURN(run.reason_detail, GetString(ctx, v, /*non_empty=*/false, kMaxSubjectBytes));
  }

  if (!Lookup(obj, "platform", &v)) {
    return ctx.Missing("platform", "a platform label such as \"x86-64-linux\"");
  }
  {
    Ctx::Scope scope(&ctx, "platform");
    if (v.type() != element_type::STRING || !IsPlatformName(v.get_string().value_unsafe())) {
      return Expected(ctx,
                      "a platform label of letters, digits, '.', '_' and '-' such as "
                      "\"x86-64-linux\"",
                      v);
    }
    run.platform = std::string(v.get_string().value_unsafe());
  }

  if (Lookup(obj, "suite", &v) && !v.is_null()) {
    Ctx::Scope scope(&ctx, "suite");
    ASSIGN_OR_RETURN(run.suite, ReadSuiteElement(ctx, v));
  }

  if (!Lookup(obj, "environment", &v)) {
    return ctx.Missing("environment", "an object describing the machine");
  }
  {
    Ctx::Scope scope(&ctx, "environment");
    ASSIGN_OR_RETURN(run.environment, ReadEnvironmentElement(ctx, v));
  }

  if (!Lookup(obj, "started_at", &v)) return ctx.Missing("started_at", "an RFC 3339 date-time");
  {
    Ctx::Scope scope(&ctx, "started_at");
    ASSIGN_OR_RETURN(run.started_at, GetTime(ctx, v));
  }
  if (!Lookup(obj, "finished_at", &v)) return ctx.Missing("finished_at", "an RFC 3339 date-time");
  {
    Ctx::Scope scope(&ctx, "finished_at");
    ASSIGN_OR_RETURN(run.finished_at, GetTime(ctx, v));
  }

  if (!Lookup(obj, "benchmarks", &v)) return ctx.Missing("benchmarks", "an array of benchmarks");
  {
    Ctx::Scope scope(&ctx, "benchmarks");
    if (v.type() != element_type::ARRAY) return Expected(ctx, "an array of benchmarks", v);
    auto arr = v.get_array().value_unsafe();
    if (arr.size() == 0) return ctx.Fail("expected at least one benchmark, got an empty array");
    if (arr.size() > kMaxBenchmarksPerRun) {
      return ctx.Fail(fmt::format("expected at most {} benchmarks in one run, got {}",
                                  kMaxBenchmarksPerRun, arr.size()));
    }
    run.benchmarks.reserve(arr.size());
    size_t i = 0;
    for (element b : arr) {
      Ctx::Scope item(&ctx, i++);
      ASSIGN_OR_RETURN(BenchmarkResult r, ReadBenchmark(ctx, b));
      run.benchmarks.push_back(std::move(r));
    }
    // Names must be unique; report the later of two entries by its original index.
    std::vector<size_t> order(run.benchmarks.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return run.benchmarks[a].name < run.benchmarks[b].name;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const auto& name = run.benchmarks[order[k]].name;
      if (name == run.benchmarks[order[k - 1]].name) {
        Ctx::Scope item(&ctx, order[k]);
        Ctx::Scope n(&ctx, "name");
        return ctx.Fail(fmt::format("duplicate benchmark name {} (also at index {})",
                                    base::Quote(name), order[k - 1]));
      }
    }
    std::vector<BenchmarkResult> sorted;
    sorted.reserve(order.size());
    for (size_t k : order) sorted.push_back(std::move(run.benchmarks[k]));
    run.benchmarks = std::move(sorted);
  }
  return run;
}

}  // namespace

struct ArtifactReader::Impl {
  simdjson::dom::parser parser;
};

ArtifactReader::ArtifactReader() : impl_(std::make_unique<Impl>()) {}
ArtifactReader::~ArtifactReader() = default;

Result<Run> ArtifactReader::Read(std::string_view json, std::string_view source,
                                 std::string_view base_pointer) {
  element root;
  auto error = impl_->parser.parse(json.data(), json.size(), true).get(root);
  if (error != simdjson::SUCCESS) return json::SyntaxError(json, source, error);
  Ctx ctx(source, base_pointer, kMissing);
  return ReadRun(ctx, root);
}

Result<Run> ReadArtifact(std::string_view json, std::string_view source) {
  ArtifactReader reader;
  return reader.Read(json, source);
}

// Parses one JSON document and reads its root with `read` (a Read*Element function).
template <typename T>
Result<T> ReadDocument(std::string_view json, std::string_view source,
                       Result<T> (*read)(Ctx&, element)) {
  simdjson::dom::parser parser;
  element root;
  auto error = parser.parse(json.data(), json.size(), true).get(root);
  if (error != simdjson::SUCCESS) return json::SyntaxError(json, source, error);
  Ctx ctx(source, "", kMissing);
  return read(ctx, root);
}

Result<Environment> ReadEnvironment(std::string_view json, std::string_view source) {
  return ReadDocument<Environment>(json, source, ReadEnvironmentElement);
}

Result<SuiteRef> ReadSuite(std::string_view json, std::string_view source) {
  return ReadDocument<SuiteRef>(json, source, ReadSuiteElement);
}

}  // namespace perfledger::core
