// The store test suite, runs: stored and read back exactly, immutable, ordered and filtered;
// opening, refusing foreign files, and concurrent openers and writers. Every back end must
// pass the whole suite (store_*_test.cc, store_test_fixture.h).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "base/uuid.h"
#include "core/artifact.h"
#include "store/collector.h"
#include "store/sample_codec.h"
#include "store/store_test_fixture.h"
namespace perfledger::store {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the suite's fixture

TEST_P(StoreTest, RunsComeBackExactlyAsStored) {
  auto store = Open();
  std::vector<core::Run> runs = {MakeRun(0), MakeRun(1)};
  auto stats = store->Ingest(runs);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->ingested, 2);
  EXPECT_EQ(stats->samples, 12);
  auto back = All(*store);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], runs[0]);
  EXPECT_EQ(back[1], runs[1]);
  EXPECT_EQ(core::WriteArtifact(back[1]), core::WriteArtifact(runs[1]));
}

TEST_P(StoreTest, SameRunAgainIsANoOpAndDifferentContentIsAConflict) {
  auto store = Open();
  core::Run a = MakeRun(0);
  ASSERT_TRUE(store->Ingest({&a, 1}).ok());
  auto again = store->Ingest({&a, 1});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ingested, 0);
  EXPECT_EQ(again->already_present, 1);

  core::Run changed = a;
  changed.benchmarks[0].metrics[1].samples[0] += 1;
  core::Run fresh = MakeRun(1);
  std::vector<core::Run> batch = {fresh, changed};
  auto conflict = store->Ingest(batch);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), base::StatusCode::kConflict);
  EXPECT_NE(conflict.status().message().find(a.run_id), std::string::npos);
  // Nothing of the failed batch was written, not even the fresh run before the conflict.
  EXPECT_EQ(All(*store).size(), 1u);
}

TEST_P(StoreTest, CollectorDeduplicatesWithinABatchAndNamesSources) {
  auto store = Open();
  core::Run a = MakeRun(0);
  auto stats = Collect(*store, {{a, "a.json"}, {a, "copy-of-a.json"}, {MakeRun(1), "b.json"}});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->ingested, 2);
  EXPECT_EQ(stats->already_present, 1);

  core::Run c = MakeRun(2);
  auto second = Collect(*store, {{c, "x.json"}, {c, "y.json"}, {a, "a-again.json"}});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->ingested, 1);
  EXPECT_EQ(second->already_present, 2);
  EXPECT_EQ(All(*store).size(), 3u);
}

TEST_P(StoreTest, CollectorRefusesConflictsNamingTheFiles) {
  auto store = Open();
  core::Run a = MakeRun(0);
  core::Run changed = a;
  changed.reason = core::Reason::kManual;
  auto in_batch = Collect(*store, {{a, "a.json"}, {changed, "b.json"}});
  ASSERT_FALSE(in_batch.ok());
  EXPECT_EQ(in_batch.status().message().substr(0, 7), "b.json:");
  EXPECT_NE(in_batch.status().message().find("a.json"), std::string::npos);
  EXPECT_EQ(All(*store).size(), 0u);

  ASSERT_TRUE(Collect(*store, {{a, "a.json"}}).ok());
  auto with_store = Collect(*store, {{MakeRun(5), "new.json"}, {changed, "later.json"}});
  ASSERT_FALSE(with_store.ok());
  EXPECT_EQ(with_store.status().message().substr(0, 11), "later.json:");
  EXPECT_EQ(All(*store).size(), 1u);
}

TEST_P(StoreTest, OrderedByCommitTimeThenRunIdAndFiltered) {
  auto store = Open();
  core::Run late = MakeRun(5, "aarch64-linux");
  core::Run early = MakeRun(1);
  core::Run tie1 = MakeRun(3);
  core::Run tie2 = MakeRun(3);
  tie1.run_id = "ffffffff-0000-4000-8000-000000000000";
  tie2.run_id = "00000000-0000-4000-8000-000000000000";
  core::Run unknown_time = MakeRun(2);
  unknown_time.commit.time.reset();  // ordered by its start time instead
  std::vector<core::Run> batch = {late, tie1, early, unknown_time, tie2};
  ASSERT_TRUE(store->Ingest(batch).ok());
  auto listed = store->ListRuns({});
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> ids;
  for (const auto& r : *listed) ids.push_back(r.run_id);
  EXPECT_EQ(ids, (std::vector<std::string>{early.run_id, unknown_time.run_id, tie2.run_id,
                                           tie1.run_id, late.run_id}));
  RunFilter arm;
  arm.platform = "aarch64-linux";
  auto only = store->ListRuns(arm);
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ((*only)[0].run_id, late.run_id);
  EXPECT_EQ((*only)[0].benchmark_count, 3);
  EXPECT_EQ((*only)[0].sample_count, 6);
  EXPECT_TRUE((*only)[0].partial);
  EXPECT_EQ(All(*store, arm).size(), 1u);
  RunFilter other;
  other.project = "nope";
  EXPECT_TRUE(store->ListRuns(other)->empty());
  auto platforms = store->Platforms();
  ASSERT_TRUE(platforms.ok());
  EXPECT_EQ(*platforms, (std::vector<std::string>{"aarch64-linux", "x86-64-linux"}));
}

