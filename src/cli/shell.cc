#include "cli/shell.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "env/env.h"

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
  return OpenStoreAt(db, create);
}

base::Result<std::unique_ptr<store::Store>> Shell::OpenStoreAt(const std::string& location,
                                                               bool create) {
  store::OpenOptions options;
  options.create_if_missing = create;
  options.clock = [] { return env::Env::Default()->Now(); };
  // A migration that builds the series layer of a large store takes a while: say so on a
  // terminal, one line rewritten in place (nothing on a pipe, so scripts see no noise).
  if (::isatty(STDERR_FILENO) == 1) {
    options.progress = [path = store::PrintableLocation(location)](std::string_view step,
                                                                   int64_t done, int64_t total) {
      fmt::print(stderr, "\rperfledger: migrating {}: {}: {} / {}{}", path, step, done, total,
                 done == total ? "\n" : "");
      std::fflush(stderr);
    };
  }
  return store::OpenStore(location, options);
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

base::Result<double> ParsePercentFlag(const std::string& flag, const std::string& text,
                                      bool allow_zero) {
  std::string s = text;
  if (!s.empty() && s.back() == '%') s.pop_back();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  const bool in_range = allow_zero ? v >= 0 : v > 0;
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || !in_range || v > 1000) {
    return base::InvalidInput(flag + ": expected a percentage like 10% or 2.5, got '" + text + "'");
  }
  return v / 100;
}

}  // namespace perfledger::cli
