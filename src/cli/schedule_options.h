// Options shared by the scheduling verbs (plan, simulate): the policy from --config and the
// flags that override it, and --now.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/time.h"
#include "schedule/planner.h"

namespace perfledger::cli {

struct PolicyOptions {
  std::string config;
  std::string window, sampling, marker;
  std::optional<int> widen_above, widen_factor, reset_above;

  void AddTo(CLI::App* cmd);
  // The config file (or `fallback_config` when it exists and --config is not given), then
  // the flags over it.
  base::Result<schedule::Policy> Resolve(const std::string& fallback_config = "") const;
};

// --now as given (RFC 3339), else the system clock. The error names the flag.
base::Result<base::Timestamp> NowOption(const std::string& text);

// "15m" as a whole number of minutes where it is one, else a fraction: for window_minutes.
double Minutes(int64_t nanos);

}  // namespace perfledger::cli
