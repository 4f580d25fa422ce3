// What every artifact-making verb (convert, run) fills in besides the measurements: the
// commit, project, platform, reason, suite and the machine's environment, and the platform
// names a user types (`init github-actions --platforms` too).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"
#include "cli/shell.h"
#include "core/run.h"
#include "service/artifacts.h"

namespace perfledger::cli {

using service::EmitArtifact;

// --platform, --commit, --project, --reason, --range-from, --range-count and, with_suite_name,
// --suite NAME and --suite-revision (`run` has --suite FILE instead).
struct RunMetadataOptions {
  std::string platform, commit, project, reason = "push", suite, range_from;
  int64_t suite_revision = 0, range_count = 1;
  void AddTo(CLI::App* cmd, bool with_suite_name = true);
  // The flags as the service's metadata, with what a quick timing anywhere needs filled in
  // (each named by a one-line note on stderr):
  //   - outside a git repository (or in one without a commit), no --commit: the commit is
  //     core::kUnknownCommit, which files and terminals take and every store refuses;
  //   - no --project and no repository to name it: the working directory's name ("scratch");
  //   - --platform given in the other order (linux-x86_64): ResolvePlatformName.
  // Inside a repository nothing changes: service::NewRun describes HEAD and names the project
  // after the repository's directory.
  service::RunMetadata Metadata(const Shell& shell) const;
};

// A platform name a user typed for `flag`, as perfledger names platforms (core/platform_name.h):
// an alias in the other order (linux-x86_64) becomes the canonical name (x86-64-linux) with a
// note on stderr, unless a series already goes by the name as given: the store at --db (or
// $PERFLEDGER_DB, or ./perfledger.db) holds runs under it, or this is a CI job (environment
// variable CI set: the name comes from a pipeline whose history lives elsewhere, not from a user
// typing it). Then it is kept, with a note saying so. Any other name is returned as it is.
std::string ResolvePlatformName(const std::string& name, std::string_view flag, const Shell& shell);

}  // namespace perfledger::cli
