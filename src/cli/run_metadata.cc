#include "cli/run_metadata.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace perfledger::cli {

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

service::RunMetadata RunMetadataOptions::Metadata() const {
  service::RunMetadata m;
  m.platform = platform;
  m.commit = commit;
  m.project = project;
  m.reason = reason;
  m.suite = suite;
  m.range_from = range_from;
  m.suite_revision = suite_revision;
  m.range_count = range_count;
  return m;
}

base::Result<core::Run> RunMetadataOptions::NewRun() const { return service::NewRun(Metadata()); }

}  // namespace perfledger::cli
