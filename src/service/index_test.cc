// The index the server keeps between requests (IndexCache) over a real store (SQLite): after
// every kind of change it must equal the index computed afresh from every series, to the bit,
// and it must get there by updating in place where no base moved.
#include "service/index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/artifact.h"
#include "service/service_test_support.h"

namespace perfledger::service {
namespace {

using test_support::At;
using test_support::MakeRun;
using test_support::Sha;

namespace fs = std::filesystem;

class IndexCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::FreshTestDir("index-test");
    auto store = store::OpenSqliteStore((dir_ / "perf.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    // Five commits on two platforms: a and b everywhere, c from commit 1 on linux.
    std::vector<core::Run> runs;
    for (int i = 0; i < 5; ++i) {
      std::map<std::string, double> linux{{"a", 100.0 + i * 3}, {"b", 1000.0 - i * 7}};
      if (i >= 1) linux["c"] = 50.0 + i;
      runs.push_back(MakeRun(i, "linux", linux));
      runs.push_back(MakeRun(i, "mac", {{"a", 200.0 + i}, {"b", 20.0 + i * 0.5}}));
    }
    Ingest(runs);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void Ingest(const std::vector<core::Run>& runs) {
    auto stats = store_->Ingest(std::span<const core::Run>(runs));
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  }

  // The cache's index, checked against the index computed afresh.
  void ExpectCurrent(IndexCache& cache) {
    auto current = cache.Get(*store_);
    ASSERT_TRUE(current.ok()) << current.status().ToString();
    auto fresh = IndexOf(*store_, {});
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    ASSERT_FALSE(fresh->empty());
    EXPECT_EQ(*current->index, *fresh);
    auto mark = store_->ChangeMark();
    ASSERT_TRUE(mark.ok());
    EXPECT_EQ(current->mark, *mark);
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(IndexCacheTest, PlatformsReadSideBySideGiveTheSameIndex) {
  // Three platforms, so that both connections read at least one.
  std::vector<core::Run> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(MakeRun(i, "riscv", {{"a", 7.0 + i}, {"b", 9.0}}));
  Ingest(runs);
  auto alone = IndexOf(*store_, {});
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  ASSERT_EQ(alone->size(), 3u);
  int opened = 0;
  IndexRequest request;
  request.another_store = [&]() -> base::Result<std::shared_ptr<store::Store>> {
    ++opened;
    ASSIGN_OR_RETURN(std::unique_ptr<store::Store> other,
                     store::OpenSqliteStore((dir_ / "perf.db").string()));
    return std::shared_ptr<store::Store>(std::move(other));
  };
  auto side_by_side = IndexOf(*store_, request);
  ASSERT_TRUE(side_by_side.ok()) << side_by_side.status().ToString();
  EXPECT_EQ(opened, 1);
  EXPECT_EQ(*side_by_side, *alone);
  // A second connection that cannot be had: the caller's reads them all.
  request.another_store = []() -> base::Result<std::shared_ptr<store::Store>> {
    return base::Internal("no connection");
  };
  auto fallback = IndexOf(*store_, request);
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_EQ(*fallback, *alone);
}

TEST_F(IndexCacheTest, ANewRoundUpdatesTheIndexInPlace) {
  IndexCache cache({});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 1);
  Ingest({MakeRun(5, "linux", {{"a", 130}, {"b", 960}, {"c", 58}}),
          MakeRun(5, "mac", {{"a", 199}, {"b", 23}})});
  ExpectCurrent(cache);
  ExpectCurrent(cache);
  const auto counts = cache.counts();
  EXPECT_EQ(counts.rebuilt, 1);
  EXPECT_EQ(counts.updated, 1);
  EXPECT_EQ(counts.unchanged, 1);
  // The new commit is the index's newest point on both platforms.
  auto current = cache.Get(*store_);
  ASSERT_TRUE(current.ok());
  ASSERT_EQ(current->index->size(), 2u);
  for (const auto& index : *current->index) EXPECT_EQ(index.points.back().sha, Sha(5));
}

TEST_F(IndexCacheTest, ARerunOfAnIndexedCommitIsPooledInPlace) {
  IndexCache cache({});
  ExpectCurrent(cache);
  // A second run of commit 3 (its point pools both), and a rerun of commit 4 that measured a
  // alone: commit 4's value must still count b and c from its first run.
  Ingest({MakeRun(3, "linux", {{"a", 150}, {"b", 900}, {"c", 60}}, 1)});
  ExpectCurrent(cache);
  Ingest({MakeRun(4, "linux", {{"a", 90}}, 1)});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 1);
  EXPECT_EQ(cache.counts().updated, 2);
}

TEST_F(IndexCacheTest, AChangeThatMovesTheBaseReadsEverythingAgain) {
  IndexCache cache({});
  ExpectCurrent(cache);
  // linux's base is commit 1, the first to measure all three benchmarks: a rerun of it changes
  // every ratio.
  Ingest({MakeRun(1, "linux", {{"a", 120}, {"b", 800}, {"c", 40}}, 1)});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 2);
  // A commit measuring a fourth benchmark becomes the base.
  Ingest({MakeRun(6, "linux", {{"a", 120}, {"b", 800}, {"c", 40}, {"d", 7}})});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 3);
  // A new platform starts a group.
  Ingest({MakeRun(6, "windows", {{"a", 1}})});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 4);
  // A round after those is an update again.
  Ingest({MakeRun(7, "linux", {{"a", 121}, {"b", 801}, {"c", 41}, {"d", 8}}),
          MakeRun(7, "mac", {{"a", 201}, {"b", 21}}), MakeRun(7, "windows", {{"a", 2}})});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 4);
  EXPECT_EQ(cache.counts().updated, 1);
}

