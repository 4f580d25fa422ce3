// Comparability is decided before data enters: a run is checked against what its suite
// declares (DESIGN.md "suite revision", "epoch"), whether the declaration comes from the suite
// file or from the first run the store kept for that revision and epoch.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/run.h"

namespace perfledger::core {

// Checks that `run` (which has a suite) matches `declared`: the suite name, the revision, the
// benchmark definitions (when both have them) and, when `declared` has an epoch, the epoch
// number and every setting. `declared_by` names the declaration in messages ("perfledger.toml",
// "epoch 2 as first stored by run 1b2c…"). A mismatch is kConflict with one line naming the
// run, the platform, what differs (both values) and what to do about it.
base::Status CheckAgainstDeclared(const Run& run, const SuiteRef& declared,
                                  std::string_view declared_by);

// Checks the run's environment against its epoch's environment class (setting "environment":
// "ci" or "local"; "any" or absent accepts both): a local run never enters a CI epoch.
base::Status CheckEnvironmentClass(const Run& run);

// True when a run with these benchmark names (sorted) measured every entry its suite revision
// defines: a benchmark named exactly like the entry, or "<entry>/<harness benchmark>". An
// epoch's first complete run is the first that does (the headline index starts there).
bool MeasuresEveryDefinition(const std::vector<std::string>& names,
                             const std::map<std::string, std::string>& definitions);

}  // namespace perfledger::core
