// Internal to src/adapters: what every adapter does before and after reading its harness's
// format. An input that is only whitespace has no benchmark results; a JSON output is parsed
// with one wording of a syntax error; what an adapter read is checked as an artifact would be.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapters.h"
#include "adapters/json_reading.h"
#include "base/status.h"

namespace perfledger::adapters {

// True when `text` is empty or only whitespace.
bool IsBlank(std::string_view text);

// kInvalidInput "<source>: no benchmark results (<why>)".
base::Status NoResults(const std::string& source, std::string_view why);

// Parses a harness's JSON output into `*root` (which lives in `parser`). Blank input is
// NoResults(source, empty_why); a syntax error "<source>: invalid JSON: <simdjson's reason>".
base::Status ParseHarnessJson(simdjson::dom::parser& parser, std::string_view text,
                              const std::string& source, std::string_view empty_why,
                              simdjson::dom::element* root);

// The array member `key` of a root object. A root that is not an object is "expected
// <expected_root>, got ..."; an object without `key` "expected <expected_root>, got an object
// without it"; a member that is no array, at /key, "expected <expected_array>, got ...".
base::Result<simdjson::dom::array> RootMemberArray(json::Context& ctx, simdjson::dom::element root,
                                                   std::string_view key,
                                                   std::string_view expected_root,
                                                   std::string_view expected_array);

// A finite, non-negative number of seconds (hyperfine's and pytest-benchmark's times).
base::Result<double> GetSeconds(const json::Context& ctx, simdjson::dom::element e);

// The adapter's results, or NoResults(source, none_why) when there are none; what an artifact
// would refuse is refused here, named by `source`.
Parsed CheckedResults(std::vector<core::BenchmarkResult> results, const std::string& source,
                      std::string_view none_why);

}  // namespace perfledger::adapters
