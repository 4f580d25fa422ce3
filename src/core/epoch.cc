#include "core/epoch.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace perfledger::core {
namespace {

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += "'" + n + "'";
  }
  return out;
}

std::string RunLabel(const Run& run) {
  return fmt::format("run {} on {}", run.run_id, run.platform);
}

}  // namespace

base::Status CheckAgainstDeclared(const Run& run, const SuiteRef& declared,
                                  std::string_view declared_by) {
  if (!run.suite) {
    return base::Conflict(fmt::format("{}: has no suite, but {} declares suite '{}'", RunLabel(run),
                                      declared_by, declared.name));
  }
  const SuiteRef& got = *run.suite;
  if (got.name != declared.name) {
    return base::Conflict(fmt::format("{}: suite '{}', but {} declares suite '{}'", RunLabel(run),
                                      got.name, declared_by, declared.name));
  }
  if (got.revision != declared.revision) {
    return base::Conflict(fmt::format(
        "{}: suite '{}' revision {}, but {} declares revision {}{}", RunLabel(run), got.name,
        got.revision, declared_by, declared.revision,
        declared.epoch ? " for this epoch (a new revision needs a new epoch on the platform)"
                       : ""));
  }
  if (!got.definitions.empty() && !declared.definitions.empty()) {
    std::vector<std::string> changed, added, removed;
    for (const auto& [name, hash] : got.definitions) {
      auto it = declared.definitions.find(name);
      if (it == declared.definitions.end()) {
        added.push_back(name);
      } else if (it->second != hash) {
        changed.push_back(name);
      }
    }
    for (const auto& [name, hash] : declared.definitions) {
      if (!got.definitions.contains(name)) removed.push_back(name);
    }
    if (!changed.empty()) {
      return base::Conflict(fmt::format(
          "{}: suite '{}' revision {} defines benchmark {} differently from {} (a benchmark "
          "whose command, inputs or metrics change needs a new suite revision, or a new name)",
          RunLabel(run), got.name, got.revision, Names(changed), declared_by));
    }
    if (!added.empty() || !removed.empty()) {
      std::string what;
      if (!added.empty()) what = "adds " + Names(added);
      if (!removed.empty()) what += (what.empty() ? "lacks " : " and lacks ") + Names(removed);
      return base::Conflict(fmt::format(
          "{}: suite '{}' revision {} {} compared with {} (adding or removing benchmarks makes a "
          "new suite revision)",
          RunLabel(run), got.name, got.revision, what, declared_by));
    }
  }
  if (!declared.epoch) return base::Status::Ok();
  const EpochRef& want = *declared.epoch;
  if (!got.epoch) {
    return base::Conflict(fmt::format("{}: has no epoch, but {} declares epoch {} for it",
                                      RunLabel(run), declared_by, want.number));
  }
  const EpochRef& have = *got.epoch;
  if (have.number != want.number) {
    return base::Conflict(fmt::format("{}: epoch {}, but {} declares epoch {} for the platform",
                                      RunLabel(run), have.number, declared_by, want.number));
  }
  auto value = [](const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? std::string("(not set)") : it->second;
  };
  std::vector<std::string> keys;
  for (const auto& [k, v] : have.settings) keys.push_back(k);
  for (const auto& [k, v] : want.settings) {
    if (!have.settings.contains(k)) keys.push_back(k);
  }
  for (const auto& key : keys) {
    std::string a = value(have.settings, key), b = value(want.settings, key);
    if (a != b) {
      return base::Conflict(fmt::format(
          "{}: epoch {} setting '{}' is {} in the run but {} in {} (changing the sampling, "
          "invocation or environment class needs a new epoch number for the platform)",
          RunLabel(run), have.number, key, a, b, declared_by));
    }
  }
  return base::Status::Ok();
}

base::Status CheckEnvironmentClass(const Run& run) {
  if (!run.suite || !run.suite->epoch) return base::Status::Ok();
  auto it = run.suite->epoch->settings.find("environment");
  if (it == run.suite->epoch->settings.end()) return base::Status::Ok();
  const bool ci = run.environment.ci.value_or(false);
  if (it->second == "\"ci\"" && !ci) {
    return base::Conflict(fmt::format(
        "{}: epoch {} is for CI runners, but the run was measured locally (environment.ci is not "
        "true); a local run never enters a CI epoch",
        RunLabel(run), run.suite->epoch->number));
  }
  if (it->second == "\"local\"" && ci) {
    return base::Conflict(
        fmt::format("{}: epoch {} is for local machines, but the run was measured on CI",
                    RunLabel(run), run.suite->epoch->number));
  }
  return base::Status::Ok();
}

bool MeasuresEveryDefinition(const std::vector<std::string>& names,
                             const std::map<std::string, std::string>& definitions) {
  for (const auto& [entry, hash] : definitions) {
    if (std::binary_search(names.begin(), names.end(), entry)) continue;
    const std::string prefix = entry + "/";
    auto it = std::lower_bound(names.begin(), names.end(), prefix);
    if (it == names.end() || !it->starts_with(prefix)) return false;
  }
  return true;
}

}  // namespace perfledger::core
