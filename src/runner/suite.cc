#include "runner/suite.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.h"
#include "base/time.h"
#include "core/artifact.h"
#include "core/limits.h"
#include "core/toml_reading.h"
#include "env/env.h"

namespace perfledger::runner {
namespace {

using base::Result;
using base::Status;

constexpr std::string_view kSamplingKeys =
    "warmup, runs, min_runs, max_runs, max_time, target_precision, timeout, instruction_runs";

using core::toml_reading::Describe;

// Reads one table's keys with messages "file:line: <section> key: expected X, got Y".
class Reader {
 public:
  Reader(const std::string& source, std::string section)
      : source_(source), section_(std::move(section)) {}

  Status Bad(const toml::node& value, std::string_view key, std::string_view expected) const {
    return base::InvalidInput(fmt::format("{}:{}: {} {}: expected {}, got {}", source_,
                                          value.source().begin.line, section_, key, expected,
                                          Describe(value)));
  }
  Status Unknown(const toml::node& value, std::string_view key, std::string_view known) const {
    return base::InvalidInput(fmt::format("{}:{}: {} unknown key '{}' (known: {})", source_,
                                          value.source().begin.line, section_, key, known));
  }
  Status Fail(int line, std::string_view what) const {
    return base::InvalidInput(fmt::format("{}:{}: {} {}", source_, line, section_, what));
  }

  Result<int> Int(const toml::node& v, std::string_view key, int min) const {
    const auto* i = v.as_integer();
    if (i == nullptr || i->get() < min || i->get() > 1'000'000) {
      return Bad(v, key, fmt::format("a whole number from {} to 1000000", min));
    }
    return static_cast<int>(i->get());
  }
  Result<std::string> String(const toml::node& v, std::string_view key) const {
    const auto* s = v.as_string();
    if (s == nullptr || s->get().empty()) return Bad(v, key, "a non-empty string");
    return s->get();
  }
  Result<int64_t> Duration(const toml::node& v, std::string_view key) const {
    const auto* s = v.as_string();
    if (s != nullptr) {
      auto d = base::ParseDuration(s->get());
      if (d.ok() && *d > 0) return *d;
    }
    return Bad(v, key, "a duration like \"30s\"");
  }
  // A string runs through /bin/sh -c; an array is the argv itself.
  Result<std::vector<std::string>> Command(const toml::node& v, std::string_view key) const {
    constexpr std::string_view kWhat =
        "a command: an array of strings (the argv) or a string (run by /bin/sh -c)";
    if (const auto* s = v.as_string()) {
      if (s->get().empty()) return Bad(v, key, kWhat);
      return std::vector<std::string>{"/bin/sh", "-c", s->get()};
    }
    const auto* a = v.as_array();
    if (a == nullptr || a->empty()) return Bad(v, key, kWhat);
    std::vector<std::string> argv;
    for (const auto& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr) return Bad(v, key, kWhat);
      argv.push_back(s->get());
    }
    if (argv[0].empty()) return Bad(v, key, kWhat);
    return argv;
  }
  Result<std::vector<std::string>> Strings(const toml::node& v, std::string_view key) const {
    const auto* a = v.as_array();
    if (a == nullptr) return Bad(v, key, "an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr) return Bad(v, key, "an array of strings");
      out.push_back(s->get());
    }
    return out;
  }
  Result<EnvVars> Env(const toml::node& v, std::string_view key) const {
    const auto* t = v.as_table();
    if (t == nullptr) return Bad(v, key, "a table of strings like { LC_ALL = \"C\" }");
    EnvVars out;
    for (const auto& [name, value] : *t) {
      const auto* s = value.as_string();
      if (s == nullptr || name.str().empty()) {
        return Bad(value, fmt::format("{}.{}", key, name.str()), "a string");
      }
      out.emplace_back(std::string(name.str()), s->get());
    }
    return out;
  }

