// The collector: puts a batch of validated runs into a store atomically. It is the one writer
// of results; platform jobs only write artifacts.
#pragma once

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

// Drops duplicates within the batch (the same run_id and content: counted as already
// present), refuses conflicts within the batch naming both sources, then writes the rest in
// one transaction. A conflict with a stored run names the source that brought it.
base::Result<IngestStats> Collect(Store& store, std::vector<SourcedRun> runs);

}  // namespace perfledger::store
