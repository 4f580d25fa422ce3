// What the service tests share: times a minute apart, made-up commit shas, and a fresh
// directory per test (for its store).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "base/time.h"

namespace perfledger::service::test_support {

inline constexpr int64_t kStart = 1'795'514'400;  // 2026-11-24T10:00:00Z

// `minute` minutes after kStart.
inline base::Timestamp At(int64_t minute) {
  return base::Timestamp{(kStart + minute * 60) * 1'000'000'000};
}

// Commit i's sha: i + 1 in 40 hex digits.
inline std::string Sha(int i) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", i + 1);
  return buf;
}

// An empty directory for the running test: perfledger-SUITE-PID-TEST under the temp dir.
inline std::filesystem::path FreshTestDir(const std::string& suite) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("perfledger-" + suite + "-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace perfledger::service::test_support
