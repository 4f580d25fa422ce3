#include "schedule/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "core/limits.h"
#include "core/toml_reading.h"

namespace perfledger::schedule {
namespace {

constexpr std::string_view kKnownKeys =
    "window, sampling, marker, degrade_widen_above, degrade_widen_factor, degrade_reset_above";

std::string Where(const std::string& source, const toml::source_region& r) {
  return fmt::format("{}:{}", source, r.begin.line);
}

using core::toml_reading::Describe;

}  // namespace

base::Result<Policy> ParsePolicy(std::string_view text, const std::string& source_name,
                                 const Policy& defaults) {
  ASSIGN_OR_RETURN(toml::table doc, core::toml_reading::Parse(text, source_name));
  Policy policy = defaults;
  const toml::node* section_node = doc.get("schedule");
  if (section_node == nullptr) return policy;
  const toml::table* section = section_node->as_table();
  if (section == nullptr) {
    return base::InvalidInput(fmt::format("{}: [schedule] must be a table, got {}",
                                          Where(source_name, section_node->source()),
                                          Describe(*section_node)));
  }
  for (const auto& [key, node] : *section) {
    // A reference, not the structured binding, is what the lambdas below capture: clang
    // before 16 cannot capture a structured binding.
    const toml::node& value = node;
    const std::string where = Where(source_name, value.source());
    const std::string k(key.str());
    auto bad = [&](std::string_view expected) {
      return base::InvalidInput(fmt::format("{}: [schedule] {}: expected {}, got {}", where, k,
                                            expected, Describe(value)));
    };
    auto integer = [&](int min, int* out) -> base::Status {
      const auto* v = value.as_integer();
      if (v == nullptr || v->get() < min || v->get() > kMaxPolicyNumber) {
        return bad(fmt::format("a whole number from {} to {}", min, kMaxPolicyNumber));
      }
      *out = static_cast<int>(v->get());
      return base::Status::Ok();
    };
    if (k == "window") {
      const auto* v = value.as_string();
      if (v == nullptr) return bad("a duration like \"15m\"");
      auto d = base::ParseDuration(v->get());
      if (!d.ok() || *d <= 0) return bad("a duration like \"15m\"");
      policy.window_nanos = *d;
    } else if (k == "sampling") {
      const auto* v = value.as_string();
      auto s = v ? ParseSampling(v->get()) : std::nullopt;
      if (!s) return bad("one of latest-in-window, merges-only, tagged, every-commit");
      policy.sampling = *s;
    } else if (k == "marker") {
      const auto* v = value.as_string();
      if (v == nullptr || v->get().empty()) return bad("a non-empty string like \"[bench]\"");
      policy.marker = v->get();
    } else if (k == "degrade_widen_above") {
      RETURN_IF_ERROR(integer(0, &policy.widen_above));
    } else if (k == "degrade_widen_factor") {
      RETURN_IF_ERROR(integer(1, &policy.widen_factor));
    } else if (k == "degrade_reset_above") {
      RETURN_IF_ERROR(integer(0, &policy.reset_above));
    } else {
      return base::InvalidInput(
          fmt::format("{}: [schedule] unknown key '{}' (known: {})", where, k, kKnownKeys));
    }
  }
  return policy;
}

base::Result<Policy> LoadPolicy(const std::string& path, const Policy& defaults) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::InvalidInput(fmt::format("{}: cannot read the config file", path));
  // At most kMaxConfigFileBytes: a link to /dev/zero must not be read until memory runs out.
  std::string text(core::kMaxConfigFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > core::kMaxConfigFileBytes) {
    return base::InvalidInput(fmt::format("{}: larger than the limit of {} MiB for a config file",
                                          path, core::kMaxConfigFileBytes >> 20));
  }
  return ParsePolicy(text, path, defaults);
}

}  // namespace perfledger::schedule
