#include "service/artifacts.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "adapters/adapters.h"
#include "base/uuid.h"
#include "core/artifact.h"
#include "core/limits.h"
#include "env/host.h"
#include "runner/environment.h"
#include "schedule/commit_source.h"

namespace perfledger::service {

base::Result<core::Run> NewRun(const RunMetadata& m) {
  core::Run run;
  run.run_id = base::NewUuidV4();
  auto parsed = core::ParseReason(m.reason);
  if (!parsed) {
    return base::InvalidInput(
        fmt::format("--reason: expected one of {}, got '{}'", core::ReasonList(), m.reason));
  }
  run.reason = *parsed;
  auto described = schedule::DescribeCommit(m.repo, m.commit.empty() ? "HEAD" : m.commit);
  if (described.ok()) {
    run.commit.sha = described->sha;
    run.commit.branch = described->branch;
    run.commit.time = described->time;
    run.commit.subject = described->subject;
  } else if (!m.commit.empty()) {
    run.commit.sha = m.commit;  // no repository here: taken as given, checked by the reader
  } else {
    return base::InvalidInput(
        "no commit: pass --commit SHA, or run in the git repository being measured (" +
        described.status().message() + ")");
  }
  run.commit_range.to = run.commit.sha;
  if (!m.range_from.empty()) run.commit_range.from = m.range_from;
  run.commit_range.count = m.range_count;
  run.project = m.project;
  if (run.project.empty() && described.ok() && !described->repo_root.empty()) {
    run.project = std::filesystem::path(described->repo_root).filename().string();
  }
  if (run.project.empty()) return base::InvalidInput("no project name: pass --project NAME");
  const env::HostInfo host = env::ReadHostInfo();
  run.platform = m.platform.empty() ? runner::HostPlatform(host) : m.platform;
  if (!m.suite.empty()) run.suite = core::SuiteRef{m.suite, m.suite_revision, {}, std::nullopt};
  run.environment = runner::HostEnvironment(host);
  run.environment.fingerprint = core::ComputeFingerprint(run.environment);
  // The runner's name is recorded but not fingerprinted: hosted runners get a new name per job
  // on the same kind of machine, and a name says nothing about speed.
  run.environment.runner = host.runner;
  return run;
}

base::Result<std::string> EmitArtifact(const core::Run& run, const std::string& out_dir,
                                       std::string_view source, env::Env* env) {
  auto checked = core::ReadArtifact(core::WriteArtifact(run), source);
  if (!checked.ok()) return checked.status();
  const std::string text = core::WriteArtifact(*checked) + "\n";
  if (out_dir.empty()) {
    fmt::print("{}", text);
    return std::string();
  }
  RETURN_IF_ERROR(env->CreateDirectories(out_dir));
  std::string path = (std::filesystem::path(out_dir) / core::ArtifactFileName(*checked)).string();
  RETURN_IF_ERROR(env->WriteFileAtomic(path, text));
  return path;
}

core::Environment ThisMachine() { return runner::HostEnvironment(env::ReadHostInfo()); }

std::vector<std::pair<std::string, std::string>> AdapterCatalog() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const adapters::Adapter& a : adapters::All()) out.emplace_back(a.name, a.description);
  return out;
}

base::Result<core::Run> ConvertHarnessOutput(const ConvertRequest& opt, env::Env* env) {
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(opt.file, core::kMaxHarnessOutputBytes));
  const adapters::Adapter* adapter = nullptr;
  if (opt.adapter == "auto") {
    ASSIGN_OR_RETURN(adapter, adapters::Detect(text, opt.file));
  } else {
    ASSIGN_OR_RETURN(adapter, adapters::Find(opt.adapter));
  }
  ASSIGN_OR_RETURN(std::vector<core::BenchmarkResult> benchmarks, adapter->parse(text, opt.file));

  ASSIGN_OR_RETURN(core::Run run, NewRun(opt.metadata));
  run.reason_detail = fmt::format("converted from {} output {}", adapter->name,
                                  std::filesystem::path(opt.file).filename().string());
  run.environment.extra_json["metric_sources"] =
      fmt::format(R"j({{"*":"the harness's own measurements ({} adapter)"}})j", adapter->name);
  // The harness ran before: the file's modification time is when it finished.
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(opt.file, ec);
  int64_t finished = env->Now().unix_nanos;
  if (!ec) {
    finished = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                   .count();
  }
  run.started_at = base::Timestamp{finished};
  run.finished_at = base::Timestamp{finished};
  std::sort(benchmarks.begin(), benchmarks.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  run.benchmarks = std::move(benchmarks);
  return run;
}

}  // namespace perfledger::service
