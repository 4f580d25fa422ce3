#include "service/imports.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <tuple>

#include "adapters/history_import.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "core/artifact.h"
#include "core/limits.h"

namespace perfledger::service {
namespace {

namespace fs = std::filesystem;
using adapters::ImportedRun;
using base::InvalidInput;
using base::Result;

constexpr std::string_view kGab = "github-action-benchmark";
constexpr std::string_view kAsv = "asv";
constexpr std::string_view kBencher = "bencher";

std::string Quoted(std::string_view s) {
  std::string out;
  base::AppendJsonString(out, s);
  return out;
}

Result<std::vector<ImportedRun>> ReadGab(const ImportRequest& req, env::Env* env) {
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(req.source, core::kMaxInputFileBytes));
  return adapters::ParseGithubActionBenchmark(text, req.source);
}

// The machine.json of `dir`, when it has one.
Result<std::optional<adapters::AsvMachine>> MachineOf(env::Env* env, const std::string& dir) {
  const std::string path = (fs::path(dir) / "machine.json").string();
  if (!env->Exists(path)) return std::optional<adapters::AsvMachine>();
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(path, core::kMaxConfigFileBytes));
  ASSIGN_OR_RETURN(adapters::AsvMachine m, adapters::ParseAsvMachine(text, path));
  return std::optional<adapters::AsvMachine>(std::move(m));
}

// asv's results directory (results/: benchmarks.json and a folder per machine), or one
// machine's folder of it.
Result<std::vector<ImportedRun>> ReadAsv(const ImportRequest& req, env::Env* env) {
  if (!env->IsDirectory(req.source)) {
    return InvalidInput(fmt::format(
        "{}: expected asv's results directory (benchmarks.json and a folder per machine)",
        req.source));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> files, env->ListFiles(req.source, ".json"));
  adapters::AsvBenchmarks benchmarks;
  for (const fs::path& candidate : {fs::path(req.source) / "benchmarks.json",
                                    fs::path(req.source) / ".." / "benchmarks.json"}) {
    if (!env->Exists(candidate.string())) continue;
    ASSIGN_OR_RETURN(std::string text,
                     env->ReadFile(candidate.string(), core::kMaxConfigFileBytes));
    ASSIGN_OR_RETURN(benchmarks, adapters::ParseAsvBenchmarks(text, candidate.string()));
    break;
  }
  std::map<std::string, std::optional<adapters::AsvMachine>> machines;  // by folder
  std::vector<ImportedRun> out;
  for (const std::string& file : files) {
    const fs::path path(file);
    const std::string name = path.filename().string();
    if (name == "benchmarks.json" || name == "machine.json") continue;
    const std::string dir = path.parent_path().string();
    if (!machines.contains(dir)) {
      ASSIGN_OR_RETURN(machines[dir], MachineOf(env, dir));
    }
    ASSIGN_OR_RETURN(std::string text, env->ReadFile(file, core::kMaxInputFileBytes));
    ASSIGN_OR_RETURN(ImportedRun run, adapters::ParseAsvResult(text, file, benchmarks));
    if (!req.asv_env.empty()) {
      auto it = run.environment.extra_json.find("asv_env_name");
      if (it == run.environment.extra_json.end() || it->second != Quoted(req.asv_env)) continue;
    }
    if (const auto& machine = machines[dir]) {
      // machine.json describes the machine; the result file's own params win where both say.
      core::Environment& e = run.environment;
      const core::Environment& m = machine->environment;
      if (!e.arch) e.arch = m.arch;
      if (!e.cpu) e.cpu = m.cpu;
      if (!e.os) e.os = m.os;
      if (!e.cores) e.cores = m.cores;
      for (const auto& [k, v] : m.extra_json) e.extra_json.emplace(k, v);
      if (run.platform.empty()) run.platform = machine->name;
    }
    if (run.platform.empty()) run.platform = path.parent_path().filename().string();
    out.push_back(std::move(run));
  }
  if (out.empty()) {
    return InvalidInput(fmt::format("{}: no asv result files{}", req.source,
                                    req.asv_env.empty() ? "" : " of --asv-env " + req.asv_env));
  }
  return out;
}

Result<base::Timestamp> FileTime(const std::string& path) {
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) return base::IoError(fmt::format("{}: {}", path, ec.message()));
  return base::Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                             .count()};
}

Result<std::vector<ImportedRun>> ReadBencher(const ImportRequest& req, env::Env* env) {
  if (req.commit.empty()) {
    return InvalidInput(
        "--commit: required with --from bencher (a BMF file names no commit): pass the full "
        "40-hex sha it measured");
  }
  if (!base::IsSha1Hex(req.commit)) {
    return InvalidInput(fmt::format("--commit: expected a full 40-hex commit sha, got {}",
                                    base::Quote(req.commit)));
  }
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(req.source, core::kMaxInputFileBytes));
  ImportedRun run;
  ASSIGN_OR_RETURN(run.benchmarks, adapters::ParseBencherMetricFormat(text, req.source));
  run.commit = req.commit;
  std::transform(run.commit.begin(), run.commit.end(), run.commit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!req.date.empty()) {
    auto date = base::ParseRfc3339(req.date);
    if (!date.ok()) {
      return InvalidInput(fmt::format("--date: {}", date.status().message()));
    }
    run.started_at = *date;
  } else {
    ASSIGN_OR_RETURN(run.started_at, FileTime(req.source));
  }
  run.finished_at = run.started_at;
  run.origin = req.source;
  return std::vector<ImportedRun>{std::move(run)};
}

