// What every artifact-making verb (write, convert, run) fills in besides the measurements:
// the commit, project, platform, reason, suite and the machine's environment.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"
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
  service::RunMetadata Metadata() const;
  // service::NewRun of Metadata(): a run with a new run_id, the commit (--commit, described from
  // the git repository in the working directory when there is one, else taken as given), the
  // project (default: that repository's directory name), platform, reason, suite and this machine's
  // environment with its fingerprint. Measurements and times are the caller's.
  base::Result<core::Run> NewRun() const;
};

}  // namespace perfledger::cli