TEST_F(IndexCacheTest, ACommitOlderThanTheNewestIsPlacedInStoreOrder) {
  IndexCache cache({});
  ExpectCurrent(cache);
  // Commit 10 first, then commit 8 (an older commit time) arrives late.
  Ingest({MakeRun(10, "mac", {{"a", 210}, {"b", 25}})});
  ExpectCurrent(cache);
  Ingest({MakeRun(8, "mac", {{"a", 190}, {"b", 24}})});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 1);
  EXPECT_EQ(cache.counts().updated, 2);
}

// With suite epochs an index starts at the epoch's first complete run. A round after it keeps
// that base without reading the epochs again; a complete run older than it moves the base.
TEST_F(IndexCacheTest, AnEpochsBaseMovesOnlyForACompleteRunBeforeIt) {
  store_.reset();
  fs::remove(dir_ / "perf.db");
  auto opened = store::OpenSqliteStore((dir_ / "perf.db").string());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(*opened);
  auto suite_run = [](int commit, std::map<std::string, double> medians) {
    core::Run r = MakeRun(commit, "linux", medians);
    r.suite = core::SuiteRef{"s", 1, {{"a", "hash-a"}, {"b", "hash-b"}}, core::EpochRef{}};
    return r;
  };
  // Commit 0 measured a alone: the first complete run is commit 1's.
  Ingest({suite_run(0, {{"a", 90}}), suite_run(1, {{"a", 100}, {"b", 50}}),
          suite_run(2, {{"a", 110}, {"b", 55}})});
  IndexCache cache({});
  ExpectCurrent(cache);
  auto first = cache.Get(*store_);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->index->size(), 1u);
  EXPECT_EQ((*first->index)[0].base_sha, Sha(1));
  EXPECT_EQ((*first->index)[0].base_source, "first complete run of epoch 1");
  Ingest({suite_run(3, {{"a", 120}, {"b", 60}})});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 1);
  EXPECT_EQ(cache.counts().updated, 1);
  EXPECT_EQ(cache.counts().epochs_read, 1) << "a round after the base leaves the bases be";
  // A complete run of an older commit is now the epoch's first.
  // (Commit -2, not -1: Sha(-1) is all zeros, the unknown commit no store takes.)
  Ingest({suite_run(-2, {{"a", 80}, {"b", 40}})});
  ExpectCurrent(cache);
  EXPECT_EQ(cache.counts().rebuilt, 2);
  auto moved = cache.Get(*store_);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ((*moved->index)[0].base_sha, Sha(-2));
}

// A restarted server: a new cache named like the old one starts from the state the old one
// kept in the store and reads only what changed since.
TEST_F(IndexCacheTest, ARestartContinuesFromTheCheckpoint) {
  {
    IndexCache before({}, "index");
    ExpectCurrent(before);
    EXPECT_EQ(before.counts().rebuilt, 1);
    EXPECT_EQ(before.counts().checkpoints_written, 1);
    // At the checkpoint's own mark nothing is read but the checkpoint.
    IndexCache same({}, "index");
    ExpectCurrent(same);
    EXPECT_EQ(same.counts().from_checkpoint, 1);
    EXPECT_EQ(same.counts().rebuilt + same.counts().updated, 0);
  }
  Ingest({MakeRun(5, "linux", {{"a", 130}, {"b", 960}, {"c", 58}}),
          MakeRun(5, "mac", {{"a", 199}, {"b", 23}})});
  IndexCache after({}, "index");
  ExpectCurrent(after);
  EXPECT_EQ(after.counts().from_checkpoint, 1);
  EXPECT_EQ(after.counts().updated, 1);
  EXPECT_EQ(after.counts().rebuilt, 0);
}

// The checkpoint is bytes in a file anyone can edit: whatever they hold, the index is read
// afresh rather than trusted, and written again.
TEST_F(IndexCacheTest, ACheckpointThatCannotBeReadIsIgnoredAndRewritten) {
  {
    IndexCache first({}, "index");
    ExpectCurrent(first);
  }
  auto kept = store_->ReadCheckpoint("index");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  const std::string good = (*kept)->data;
  const int64_t mark = (*kept)->mark;
  // Every truncation, and every byte flipped in turn, of a real state; none may crash, and a
  // truncation must be refused.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(analysis::IndexState::Parse(std::string_view(good).substr(0, n)).has_value()) << n;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto parsed = analysis::IndexState::Parse(bad);
    if (parsed) parsed->Indexes();  // what it gives need not be right, but must not crash
  }
  for (const std::string& bad : {std::string("garbage"), good.substr(0, good.size() / 2)}) {
    ASSERT_TRUE(store_->WriteCheckpoint("index", mark, bad).ok());
    IndexCache cache({}, "index");
    ExpectCurrent(cache);
    EXPECT_EQ(cache.counts().from_checkpoint, 0);
    EXPECT_EQ(cache.counts().rebuilt, 1);
    auto rewritten = store_->ReadCheckpoint("index");
    ASSERT_TRUE(rewritten.ok() && rewritten->has_value());
    EXPECT_EQ((*rewritten)->data, good);
  }
}

}  // namespace
}  // namespace perfledger::service
