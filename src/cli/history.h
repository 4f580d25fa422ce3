// History files: one JSON Lines file per platform (DIR/<platform>.jsonl), each line a run's
// canonical artifact in export order: the layout a "perf" git branch would hold. Written only
// from the store, by the collector, and replaced atomically, so two jobs never race on them.
#pragma once

#include <string>

#include "base/status.h"
#include "env/env.h"
#include "store/store.h"

namespace perfledger::cli {

// Rewrites the history file of every platform matching `filter`; returns how many it wrote.
base::Result<int> WriteHistory(store::Store& store, const store::RunFilter& filter,
                               const std::string& dir, env::Env* env);

}  // namespace perfledger::cli
