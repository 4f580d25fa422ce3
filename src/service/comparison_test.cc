// The history noise `compare` and `check` learn from a real store (SQLite): each series'
// newest points only, head's own run never among them.
#include "service/comparison.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/artifact.h"
#include "service/service_test_support.h"
#include "store/store.h"

namespace perfledger::service {
namespace {

using test_support::At;
using test_support::Sha;

// Commit i's run on linux: benchmark "a" at `median` (five samples around it).
core::Run RunAt(int i, double median) {
  core::Run r;
  r.run_id = "run-" + std::to_string(i);
  r.project = "demo";
  r.commit.sha = Sha(i);
  r.commit.time = At(i);
  r.commit_range = {i > 0 ? std::optional<std::string>(Sha(i - 1)) : std::nullopt, Sha(i), 1};
  r.reason = core::Reason::kPush;
  r.platform = "linux";
  r.environment.os = "linux";
  r.environment.fingerprint = core::ComputeFingerprint(r.environment);
  r.started_at = At(i);
  r.finished_at = At(i + 1);
  core::BenchmarkResult b;
  b.name = "a";
  b.metrics.push_back({"wall_time",
                       "ns",
                       core::Direction::kLower,
                       {median - 0.2, median - 0.1, median, median + 0.1, median + 0.2},
                       {}});
  r.benchmarks.push_back(b);
  return r;
}

TEST(NoiseHistoryTest, IsLearnedFromEachSeriesNewestPointsWithoutHeadsRun) {
  const auto dir = test_support::FreshTestDir("comparison-test");
  auto opened = store::OpenSqliteStore((dir / "perf.db").string());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<store::Store> store = std::move(*opened);
  // Twenty commits jumping 10% from one to the next, then ten within 0.1% of each other, then
  // head: the newest points are quiet, the whole history is not.
  std::vector<core::Run> runs;
  for (int i = 0; i < 20; ++i) runs.push_back(RunAt(i, i % 2 == 0 ? 100 : 110));
  for (int i = 20; i < 30; ++i) runs.push_back(RunAt(i, 100 + 0.1 * (i % 2)));
  runs.push_back(RunAt(30, 100));
  ASSERT_TRUE(store->Ingest(std::span<const core::Run>(runs)).ok());
  const core::Run& head = runs.back();

  auto recent = LoadNoiseHistory(head, *store, "perf.db", 10);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  EXPECT_EQ(recent->runs, 10);  // commits 20..29: head's own point is not history
  ASSERT_EQ(recent->noise.count({"a", "wall_time"}), 1u);
  EXPECT_EQ(recent->noise.at({"a", "wall_time"}).runs, 10);
  EXPECT_LT(recent->noise.at({"a", "wall_time"}).relative, 0.01);

  auto all = LoadNoiseHistory(head, *store, "perf.db", 1000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->runs, 30);
  ASSERT_EQ(all->noise.count({"a", "wall_time"}), 1u);
  EXPECT_GT(all->noise.at({"a", "wall_time"}).relative, 0.01);
  store.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace perfledger::service
