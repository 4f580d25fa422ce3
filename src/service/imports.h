// Importing another tool's history (`perfledger import`): a github-action-benchmark data.js,
// an asv results directory or a Bencher Metric Format file becomes runs, one per commit and
// platform, each checked as an artifact the collector accepts. The parsing is adapters'
// (adapters/history_import.h); this layer reads the files and gives every run its identity.
//
// Importing is idempotent: a run's id is derived from the source format, project, commit and
// platform (a name-based UUID, RFC 9562 version 8 over SHA-256), and everything else in it
// from the source, so the same import twice gives the same artifacts and ingesting them again
// is a no-op.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "core/run.h"
#include "env/env.h"

namespace perfledger::service {

struct ImportRequest {
  std::string from;    // "github-action-benchmark", "asv" or "bencher"
  std::string source;  // data.js, the asv results directory, the BMF file
  // Empty: taken from the source where it has one (asv's machine name, data.js's repoUrl);
  // required otherwise.
  std::string platform, project;
  std::string commit;   // bencher: the commit the file measured (required)
  std::string date;     // bencher: when it ran, RFC 3339 (default: the file's modification time)
  std::string asv_env;  // asv: only results of this environment (env_name)
};

// The formats `from` takes (name, description), for help texts.
std::vector<std::pair<std::string, std::string>> ImportFormats();

// The source's runs, sorted by measurement time, each read back through the artifact reader.
// kInvalidInput with one line naming the file and JSON pointer (or line) for bad input, or the
// missing flag; nothing is returned unless every run is good.
base::Result<std::vector<core::Run>> ImportHistory(const ImportRequest& request,
                                                   env::Env* env = env::Env::Default());

// The run id of an imported run: the same arguments always give the same UUID.
std::string ImportedRunId(std::string_view from, std::string_view project, std::string_view commit,
                          std::string_view platform);

}  // namespace perfledger::service
