// How every back end keeps a suite revision's definitions and an epoch's settings
// (suite_json.h).

#include "store/suite_json.h"

#include "base/json_writer.h"
#include "core/artifact.h"

namespace perfledger::store {

using base::Result;

// The JSON objects of the suite_revisions and epochs tables: name -> definition hash, and
// setting key -> raw JSON value.
std::string DefinitionsJson(const std::map<std::string, std::string>& definitions) {
  base::JsonWriter w;
  w.BeginObject();
  for (const auto& [name, hash] : definitions) w.Key(name).String(hash);
  w.EndObject();
  return w.Take();
}

std::string SettingsJson(const std::map<std::string, std::string>& settings) {
  base::JsonWriter w;
  w.BeginObject();
  for (const auto& [key, raw] : settings) w.Key(key).Raw(raw);
  w.EndObject();
  return w.Take();
}

// Reads the columns above back through core::ReadSuite, so stored text is validated the same
// way an artifact's suite is.
Result<core::SuiteRef> StoredSuite(const std::string& name, int64_t revision,
                                   const std::optional<std::string>& definitions,
                                   const std::optional<std::pair<int64_t, std::string>>& epoch) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("name").String(name);
  w.Key("revision").Int(revision);
  if (definitions) w.Key("definitions").Raw(*definitions);
  if (epoch) {
    w.Key("epoch").BeginObject();
    w.Key("number").Int(epoch->first);
    w.Key("settings").Raw(epoch->second);
    w.EndObject();
  }
  w.EndObject();
  auto suite = core::ReadSuite(w.str(), "stored suite");
  if (!suite.ok()) return base::Internal(suite.status().message());
  return suite;
}

}  // namespace perfledger::store