// With a benchmark filter ForEachRun reads that benchmark's rows of every run up front rather
// than run by run, and parses each run's suite only when it differs from the previous run's:
// every run must still come back whole, apart from its other benchmarks.
TEST_P(StoreTest, BenchmarkFilterGivesEachRunWithThatBenchmarkAlone) {
  auto store = Open();
  core::Run a = MakeRun(1);
  core::Run other_project = MakeRun(2);  // the same benchmark names under other benchmark ids
  other_project.project = "other";
  core::Run without = MakeRun(3);
  without.benchmarks.erase(without.benchmarks.begin());  // no parse/small
  core::Run next_revision = MakeRun(4);
  next_revision.suite->revision = 4;
  core::Run no_suite = MakeRun(5);
  no_suite.suite.reset();
  core::Run same_suite_again = MakeRun(6);
  std::vector<core::Run> batch = {a,        other_project,   without, next_revision,
                                  no_suite, same_suite_again};
  ASSERT_TRUE(store->Ingest(batch).ok());
  auto only = [](core::Run r, const std::string& name) {
    std::erase_if(r.benchmarks, [&](const core::BenchmarkResult& b) { return b.name != name; });
    return r;
  };
  RunFilter filter;
  filter.benchmark = "parse/small";
  EXPECT_EQ(
      All(*store, filter),
      (std::vector<core::Run>{only(a, "parse/small"), only(other_project, "parse/small"),
                              only(next_revision, "parse/small"), only(no_suite, "parse/small"),
                              only(same_suite_again, "parse/small")}));
  filter.benchmark = "parse/summary";
  auto summaries = All(*store, filter);
  ASSERT_EQ(summaries.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i)
    EXPECT_EQ(summaries[i], only(batch[i], "parse/summary"));
  filter.benchmark = "zz/broken";
  auto broken = All(*store, filter);
  ASSERT_EQ(broken.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(broken[i], only(batch[i], "zz/broken"));
  filter.benchmark = "parse/small";
  filter.project = "other";
  EXPECT_EQ(All(*store, filter), (std::vector<core::Run>{only(other_project, "parse/small")}));
  filter.benchmark = "no/such";
  filter.project.reset();
  EXPECT_TRUE(All(*store, filter).empty());
}

// What an upload's thread works out before the shared transaction: the same hash, blobs and
// points the transaction would have made itself, per metric in the run's order.
TEST_P(StoreTest, EncodeRunHoldsWhatIngestWouldWorkOutInTheTransaction) {
  const core::Run run = MakeRun(0);
  const RunEncoding e = EncodeRun(run);
  EXPECT_EQ(e.content_hash, core::ContentHash(run));
  size_t k = 0, points = 0;
  for (const core::BenchmarkResult& b : run.benchmarks) {
    for (const core::Metric& m : b.metrics) {
      ASSERT_LT(k, e.sample_blobs.size());
      if (m.samples.empty()) {
        EXPECT_TRUE(e.sample_blobs[k].empty());
      } else {
        auto decoded = DecodeSamples(e.sample_blobs[k]);
        ASSERT_TRUE(decoded.ok());
        EXPECT_EQ(*decoded, m.samples);
      }
      const core::Metric* one = &m;
      if (b.error || !core::GivesPoint(m)) {
        EXPECT_FALSE(e.points[k].has_value()) << b.name << " " << m.name;
      } else {
        ASSERT_TRUE(e.points[k].has_value()) << b.name << " " << m.name;
        EXPECT_EQ(*e.points[k], core::PoolPoint({&one, 1})) << b.name << " " << m.name;
        ++points;
      }
      ++k;
    }
  }
  EXPECT_EQ(e.sample_blobs.size(), k);
  EXPECT_EQ(e.points.size(), k);
  EXPECT_GT(points, 0u);
}

// `compare` and `check` read the runs they compare this way, not every run of a platform.
TEST_P(StoreTest, ReadRunReadsOneRunByItsRunId) {
  auto store = Open();
  core::Run a = MakeRun(0), b = MakeRun(1, "arm64-linux");
  ASSERT_TRUE(store->Ingest(std::vector<core::Run>{a, b}).ok());
  auto read = store->ReadRun(b.run_id);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, b);
  auto missing = store->ReadRun("no-such-run");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());
  RunFilter filter;
  filter.run_id = a.run_id;
  auto listed = store->ListRuns(filter);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].run_id, a.run_id);
  filter.platform = "arm64-linux";  // every field narrows
  EXPECT_TRUE(store->ListRuns(filter)->empty());
}

