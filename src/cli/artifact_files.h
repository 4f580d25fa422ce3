// Turning PATH arguments into validated runs: the read-and-validate half of `ingest` and
// `validate`, shared with the benchmarks.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "env/env.h"
#include "store/collector.h"

namespace perfledger::cli {

// Files as given (*.json: one artifact; *.jsonl: one a line); directories expand to every
// *.json file below them (recursively, sorted).
// An unreadable path or a directory without artifacts is an error naming it.
base::Result<std::vector<std::string>> ExpandArtifactPaths(env::Env* env,
                                                           const std::vector<std::string>& args);

struct LoadedArtifacts {
  std::vector<store::SourcedRun> runs;
  std::vector<base::Status> errors;  // one per bad file, in path order
};

// Reads and validates every file; the result holds either all runs or at least one error.
// A *.jsonl file holds one artifact a line (what export and the history files hold).
LoadedArtifacts LoadArtifacts(env::Env* env, const std::vector<std::string>& paths);

}  // namespace perfledger::cli
