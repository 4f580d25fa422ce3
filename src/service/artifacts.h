// Making artifacts on this machine: the metadata every artifact carries (the commit from the
// git repository here, the project, platform and environment), writing one out after reading
// it back through the artifact reader, and converting a harness's output file. The verbs
// `convert`, `write` and `run` call these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "core/run.h"
#include "env/env.h"

namespace perfledger::service {

// What the flags --platform, --commit, --project, --reason, --range-from, --range-count,
// --suite and --suite-revision say (empty: the default).
struct RunMetadata {
  std::string platform, commit, project, reason = "push", suite, range_from;
  int64_t suite_revision = 0, range_count = 1;
  std::string repo = ".";  // where the commit is described (`perfledger agent --repo`)
};

// A run with a new run_id, the commit (described from the git repository at `repo`, the
// working directory unless told, when there is one, else taken as given), the project
// (default: that repository's directory name), platform (default: this machine's arch-os),
// reason, suite and this machine's environment with its fingerprint. Measurements and times
// are the caller's.
base::Result<core::Run> NewRun(const RunMetadata& metadata);

// This machine as an artifact's environment (fingerprint not yet computed).
core::Environment ThisMachine();

// Writes `run` as an artifact, after reading it back through the artifact reader (what a verb
// writes is what ingest accepts; an invalid commit and the like fail here, named by `source`):
// to stdout without `out_dir`, else to DIR/benchmark-results-{sha}-{platform}.json. Returns
// that path, or "" for stdout.
base::Result<std::string> EmitArtifact(const core::Run& run, const std::string& out_dir,
                                       std::string_view source,
                                       env::Env* env = env::Env::Default());

// The adapters (name, description), for help texts.
std::vector<std::pair<std::string, std::string>> AdapterCatalog();

struct ConvertRequest {
  std::string file;
  std::string adapter = "auto";  // or an adapter's name
  RunMetadata metadata;
};

// The harness output `file` as a run: parsed by the adapter (detected for "auto"), benchmarks
// sorted by name, finished when the file was last written (now when that is unknown).
base::Result<core::Run> ConvertHarnessOutput(const ConvertRequest& request,
                                             env::Env* env = env::Env::Default());

}  // namespace perfledger::service
