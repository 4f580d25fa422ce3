// Writing artifacts (core/artifact.h): the canonical JSON line, file names, content hashes and
// fingerprints; and the checks of results made in memory before they are written.

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cmath>
#include <set>

#include "base/json_writer.h"
#include "base/strings.h"
#include "core/artifact.h"
#include "core/limits.h"

namespace perfledger::core {

using base::InvalidInput;
using base::JsonWriter;
using base::Status;

// --- Results made in memory ---------------------------------------------------------------

namespace {

// A string of a benchmark result: well-formed UTF-8 (what the reader's JSON parser requires),
// `max_bytes` at most, and not empty when `non_empty`.
Status CheckText(std::string_view what, std::string_view s, size_t max_bytes,
                 bool non_empty = true) {
  if (non_empty && s.empty()) return InvalidInput(fmt::format("{} is empty", what));
  if (!base::IsUtf8(s)) {
    return InvalidInput(
        fmt::format("{} {} is not valid UTF-8", what, base::Quote(s.substr(0, 64))));
  }
  if (s.size() > max_bytes) {
    return InvalidInput(fmt::format("{} {}... is {} bytes long, more than the limit of {}", what,
                                    base::Quote(s.substr(0, 24)), s.size(), max_bytes));
  }
  return Status::Ok();
}

Status CheckMeasurement(std::string_view what, double v, bool time_unit) {
  if (!std::isfinite(v)) return InvalidInput(fmt::format("{} is not a finite number", what));
  if (time_unit && v < 0) {
    return InvalidInput(fmt::format("{} is a negative time ({})", what, base::FormatNumber(v)));
  }
  return Status::Ok();
}

Status CheckMetric(const Metric& m) {
  RETURN_IF_ERROR(CheckText("the name", m.name, kMaxMetricNameBytes));
  RETURN_IF_ERROR(CheckText("the unit", m.unit, kMaxUnitBytes));
  const bool time_unit = IsTimeUnit(m.unit);
  if (m.samples.empty() && !m.summary) return InvalidInput("has neither samples nor a summary");
  if (m.samples.size() > kMaxSamplesPerMetric) {
    return InvalidInput(
        fmt::format("has {} samples, more than {}", m.samples.size(), kMaxSamplesPerMetric));
  }
  for (size_t i = 0; i < m.samples.size(); ++i) {
    RETURN_IF_ERROR(CheckMeasurement(fmt::format("sample {}", i + 1), m.samples[i], time_unit));
  }
  if (const auto& s = m.summary) {
    if (s->n < 1) return InvalidInput(fmt::format("the summary's n is {}, not positive", s->n));
    RETURN_IF_ERROR(CheckMeasurement("the summary's mean", s->mean, time_unit));
    RETURN_IF_ERROR(CheckMeasurement("the summary's stddev", s->stddev.value_or(0), true));
    const std::pair<std::string_view, const std::optional<double>*> optionals[] = {
        {"median", &s->median}, {"min", &s->min},     {"max", &s->max},
        {"lower", &s->lower},   {"upper", &s->upper},
    };
    for (const auto& [key, value] : optionals) {
      if (*value) {
        RETURN_IF_ERROR(CheckMeasurement(fmt::format("the summary's {}", key), **value, time_unit));
      }
    }
  }
  return Status::Ok();
}

Status CheckBenchmark(const BenchmarkResult& b) {
  RETURN_IF_ERROR(CheckText("the name", b.name, kMaxNameBytes));
  if (b.error) {
    RETURN_IF_ERROR(CheckText("the error", *b.error, kMaxErrorBytes, /*non_empty=*/false));
  }
  if (b.metrics.empty() && !b.error) return InvalidInput("has no metric and no error");
  if (b.metrics.size() > kMaxMetricsPerBenchmark) {
    return InvalidInput(
        fmt::format("has {} metrics, more than {}", b.metrics.size(), kMaxMetricsPerBenchmark));
  }
  std::set<std::string_view> names;
  for (const Metric& m : b.metrics) {
    RETURN_IF_ERROR(CheckMetric(m).WithPrefix(fmt::format("metric {}", base::Quote(m.name))));
    if (!names.insert(m.name).second) {
      return InvalidInput(fmt::format("metric {} appears twice", base::Quote(m.name)));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateBenchmarks(std::span<const BenchmarkResult> benchmarks) {
  if (benchmarks.size() > kMaxBenchmarksPerRun) {
    return InvalidInput(fmt::format("{} benchmark results, more than the limit of {}",
                                    benchmarks.size(), kMaxBenchmarksPerRun));
  }
  std::set<std::string_view> names;
  for (const BenchmarkResult& b : benchmarks) {
    const std::string_view shown = std::string_view(b.name).substr(0, 64);
    RETURN_IF_ERROR(CheckBenchmark(b).WithPrefix(fmt::format("benchmark {}", base::Quote(shown))));
    if (!names.insert(b.name).second) {
      return InvalidInput(fmt::format("benchmark {} appears twice", base::Quote(shown)));
    }
  }
  return Status::Ok();
}

// --- Writing -------------------------------------------------------------------------------

namespace {

void WriteSuiteFields(JsonWriter& w, const SuiteRef& suite) {
  w.BeginObject();
  w.Key("name").String(suite.name);
  w.Key("revision").Int(suite.revision);
  if (!suite.definitions.empty()) {
    w.Key("definitions").BeginObject();
    for (const auto& [name, hash] : suite.definitions) w.Key(name).String(hash);
    w.EndObject();
  }
  if (suite.epoch) {
    w.Key("epoch").BeginObject();
    w.Key("number").Int(suite.epoch->number);
    w.Key("settings").BeginObject();
    for (const auto& [key, raw] : suite.epoch->settings) w.Key(key).Raw(raw);
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
}

void WriteEnvironmentFields(JsonWriter& w, const Environment& env, bool with_fingerprint) {
  w.BeginObject();
  if (env.ci) w.Key("ci").Bool(*env.ci);
  const std::pair<std::string_view, const std::optional<std::string>*> strings1[] = {
      {"provider", &env.provider}, {"runner", &env.runner}, {"os", &env.os},
      {"kernel", &env.kernel},     {"arch", &env.arch},     {"cpu", &env.cpu}};
  for (const auto& [key, value] : strings1) {
    if (*value) w.Key(key).String(**value);
  }
  if (env.cores) w.Key("cores").Int(*env.cores);
  if (env.memory_bytes) w.Key("memory_bytes").Int(*env.memory_bytes);
  for (const auto& [key, raw] : env.extra_json) w.Key(key).Raw(raw);
  if (with_fingerprint) w.Key("fingerprint").String(env.fingerprint);
  w.EndObject();
}

}  // namespace

std::string WriteArtifact(const Run& run) {
  JsonWriter w;
  w.BeginObject();
  w.Key("version").Int(kArtifactVersion);
  w.Key("run_id").String(run.run_id);
  w.Key("project").String(run.project);
  w.Key("commit").BeginObject();
  w.Key("sha").String(run.commit.sha);
  if (run.commit.branch) w.Key("branch").String(*run.commit.branch);
  if (run.commit.time) w.Key("time").String(base::FormatRfc3339(*run.commit.time));
  if (run.commit.subject) w.Key("subject").String(*run.commit.subject);
  w.EndObject();
  w.Key("commit_range").BeginObject();
  w.Key("from");
  if (run.commit_range.from) {
    w.String(*run.commit_range.from);
  } else {
    w.Null();
  }
  w.Key("to").String(run.commit_range.to);
  w.Key("count").Int(run.commit_range.count);
  w.EndObject();
  w.Key("reason").String(ReasonName(run.reason));
  if (run.reason_detail) w.Key("reason_detail").String(*run.reason_detail);
  w.Key("platform").String(run.platform);
  if (run.suite) {
    w.Key("suite");
    WriteSuiteFields(w, *run.suite);
  }
  w.Key("environment");
  WriteEnvironmentFields(w, run.environment, /*with_fingerprint=*/true);
  w.Key("started_at").String(base::FormatRfc3339(run.started_at));
  w.Key("finished_at").String(base::FormatRfc3339(run.finished_at));
  w.Key("benchmarks").BeginArray();
  for (const auto& b : run.benchmarks) {
    w.BeginObject();
    w.Key("name").String(b.name);
    if (b.error) w.Key("error").String(*b.error);
    w.Key("metrics").BeginObject();
    for (const auto& m : b.metrics) {
      w.Key(m.name).BeginObject();
      w.Key("unit").String(m.unit);
      w.Key("direction").String(DirectionName(m.direction));
      if (!m.samples.empty()) {
        w.Key("samples").BeginArray();
        for (double s : m.samples) w.Number(s);
        w.EndArray();
      } else if (m.summary) {
        const Summary& s = *m.summary;
        w.Key("summary").BeginObject();
        w.Key("n").Int(s.n);
        w.Key("mean").Number(s.mean);
        const std::pair<std::string_view, const std::optional<double>*> fields[] = {
            {"stddev", &s.stddev}, {"median", &s.median}, {"min", &s.min},
            {"max", &s.max},       {"lower", &s.lower},   {"upper", &s.upper}};
        for (const auto& [key, value] : fields) {
          if (*value) w.Key(key).Number(**value);
        }
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string ArtifactFileName(const Run& run) {
  return fmt::format("benchmark-results-{}-{}.json", run.commit.sha, run.platform);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

std::string ContentHash(const Run& run) { return Sha256Hex(WriteArtifact(run)); }

std::string WriteEnvironment(const Environment& env) {
  JsonWriter w;
  WriteEnvironmentFields(w, env, /*with_fingerprint=*/true);
  return w.Take();
}

std::string WriteSuite(const SuiteRef& suite) {
  JsonWriter w;
  WriteSuiteFields(w, suite);
  return w.Take();
}

std::string ComputeFingerprint(const Environment& env) {
  JsonWriter w;
  WriteEnvironmentFields(w, env, /*with_fingerprint=*/false);
  return Sha256Hex(w.Take()).substr(0, 16);
}

}  // namespace perfledger::core
