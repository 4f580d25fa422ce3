// The collector: puts a batch of validated runs into a store atomically. It is the one writer
// of results; platform jobs only write artifacts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/run.h"
#include "store/store.h"

namespace perfledger::store {

struct SourcedRun {
  core::Run run;
  std::string source;  // where the run came from, for messages: a path, "request body"
};

// A batch checked within itself, ready to write: its distinct runs with their sources, and
// how many runs it carried twice (same run_id and content).
struct PreparedBatch {
  std::vector<core::Run> runs;
  std::vector<std::string> sources;    // parallel to `runs`
  std::vector<RunEncoding> encodings;  // parallel to `runs`: EncodeRun
  int64_t in_batch_duplicates = 0;
};

// The in-batch half of Collect: drops duplicates (the same run_id and content), refuses
// conflicts within the batch (same run_id, other content) naming both sources, and encodes
// each run (EncodeRun: its content hash, sample blobs and points; outside any transaction).
// On a conflict, `conflicting` (when given) is set to the index in `runs` of the later run.
base::Result<PreparedBatch> PrepareBatch(std::vector<SourcedRun> runs,
                                         size_t* conflicting = nullptr);

// The store half of Collect: writes a prepared batch in one transaction; duplicates count as
// already present. A conflict with a stored run names the source that brought it.
base::Result<IngestStats> IngestPrepared(Store& store, const PreparedBatch& batch);

// Drops duplicates within the batch (the same run_id and content: counted as already
// present), refuses conflicts within the batch naming both sources, then writes the rest in
// one transaction. A conflict with a stored run names the source that brought it.
base::Result<IngestStats> Collect(Store& store, std::vector<SourcedRun> runs);

}  // namespace perfledger::store
