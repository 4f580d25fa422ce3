// The collector's use case over artifact files, for a collect job that must not lose the good
// runs of a round to one bad artifact: every file the store accepts goes in, in one
// transaction, and every file it refuses is set aside with the reason (a quarantine), to be
// fixed and ingested again later.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/run.h"
#include "env/env.h"
#include "service/batch.h"
#include "store/store.h"

namespace perfledger::service {

struct QuarantinedFile {
  std::string path;
  base::Status reason;  // why it was refused: invalid, a conflict, an epoch mismatch
};

struct FilesCollected {
  int64_t artifacts = 0;  // runs read from the accepted files
  store::IngestStats stats;
  std::vector<QuarantinedFile> quarantined;  // in path order
};

// Reads `paths` (files; see ExpandArtifactPaths for directories) and ingests the runs of every
// file the store accepts in one transaction. A file is refused whole when it cannot be read or
// validated, when `check` (may be empty) refuses one of its runs, or when one of its runs
// conflicts with a stored run, with a run of an earlier file (the same run_id with other
// content) or with its platform's epoch; the remaining files are then tried again, so the
// transaction that commits holds exactly the accepted files. Errors other than refusals
// (the store unreachable, busy) are returned as they are, with nothing written.
base::Result<FilesCollected> CollectQuarantining(store::Store& store, env::Env* env,
                                                 const std::vector<std::string>& paths,
                                                 const RunCheck& check = {});

}  // namespace perfledger::service
