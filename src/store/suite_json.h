// A suite revision's definitions and an epoch's settings as every back end stores them: JSON
// objects in a text column, read back through core::ReadSuite. Private to the store layer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "base/status.h"
#include "core/run.h"

namespace perfledger::store {

// The JSON objects of the suite_revisions and epochs tables: name -> definition hash, and
// setting key -> raw JSON value.
std::string DefinitionsJson(const std::map<std::string, std::string>& definitions);
std::string SettingsJson(const std::map<std::string, std::string>& settings);

// Reads those columns back through core::ReadSuite, so stored text is validated the same way
// an artifact's suite is.
base::Result<core::SuiteRef> StoredSuite(
    const std::string& name, int64_t revision, const std::optional<std::string>& definitions,
    const std::optional<std::pair<int64_t, std::string>>& epoch);

}  // namespace perfledger::store
