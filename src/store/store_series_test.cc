// The series layer (store.h SeriesQuery, ForEachSeries, ChangeMark; store/series_ingest.cc):
// points written at ingest, pooled per commit, keyed by project, platform, epoch and class,
// and the series that changed since a mark.
#include <sqlite3.h>

#include <algorithm>
#include <functional>

#include "store/store_test_fixture.h"

namespace perfledger::store {
namespace {

using base::Status;
using test_support::EpochRun;
using test_support::MakeRun;
using test_support::SqliteStoreTest;
using test_support::StoreTest;

std::vector<core::Series> Read(Store& store, const SeriesQuery& query = {}) {
  auto series = store.ReadSeries(query);
  EXPECT_TRUE(series.ok()) << series.status().ToString();
  return series.ok() ? std::move(*series) : std::vector<core::Series>{};
}

// A query of one field or two (designated initializers would name every field).
SeriesQuery Query(std::function<void(SeriesQuery&)> set) {
  SeriesQuery q;
  set(q);
  return q;
}

const core::Series* Find(const std::vector<core::Series>& all, const std::string& benchmark,
                         const std::string& metric, const std::string& platform = "x86-64-linux") {
  for (const auto& s : all) {
    if (s.key.benchmark == benchmark && s.key.metric == metric && s.key.platform == platform) {
      return &s;
    }
  }
  return nullptr;
}

TEST_P(StoreTest, SeriesHoldOnePointPerCommitWithItsNumbersAndRun) {
  auto store = Open();
  std::vector<core::Run> runs = {MakeRun(0), MakeRun(1), MakeRun(2)};
  ASSERT_TRUE(store->Ingest(runs).ok());
  auto all = Read(*store);
  // parse/small x {instructions, wall_time}, parse/summary x wall_time; zz/broken failed.
  ASSERT_EQ(all.size(), 3u);
  const core::Series* wall = Find(all, "parse/small", "wall_time");
  ASSERT_NE(wall, nullptr);
  EXPECT_EQ(wall->key.project, "gruel");
  EXPECT_EQ(wall->unit, "ns");
  ASSERT_EQ(wall->points.size(), 3u);
  const core::SeriesPoint& p = wall->points[1];
  EXPECT_EQ(p.run_id, runs[1].run_id);
  EXPECT_EQ(p.sha, runs[1].commit.sha);
  EXPECT_EQ(p.commit_time, runs[1].commit.time);
  EXPECT_EQ(p.subject, "commit 1");
  EXPECT_EQ(p.range_from, runs[0].commit.sha);
  EXPECT_EQ(p.fingerprint, runs[1].environment.fingerprint);
  EXPECT_EQ(p.median, 1830212.0);
  EXPECT_EQ(p.min, 1829001.0);
  EXPECT_EQ(p.max, 1840533.5);
  EXPECT_EQ(p.n, 3);
  EXPECT_EQ(p.runs, 1);
  EXPECT_TRUE(p.pooled_run_ids.empty());
  EXPECT_GT(p.spread, 0);
  // A summary's point: its mean (no median given), n and stddev / mean.
  const core::Series* summary = Find(all, "parse/summary", "wall_time");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(summary->points[0].median, 12.5);
  EXPECT_EQ(summary->points[0].n, 50);
  EXPECT_DOUBLE_EQ(summary->points[0].spread, 0.02);
  EXPECT_EQ(Find(all, "zz/broken", "wall_time"), nullptr);
}

TEST_P(StoreTest, RunsOfOneCommitArePooledInStoreOrderWhateverOrderTheyArrive) {
  auto store = Open();
  core::Run a = MakeRun(5), b = MakeRun(5);
  a.run_id = "00000000-0000-4000-8000-00000000000a";
  b.run_id = "00000000-0000-4000-8000-00000000000b";
  b.benchmarks[0].metrics[1].samples = {100, 200};
  // The later run (store order: same commit time, run_id) first, then the earlier, then another
  // commit: the point is pooled and sits at the earlier run.
  ASSERT_TRUE(store->Ingest(std::span(&b, 1)).ok());
  ASSERT_TRUE(store->Ingest(std::span(&a, 1)).ok());
  core::Run c = MakeRun(6);
  ASSERT_TRUE(store->Ingest(std::span(&c, 1)).ok());
  auto all = Read(*store);
  const core::Series* wall = Find(all, "parse/small", "wall_time");
  ASSERT_NE(wall, nullptr);
  ASSERT_EQ(wall->points.size(), 2u);
  const core::SeriesPoint& p = wall->points[0];
  EXPECT_EQ(p.run_id, a.run_id);
  EXPECT_EQ(p.runs, 2);
  EXPECT_EQ(p.pooled_run_ids, (std::vector<std::string>{a.run_id, b.run_id}));
  EXPECT_EQ(p.n, 5);
  EXPECT_EQ(p.median, 1829001.0);  // of 100, 200, 1829001, 1830216, 1840533.5
  EXPECT_EQ(p.min, 100.0);
  EXPECT_EQ(p.max, 1840533.5);
  EXPECT_EQ(wall->points[1].run_id, c.run_id);
  // A summary cannot be pooled with another: the first run's stays the point.
  const core::Series* summary = Find(all, "parse/summary", "wall_time");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(summary->points[0].runs, 2);
  EXPECT_EQ(summary->points[0].n, 50);
}

TEST_P(StoreTest, SeriesSplitByPlatformEpochAndEnvironmentClassAndKeepTheirFirstUnit) {
  auto store = Open();
  std::vector<core::Run> runs = {EpochRun(0, 1), EpochRun(1, 2), EpochRun(2, 2, "aarch64-linux"),
                                 MakeRun(3)};
  // A unit change is another quantity: left out of the series it began as.
  runs.push_back(MakeRun(4));
  runs.back().benchmarks[0].metrics[1].unit = "us";
  ASSERT_TRUE(store->Ingest(runs).ok());
  auto all = Read(*store, Query([](auto& q) {
    q.benchmark = "parse/small";
    q.metrics = {"wall_time"};
  }));
  ASSERT_EQ(all.size(), 4u);
  // Sorted by key: project, platform, benchmark, metric, epoch, class.
  EXPECT_EQ(all[0].key.platform, "aarch64-linux");
  EXPECT_EQ(all[1].key.epoch, std::nullopt);
  EXPECT_FALSE(all[1].key.ci);
  EXPECT_EQ(all[1].points.size(), 1u);  // commit 3; commit 4's microseconds are left out
  EXPECT_EQ(all[2].key.epoch, 1);
  EXPECT_TRUE(all[2].key.ci);
  EXPECT_EQ(all[3].key.epoch, 2);
  EXPECT_EQ(Read(*store, Query([](auto& q) { q.platform = "aarch64-linux"; })).size(),
            4u);  // parse x2, summary, link
  EXPECT_EQ(Read(*store, Query([](auto& q) {
              q.benchmark_glob = "parse/*";
              q.metrics = {"instructions"};
            })).size(),
            4u);
  EXPECT_TRUE(Read(*store, Query([](auto& q) { q.project = "other"; })).empty());
  auto heads = Read(*store, Query([](auto& q) {
    q.benchmark = "link";
    q.with_points = false;
  }));
  ASSERT_EQ(heads.size(), 3u);
  EXPECT_TRUE(heads[0].points.empty());
}

TEST_P(StoreTest, ChangedAfterAMarkSelectsTheSeriesNewRunsWroteTo) {
  auto store = Open();
  std::vector<core::Run> runs = {MakeRun(0), MakeRun(0, "aarch64-linux")};
  ASSERT_TRUE(store->Ingest(runs).ok());
  auto mark = store->ChangeMark();
  ASSERT_TRUE(mark.ok());
  EXPECT_TRUE(Read(*store, Query([&](auto& q) { q.changed_after = *mark; })).empty());
  core::Run next = MakeRun(1, "aarch64-linux");
  ASSERT_TRUE(store->Ingest(std::span(&next, 1)).ok());
  auto changed = Read(*store, Query([&](auto& q) { q.changed_after = *mark; }));
  ASSERT_EQ(changed.size(), 3u);
  for (const auto& s : changed) EXPECT_EQ(s.key.platform, "aarch64-linux");
  // Whole series: the old point too.
  EXPECT_EQ(changed[0].points.size(), 2u);
  auto later = store->ChangeMark();
  ASSERT_TRUE(later.ok());
  EXPECT_GT(*later, *mark);
  // The same content again changes nothing.
  ASSERT_TRUE(store->Ingest(std::span(&next, 1)).ok());
  EXPECT_TRUE(Read(*store, Query([&](auto& q) { q.changed_after = *later; })).empty());
}

// Detection reads each series' newest points (last_points) with their medians and runs only
// (medians_only): the tail of the full series, in the same order, with the same runs.
TEST_P(StoreTest, TheNewestPointsAndMediansOnlyAreTheFullSeriesTail) {
  auto store = Open();
  std::vector<core::Run> runs;
  for (int i = 0; i < 6; ++i) runs.push_back(MakeRun(i));
  core::Run rerun = MakeRun(4);  // pooled into commit 4's point
  rerun.run_id = "00000000-0000-4000-8000-0000000000ff";
  runs.push_back(rerun);
  ASSERT_TRUE(store->Ingest(runs).ok());
  const auto full = Read(*store);
  ASSERT_FALSE(full.empty());
  for (const bool medians_only : {false, true}) {
    for (const int64_t last : {3, 6, 100}) {
      const auto tail = Read(*store, Query([&](auto& q) {
        q.last_points = last;
        q.medians_only = medians_only;
      }));
      ASSERT_EQ(tail.size(), full.size());
      for (size_t s = 0; s < full.size(); ++s) {
        const auto& all = full[s].points;
        const auto& got = tail[s].points;
        EXPECT_EQ(tail[s].key, full[s].key);
        ASSERT_EQ(got.size(), std::min<size_t>(all.size(), static_cast<size_t>(last)));
        const size_t skip = all.size() - got.size();
        for (size_t i = 0; i < got.size(); ++i) {
          const core::SeriesPoint& want = all[skip + i];
          EXPECT_EQ(got[i].median, want.median);
          EXPECT_EQ(got[i].run_id, want.run_id);
          EXPECT_EQ(got[i].sha, want.sha);
          EXPECT_EQ(got[i].range_from, want.range_from);
          EXPECT_EQ(got[i].commit_time, want.commit_time);
          EXPECT_EQ(got[i].fingerprint, want.fingerprint);
          // Spread and sample count either way: detection tests young steps with them.
          EXPECT_EQ(got[i].spread, want.spread);
          EXPECT_EQ(got[i].n, want.n);
          if (medians_only) {
            EXPECT_EQ(got[i].runs, 0);
            EXPECT_TRUE(got[i].pooled_run_ids.empty());
          } else {
            EXPECT_EQ(got[i], want);
          }
        }
      }
    }
  }
}

// Every series as the lean read gives it (ForEachSeriesMedians: median blocks and the points
// rows around them), and as the full read gives the same points (the points rows only).
using MedianLines =
    std::vector<std::pair<core::SeriesKey, std::vector<std::pair<std::string, double>>>>;
MedianLines LeanMedians(Store& store) {
  MedianLines out;
  Status s = store.ForEachSeriesMedians(
      {}, [&](const core::Series& head, std::span<const core::PointMedian> points,
              const std::vector<core::PointRun>& runs) {
        auto& line = out.emplace_back(head.key, std::vector<std::pair<std::string, double>>{});
        for (const core::PointMedian& p : points) {
          line.second.emplace_back(runs[static_cast<size_t>(p.run)].run_id, p.median);
        }
        return Status::Ok();
      });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}
MedianLines FullMedians(Store& store) {
  MedianLines out;
  for (const core::Series& s : Read(store)) {
    auto& line = out.emplace_back(s.key, std::vector<std::pair<std::string, double>>{});
    for (const core::SeriesPoint& p : s.points) line.second.emplace_back(p.run_id, p.median);
  }
  return out;
}

int64_t CountRows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      n = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

TEST_F(SqliteStoreTest, MedianBlocksGiveTheSeriesPointsWhateverOrderRunsArriveIn) {
  OpenOptions options;
  options.series_block_points = 4;  // 1 newest point stays out of blocks
  auto opened = OpenStore(path_, options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  // New commits one by one: blocks of 4 are written as points gather.
  std::vector<core::Run> runs;
  for (int i = 0; i < 40; ++i) runs.push_back(MakeRun(2 * i));
  for (const core::Run& r : runs) ASSERT_TRUE(store.Ingest(std::span(&r, 1)).ok());
  const std::string blocks_sql = "SELECT count(*) FROM median_blocks";
  const int64_t sealed = CountRows(path_, blocks_sql);
  EXPECT_GE(sealed, 3 * 8);  // 3 series, 39 of 40 points in blocks of 4 or more
  EXPECT_EQ(LeanMedians(store), FullMedians(store));
  // Runs of old commits: new points between sealed ones, and second runs pooled into sealed
  // points (their medians change). The blocks holding them are forgotten.
  std::vector<core::Run> late;
  for (int i : {3, 9, 17, 41}) late.push_back(MakeRun(i));
  for (int i : {4, 30, 62}) late.push_back(MakeRun(i));  // the commits of runs 2, 15 and 31 again
  for (core::Run& r : late) r.benchmarks[0].metrics[1].samples = {1.0e6, 1.1e6, 1.2e6};
  for (const core::Run& r : late) {
    ASSERT_TRUE(store.Ingest(std::span(&r, 1)).ok());
    EXPECT_EQ(LeanMedians(store), FullMedians(store)) << "after the run of commit " << r.commit.sha;
  }
  EXPECT_LT(CountRows(path_, blocks_sql), sealed);
  // Once the series seal again, the points of forgotten blocks are packed again.
  for (int i = 80; i < 90; ++i) {
    core::Run r = MakeRun(i);
    ASSERT_TRUE(store.Ingest(std::span(&r, 1)).ok());
  }
  EXPECT_EQ(LeanMedians(store), FullMedians(store));
  EXPECT_EQ(CountRows(path_, "SELECT count(*) FROM series WHERE sealed_t IS NULL"), 0);
  // Every point but the newest and the odd late one between blocks is in a block again.
  EXPECT_GE(CountRows(path_, "SELECT count(*) FROM median_blocks"), 3 * 10);
}

// Every answer of the series layer's readers, for comparing two stores.
struct SeriesAnswers {
  std::vector<core::Series> full, tail, medians;
  MedianLines lean, changed;
  bool operator==(const SeriesAnswers&) const = default;
};
SeriesAnswers Answers(Store& store, int64_t changed_after) {
  SeriesAnswers a;
  a.full = Read(store);
  a.tail = Read(store, Query([](auto& q) { q.last_points = 3; }));
  a.medians = Read(store, Query([](auto& q) { q.medians_only = true; }));
  a.lean = LeanMedians(store);
  auto mark = store.ForEachMedianAtChangedCommits(
      {}, changed_after,
      [&](const core::Series& head, std::span<const core::PointMedian> points,
          const std::vector<core::PointRun>& runs) {
        auto& line =
            a.changed.emplace_back(head.key, std::vector<std::pair<std::string, double>>{});
        for (const core::PointMedian& p : points) {
          line.second.emplace_back(runs[static_cast<size_t>(p.run)].run_id, p.median);
        }
        return Status::Ok();
      });
  EXPECT_TRUE(mark.ok()) << mark.status().ToString();
  return a;
}

TEST_F(SqliteStoreTest, StagedPointsAnswerAsThePointsTreeDoesWhateverOrderRunsArriveIn) {
  // Three stores given the same runs one transaction at a time: points written into the tree
  // (the reference), staged and moved every 5 points, and staged until a pooled point or a
  // median block moves them.
  const std::string tree = path_ + ".tree", often = path_ + ".often";
  std::vector<std::unique_ptr<Store>> stores;
  for (const auto& [path, staged] :
       {std::pair{tree, -1}, std::pair{often, 5}, std::pair{path_, 0}}) {
    OpenOptions options;
    options.series_block_points = 4;
    options.staged_points = staged;
    auto opened = OpenStore(path, options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    stores.push_back(std::move(*opened));
  }
  int64_t mark = 0;
  auto ingest = [&](std::span<const core::Run> runs, const std::string& what) {
    for (auto& store : stores) ASSERT_TRUE(store->Ingest(runs).ok()) << what;
    const SeriesAnswers want = Answers(*stores[0], mark);
    ASSERT_FALSE(want.full.empty());
    for (size_t i = 1; i < stores.size(); ++i) {
      EXPECT_TRUE(Answers(*stores[i], mark) == want) << what << ", store " << i;
    }
    auto changed = stores[0]->ChangeMark();
    ASSERT_TRUE(changed.ok());
    mark = *changed - 1;  // the last run's commit changed
  };
  // New commits, late commits between them, second runs of a commit (pooled: moved first),
  // and a few runs in one transaction; blocks of 4 sealed as points gather.
  std::vector<core::Run> runs;
  for (int i = 0; i < 12; ++i) runs.push_back(MakeRun(2 * i));
  for (int i : {5, 1, 13}) runs.push_back(MakeRun(i));
  for (int i : {4, 22}) {
    core::Run again = MakeRun(i);
    again.run_id = "00000000-0000-4000-8000-0000000000" + std::to_string(10 + i);
    again.benchmarks[0].metrics[1].samples = {1.0e6, 1.1e6, 1.2e6};
    runs.push_back(std::move(again));
  }
  for (const core::Run& r : runs) ingest(std::span(&r, 1), "the run of commit " + r.commit.sha);
  std::vector<core::Run> batch;
  for (int i = 30; i < 34; ++i) batch.push_back(MakeRun(i));
  batch.push_back(MakeRun(7));
  ingest(batch, "a batch of 5 runs");
  const core::Run newest = MakeRun(40);
  ingest(std::span(&newest, 1), "the newest commit");
  // The newest points are staged in the store that moves them only when it must; the
  // reference has every point in the tree.
  EXPECT_EQ(CountRows(tree, "SELECT count(*) FROM points_staged"), 0);
  EXPECT_GT(CountRows(path_, "SELECT count(*) FROM points_staged"), 0);
  EXPECT_LT(CountRows(path_, "SELECT count(*) FROM points"),
            CountRows(tree, "SELECT count(*) FROM points"));
}

TEST_F(SqliteStoreTest, ADamagedMedianBlockIsAnErrorNamingTheStore) {
  OpenOptions options;
  options.series_block_points = 4;
  auto opened = OpenStore(path_, options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  for (int i = 0; i < 10; ++i) {
    core::Run r = MakeRun(i);
    ASSERT_TRUE((*opened)->Ingest(std::span(&r, 1)).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE median_blocks SET points = x'01ff'", 0, 0, 0), SQLITE_OK);
  sqlite3_close(db);
  Status s = (*opened)->ForEachSeriesMedians(
      {}, [](const core::Series&, std::span<const core::PointMedian>,
             const std::vector<core::PointRun>&) { return Status::Ok(); });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path_), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("median block"), std::string::npos) << s.ToString();
}

TEST_F(SqliteStoreTest, ADamagedRowOfStagedPointsIsAnErrorNamingTheStore) {
  auto store = Open();
  core::Run r = MakeRun(0);
  ASSERT_TRUE(store->Ingest(std::span(&r, 1)).ok());
  ASSERT_EQ(CountRows(path_, "SELECT count(*) FROM points_staged"), 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE points_staged SET points = x'01ff'", 0, 0, 0), SQLITE_OK);
  sqlite3_close(db);
  auto series = store->ReadSeries({});
  ASSERT_FALSE(series.ok());
  EXPECT_NE(series.status().message().find(path_), std::string::npos) << series.status().ToString();
  EXPECT_NE(series.status().message().find("staged series points"), std::string::npos)
      << series.status().ToString();
}

TEST_P(StoreTest, ARefusedBatchLeavesNoPointAndNoSeries) {
  auto store = Open();
  core::Run first = EpochRun(0, 1);
  ASSERT_TRUE(store->Ingest(std::span(&first, 1)).ok());
  core::Run good = MakeRun(1, "riscv64-linux");
  core::Run bad = EpochRun(2, 1);
  bad.suite->epoch->settings["samples"] = "99";  // differs from the epoch's declaration
  std::vector<core::Run> batch = {good, bad};
  EXPECT_FALSE(store->Ingest(batch).ok());
  EXPECT_TRUE(Read(*store, Query([](auto& q) { q.platform = "riscv64-linux"; })).empty());
  // The same store object writes the series again once the batch is fixed.
  ASSERT_TRUE(store->Ingest(std::span(&good, 1)).ok());
  EXPECT_EQ(Read(*store, Query([](auto& q) { q.platform = "riscv64-linux"; })).size(), 3u);
}

TEST_F(SqliteStoreTest, AVersion6StoreMigratesBuildingTheSameSeriesWithProgress) {
  std::vector<core::Run> runs;
  for (int i = 0; i < 300; ++i) runs.push_back(MakeRun(i / 2, i % 3 == 0 ? "arm" : "x86"));
  std::vector<core::Series> before;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> sets_before;
  {
    auto store = Open();
    // Out of store order, in three batches: pooled points too (two runs of most commits).
    std::reverse(runs.begin(), runs.end());
    for (size_t i = 0; i < runs.size(); i += 100) {
      ASSERT_TRUE(store->Ingest(std::span(runs).subspan(i, 100)).ok());
    }
    before = Read(*store);
    auto points = store->ListRunPoints({});
    ASSERT_TRUE(points.ok());
    for (const auto& p : *points) sets_before.emplace_back(*p.ok_benchmarks, *p.failed_benchmarks);
  }
  ASSERT_EQ(before.size(), 6u);
  ASSERT_FALSE(sets_before.front().second.empty());  // a failed benchmark too
  // Back to schema 6 as the previous release left it: no series layer.
  ASSERT_TRUE(test_support::UndoSchemasDownTo(path_, 6));
  std::vector<std::pair<int64_t, int64_t>> progress;
  OpenOptions options;
  options.series_block_points = 16;  // so that migration 11 packs blocks of these few points
  std::vector<std::string> steps;
  options.progress = [&](std::string_view step, int64_t done, int64_t total) {
    if (steps.empty() || steps.back() != step) steps.emplace_back(step);
    if (step == "building series from runs") progress.emplace_back(done, total);
  };
  auto store = OpenStore(path_, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_NE((*store)->Describe().find("schema 14"), std::string::npos);
  EXPECT_EQ(Read(**store), before);
  EXPECT_GT(CountRows(path_, "SELECT count(*) FROM median_blocks"), 0);
  EXPECT_EQ(LeanMedians(**store), FullMedians(**store));
  // The runs' benchmark sets, filled from their measurements and failures (migration 8).
  auto points = (*store)->ListRunPoints({});
  ASSERT_TRUE(points.ok());
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> sets_after;
  for (const auto& p : *points) sets_after.emplace_back(*p.ok_benchmarks, *p.failed_benchmarks);
  EXPECT_EQ(sets_after, sets_before);
  ASSERT_GE(progress.size(), 2u);
  EXPECT_EQ(progress.front(), std::make_pair(int64_t{0}, int64_t{300}));
  EXPECT_EQ(progress.back(), std::make_pair(int64_t{300}, int64_t{300}));
  // Then the series' points packed into median blocks (migration 11), with its own line.
  EXPECT_EQ(steps, (std::vector<std::string>{"building series from runs",
                                             "packing series into median blocks"}));
  // Opening again migrates nothing.
  progress.clear();
  steps.clear();
  ASSERT_TRUE(OpenStore(path_, options).ok());
  EXPECT_TRUE(progress.empty());
  EXPECT_TRUE(steps.empty());
}

}  // namespace
}  // namespace perfledger::store