Result<core::Run> ToRun(const ImportRequest& req, ImportedRun imported) {
  core::Run run;
  run.project = req.project.empty() ? imported.project : req.project;
  if (run.project.empty()) {
    return InvalidInput(fmt::format("--project: required: {} names no project", imported.origin));
  }
  run.platform = req.platform.empty() ? imported.platform : req.platform;
  if (run.platform.empty()) {
    return InvalidInput(fmt::format(
        "--platform: required: {} records no machine, so name the platform its runs ran on "
        "(such as x86-64-linux)",
        req.from));
  }
  run.commit.sha = imported.commit;
  run.commit.time = imported.commit_time;
  run.commit.subject = imported.subject;
  run.commit_range.to = imported.commit;
  run.reason = core::Reason::kBackfill;
  run.reason_detail =
      fmt::format("imported from {} ({})", req.from, fs::path(req.source).filename().string());
  run.environment = std::move(imported.environment);
  // Imported runs are an environment of their own, never mixed with runs measured here; the
  // details (which differ by run) are added after the fingerprint.
  run.environment.extra_json["imported_from"] = Quoted(req.from);
  run.environment.fingerprint = core::ComputeFingerprint(run.environment);
  run.environment.extra_json["import_details"] = imported.details_json;
  run.started_at = imported.started_at;
  run.finished_at = imported.finished_at;
  run.benchmarks = std::move(imported.benchmarks);
  run.run_id = ImportedRunId(req.from, run.project, run.commit.sha, run.platform);
  // What ingest would refuse is refused here, naming where in the source the run came from.
  return core::ReadArtifact(core::WriteArtifact(run), imported.origin + " (imported)");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ImportFormats() {
  return {
      {std::string(kGab), "a data.js from the gh-pages branch (window.BENCHMARK_DATA = ...)"},
      {std::string(kAsv), "asv's results directory (benchmarks.json, <machine>/*.json)"},
      {std::string(kBencher), "a Bencher Metric Format (BMF) JSON file, with --commit"},
  };
}

std::string ImportedRunId(std::string_view from, std::string_view project, std::string_view commit,
                          std::string_view platform) {
  std::string hex = core::Sha256Hex(
      fmt::format("perfledger import\n{}\n{}\n{}\n{}", from, project, commit, platform));
  hex.resize(32);
  hex[12] = '8';  // version 8: custom (RFC 9562), here name-based over SHA-256
  const int variant = (std::stoi(hex.substr(16, 1), nullptr, 16) & 0x3) | 0x8;
  hex[16] = "0123456789abcdef"[variant];
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20, 12));
}

Result<std::vector<core::Run>> ImportHistory(const ImportRequest& req, env::Env* env) {
  const bool known = req.from == kGab || req.from == kAsv || req.from == kBencher;
  if (known && req.from != kBencher && (!req.commit.empty() || !req.date.empty())) {
    return InvalidInput(fmt::format(
        "--commit and --date: only for --from bencher; {} records its commits and dates",
        req.from));
  }
  if (known && req.from != kAsv && !req.asv_env.empty()) {
    return InvalidInput("--asv-env: only for --from asv");
  }
  Result<std::vector<ImportedRun>> imported = InvalidInput("");
  if (req.from == kGab) {
    imported = ReadGab(req, env);
  } else if (req.from == kAsv) {
    imported = ReadAsv(req, env);
  } else if (req.from == kBencher) {
    imported = ReadBencher(req, env);
  } else {
    return InvalidInput(fmt::format("--from: expected one of {}, {}, {}, got {}", kGab, kAsv,
                                    kBencher, base::Quote(req.from)));
  }
  if (!imported.ok()) return imported.status();
  std::vector<core::Run> runs;
  std::map<std::pair<std::string, std::string>, std::string> seen;  // (commit, platform) -> origin
  for (ImportedRun& r : *imported) {
    const std::string origin = r.origin;
    ASSIGN_OR_RETURN(core::Run run, ToRun(req, std::move(r)));
    auto [it, inserted] = seen.emplace(std::pair(run.commit.sha, run.platform), origin);
    if (!inserted) {
      return InvalidInput(fmt::format(
          "{}: a second result for commit {} on platform {} (the first is {}): import one "
          "environment at a time{}",
          origin, run.commit.sha, run.platform, it->second,
          req.from == kAsv ? " with --asv-env NAME, each under its own --platform" : ""));
    }
    runs.push_back(std::move(run));
  }
  std::sort(runs.begin(), runs.end(), [](const core::Run& a, const core::Run& b) {
    return std::tie(a.started_at, a.commit.sha, a.platform) <
           std::tie(b.started_at, b.commit.sha, b.platform);
  });
  return runs;
}

}  // namespace perfledger::service
