#include "cli/shell.h"

#include <fmt/format.h>

#include <cstdio>

namespace perfledger::cli {

void Shell::Fail(const base::Status& status) {
  fmt::print(stderr, "error: {}\n", status.message());
  exit_code = base::ExitCode(status);
}

void Shell::UsageError(const std::string& message) {
  fmt::print(stderr, "error: {}\n", message);
  exit_code = kExitBadInput;
}

base::Result<std::unique_ptr<store::Store>> Shell::OpenStore(bool create) const {
  store::OpenOptions options;
  options.create_if_missing = create;
  return store::OpenStore(db, options);
}

void RunFilterOptions::AddTo(CLI::App* cmd) {
  cmd->add_option("--platform", platform, "Only runs of this platform");
  cmd->add_option("--project", project, "Only runs of this project");
}

store::RunFilter RunFilterOptions::Filter() const {
  store::RunFilter filter;
  if (!platform.empty()) filter.platform = platform;
  if (!project.empty()) filter.project = project;
  return filter;
}

}  // namespace perfledger::cli