  // A sampling key into `layer`; false when `key` is not one.
  Result<bool> Sampling(const toml::node& v, std::string_view key, SamplingLayer* layer) const {
    if (key == "warmup") {
      ASSIGN_OR_RETURN(layer->warmup, Int(v, key, 0));
    } else if (key == "runs") {
      ASSIGN_OR_RETURN(layer->runs, Int(v, key, 1));
    } else if (key == "min_runs") {
      ASSIGN_OR_RETURN(layer->min_runs, Int(v, key, 1));
    } else if (key == "max_runs") {
      ASSIGN_OR_RETURN(layer->max_runs, Int(v, key, 1));
    } else if (key == "instruction_runs") {
      ASSIGN_OR_RETURN(layer->instruction_runs, Int(v, key, 1));
    } else if (key == "max_time") {
      ASSIGN_OR_RETURN(layer->max_time_nanos, Duration(v, key));
    } else if (key == "timeout") {
      ASSIGN_OR_RETURN(layer->timeout_nanos, Duration(v, key));
    } else if (key == "target_precision") {
      double pct = -1;
      if (const auto* f = v.as_floating_point()) pct = f->get();
      if (const auto* i = v.as_integer()) pct = static_cast<double>(i->get());
      if (!(pct > 0 && pct <= 100)) {
        return Bad(v, key, "a percentage above 0 and at most 100, like 1 or 0.5");
      }
      layer->target_precision = pct / 100;
    } else {
      return false;
    }
    return true;
  }

  const std::string& section() const { return section_; }

 private:
  const std::string& source_;
  std::string section_;
};

const toml::table* AsTable(const toml::node& n) { return n.as_table(); }

Status CheckMinMax(const Reader& r, const SamplingLayer& s, int line) {
  if (s.min_runs && s.max_runs && *s.min_runs > *s.max_runs) {
    return r.Fail(line,
                  fmt::format("min_runs ({}) is above max_runs ({})", *s.min_runs, *s.max_runs));
  }
  return Status::Ok();
}

Status ReadMeasure(const Reader& r, const toml::node& v, SuiteBenchmark* b) {
  ASSIGN_OR_RETURN(auto list, r.Strings(v, "measure"));
  b->measure_cpu = b->measure_rss = b->measure_instructions = false;
  bool wall = false;
  for (const auto& m : list) {
    if (m == "wall") {
      wall = true;
    } else if (m == "cpu") {
      b->measure_cpu = true;
    } else if (m == "rss") {
      b->measure_rss = true;
    } else if (m == "instructions") {
      b->measure_instructions = true;
    } else {
      return r.Bad(v, "measure", "a list of \"wall\", \"cpu\", \"rss\", \"instructions\"");
    }
  }
  if (!wall) return r.Bad(v, "measure", "a list that includes \"wall\" (always measured)");
  return Status::Ok();
}

Result<SuiteBenchmark> ReadBenchmark(const std::string& source, const toml::table& t,
                                     const SuiteBenchmark& defaults) {
  SuiteBenchmark b = defaults;
  b.line = static_cast<int>(t.source().begin.line);
  std::string label = "[[benchmark]]";
  if (const auto* n = t.get("name"); n != nullptr && n->as_string() != nullptr) {
    label = fmt::format("[[benchmark]] \"{}\"", n->as_string()->get());
  }
  Reader r(source, label);
  constexpr std::string_view kKnown =
      "name, command, harness, adapter, output, prepare, setup, cwd, env, measure, warmup, "
      "runs, min_runs, max_runs, max_time, target_precision, timeout, instruction_runs";
  bool measure_given = false;
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    if (k == "name") {
      ASSIGN_OR_RETURN(b.name, r.String(value, k));
    } else if (k == "command") {
      ASSIGN_OR_RETURN(b.command, r.Command(value, k));
    } else if (k == "harness") {
      ASSIGN_OR_RETURN(b.harness, r.Command(value, k));
    } else if (k == "adapter") {
      ASSIGN_OR_RETURN(b.adapter, r.String(value, k));
    } else if (k == "output") {
      ASSIGN_OR_RETURN(b.output, r.String(value, k));
    } else if (k == "prepare") {
      ASSIGN_OR_RETURN(b.prepare, r.Command(value, k));
    } else if (k == "setup") {
      ASSIGN_OR_RETURN(b.setup, r.Command(value, k));
    } else if (k == "cwd") {
      ASSIGN_OR_RETURN(b.cwd, r.String(value, k));
    } else if (k == "env") {
      ASSIGN_OR_RETURN(b.env, r.Env(value, k));
    } else if (k == "measure") {
      RETURN_IF_ERROR(ReadMeasure(r, value, &b));
      measure_given = true;
    } else {
      ASSIGN_OR_RETURN(bool known, r.Sampling(value, k, &b.sampling));
      if (!known) return r.Unknown(value, k, kKnown);
    }
  }
  if (b.name.empty()) return r.Fail(b.line, "name: missing (every benchmark needs a name)");
  if (b.command.empty() == b.harness.empty()) {
    return r.Fail(b.line,
                  "needs exactly one of command (a command to time) or harness (a "
                  "benchmark harness whose output an adapter converts)");
  }
  if (!b.is_harness() && (t.contains("adapter") || t.contains("output"))) {
    return r.Fail(b.line, "adapter and output apply to a harness, not to a command");
  }
  if (b.is_harness() && measure_given) {
    return r.Fail(b.line, "measure applies to a command; a harness reports its own metrics");
  }
  RETURN_IF_ERROR(CheckMinMax(r, b.sampling, b.line));
  return b;
}

