// What every artifact-making verb (write, convert, run) fills in besides the measurements:
// the commit, project, platform, reason, suite and the machine's environment.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"
#include "core/run.h"
#include "env/host.h"

namespace perfledger::cli {

// This machine as an artifact's environment (fingerprint not yet computed).
core::Environment HostEnvironment(const env::HostInfo& host);

// The default platform label: "<arch>-<os>" with '_' as '-', e.g. "x86-64-linux".
std::string HostPlatform(const env::HostInfo& host);

// Writes `run` as an artifact, after reading it back through the artifact reader (what a verb
// writes is what ingest accepts; an invalid --commit and the like fail here, named by
// `source`): to stdout without `out_dir`, else to DIR/benchmark-results-{sha}-{platform}.json.
// Returns that path, or "" for stdout.
base::Result<std::string> EmitArtifact(const core::Run& run, const std::string& out_dir,
                                       std::string_view source);

// --platform, --commit, --project, --reason, --range-from, --range-count and, with_suite_name,
// --suite NAME and
// --suite-revision (`run` has --suite FILE instead).
struct RunMetadataOptions {
  std::string platform, commit, project, reason = "push", suite, range_from;
  int64_t suite_revision = 0, range_count = 1;
  void AddTo(CLI::App* cmd, bool with_suite_name = true);
  // A run with a new run_id, the commit (--commit, described from the git repository in the
  // working directory when there is one, else taken as given), the project (default: that
  // repository's directory name), platform, reason, suite and this machine's environment with
  // its fingerprint. Measurements and times are the caller's.
  base::Result<core::Run> NewRun() const;
};

}  // namespace perfledger::cli
