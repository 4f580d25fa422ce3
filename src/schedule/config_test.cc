#include "schedule/config.h"

#include <gtest/gtest.h>

namespace perfledger::schedule {
namespace {

constexpr int64_t kMinute = 60LL * 1'000'000'000;

TEST(Config, EveryKey) {
  auto p = ParsePolicy(R"([schedule]
window = "30m"
sampling = "tagged"
marker = "[perf]"
degrade_widen_above = 5
degrade_widen_factor = 3
degrade_reset_above = 0

[dashboard]
title = "not ours"
)",
                       "perfledger.toml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->window_nanos, 30 * kMinute);
  EXPECT_EQ(p->sampling, Sampling::kTagged);
  EXPECT_EQ(p->marker, "[perf]");
  EXPECT_EQ(p->widen_above, 5);
  EXPECT_EQ(p->widen_factor, 3);
  EXPECT_EQ(p->reset_above, 0);
}

TEST(Config, DefaultsWhenAbsent) {
  auto p = ParsePolicy("", "empty.toml");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->window_nanos, 15 * kMinute);
  EXPECT_EQ(p->sampling, Sampling::kLatestInWindow);
  EXPECT_EQ(p->marker, "[bench]");
  EXPECT_EQ(p->widen_above, 10);
  EXPECT_EQ(p->widen_factor, 2);
  EXPECT_EQ(p->reset_above, 20);
}

void ExpectError(std::string_view text, std::string_view message) {
  auto p = ParsePolicy(text, "perf.toml");
  ASSERT_FALSE(p.ok()) << text;
  EXPECT_EQ(p.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(p.status().message(), message);
}

TEST(Config, ErrorsNameFileLineAndKey) {
  ExpectError("[schedule]\n\nwindow = \"soon\"\n",
              "perf.toml:3: [schedule] window: expected a duration like \"15m\", got \"soon\"");
  ExpectError("[schedule]\nwindow = 15\n",
              "perf.toml:2: [schedule] window: expected a duration like \"15m\", got 15");
  ExpectError("[schedule]\nsampling = \"sometimes\"\n",
              "perf.toml:2: [schedule] sampling: expected one of latest-in-window, merges-only, "
              "tagged, every-commit, got \"sometimes\"");
  ExpectError("[schedule]\ndegrade_reset_above = -1\n",
              "perf.toml:2: [schedule] degrade_reset_above: expected a whole number from 0 to "
              "1000000, got -1");
  ExpectError("[schedule]\ndegrade_widen_factor = 0\n",
              "perf.toml:2: [schedule] degrade_widen_factor: expected a whole number from 1 to "
              "1000000, got 0");
  ExpectError("[schedule]\nwindw = \"15m\"\n",
              "perf.toml:2: [schedule] unknown key 'windw' (known: window, sampling, marker, "
              "degrade_widen_above, degrade_widen_factor, degrade_reset_above)");
  ExpectError("schedule = 3\n", "perf.toml:1: [schedule] must be a table, got 3");
}

TEST(Config, SyntaxErrorsNameLineAndColumn) {
  auto p = ParsePolicy("[schedule]\nwindow = \"15m\n", "perf.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.status().message().starts_with("perf.toml:2:")) << p.status().message();
}

TEST(Config, MissingFile) {
  auto p = LoadPolicy("/nonexistent/perfledger.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "/nonexistent/perfledger.toml: cannot read the config file");
}

}  // namespace
}  // namespace perfledger::schedule