TEST_P(StoreTest, DataSurvivesReopening) {
  core::Run a = MakeRun(0);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&a, 1}).ok());
  }
  auto store = Open();
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], a);
}

TEST_P(StoreTest, MissingStoreIsNotFoundWhenNotCreating) {
  OpenOptions options;
  options.create_if_missing = false;
  auto s = OpenStore(path_, options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), base::StatusCode::kNotFound);
  if (sqlite()) {
    EXPECT_FALSE(fs::exists(path_));
  }
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotAStore) {
  { std::ofstream(path_) << "this is a text file, not a database\n" << std::string(200, 'x'); }
  auto s = OpenStore(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_NE(s.status().message().find("not a perfledger store"), std::string::npos)
      << s.status().message();
}

TEST_F(SqliteStoreTest, RefusesAnotherApplicationsDatabase) {
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", 0, 0, 0), SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenStore(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("another application"), std::string::npos);
  // Untouched: still not in WAL mode, still one table.
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "delete");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, RefusesAStoreFromANewerPerfledger) {
  { auto store = Open(); }
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", 0, 0, 0), SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenStore(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_NE(s.status().message().find("newer perfledger"), std::string::npos)
      << s.status().message();
}

TEST_F(SqliteStoreTest, ReadersDoNotWaitForAWriter) {
  core::Run a = MakeRun(0);
  { ASSERT_TRUE(Open()->Ingest({&a, 1}).ok()); }
  sqlite3* writer;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE", 0, 0, 0), SQLITE_OK);  // holds the lock
  OpenOptions options;
  options.create_if_missing = false;
  options.busy_timeout = std::chrono::milliseconds(200);
  auto reader = OpenStore(path_, options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto runs = (*reader)->ListRuns({});
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  EXPECT_EQ(runs->size(), 1u);
  // A writer, though, waits its bounded time and then says so.
  core::Run b = MakeRun(1);
  auto blocked = (*reader)->Ingest({&b, 1});
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), base::StatusCode::kBusy);
  EXPECT_NE(blocked.status().message().find("locked by other writers"), std::string::npos);
  sqlite3_exec(writer, "ROLLBACK", 0, 0, 0);
  sqlite3_close(writer);
  EXPECT_TRUE((*reader)->Ingest({&b, 1}).ok());
}

