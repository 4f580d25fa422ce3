#include "cli/schedule_options.h"

#include <fmt/format.h>

#include <filesystem>

#include "env/env.h"
#include "schedule/config.h"

namespace perfledger::cli {

void PolicyOptions::AddTo(CLI::App* cmd) {
  cmd->add_option("--config", config,
                  "TOML file with a [schedule] section (flags below override it)");
  cmd->add_option("--window", window, "Window length, e.g. 15m (default 15m)");
  cmd->add_option("--sampling", sampling,
                  "latest-in-window (default), merges-only, tagged or every-commit");
  cmd->add_option("--marker", marker, "Subject marker for --sampling tagged (default [bench])");
  cmd->add_option("--degrade-widen-above", widen_above,
                  "Queue depth above which the window widens (default 10; 0 = never)");
  cmd->add_option("--degrade-widen-factor", widen_factor, "How much it widens (default 2)");
  cmd->add_option("--degrade-reset-above", reset_above,
                  "Queue depth above which queued jobs are superseded (default 20; 0 = never)");
}

base::Result<schedule::Policy> PolicyOptions::Resolve(const std::string& fallback_config) const {
  schedule::Policy policy;
  std::error_code ec;
  if (!config.empty()) {
    ASSIGN_OR_RETURN(policy, schedule::LoadPolicy(config));
  } else if (!fallback_config.empty() && std::filesystem::is_regular_file(fallback_config, ec)) {
    ASSIGN_OR_RETURN(policy, schedule::LoadPolicy(fallback_config));
  }
  if (!window.empty()) {
    auto d = base::ParseDuration(window);
    if (!d.ok() || *d <= 0) {
      return base::InvalidInput(
          fmt::format("--window: expected a duration like 15m or 1h30m, got '{}'", window));
    }
    policy.window_nanos = *d;
  }
  if (!sampling.empty()) {
    auto s = schedule::ParseSampling(sampling);
    if (!s) {
      return base::InvalidInput(fmt::format(
          "--sampling: expected latest-in-window, merges-only, tagged or every-commit, got '{}'",
          sampling));
    }
    policy.sampling = *s;
  }
  if (!marker.empty()) policy.marker = marker;
  auto bounded = [](std::string_view flag, int v, int min) -> base::Status {
    if (v < min || v > schedule::kMaxPolicyNumber) {
      return base::InvalidInput(fmt::format("{}: expected a whole number from {} to {}, got {}",
                                            flag, min, schedule::kMaxPolicyNumber, v));
    }
    return base::Status::Ok();
  };
  if (widen_above) {
    RETURN_IF_ERROR(bounded("--degrade-widen-above", *widen_above, 0));
    policy.widen_above = *widen_above;
  }
  if (widen_factor) {
    RETURN_IF_ERROR(bounded("--degrade-widen-factor", *widen_factor, 1));
    policy.widen_factor = *widen_factor;
  }
  if (reset_above) {
    RETURN_IF_ERROR(bounded("--degrade-reset-above", *reset_above, 0));
    policy.reset_above = *reset_above;
  }
  return policy;
}

base::Result<base::Timestamp> NowOption(const std::string& text) {
  if (text.empty()) {
    return env::Env::Default()->Now();
  }
  auto t = base::ParseRfc3339(text);
  if (!t.ok()) return t.status().WithPrefix("--now");
  return *t;
}

double Minutes(int64_t nanos) { return static_cast<double>(nanos) / 60e9; }

}  // namespace perfledger::cli
