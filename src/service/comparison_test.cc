// The history noise `compare` and `check` learn from a real store (SQLite): each series'
// newest points only, head's own run never among them.
#include "service/comparison.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/artifact.h"
#include "service/service_test_support.h"
#include "store/store.h"

namespace perfledger::service {
namespace {

using test_support::MakeRun;

// A run of `benchmarks` benchmarks with 10 samples of 2% Gaussian noise each, benchmark 0
// `slower` times its level.
core::Run NoisyRun(int commit, int benchmarks, std::mt19937_64& rng, double slower = 1) {
  std::map<std::string, double> levels;
  for (int i = 0; i < benchmarks; ++i) levels["b" + std::to_string(100 + i)] = 1000 * (1 + i % 7);
  core::Run r = MakeRun(commit, "linux", levels);
  std::normal_distribution<double> z;
  for (core::BenchmarkResult& b : r.benchmarks) {
    const double level = levels.at(b.name) * (b.name == "b100" ? slower : 1);
    std::vector<double>& samples = b.metrics.at(0).samples;
    samples.clear();
    for (int j = 0; j < 10; ++j) samples.push_back(level * (1 + 0.02 * z(rng)));
  }
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

// Issue 17, end to end through a store: with 0, 2, 3, 5, 8 or 30 stored runs of a suite of 40
// benchmarks (2% noise, 10 samples a side), a 10% regression of one benchmark is found in at
// least 95% of comparisons and comparisons with no change report a regression in at most 5%.
// A short history is pooled across the suite, so it is used from 3 runs on.
TEST(NoiseHistoryTest, TheGateKeepsItsPowerWithShortHistories) {
  const auto dir = test_support::FreshTestDir("comparison-short-history");
  for (int stored : {0, 2, 3, 5, 8, 30}) {
    std::mt19937_64 rng(static_cast<uint64_t>(1700 + stored));
    const auto path = dir / ("perf-" + std::to_string(stored) + ".db");
    auto opened = store::OpenSqliteStore(path.string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    std::unique_ptr<store::Store> store = std::move(*opened);
    std::vector<core::Run> runs;
    for (int i = 0; i < stored; ++i) runs.push_back(NoisyRun(i, 40, rng));
    if (!runs.empty()) {
      ASSERT_TRUE(store->Ingest(std::span<const core::Run>(runs)).ok());
    }
    auto history = LoadNoiseHistory(NoisyRun(100, 40, rng), *store, "perf.db");
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    EXPECT_EQ(history->runs, stored);
    EXPECT_EQ(history->noise.size(), stored >= 3 ? 40u : 0u) << stored << " stored runs";
    int found = 0, false_alarms = 0;
    const int trials = 60;
    for (int t = 0; t < trials; ++t) {
      const core::Run base = NoisyRun(100, 40, rng);
      auto slower = CompareRunsOf(base, NoisyRun(101, 40, rng, 1.1), {}, *history);
      ASSERT_TRUE(slower.ok()) << slower.status().ToString();
      const analysis::ComparisonRow& row = slower->comparison.rows.at(0);
      ASSERT_EQ(row.benchmark, "b100");
      EXPECT_EQ(row.noise_source, stored >= 3 ? fmt::format("run-to-run over {} runs, pooled "
                                                            "with 39 series",
                                                            stored)
                                              : "within-run spread");
      found += row.verdict == analysis::Verdict::kRegression;
      auto same = CompareRunsOf(base, NoisyRun(101, 40, rng), {}, *history);
      ASSERT_TRUE(same.ok()) << same.status().ToString();
      false_alarms += same->comparison.regressions > 0;
    }
    EXPECT_GE(found, trials * 95 / 100) << stored << " stored runs";
    EXPECT_LE(false_alarms, trials * 5 / 100) << stored << " stored runs";
    store.reset();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace perfledger::service