TEST_P(StoreTest, ConcurrentWritersWaitInsteadOfFailing) {
  { auto store = Open(); }
  constexpr int kThreads = 4, kBatches = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = OpenStore(path_);
      if (!store.ok()) {
        ++failures;
        return;
      }
      for (int b = 0; b < kBatches; ++b) {
        std::vector<core::Run> batch = {MakeRun(t * 100 + b), MakeRun(t * 100 + b + 50)};
        if (!(*store)->Ingest(batch).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto store = Open();
  EXPECT_EQ(store->ListRuns({})->size(), static_cast<size_t>(kThreads * kBatches * 2));
}

// Runs `fn` in `n` forked processes started at once (each opens its own connection, as
// parallel CI jobs do: SQLite's file locks behave differently between processes than between
// threads of one process, and the races below showed only between processes). Returns how
// many of them failed; the first failure's message is in `*first_failure`.
int InProcesses(int n, const std::function<base::Status()>& fn, std::string* first_failure) {
  int gate[2], report[2];
  if (::pipe(gate) != 0 || ::pipe(report) != 0) return n;
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      while (::read(gate[0], &c, 1) < 0) {
      }
      base::Status s = fn();
      if (!s.ok()) {
        const std::string m = s.ToString() + "\n";
        (void)!::write(report[1], m.data(), m.size());
      }
      ::_exit(s.ok() ? 0 : 1);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // every child's read returns at once: they start together
  ::close(report[1]);
  int failures = 0;
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  char buf[4096];
  const ssize_t got = ::read(report[0], buf, sizeof buf);
  if (got > 0 && first_failure->empty()) {
    *first_failure = std::string(buf, static_cast<size_t>(got));
  }
  ::close(report[0]);
  return failures;
}

// Eight processes ingest at once (parallel CI jobs, or two servers' uploads into one
// database): each batch holds runs of its own and runs every batch shares (the same run
// uploaded by several jobs); one batch also holds a stored run with other content. Every run is
// stored exactly once, the conflicting batch stores nothing, and no process fails otherwise.
// (Regression of the test itself: the conflicting run was first one of the shared runs, so
// when its batch won the race the others were the conflicting ones. It is stored first now.)
TEST_P(StoreTest, EightConcurrentIngestsLoseNothingDuplicateNothingAndRefuseConflictsWhole) {
  const core::Run stored = MakeRun(2000);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&stored, 1}).ok());
  }
  constexpr int kProcesses = 8, kOwn = 10, kShared = 5, kConflicting = 3;
  std::vector<core::Run> shared;
  for (int i = 0; i < kShared; ++i) shared.push_back(MakeRun(1000 + i));
  std::vector<std::vector<core::Run>> batches(kProcesses);
  for (int p = 0; p < kProcesses; ++p) {
    for (int i = 0; i < kOwn; ++i) batches[p].push_back(MakeRun(p * 100 + i));
    batches[p].insert(batches[p].end(), shared.begin(), shared.end());
  }
  core::Run changed = stored;
  changed.benchmarks[0].metrics[1].samples[0] += 1;
  batches[kConflicting].push_back(changed);
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      while (::read(gate[0], &c, 1) < 0) {
      }
      auto store = OpenStore(path_);
      if (!store.ok()) ::_exit(1);
      auto stats = (*store)->Ingest(batches[p]);
      if (stats.ok()) ::_exit(0);
      ::_exit(stats.status().code() == base::StatusCode::kConflict ? 10 : 1);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // every child starts at once
  for (int p = 0; p < kProcesses; ++p) {
    int status = 0;
    ::waitpid(pids[p], &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), p == kConflicting ? 10 : 0) << "process " << p;
  }
  auto store = Open();
  std::vector<core::Run> all = All(*store);
  EXPECT_EQ(all.size(), static_cast<size_t>((kProcesses - 1) * kOwn + kShared + 1));
  std::set<std::string> ids;
  for (const core::Run& r : all) EXPECT_TRUE(ids.insert(r.run_id).second) << r.run_id;
  for (int i = 0; i < kOwn; ++i) {
    EXPECT_EQ(ids.count(batches[kConflicting][i].run_id), 0u)
        << "the refused batch stored run " << i;
  }
  shared.push_back(stored);
  for (const core::Run& want : shared) {
    auto got = store->ReadRun(want.run_id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, want);
  }
}

// Regression: several `perfledger ingest` started at once on a store file that did not exist
// yet; one of them could read the header between another's two checks (application id still
// 0, then the other's tables) and call the store "an SQLite database of another application"
// (a CI flake of CliTest.ConcurrentIngestsLoseAndDuplicateNothing: 7 failed processes in 40
// rounds of 8 before the fix).
TEST_F(SqliteStoreTest, ConcurrentOpenersOfAFreshStoreAllSucceed) {
  constexpr int kRounds = 40, kProcesses = 8;
  int failures = 0;
  std::string first_failure;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = (dir_ / ("fresh-" + std::to_string(round) + ".db")).string();
    failures += InProcesses(
        kProcesses,
        [&] {
          auto store = OpenStore(path);
          if (!store.ok()) return store.status();
          core::Run run = MakeRun(round);
          return (*store)->Ingest({&run, 1}).status();
        },
        &first_failure);
  }
  EXPECT_EQ(failures, 0) << first_failure;
}

// A store of an older schema opened by several processes at once: one migrates, the others
// wait for it and find the store current; none fails, nothing is lost.
TEST_F(SqliteStoreTest, OpenersDuringAMigrationWaitThenSucceed) {
  constexpr int kRounds = 10, kProcesses = 6;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = (dir_ / ("old-" + std::to_string(round) + ".db")).string();
    core::Run old = MakeRun(1000 + round);
    {
      auto store = OpenStore(path);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      ASSERT_TRUE((*store)->Ingest({&old, 1}).ok());
    }
    ASSERT_TRUE(test_support::UndoSchemasDownTo(path, 4));
    std::string first_failure;
    const int failures = InProcesses(
        kProcesses,
        [&] {
          auto store = OpenStore(path);
          if (!store.ok()) return store.status();
          return (*store)->ListTokens(std::nullopt).status();
        },
        &first_failure);
    EXPECT_EQ(failures, 0) << "round " << round << ": " << first_failure;
    auto store = OpenStore(path);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->ListRuns({})->size(), 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace perfledger::store
