// Reading TOML files (the suite file, the schedule section) with toml++, with one wording for
// every rejection: "<source>:<line>:<column>: <what toml++ says>" for a file that is not TOML,
// and values described as users wrote them ("\"fast\"", 5, "a table"). Header-only: the
// layers that read TOML (runner, schedule) link toml++; core does not.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "base/status.h"

namespace perfledger::core::toml_reading {

// A value as the user wrote it, for "expected X, got Y".
inline std::string Describe(const toml::node& n) {
  if (const auto* s = n.as_string()) return fmt::format("\"{}\"", s->get());
  if (const auto* i = n.as_integer()) return fmt::format("{}", i->get());
  if (const auto* f = n.as_floating_point()) return fmt::format("{}", f->get());
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  if (n.is_table()) return "a table";
  if (n.is_array()) return "an array";
  return "a date or time";
}

// The document, or kInvalidInput "<source>:<line>:<column>: <description>".
inline base::Result<toml::table> Parse(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return base::InvalidInput(fmt::format("{}:{}:{}: {}", source, e.source().begin.line,
                                          e.source().begin.column, e.description()));
  }
}

}  // namespace perfledger::core::toml_reading
