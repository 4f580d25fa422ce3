// Internal to src/adapters: what the history importers (history_import.h) share: reading a
// whole JSON document with line:column syntax errors, and checking a commit id.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "adapters/json_reading.h"
#include "base/status.h"
#include "base/time.h"

namespace perfledger::adapters {

// The object or array an element of that type holds, by value: a range-for over
// `e.get_object().value_unsafe()` would iterate a destroyed temporary.
inline simdjson::dom::object AsObject(simdjson::dom::element e) {
  return e.get_object().value_unsafe();
}
inline simdjson::dom::array AsArray(simdjson::dom::element e) {
  return e.get_array().value_unsafe();
}

// Parses `text` into `*root` (which lives in `parser`). Blank input is "<source>: empty file";
// a syntax error "<source>:<line>:<column>: invalid JSON: ...".
base::Status ParseImportJson(simdjson::dom::parser& parser, std::string_view text,
                             const std::string& source, simdjson::dom::element* root);

// The string at the context's pointer as a full commit sha, lower case. Anything else is
// "<source>: <pointer>: expected a full 40-hex commit sha, got ...: <why_full>".
base::Result<std::string> ReadCommitSha(const json::Context& ctx, simdjson::dom::element e,
                                        std::string_view why_full);

// Milliseconds since the epoch (asv's and github-action-benchmark's times) as a Timestamp.
base::Result<base::Timestamp> ReadMillis(const json::Context& ctx, simdjson::dom::element e);

}  // namespace perfledger::adapters