Result<PlatformDeclaration> ReadPlatform(const std::string& source, const std::string& name,
                                         const toml::table& t) {
  PlatformDeclaration p;
  p.line = static_cast<int>(t.source().begin.line);
  Reader r(source, fmt::format("[platform.{}]", name));
  constexpr std::string_view kKnown =
      "epoch, environment, wrapper, env, benchmark, warmup, runs, min_runs, max_runs, "
      "max_time, target_precision, timeout, instruction_runs";
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    if (k == "epoch") {
      const auto* i = value.as_integer();
      if (i == nullptr || i->get() < 1) return r.Bad(value, k, "a whole number from 1");
      p.epoch = i->get();
    } else if (k == "environment") {
      const auto* s = value.as_string();
      if (s == nullptr || (s->get() != "ci" && s->get() != "local" && s->get() != "any")) {
        return r.Bad(value, k, "\"ci\", \"local\" or \"any\"");
      }
      p.environment = s->get();
    } else if (k == "wrapper") {
      ASSIGN_OR_RETURN(p.wrapper, r.Strings(value, k));
    } else if (k == "env") {
      ASSIGN_OR_RETURN(p.env, r.Env(value, k));
    } else if (k == "benchmark") {
      const toml::table* benches = AsTable(value);
      if (benches == nullptr) return r.Bad(value, k, "a table of benchmark names");
      for (const auto& [bench, settings] : *benches) {
        Reader br(source, fmt::format("[platform.{}.benchmark.\"{}\"]", name, bench.str()));
        const toml::table* st = AsTable(settings);
        if (st == nullptr) return br.Bad(settings, "", "a table of sampling settings");
        SamplingLayer layer;
        for (const auto& [sk, sv] : *st) {
          ASSIGN_OR_RETURN(bool known, br.Sampling(sv, sk.str(), &layer));
          if (!known) return br.Unknown(sv, sk.str(), kSamplingKeys);
        }
        RETURN_IF_ERROR(CheckMinMax(br, layer, static_cast<int>(st->source().begin.line)));
        p.benchmarks[std::string(bench.str())] = layer;
      }
    } else {
      ASSIGN_OR_RETURN(bool known, r.Sampling(value, k, &p.sampling));
      if (!known) return r.Unknown(value, k, kKnown);
    }
  }
  RETURN_IF_ERROR(CheckMinMax(r, p.sampling, p.line));
  return p;
}

void Apply(const SamplingLayer& layer, Sampling* s) {
  if (layer.warmup) s->warmup = *layer.warmup;
  // A level that asks for adaptive stopping overrides a fixed count below it.
  if (layer.min_runs || layer.max_runs || layer.max_time_nanos || layer.target_precision) {
    s->runs.reset();
  }
  if (layer.runs) s->runs = *layer.runs;
  if (layer.min_runs) s->min_runs = *layer.min_runs;
  if (layer.max_runs) s->max_runs = *layer.max_runs;
  if (layer.max_time_nanos) s->max_time_nanos = *layer.max_time_nanos;
  if (layer.target_precision) s->target_precision = *layer.target_precision;
  if (layer.timeout_nanos) s->timeout_nanos = *layer.timeout_nanos;
  if (layer.instruction_runs) s->instruction_runs = *layer.instruction_runs;
}

nlohmann::json EnvJson(const EnvVars& env) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : env) out[k] = v;
  return out;
}

}  // namespace

const SuiteBenchmark* Suite::Find(std::string_view wanted) const {
  for (const auto& b : benchmarks) {
    if (b.name == wanted) return &b;
  }
  return nullptr;
}

