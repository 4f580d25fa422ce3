// The history noise `compare` and `check` learn from a real store (SQLite): each series'
// newest points only, head's own run never among them.
#include "service/comparison.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/artifact.h"
#include "service/service_test_support.h"
#include "store/store.h"

namespace perfledger::service {
namespace {

using test_support::MakeRun;

TEST(NoiseHistoryTest, IsLearnedFromEachSeriesNewestPointsWithoutHeadsRun) {
  const auto dir = test_support::FreshTestDir("comparison-test");
  auto opened = store::OpenSqliteStore((dir / "perf.db").string());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<store::Store> store = std::move(*opened);
  // Twenty commits jumping 10% from one to the next, then ten within 0.1% of each other, then
  // head: the newest points are quiet, the whole history is not.
  std::vector<core::Run> runs;
  for (int i = 0; i < 20; ++i) runs.push_back(MakeRun(i, "linux", {{"a", i % 2 ? 110 : 100}}));
  for (int i = 20; i < 30; ++i) runs.push_back(MakeRun(i, "linux", {{"a", 100 + 0.1 * (i % 2)}}));
  runs.push_back(MakeRun(30, "linux", {{"a", 100}}));
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
