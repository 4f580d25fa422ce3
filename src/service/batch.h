// Artifact batches into validated runs, in both forms: files (`ingest`, `validate`: *.json one
// artifact, *.jsonl one a line) and upload bodies (POST /api/v1/projects/{project}/runs: one
// artifact, or {"artifacts": [...]}). The read-and-validate half of ingest, before Collect.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "env/env.h"
#include "store/collector.h"

namespace perfledger::service {

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

struct UploadBatch {
  std::vector<store::SourcedRun> runs;
  int64_t artifacts = 0;
};

// An upload body for `project`: one artifact, or {"artifacts": [...]} (at least one). Every
// artifact must be of `project`. The first refusal is kInvalidInput whose message and
// location() give the JSON pointer in the whole body ("request body: /artifacts/2/project:
// expected 'web' (the project in the URL), got 'api'").
base::Result<UploadBatch> ReadUploadBody(std::string_view body, const std::string& project);

// A check of one run, refusing it with the reason (kInvalidInput, kConflict) or ok.
using RunCheck = std::function<base::Status(const core::Run&)>;

// Checks a run against what the suite file `suite_file` declares for its platform (the
// revision, the definitions, the epoch) and against its epoch's environment class.
// kInvalidInput when the file cannot be read.
base::Result<RunCheck> SuiteFileCheck(const std::string& suite_file);

}  // namespace perfledger::service