PlatformDeclaration Suite::PlatformOf(const std::string& platform) const {
  auto it = platforms.find(platform);
  return it == platforms.end() ? PlatformDeclaration{} : it->second;
}

Sampling Suite::SamplingFor(const SuiteBenchmark& b, const std::string& platform) const {
  Sampling s;
  Apply(defaults, &s);
  Apply(b.sampling, &s);
  if (auto it = platforms.find(platform); it != platforms.end()) {
    Apply(it->second.sampling, &s);
    if (auto bt = it->second.benchmarks.find(b.name); bt != it->second.benchmarks.end()) {
      Apply(bt->second, &s);
    }
  }
  return s;
}

std::string Suite::DefinitionHash(const SuiteBenchmark& b) const {
  nlohmann::json d;
  if (b.is_harness()) {
    d["harness"] = b.harness;
    d["adapter"] = b.adapter;
    d["output"] = b.output;
  } else {
    d["command"] = b.command;
    d["metrics"] = {b.measure_cpu, b.measure_rss, b.measure_instructions};
  }
  d["prepare"] = b.prepare;
  d["setup"] = b.setup;
  d["cwd"] = std::filesystem::path(b.cwd).lexically_relative(dir).generic_string();
  d["env"] = EnvJson(b.env);
  return core::Sha256Hex(d.dump()).substr(0, 16);
}

core::SuiteRef Suite::DeclarationFor(const std::string& platform) const {
  core::SuiteRef ref{name, revision, {}, core::EpochRef{}};
  const PlatformDeclaration p = PlatformOf(platform);
  ref.epoch->number = p.epoch;
  auto& settings = ref.epoch->settings;
  settings["environment"] = nlohmann::json(p.environment).dump();
  if (!p.wrapper.empty()) settings["wrapper"] = nlohmann::json(p.wrapper).dump();
  if (!p.env.empty()) settings["env"] = EnvJson(p.env).dump();
  for (const auto& b : benchmarks) {
    ref.definitions[b.name] = DefinitionHash(b);
    if (b.is_harness()) {
      // A harness samples by its own flags, which are part of its definition; only the
      // timeout is the runner's.
      const Sampling s = SamplingFor(b, platform);
      if (s.timeout_nanos) {
        settings[b.name + ".timeout"] =
            nlohmann::json(base::FormatDuration(*s.timeout_nanos)).dump();
      }
      continue;
    }
    const Sampling s = SamplingFor(b, platform);
    settings[b.name + ".warmup"] = std::to_string(s.warmup);
    if (s.runs) {
      settings[b.name + ".runs"] = std::to_string(*s.runs);
    } else {
      settings[b.name + ".min_runs"] = std::to_string(s.min_runs);
      settings[b.name + ".max_runs"] = std::to_string(s.max_runs);
      settings[b.name + ".max_time"] =
          nlohmann::json(base::FormatDuration(s.max_time_nanos)).dump();
      settings[b.name + ".target_precision"] = nlohmann::json(s.target_precision * 100).dump();
    }
    if (b.measure_instructions) {
      settings[b.name + ".instruction_runs"] = std::to_string(s.instruction_runs);
    }
    if (s.timeout_nanos) {
      settings[b.name + ".timeout"] = nlohmann::json(base::FormatDuration(*s.timeout_nanos)).dump();
    }
  }
  return ref;
}

