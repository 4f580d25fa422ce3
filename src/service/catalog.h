// The catalog documents: projects, platforms (with their epochs) and a page of runs, as
// GET /api/v1/projects, /platforms and /runs serve them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/store.h"

namespace perfledger::service {

// {"projects": [{"name", "runs", "platforms", "latest_run_at"}]}
base::Result<std::string> ProjectsDocument(store::Store& store);

// {"platforms": [{"name", "runs", "latest_run", "epochs": [...]}]}, of `project` when given.
base::Result<std::string> PlatformsDocument(store::Store& store,
                                            const std::optional<std::string>& project);

struct RunsRequest {
  store::RunFilter runs;
  int64_t limit = 100;
  int64_t offset = 0;  // from the newest
};

// {"total", "runs": [...]}: newest first; an offset past the end is an empty page.
base::Result<std::string> RunsDocument(store::Store& store, const RunsRequest& request);

}  // namespace perfledger::service
