#include "adapters/import_support.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "adapters/harness_output.h"
#include "base/strings.h"

namespace perfledger::adapters {

base::Status ParseImportJson(simdjson::dom::parser& parser, std::string_view text,
                             const std::string& source, simdjson::dom::element* root) {
  if (IsBlank(text)) return base::InvalidInput(source + ": empty file");
  const auto error = parser.parse(text.data(), text.size(), true).get(*root);
  if (error != simdjson::SUCCESS) return json::SyntaxError(text, source, error);
  return base::Status::Ok();
}

base::Result<std::string> ReadCommitSha(const json::Context& ctx, simdjson::dom::element e,
                                        std::string_view why_full) {
  if (e.type() == simdjson::dom::element_type::STRING) {
    std::string sha(e.get_string().value_unsafe());
    if (base::IsSha1Hex(sha)) {
      for (char& c : sha) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return sha;
    }
  }
  return ctx.Fail(
      fmt::format("expected a full 40-hex commit sha, got {}: {}", json::Describe(e), why_full));
}

base::Result<base::Timestamp> ReadMillis(const json::Context& ctx, simdjson::dom::element e) {
  const std::optional<double> ms = json::FiniteNumber(e);
  // Between 1970 and 2200: a time in seconds or nanoseconds by mistake is refused, not stored.
  if (!ms || *ms < 0 || *ms > 7.3e12) {
    return json::Expected(ctx, "a time in milliseconds since 1970", e);
  }
  return base::Timestamp{static_cast<int64_t>(std::llround(*ms)) * 1'000'000};
}

}  // namespace perfledger::adapters
