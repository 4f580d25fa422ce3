// The scheduling policy from a config file's [schedule] section (TOML):
//
//   [schedule]
//   window = "15m"                 # a duration: 90s, 15m, 1h30m
//   sampling = "latest-in-window"  # | "merges-only" | "tagged" | "every-commit"
//   marker = "[bench]"             # for sampling = "tagged"
//   degrade_widen_above = 10       # queue depth above which the window widens; 0 = off
//   degrade_widen_factor = 2
//   degrade_reset_above = 20       # queue depth above which the queue resets; 0 = off
//
// Other sections belong to other parts of perfledger and are left alone.
#pragma once

#include <string>

#include "base/status.h"
#include "schedule/planner.h"

namespace perfledger::schedule {

// Reads `path` over `defaults`. Errors (kInvalidInput) name the file, line and key:
//   "perfledger.toml:3: [schedule] window: expected a duration like \"15m\", got \"soon\"".
base::Result<Policy> LoadPolicy(const std::string& path, const Policy& defaults = {});

// The same, from text (for tests and for configs that do not live in a file).
base::Result<Policy> ParsePolicy(std::string_view text, const std::string& source_name,
                                 const Policy& defaults = {});

}  // namespace perfledger::schedule
