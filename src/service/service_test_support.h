// What the service tests share: times a minute apart, made-up commit shas, runs of them, and
// a fresh directory per test (for its store).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "base/time.h"
#include "core/artifact.h"

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

// One run of commit `commit` on `platform` measuring `medians` (benchmark -> wall time, five
// samples around it); `run` tells reruns of one commit apart.
inline core::Run MakeRun(int commit, const std::string& platform,
                         const std::map<std::string, double>& medians, int run = 0) {
  core::Run r;
  r.run_id = "run-" + platform + "-" + std::to_string(commit) + "-" + std::to_string(run);
  r.project = "demo";
  r.commit.sha = Sha(commit);
  r.commit.time = At(commit);
  r.commit_range = {commit > 0 ? std::optional<std::string>(Sha(commit - 1)) : std::nullopt,
                    Sha(commit), 1};
  r.reason = core::Reason::kPush;
  r.platform = platform;
  r.environment.os = "linux";
  r.environment.fingerprint = core::ComputeFingerprint(r.environment);
  r.started_at = At(commit + run);
  r.finished_at = At(commit + run + 1);
  for (const auto& [name, median] : medians) {
    core::BenchmarkResult b;
    b.name = name;
    b.metrics.push_back({"wall_time",
                         "ns",
                         core::Direction::kLower,
                         {median - 2, median - 1, median, median + 1, median + 2},
                         {}});
    r.benchmarks.push_back(b);
  }
  return r;
}

}  // namespace perfledger::service::test_support