Result<Suite> ParseSuite(std::string_view text, const std::string& source) {
  ASSIGN_OR_RETURN(toml::table doc, core::toml_reading::Parse(text, source));
  Suite suite;
  suite.source = source;
  std::error_code ec;
  suite.dir = std::filesystem::absolute(std::filesystem::path(source).parent_path(), ec)
                  .lexically_normal()
                  .generic_string();
  while (suite.dir.size() > 1 && suite.dir.back() == '/') suite.dir.pop_back();

  for (const auto& [key, value] : doc) {
    const std::string k(key.str());
    if (k != "suite" && k != "benchmark" && k != "platform" && k != "schedule") {
      return base::InvalidInput(fmt::format(
          "{}:{}: unknown section '{}' (known: [suite], [[benchmark]], [platform.NAME], "
          "[schedule])",
          source, value.source().begin.line, k));
    }
  }

  const toml::node* suite_node = doc.get("suite");
  if (suite_node == nullptr || suite_node->as_table() == nullptr) {
    return base::InvalidInput(
        fmt::format("{}: no [suite] table (it needs at least name and revision)", source));
  }
  SuiteBenchmark bench_defaults;
  {
    const toml::table& t = *suite_node->as_table();
    Reader r(source, "[suite]");
    constexpr std::string_view kKnown =
        "name, revision, measure, warmup, runs, min_runs, max_runs, max_time, "
        "target_precision, timeout, instruction_runs";
    bool has_revision = false;
    for (const auto& [key, value] : t) {
      const std::string k(key.str());
      if (k == "name") {
        ASSIGN_OR_RETURN(suite.name, r.String(value, k));
      } else if (k == "revision") {
        const auto* i = value.as_integer();
        if (i == nullptr || i->get() < 0) return r.Bad(value, k, "a whole number from 0");
        suite.revision = i->get();
        has_revision = true;
      } else if (k == "measure") {
        RETURN_IF_ERROR(ReadMeasure(r, value, &bench_defaults));
      } else {
        ASSIGN_OR_RETURN(bool known, r.Sampling(value, k, &suite.defaults));
        if (!known) return r.Unknown(value, k, kKnown);
      }
    }
    const int line = static_cast<int>(t.source().begin.line);
    if (suite.name.empty()) return r.Fail(line, "name: missing (the suite's name)");
    if (!has_revision) {
      return r.Fail(line,
                    "revision: missing (a whole number; raise it when what a benchmark "
                    "is changes)");
    }
    RETURN_IF_ERROR(CheckMinMax(r, suite.defaults, line));
  }

  const toml::node* benches = doc.get("benchmark");
  if (benches == nullptr) {
    return base::InvalidInput(fmt::format("{}: no [[benchmark]] entries", source));
  }
  const toml::array* list = benches->as_array();
  if (list == nullptr || !list->is_array_of_tables()) {
    return base::InvalidInput(fmt::format("{}:{}: benchmark: expected [[benchmark]] tables, got {}",
                                          source, benches->source().begin.line,
                                          Describe(*benches)));
  }
  std::set<std::string> names;
  for (const auto& node : *list) {
    ASSIGN_OR_RETURN(SuiteBenchmark b, ReadBenchmark(source, *node.as_table(), bench_defaults));
    if (!names.insert(b.name).second) {
      return base::InvalidInput(fmt::format(
          "{}:{}: [[benchmark]] \"{}\": the name is already used by another benchmark (names "
          "are unique; a changed benchmark gets a new name such as \"{}-2\")",
          source, b.line, b.name, b.name));
    }
    std::filesystem::path cwd =
        b.cwd.empty() ? std::filesystem::path(suite.dir) : std::filesystem::path(suite.dir) / b.cwd;
    b.cwd = cwd.lexically_normal().generic_string();
    while (b.cwd.size() > 1 && b.cwd.back() == '/') b.cwd.pop_back();
    suite.benchmarks.push_back(std::move(b));
  }

  if (const toml::node* platforms = doc.get("platform")) {
    const toml::table* t = platforms->as_table();
    if (t == nullptr) {
      return base::InvalidInput(fmt::format("{}:{}: platform: expected [platform.NAME] tables",
                                            source, platforms->source().begin.line));
    }
    for (const auto& [name, value] : *t) {
      const toml::table* pt = value.as_table();
      if (pt == nullptr) {
        return base::InvalidInput(fmt::format("{}:{}: platform.{}: expected a table, got {}",
                                              source, value.source().begin.line, name.str(),
                                              Describe(value)));
      }
      ASSIGN_OR_RETURN(PlatformDeclaration p, ReadPlatform(source, std::string(name.str()), *pt));
      for (const auto& [bench, layer] : p.benchmarks) {
        if (suite.Find(bench) == nullptr) {
          return base::InvalidInput(
              fmt::format("{}:{}: [platform.{}.benchmark] \"{}\": no [[benchmark]] has this name",
                          source, p.line, name.str(), bench));
        }
      }
      suite.platforms[std::string(name.str())] = std::move(p);
    }
  }
  return suite;
}

Result<Suite> LoadSuite(const std::string& path) {
  auto text = env::Env::Default()->ReadFile(path, core::kMaxConfigFileBytes);
  if (!text.ok()) {
    return base::InvalidInput(
        fmt::format("{}: cannot read the suite file: {}", path, text.status().message()));
  }
  return ParseSuite(*text, path);
}

}  // namespace perfledger::runner
