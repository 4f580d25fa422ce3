#include "cli/run_metadata.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "base/uuid.h"
#include "core/artifact.h"
#include "env/env.h"
#include "env/host.h"
#include "schedule/commit_source.h"

namespace perfledger::cli {

core::Environment HostEnvironment(const env::HostInfo& host) {
  core::Environment e;
  e.ci = host.ci;
  e.provider = host.provider;
  e.os = host.os;
  e.kernel = host.kernel;
  e.arch = host.arch;
  if (!host.cpu.empty()) e.cpu = host.cpu;
  if (host.cores > 0) e.cores = host.cores;
  if (host.memory_bytes > 0) e.memory_bytes = host.memory_bytes;
  return e;
}

std::string HostPlatform(const env::HostInfo& host) {
  std::string label = host.arch + "-" + host.os;
  std::replace(label.begin(), label.end(), '_', '-');
  return label;
}

void RunMetadataOptions::AddTo(CLI::App* cmd, bool with_suite_name) {
  cmd->add_option("--platform", platform, "Platform label (default: this machine's arch-os)");
  cmd->add_option("--commit", commit, "Commit measured (default: HEAD of the repository here)");
  cmd->add_option("--project", project, "Project name (default: the repository's name)");
  cmd->add_option("--reason", reason, "Why it ran: " + core::ReasonList() + " (default push)");
  cmd->add_option("--range-from", range_from,
                  "The previous measured commit: the run stands for (FROM, commit] (a plan "
                  "job's commit_range.from)");
  cmd->add_option("--range-count", range_count, "Commits the run stands for (default 1)")
      ->check(CLI::PositiveNumber);
  if (!with_suite_name) return;
  cmd->add_option("--suite", suite, "Suite name");
  cmd->add_option("--suite-revision", suite_revision, "Suite revision");
}

base::Result<core::Run> RunMetadataOptions::NewRun() const {
  core::Run run;
  run.run_id = base::NewUuidV4();
  auto parsed = core::ParseReason(reason);
  if (!parsed) {
    return base::InvalidInput(
        fmt::format("--reason: expected one of {}, got '{}'", core::ReasonList(), reason));
  }
  run.reason = *parsed;
  auto described = schedule::DescribeCommit(".", commit.empty() ? "HEAD" : commit);
  if (described.ok()) {
    run.commit.sha = described->sha;
    run.commit.branch = described->branch;
    run.commit.time = described->time;
    run.commit.subject = described->subject;
  } else if (!commit.empty()) {
    run.commit.sha = commit;  // no repository here: taken as given, checked by the reader
  } else {
    return base::InvalidInput(
        "no commit: pass --commit SHA, or run in the git repository being measured (" +
        described.status().message() + ")");
  }
  run.commit_range.to = run.commit.sha;
  if (!range_from.empty()) run.commit_range.from = range_from;
  run.commit_range.count = range_count;
  run.project = project;
  if (run.project.empty() && described.ok() && !described->repo_root.empty()) {
    run.project = std::filesystem::path(described->repo_root).filename().string();
  }
  if (run.project.empty()) return base::InvalidInput("no project name: pass --project NAME");
  const env::HostInfo host = env::ReadHostInfo();
  run.platform = platform.empty() ? HostPlatform(host) : platform;
  if (!suite.empty()) run.suite = core::SuiteRef{suite, suite_revision, {}, std::nullopt};
  run.environment = HostEnvironment(host);
  run.environment.fingerprint = core::ComputeFingerprint(run.environment);
  // The runner's name is recorded but not fingerprinted: hosted runners get a new name per job
  // on the same kind of machine, and a name says nothing about speed.
  run.environment.runner = host.runner;
  return run;
}

base::Result<std::string> EmitArtifact(const core::Run& run, const std::string& out_dir,
                                       std::string_view source) {
  auto checked = core::ReadArtifact(core::WriteArtifact(run), source);
  if (!checked.ok()) return checked.status();
  const std::string text = core::WriteArtifact(*checked) + "\n";
  if (out_dir.empty()) {
    fmt::print("{}", text);
    return std::string();
  }
  env::Env* env = env::Env::Default();
  RETURN_IF_ERROR(env->CreateDirectories(out_dir));
  std::string path = (std::filesystem::path(out_dir) / core::ArtifactFileName(*checked)).string();
  RETURN_IF_ERROR(env->WriteFileAtomic(path, text));
  return path;
}

}  // namespace perfledger::cli
