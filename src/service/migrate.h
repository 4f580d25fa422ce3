// Copying a store into another (`perfledger migrate-store`, issue 14): from SQLite into
// PostgreSQL when a team outgrows one file, or back. Runs go through the target's Ingest, in
// batches, so the target derives its own series layer and a copy cut short continues where it
// stopped (runs already in the target count as already present); every other record (plans,
// jobs, agents, skips, commits, alerts, tokens, marks) then goes as it is, ids included, in one
// transaction (Store::WriteRecords), into a target that holds none yet. The copy is checked
// before it is reported. Derived documents (checkpoints) are not copied: the target
// computes its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "base/status.h"
#include "store/store.h"

namespace perfledger::service {

// `done` of `total` items of `step` ("runs", then "records"): a terminal's status line.
using MigrateProgress = std::function<void(std::string_view step, int64_t done, int64_t total)>;

// Runs per Ingest transaction of the target.
inline constexpr size_t kMigrateBatchRuns = 256;

struct MigrateReport {
  int64_t runs = 0;                  // in the source
  int64_t runs_copied = 0;           // written into the target now
  int64_t runs_already_present = 0;  // in the target before, with the same content
  int64_t plans = 0, jobs = 0, agents = 0, skips = 0, commits = 0, alerts = 0, tokens = 0,
          marks = 0;
};

// Copies every run and record of `from` into `to` and checks the copy: every run of `from` is
// in `to`, and `to`'s records are `from`'s. Reads `from` only. Refuses (kConflict, before
// copying anything) a target that already holds plans, alerts or tokens; a run stored in both
// with different content is kConflict naming it. A check that fails is kInternal naming what
// differs (was the source written to during the copy?).
//
// The "detect" mark (the change mark the last recorded detection covered) counts the source's
// run rows, which the target numbers in its own order: the target's mark is its own change
// mark when that pass covered every run of the source and the target holds no other run, and
// is left out otherwise, so that its next recorded detection reads every series once.
base::Result<MigrateReport> MigrateStore(store::Store& from, store::Store& to,
                                         const MigrateProgress& progress = {});

}  // namespace perfledger::service
