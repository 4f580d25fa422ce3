#include "adapters/harness_output.h"

#include <fmt/format.h>

#include <cmath>

#include "core/artifact.h"

namespace perfledger::adapters {

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

base::Status NoResults(const std::string& source, std::string_view why) {
  return base::InvalidInput(fmt::format("{}: no benchmark results ({})", source, why));
}

base::Status ParseHarnessJson(simdjson::dom::parser& parser, std::string_view text,
                              const std::string& source, std::string_view empty_why,
                              simdjson::dom::element* root) {
  if (IsBlank(text)) return NoResults(source, empty_why);
  const auto error = parser.parse(text.data(), text.size(), true).get(*root);
  if (error != simdjson::SUCCESS) {
    return base::InvalidInput(
        fmt::format("{}: invalid JSON: {}", source, simdjson::error_message(error)));
  }
  return base::Status::Ok();
}

base::Result<simdjson::dom::array> RootMemberArray(json::Context& ctx, simdjson::dom::element root,
                                                   std::string_view key,
                                                   std::string_view expected_root,
                                                   std::string_view expected_array) {
  if (root.type() != simdjson::dom::element_type::OBJECT) {
    return json::Expected(ctx, expected_root, root);
  }
  simdjson::dom::element value;
  if (!json::Lookup(root.get_object().value_unsafe(), key, &value)) {
    return ctx.Fail(fmt::format("expected {}, got an object without it", expected_root));
  }
  json::Context::Scope scope(&ctx, key);
  if (value.type() != simdjson::dom::element_type::ARRAY) {
    return json::Expected(ctx, expected_array, value);
  }
  return value.get_array().value_unsafe();
}

base::Result<double> GetSeconds(const json::Context& ctx, simdjson::dom::element e) {
  if (!json::IsNumber(e)) return json::Expected(ctx, "a number of seconds", e);
  const double v = json::NumberValue(e);
  if (!std::isfinite(v) || v < 0) {
    return json::Expected(ctx, "a non-negative number of seconds", e);
  }
  return v;
}

Parsed CheckedResults(std::vector<core::BenchmarkResult> results, const std::string& source,
                      std::string_view none_why) {
  if (results.empty()) return NoResults(source, none_why);
  RETURN_IF_ERROR(core::ValidateBenchmarks(results).WithPrefix(source));
  return results;
}

}  // namespace perfledger::adapters
