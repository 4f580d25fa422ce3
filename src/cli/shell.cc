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

}  // namespace perfledger::cli
