// The store test suite. Every back end must pass it: add a factory to kBackends.
#include "store/store.h"

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
#include <thread>

#include "base/uuid.h"
#include "core/artifact.h"
#include "store/collector.h"

namespace perfledger::store {
namespace {

namespace fs = std::filesystem;

std::string Sha(int i) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", i + 1);
  return buf;
}

core::Run MakeRun(int i, const std::string& platform = "x86-64-linux") {
  core::Run r;
  r.run_id = base::NewUuidV4();
  r.project = "gruel";
  r.commit.sha = Sha(i);
  r.commit.branch = "trunk";
  r.commit.time = base::Timestamp{(1'700'000'000LL + i * 60) * 1'000'000'000};
  r.commit.subject = "commit " + std::to_string(i);
  r.commit_range = {i > 0 ? std::optional<std::string>(Sha(i - 1)) : std::nullopt, r.commit.sha, 1};
  r.reason = core::Reason::kPush;
  r.platform = platform;
  r.suite = core::SuiteRef{"compiler", 3, {}, std::nullopt};
  r.environment.os = "linux";
  r.environment.cores = 4;
  r.environment.extra_json["labels"] = R"(["quiet"])";
  r.environment.fingerprint = core::ComputeFingerprint(r.environment);
  r.started_at = base::Timestamp{r.commit.time->unix_nanos + 1000000000};
  r.finished_at = base::Timestamp{r.started_at.unix_nanos + 5'000'000'000};
  core::BenchmarkResult b;
  b.name = "parse/small";
  b.metrics.push_back({"instructions", "count", core::Direction::kLower, {5e6, 5e6, 5e6}, {}});
  b.metrics.push_back(
      {"wall_time", "ns", core::Direction::kLower, {1830211.0 + i, 1829001, 1840533.5}, {}});
  r.benchmarks.push_back(b);
  core::BenchmarkResult s;
  s.name = "parse/summary";
  core::Summary sum;
  sum.n = 50;
  sum.mean = 12.5;
  sum.stddev = 0.25;
  s.metrics.push_back({"wall_time", "ms", core::Direction::kLower, {}, sum});
  r.benchmarks.push_back(s);
  core::BenchmarkResult f;
  f.name = "zz/broken";
  f.error = "exit status 101";
  r.benchmarks.push_back(f);
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "perf.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> Open() {
    auto s = OpenStore(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::vector<core::Run> All(Store& store, const RunFilter& filter = {}) {
    std::vector<core::Run> out;
    auto st = store.ForEachRun(filter, [&](const core::Run& r) {
      out.push_back(r);
      return base::Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StoreTest, RunsComeBackExactlyAsStored) {
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

TEST_F(StoreTest, SameRunAgainIsANoOpAndDifferentContentIsAConflict) {
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

TEST_F(StoreTest, CollectorDeduplicatesWithinABatchAndNamesSources) {
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

TEST_F(StoreTest, CollectorRefusesConflictsNamingTheFiles) {
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

TEST_F(StoreTest, OrderedByCommitTimeThenRunIdAndFiltered) {
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
TEST_F(StoreTest, BenchmarkFilterGivesEachRunWithThatBenchmarkAlone) {
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

TEST_F(StoreTest, DataSurvivesReopening) {
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

TEST_F(StoreTest, MissingStoreIsNotFoundWhenNotCreating) {
  OpenOptions options;
  options.create_if_missing = false;
  auto s = OpenStore(path_, options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), base::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(StoreTest, RefusesAFileThatIsNotAStore) {
  { std::ofstream(path_) << "this is a text file, not a database\n" << std::string(200, 'x'); }
  auto s = OpenStore(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_NE(s.status().message().find("not a perfledger store"), std::string::npos)
      << s.status().message();
}

TEST_F(StoreTest, RefusesAnotherApplicationsDatabase) {
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

TEST_F(StoreTest, RefusesAStoreFromANewerPerfledger) {
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

TEST_F(StoreTest, ReadersDoNotWaitForAWriter) {
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

TEST_F(StoreTest, ConcurrentWritersWaitInsteadOfFailing) {
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

// Regression: several `perfledger ingest` started at once on a store file that did not exist
// yet; one of them could read the header between another's two checks (application id still
// 0, then the other's tables) and call the store "an SQLite database of another application"
// (a CI flake of CliTest.ConcurrentIngestsLoseAndDuplicateNothing: 7 failed processes in 40
// rounds of 8 before the fix).
TEST_F(StoreTest, ConcurrentOpenersOfAFreshStoreAllSucceed) {
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
TEST_F(StoreTest, OpenersDuringAMigrationWaitThenSucceed) {
  constexpr int kRounds = 10, kProcesses = 6;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = (dir_ / ("old-" + std::to_string(round) + ".db")).string();
    core::Run old = MakeRun(1000 + round);
    {
      auto store = OpenStore(path);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      ASSERT_TRUE((*store)->Ingest({&old, 1}).ok());
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE tokens; PRAGMA user_version = 4", 0, 0, 0), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
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

}  // namespace
}  // namespace perfledger::store

namespace perfledger::store {
namespace {

PlanRecord SamplePlan(int first, int last, base::Timestamp now) {
  PlanRecord p;
  p.now = now;
  p.branch = "refs/heads/main";
  p.degradation = "none";
  p.window_nanos = 15LL * 60 * 1'000'000'000;
  for (int i = first; i <= last; ++i) {
    CommitRecord c;
    c.sha = Sha(i);
    if (i > 0) c.first_parent = Sha(i - 1);
    c.parent_count = i > 0 ? 1 : 0;
    c.time = base::Timestamp{(1'700'000'000LL + i * 60) * 1'000'000'000};
    c.subject = "commit " + std::to_string(i);
    p.commits.push_back(c);
  }
  p.head = Sha(last);
  return p;
}

TEST_F(StoreTest, RecordedPlansComeBack) {
  auto store = Open();
  PlanRecord p = SamplePlan(0, 4, base::Timestamp{1});
  p.queue_depth = 3;
  p.jobs.push_back(
      {0, Sha(4), "linux", "schedule", "newest of 4", Sha(0), 4, 1, core::JobState::kQueued, {}});
  p.jobs.push_back(
      {0, Sha(4), "macos", "schedule", "newest of 4", Sha(0), 4, 1, core::JobState::kQueued, {}});
  for (int i = 1; i < 4; ++i) p.skips.push_back({0, Sha(i), "linux", "window", 3, Sha(4), {}});
  ASSERT_TRUE(store->RecordPlan(p).ok());

  auto state = store->LoadSchedule();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->jobs.size(), 2u);
  EXPECT_EQ(state->jobs[1].platform, "macos");
  EXPECT_EQ(state->jobs[1].range_from, Sha(0));
  EXPECT_EQ(state->jobs[1].range_count, 4);
  EXPECT_EQ(core::JobStateName(state->jobs[1].state), "queued");
  EXPECT_EQ(state->jobs[1].planned_at, base::Timestamp{1});
  ASSERT_EQ(state->skips.size(), 3u);
  EXPECT_EQ(state->skips[0].superseded_by, Sha(4));
  EXPECT_EQ(state->skips[0].queue_depth, 3);
  EXPECT_EQ(state->head, Sha(4));
  EXPECT_EQ(state->last_plan, base::Timestamp{1});

  auto history = store->RecordedHistory(Sha(4));
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ((*history)[0], p.commits[0]);
  EXPECT_EQ(history->back(), p.commits.back());
  EXPECT_TRUE(store->RecordedHistory("unknown")->empty());
}

TEST_F(StoreTest, ASkipOrNewJobSupersedesAQueuedJob) {
  auto store = Open();
  PlanRecord first = SamplePlan(0, 3, base::Timestamp{1});
  first.jobs.push_back(
      {0, Sha(2), "linux", "schedule", "", Sha(0), 2, 1, core::JobState::kQueued, {}});
  first.jobs.push_back(
      {0, Sha(3), "linux", "schedule", "", Sha(2), 1, 1, core::JobState::kQueued, {}});
  ASSERT_TRUE(store->RecordPlan(first).ok());
  // A queue reset: c2's job is superseded by a skip, c3's by a job with a wider range.
  PlanRecord reset = SamplePlan(0, 5, base::Timestamp{2});
  reset.degradation = "reset";
  reset.skips.push_back({0, Sha(2), "linux", "queue-reset", 25, Sha(5), {}});
  reset.skips.push_back({0, Sha(3), "linux", "queue-reset", 25, Sha(5), {}});
  reset.jobs.push_back(
      {0, Sha(5), "linux", "schedule", "reset", Sha(0), 5, 1, core::JobState::kQueued, {}});
  ASSERT_TRUE(store->RecordPlan(reset).ok());
  auto state = store->LoadSchedule();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->jobs.size(), 3u);
  EXPECT_EQ(core::JobStateName(state->jobs[0].state), "superseded");
  EXPECT_EQ(core::JobStateName(state->jobs[1].state), "superseded");
  EXPECT_EQ(core::JobStateName(state->jobs[2].state), "queued");
  EXPECT_EQ(store->RecordedHistory(Sha(5))->size(), 6u);
}

TEST_F(StoreTest, RecordedHistoryFollowsTheHeadAfterAForcePush) {
  auto store = Open();
  ASSERT_TRUE(store->RecordPlan(SamplePlan(0, 5, base::Timestamp{1})).ok());
  // The branch was rewritten after c2: c3'..c4' replace c3..c5.
  PlanRecord rewritten = SamplePlan(0, 2, base::Timestamp{2});
  for (int i = 0; i < 2; ++i) {
    CommitRecord c;
    c.sha = Sha(100 + i);
    c.first_parent = i == 0 ? Sha(2) : Sha(100);
    c.parent_count = 1;
    c.subject = "rewritten";
    rewritten.commits.push_back(c);
  }
  rewritten.head = Sha(101);
  ASSERT_TRUE(store->RecordPlan(rewritten).ok());
  auto history = store->RecordedHistory(Sha(101));
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ((*history)[2].sha, Sha(2));
  EXPECT_EQ((*history)[3].sha, Sha(100));
}

TEST_F(StoreTest, RunPointsCarryRangesAndBenchmarkNames) {
  auto store = Open();
  std::vector<core::Run> runs = {MakeRun(0), MakeRun(1, "macos")};
  runs[1].commit_range = {Sha(0), Sha(1), 1};
  ASSERT_TRUE(store->Ingest(runs).ok());
  auto points = store->ListRunPoints({});
  ASSERT_TRUE(points.ok()) << points.status().ToString();
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[0].range_from, std::nullopt);
  EXPECT_EQ((*points)[1].range_from, Sha(0));
  EXPECT_EQ((*points)[1].platform, "macos");
  EXPECT_EQ((*points)[1].ok_benchmarks, (std::vector<std::string>{"parse/small", "parse/summary"}));
  EXPECT_EQ((*points)[1].failed_benchmarks, std::vector<std::string>{"zz/broken"});
  EXPECT_EQ((*points)[1].suite, (core::SuiteRef{"compiler", 3, {}, std::nullopt}));
  // Without benchmark names (what coverage reads): the same runs and ranges, no names.
  auto light = store->ListRunPoints({}, /*with_benchmarks=*/false);
  ASSERT_TRUE(light.ok());
  ASSERT_EQ(light->size(), 2u);
  EXPECT_EQ((*light)[1].range_from, Sha(0));
  EXPECT_TRUE((*light)[1].ok_benchmarks.empty());
  EXPECT_TRUE((*light)[1].failed_benchmarks.empty());
}

// A run of suite "compiler" revision 3 whose entries "parse" (a harness: parse/small and
// parse/summary) and "link" are defined, in epoch `epoch` on a CI runner; not partial.
core::Run EpochRun(int i, int64_t epoch = 1, const std::string& platform = "x86-64-linux") {
  core::Run r = MakeRun(i, platform);
  r.benchmarks.pop_back();  // zz/broken: not partial
  core::BenchmarkResult link;
  link.name = "link";
  link.metrics.push_back({"wall_time", "ns", core::Direction::kLower, {1e6, 1.1e6}, {}});
  r.benchmarks.push_back(link);
  std::sort(r.benchmarks.begin(), r.benchmarks.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  r.suite = core::SuiteRef{"compiler",
                           3,
                           {{"link", "hash-link"}, {"parse", "hash-parse"}},
                           core::EpochRef{epoch, {{"environment", R"("ci")"}, {"samples", "10"}}}};
  r.environment.ci = true;
  r.environment.fingerprint = core::ComputeFingerprint(r.environment);
  return r;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(StoreTest, ARunMatchingItsSuiteRevisionAndEpochIsAccepted) {
  auto store = Open();
  core::Run first = EpochRun(0), second = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  auto stats = store->Ingest({&second, 1});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->ingested, 1);
  // The same runs again stay a no-op.
  std::vector<core::Run> both = {first, second};
  auto again = store->Ingest(both);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->already_present, 2);
  EXPECT_EQ(All(*store).size(), 2u);
}

TEST_F(StoreTest, AChangedBenchmarkDefinitionIsRefusedNamingTheBenchmark) {
  auto store = Open();
  core::Run first = EpochRun(0), changed = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  changed.suite->definitions["link"] = "hash-link-2";
  changed.suite->epoch.reset();  // the definitions alone decide
  size_t conflicting = 99;
  auto refused = store->Ingest({&changed, 1}, &conflicting);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  const std::string& msg = refused.status().message();
  EXPECT_TRUE(Contains(msg, "'link'")) << msg;
  EXPECT_FALSE(Contains(msg, "'parse'")) << msg;
  EXPECT_TRUE(Contains(msg, "suite 'compiler' revision 3 as first stored by run " + first.run_id))
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(conflicting, 0u);
  EXPECT_EQ(All(*store).size(), 1u);
}

TEST_F(StoreTest, AChangedEpochSettingIsRefusedNamingTheKey) {
  auto store = Open();
  core::Run first = EpochRun(0), changed = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  changed.suite->epoch->settings["samples"] = "20";
  auto refused = store->Ingest({&changed, 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  const std::string& msg = refused.status().message();
  EXPECT_TRUE(Contains(msg, "setting 'samples' is 20 in the run but 10")) << msg;
  EXPECT_TRUE(Contains(
      msg, "epoch 1 of suite 'compiler' on x86-64-linux as first stored by run " + first.run_id))
      << msg;
  EXPECT_EQ(All(*store).size(), 1u);
  // Another platform has its own epochs.
  core::Run arm = EpochRun(2, 1, "aarch64-linux");
  arm.suite->epoch->settings["samples"] = "20";
  EXPECT_TRUE(store->Ingest({&arm, 1}).ok());
}

TEST_F(StoreTest, ARevisionChangeWithinAnEpochIsRefused) {
  auto store = Open();
  core::Run first = EpochRun(0), next = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  next.suite->revision = 4;  // a new revision, declared by this run, but the same epoch
  auto refused = store->Ingest({&next, 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(refused.status().message(), "revision 4")) << refused.status().message();
  EXPECT_TRUE(Contains(refused.status().message(), "declares revision 3"))
      << refused.status().message();
  EXPECT_EQ(All(*store).size(), 1u);
}

TEST_F(StoreTest, ALocalRunIntoACiEpochIsRefused) {
  auto store = Open();
  core::Run local = EpochRun(0);
  local.environment.ci = false;
  local.environment.fingerprint = core::ComputeFingerprint(local.environment);
  auto refused = store->Ingest({&local, 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(refused.status().message(), "a local run never enters a CI epoch"))
      << refused.status().message();
  EXPECT_EQ(All(*store).size(), 0u);
  // Nor did it declare the epoch or the revision.
  auto epochs = store->ListEpochs({});
  ASSERT_TRUE(epochs.ok());
  EXPECT_TRUE(epochs->empty());
}

TEST_F(StoreTest, ABatchWhoseRunsDisagreeStoresNothing) {
  auto store = Open();
  core::Run a = EpochRun(0), b = EpochRun(1), c = EpochRun(2);
  c.suite->epoch->settings["environment"] = R"("any")";
  auto refused = Collect(*store, {{a, "a.json"}, {b, "b.json"}, {c, "c.json"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(refused.status().message().starts_with("c.json: run " + c.run_id))
      << refused.status().message();
  EXPECT_TRUE(Contains(refused.status().message(), "setting 'environment'"))
      << refused.status().message();
  EXPECT_EQ(All(*store).size(), 0u);
  EXPECT_TRUE(store->ListEpochs({})->empty());
  // The agreeing part alone is fine.
  EXPECT_TRUE(Collect(*store, {{a, "a.json"}, {b, "b.json"}}).ok());
}

TEST_F(StoreTest, ANewEpochNumberWithNewSettingsIsAccepted) {
  auto store = Open();
  core::Run first = EpochRun(0), next = EpochRun(1, 2);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  next.suite->epoch->settings["samples"] = "20";
  next.suite->epoch->settings["warmups"] = "2";
  ASSERT_TRUE(store->Ingest({&next, 1}).ok());
  // A revision change takes a new epoch, too.
  core::Run rev4 = EpochRun(2, 3);
  rev4.suite->revision = 4;
  rev4.suite->definitions["lex"] = "hash-lex";
  ASSERT_TRUE(store->Ingest({&rev4, 1}).ok());
  auto epochs = store->ListEpochs({});
  ASSERT_TRUE(epochs.ok()) << epochs.status().ToString();
  ASSERT_EQ(epochs->size(), 3u);
  EXPECT_EQ((*epochs)[1].number, 2);
  EXPECT_EQ((*epochs)[1].settings.at("samples"), "20");
  EXPECT_EQ((*epochs)[1].settings.at("warmups"), "2");
  EXPECT_EQ((*epochs)[2].revision, 4);
  // A run of epoch 1 still has to match epoch 1.
  core::Run late = EpochRun(3, 1);
  late.suite->epoch->settings["samples"] = "20";
  EXPECT_FALSE(store->Ingest({&late, 1}).ok());
}

TEST_F(StoreTest, TheSuiteObjectSurvivesIngestByteForByte) {
  auto store = Open();
  core::Run r = EpochRun(0);
  r.suite->epoch->settings["invocation"] = R"({"args":["--fast"],"env":{"A":"1"}})";
  ASSERT_TRUE(store->Ingest({&r, 1}).ok());
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], r);
  EXPECT_EQ(core::WriteArtifact(back[0]), core::WriteArtifact(r));
  EXPECT_EQ(core::ContentHash(back[0]), core::ContentHash(r));
  auto points = store->ListRunPoints({});
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0].suite, r.suite);
}

TEST_F(StoreTest, ListEpochsFindsTheFirstAndTheFirstCompleteRun) {
  auto store = Open();
  // Epoch 1 on x86: a partial run first, then one lacking the "link" entry, then a complete
  // one (its "parse" entry measured through harness names parse/...), then another.
  core::Run partial = EpochRun(0);
  core::BenchmarkResult broken;
  broken.name = "zz/broken";
  broken.error = "exit status 1";
  partial.benchmarks.push_back(broken);
  core::Run lacking = EpochRun(1);
  std::erase_if(lacking.benchmarks, [](const auto& b) { return b.name == "link"; });
  core::Run complete = EpochRun(2), later = EpochRun(3);
  // Epoch 2 on x86 without definitions: any run that is not partial is complete.
  core::Run undeclared = EpochRun(4, 2);
  undeclared.suite->revision = 5;
  undeclared.suite->definitions.clear();
  undeclared.commit.time.reset();  // ordered by its start time
  // Epoch 1 on arm: only a partial run.
  core::Run arm = EpochRun(5, 1, "aarch64-linux");
  arm.benchmarks.push_back(broken);
  std::vector<core::Run> batch = {later, arm, complete, undeclared, lacking, partial};
  auto stats = store->Ingest(batch);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();

  auto epochs = store->ListEpochs({});
  ASSERT_TRUE(epochs.ok()) << epochs.status().ToString();
  ASSERT_EQ(epochs->size(), 3u);
  const EpochInfo& a = (*epochs)[0];
  EXPECT_EQ(a.platform, "aarch64-linux");
  EXPECT_EQ(a.run_count, 1);
  EXPECT_EQ(a.first_run_id, arm.run_id);
  EXPECT_EQ(a.first_complete_run_id, std::nullopt);
  EXPECT_EQ(a.first_complete_sha, std::nullopt);

  const EpochInfo& x1 = (*epochs)[1];
  EXPECT_EQ(x1.project, "gruel");
  EXPECT_EQ(x1.platform, "x86-64-linux");
  EXPECT_EQ(x1.suite, "compiler");
  EXPECT_EQ(x1.number, 1);
  EXPECT_EQ(x1.revision, 3);
  EXPECT_EQ(x1.settings,
            (std::map<std::string, std::string>{{"environment", R"("ci")"}, {"samples", "10"}}));
  EXPECT_EQ(x1.run_count, 4);
  EXPECT_EQ(x1.first_run_id, partial.run_id);
  EXPECT_EQ(x1.first_sha, partial.commit.sha);
  EXPECT_EQ(x1.first_commit_time, partial.commit.time);
  EXPECT_EQ(x1.first_complete_run_id, complete.run_id);
  EXPECT_EQ(x1.first_complete_sha, complete.commit.sha);
  EXPECT_EQ(x1.first_complete_commit_time, complete.commit.time);

  const EpochInfo& x2 = (*epochs)[2];
  EXPECT_EQ(x2.number, 2);
  EXPECT_EQ(x2.revision, 5);
  EXPECT_EQ(x2.run_count, 1);
  EXPECT_EQ(x2.first_commit_time, std::nullopt);
  EXPECT_EQ(x2.first_complete_run_id, undeclared.run_id);

  RunFilter arm_only;
  arm_only.platform = "aarch64-linux";
  auto filtered = store->ListEpochs(arm_only);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->size(), 1u);
  EXPECT_EQ((*filtered)[0].first_run_id, arm.run_id);
  RunFilter other;
  other.project = "nope";
  EXPECT_TRUE(store->ListEpochs(other)->empty());
}

TEST_F(StoreTest, AVersion2StoreIsMigratedKeepingItsRuns) {
  core::Run old = MakeRun(0);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&old, 1}).ok());
  }
  // Back to schema 2 as the previous release left it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TABLE tokens; DROP TABLE alerts; DROP TABLE epochs; "
                         "DROP TABLE suite_revisions; "
                         "DROP INDEX runs_by_epoch; ALTER TABLE runs DROP COLUMN epoch; "
                         "ALTER TABLE runs DROP COLUMN suite_json; PRAGMA user_version = 2",
                         0, 0, 0),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = Open();
  EXPECT_NE(store->Describe().find("schema 6"), std::string::npos) << store->Describe();
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], old);  // its suite has neither definitions nor an epoch
  core::Run fresh = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&fresh, 1}).ok());
  EXPECT_EQ(store->ListEpochs({})->size(), 1u);
}

TEST_F(StoreTest, AVersion1StoreIsMigratedKeepingItsRuns) {
  // A store as the first release wrote it: schema 1 only.
  {
    auto store = Open();
    core::Run r = MakeRun(0);
    ASSERT_TRUE(store->Ingest({&r, 1}).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TABLE tokens; DROP TABLE alerts; "
                         "DROP TABLE skips; DROP TABLE jobs; DROP TABLE plans; DROP TABLE commits; "
                         "DROP TABLE epochs; DROP TABLE suite_revisions; DROP INDEX runs_by_epoch; "
                         "ALTER TABLE runs DROP COLUMN epoch; "
                         "ALTER TABLE runs DROP COLUMN suite_json; PRAGMA user_version = 1",
                         0, 0, 0),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = Open();
  EXPECT_NE(store->Describe().find("schema 6"), std::string::npos) << store->Describe();
  EXPECT_EQ(All(*store).size(), 1u);
  EXPECT_TRUE(store->RecordPlan(SamplePlan(0, 1, base::Timestamp{1})).ok());
}

// Alerts (store.h AlertRecord).

AlertRecord SampleAlert(int i, const std::string& platform = "x86-64-linux",
                        const std::string& kind = "regression") {
  AlertRecord a;
  a.project = "gruel";
  a.platform = platform;
  a.benchmark = "parse/small";
  a.metric = i % 2 == 0 ? "wall_time" : "instructions";
  a.unit = i % 2 == 0 ? "ns" : "count";
  a.epoch = i + 1;
  a.range_from = Sha(10 * i);
  a.range_to = Sha(10 * i + 4);
  a.range_count = 4;
  a.before_median = 1000.0 + i;
  a.after_median = 1150.25 + i;
  a.change = 0.15025;
  a.confidence = 0.999;
  a.noise = 0.0125;
  a.kind = *core::ParseAlertKind(kind);
  a.created_at = base::Timestamp{1'700'000'000'000'000'000LL + i};
  a.updated_at = a.created_at;
  return a;
}

void ExpectSameAlert(const AlertRecord& got, const AlertRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.project, want.project);
  EXPECT_EQ(got.platform, want.platform);
  EXPECT_EQ(got.benchmark, want.benchmark);
  EXPECT_EQ(got.metric, want.metric);
  EXPECT_EQ(got.unit, want.unit);
  EXPECT_EQ(got.epoch, want.epoch);
  EXPECT_EQ(got.range_from, want.range_from);
  EXPECT_EQ(got.range_to, want.range_to);
  EXPECT_EQ(got.range_count, want.range_count);
  EXPECT_EQ(got.before_median, want.before_median);
  EXPECT_EQ(got.after_median, want.after_median);
  EXPECT_EQ(got.change, want.change);
  EXPECT_EQ(got.confidence, want.confidence);
  EXPECT_EQ(got.noise, want.noise);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.note, want.note);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.updated_at, want.updated_at);
}

std::vector<int64_t> IdsOf(const std::vector<AlertRecord>& alerts) {
  std::vector<int64_t> ids;
  for (const auto& a : alerts) ids.push_back(a.id);
  return ids;
}

TEST_F(StoreTest, AlertsComeBackWithEveryFieldAndIdsInOrder) {
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1, "macos", "improvement"),
                                      SampleAlert(2, "x86-64-linux", "environment")};
  inserts[0].epoch.reset();  // a series without a suite epoch
  inserts[1].status = core::AlertStatus::kAcknowledged;
  inserts[1].note = "expected: the new allocator";
  inserts[1].change = -0.2;
  inserts[1].range_count = 0;  // unknown
  inserts[2].note = "";        // given but empty: not the same as none
  {
    auto store = Open();
    EXPECT_TRUE(store->ListAlerts({})->empty());
    ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
    EXPECT_EQ(IdsOf(inserts), (std::vector<int64_t>{1, 2, 3}));
    std::vector<AlertRecord> more = {SampleAlert(3)};
    ASSERT_TRUE(store->RecordAlerts(more, {}).ok());
    EXPECT_EQ(more[0].id, 4);
    inserts.push_back(more[0]);
    // Nothing to do is fine, too.
    std::vector<AlertRecord> none;
    EXPECT_TRUE(store->RecordAlerts(none, {}).ok());
  }
  auto store = Open();  // and it all survives reopening
  auto back = store->ListAlerts({});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), inserts.size());
  for (size_t i = 0; i < inserts.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameAlert((*back)[i], inserts[i]);
  }
  EXPECT_EQ((*back)[0].epoch, std::nullopt);
  EXPECT_EQ((*back)[0].note, std::nullopt);
  EXPECT_EQ((*back)[2].note, std::optional<std::string>(""));
}

TEST_F(StoreTest, AlertsAreFilteredByStatusPlatformAndKind) {
  auto store = Open();
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1, "macos"),
                                      SampleAlert(2, "x86-64-linux", "improvement"),
                                      SampleAlert(3, "macos", "environment"), SampleAlert(4)};
  inserts[1].status = core::AlertStatus::kResolved;
  inserts[4].status = core::AlertStatus::kFalsePositive;
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  using Opt = std::optional<std::string>;
  auto ids = [&](Opt status, Opt platform, Opt kind) {
    AlertFilter f;
    if (status) f.status = core::ParseAlertStatus(*status);
    f.platform = std::move(platform);
    if (kind) f.kind = core::ParseAlertKind(*kind);
    auto listed = store->ListAlerts(f);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    return listed.ok() ? IdsOf(*listed) : std::vector<int64_t>{};
  };
  using Ids = std::vector<int64_t>;
  const auto any = std::nullopt;
  EXPECT_EQ(ids(any, any, any), (Ids{1, 2, 3, 4, 5}));
  EXPECT_EQ(ids("open", any, any), (Ids{1, 3, 4}));
  EXPECT_EQ(ids("resolved", any, any), (Ids{2}));
  EXPECT_EQ(ids("acknowledged", any, any), Ids{});
  EXPECT_EQ(ids(any, "macos", any), (Ids{2, 4}));
  EXPECT_EQ(ids(any, any, "regression"), (Ids{1, 2, 5}));
  EXPECT_EQ(ids("open", "x86-64-linux", any), (Ids{1, 3}));
  EXPECT_EQ(ids("open", "macos", "environment"), (Ids{4}));
  EXPECT_EQ(ids(any, "nope", any), Ids{});
}

TEST_F(StoreTest, NarrowingReplacesTheRangeAndKeepsStatusAndNote) {
  auto store = Open();
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1)};
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  const base::Timestamp acked{inserts[0].created_at.unix_nanos + 1000};
  ASSERT_TRUE(store->SetAlertStatus(1, core::AlertStatus::kAcknowledged, "looking", acked).ok());

  // A later detection with more commits measured: a narrower range and new estimates. Its
  // status, note, kind and series fields are not what narrowing changes.
  AlertRecord narrower = SampleAlert(7, "macos", "improvement");
  narrower.id = 1;
  narrower.range_from = Sha(2);
  narrower.range_to = Sha(3);
  narrower.range_count = 1;
  narrower.before_median = 990.5;
  narrower.after_median = 1200.75;
  narrower.change = 0.2122;
  narrower.confidence = 0.9999;
  narrower.status = core::AlertStatus::kOpen;
  narrower.note = "from detect";
  narrower.updated_at = base::Timestamp{acked.unix_nanos + 5000};
  std::vector<AlertRecord> fresh = {SampleAlert(2)};
  ASSERT_TRUE(store->RecordAlerts(fresh, {narrower}).ok());
  EXPECT_EQ(fresh[0].id, 3);

  auto back = store->ListAlerts({});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 3u);
  AlertRecord want = inserts[0];
  want.range_from = Sha(2);
  want.range_to = Sha(3);
  want.range_count = 1;
  want.before_median = 990.5;
  want.after_median = 1200.75;
  want.change = 0.2122;
  want.confidence = 0.9999;
  want.status = core::AlertStatus::kAcknowledged;
  want.note = "looking";
  want.updated_at = narrower.updated_at;
  ExpectSameAlert((*back)[0], want);
  ExpectSameAlert((*back)[1], inserts[1]);  // untouched
  ExpectSameAlert((*back)[2], fresh[0]);

  // A record whose clock is behind the alert's last update never moves updated_at back.
  AlertRecord stale = want;
  stale.updated_at = base::Timestamp{0};
  stale.change = 0.25;
  std::vector<AlertRecord> none;
  ASSERT_TRUE(store->RecordAlerts(none, {stale}).ok());
  auto again = store->ListAlerts({});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].change, 0.25);
  EXPECT_EQ((*again)[0].updated_at, narrower.updated_at);
}

TEST_F(StoreTest, AnUnknownIdInNarrowedWritesNothing) {
  auto store = Open();
  std::vector<AlertRecord> first = {SampleAlert(0)};
  ASSERT_TRUE(store->RecordAlerts(first, {}).ok());

  // One valid narrowing, one unknown id, and two inserts in the same call: none of it stays.
  AlertRecord valid = first[0];
  valid.change = 0.5;
  valid.range_from = Sha(3);
  AlertRecord unknown = SampleAlert(1);
  unknown.id = 2;  // the id the first insert below would get
  std::vector<AlertRecord> inserts = {SampleAlert(2), SampleAlert(3)};
  auto s = store->RecordAlerts(inserts, {valid, unknown});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), base::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no alert with id 2");
  EXPECT_EQ(IdsOf(inserts), (std::vector<int64_t>{0, 0}));  // no ids written back
  auto back = store->ListAlerts({});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  ExpectSameAlert((*back)[0], first[0]);

  // The same inserts alone go through, numbered as if the failed call never happened.
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  EXPECT_EQ(IdsOf(inserts), (std::vector<int64_t>{2, 3}));
}

// An alert's kind and status are enums (core/triage.h): an unknown word is refused where it
// is parsed (TriageTest.UnknownAndMisspelledWordsAreRefused; the API's and the CLI's tests),
// so the numbers are what the store checks.
TEST_F(StoreTest, InvalidNewAlertsAreRefusedAndNothingIsWritten) {
  auto store = Open();
  std::vector<AlertRecord> not_finite = {SampleAlert(0), SampleAlert(1, "macos", "improvement")};
  not_finite[1].change = std::numeric_limits<double>::quiet_NaN();
  auto s = store->RecordAlerts(not_finite, {});
  EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(s.message(), "change is not a finite number")) << s.message();

  std::vector<AlertRecord> infinite = {SampleAlert(0)};
  infinite[0].noise = std::numeric_limits<double>::infinity();
  std::vector<AlertRecord> none;
  s = store->RecordAlerts(none, infinite);
  EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(s.message(), "noise is not a finite number")) << s.message();

  EXPECT_EQ(IdsOf(not_finite), (std::vector<int64_t>{0, 0}));
  EXPECT_TRUE(store->ListAlerts({})->empty());
}

TEST_F(StoreTest, SetAlertStatusMovesBetweenStatusesAndRefusesUnknownIds) {
  auto store = Open();
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1)};
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  const int64_t t0 = inserts[0].created_at.unix_nanos;
  auto alert = [&](int64_t id) {
    auto listed = store->ListAlerts({});
    EXPECT_TRUE(listed.ok());
    for (const auto& a : *listed) {
      if (a.id == id) return a;
    }
    ADD_FAILURE() << "no alert " << id;
    return AlertRecord{};
  };

  ASSERT_TRUE(store
                  ->SetAlertStatus(1, core::AlertStatus::kAcknowledged, "bisecting",
                                   base::Timestamp{t0 + 1})
                  .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "acknowledged");
  EXPECT_EQ(alert(1).note, "bisecting");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 1});
  EXPECT_EQ(alert(1).created_at, inserts[0].created_at);

  // Without a note the note stays.
  ASSERT_TRUE(
      store->SetAlertStatus(1, core::AlertStatus::kResolved, std::nullopt, base::Timestamp{t0 + 2})
          .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "resolved");
  EXPECT_EQ(alert(1).note, "bisecting");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 2});

  ASSERT_TRUE(store
                  ->SetAlertStatus(1, core::AlertStatus::kFalsePositive, "noise on the runner",
                                   base::Timestamp{t0 + 3})
                  .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "false-positive");
  EXPECT_EQ(alert(1).note, "noise on the runner");
  ASSERT_TRUE(
      store->SetAlertStatus(1, core::AlertStatus::kOpen, std::nullopt, base::Timestamp{t0 + 4})
          .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "open");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 4});
  ExpectSameAlert(alert(2), inserts[1]);  // the other alert is untouched

  auto unknown_id =
      store->SetAlertStatus(7, core::AlertStatus::kResolved, std::nullopt, base::Timestamp{t0 + 5});
  EXPECT_EQ(unknown_id.code(), base::StatusCode::kNotFound);
  EXPECT_EQ(unknown_id.message(), "no alert with id 7");
  // Neither changed anything.
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "open");
  EXPECT_EQ(alert(1).note, "noise on the runner");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 4});
}

TEST_F(StoreTest, TheAlertsTableRefusesUnknownKindsAndStatuses) {
  { auto store = Open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  const std::string insert =
      "INSERT INTO alerts (project, platform, benchmark, metric, unit, range_from, range_to, "
      "range_count, before_median, after_median, change, confidence, noise, kind, status, "
      "created_at, updated_at) VALUES ('p', 'x', 'b', 'm', 'ns', 'a', 'b', 1, 1, 2, 1, 0.9, 0, ";
  EXPECT_EQ(sqlite3_exec(db, (insert + "'regression', 'open', 1, 1)").c_str(), 0, 0, 0), SQLITE_OK)
      << sqlite3_errmsg(db);
  EXPECT_NE(sqlite3_exec(db, (insert + "'slower', 'open', 1, 1)").c_str(), 0, 0, 0), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, (insert + "'regression', 'closed', 1, 1)").c_str(), 0, 0, 0),
            SQLITE_OK);
  sqlite3_close(db);
}

TEST_F(StoreTest, AVersion3StoreIsMigratedKeepingItsRunsAndAddingAlertsAndTokens) {
  core::Run old = EpochRun(0);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&old, 1}).ok());
  }
  // Back to schema 3 as the previous release left it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "DROP TABLE tokens; DROP TABLE alerts; PRAGMA user_version = 3", 0, 0, 0),
      SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 6"), std::string::npos) << store->Describe();
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], old);
  EXPECT_EQ(store->ListEpochs({})->size(), 1u);
  auto alerts = store->ListAlerts({});
  ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
  EXPECT_TRUE(alerts->empty());
  std::vector<AlertRecord> inserts = {SampleAlert(0)};
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  EXPECT_EQ(inserts[0].id, 1);
  EXPECT_TRUE(
      store->SetAlertStatus(1, core::AlertStatus::kResolved, std::nullopt, base::Timestamp{2})
          .ok());
  EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());
}

// API tokens (store.h TokenRecord).

TokenRecord SampleToken(int i, const std::string& project = "gruel",
                        std::optional<std::string> name = std::nullopt) {
  const std::string token = "plt_token-number-" + std::to_string(i);
  TokenRecord t;
  t.project = project;
  t.name = std::move(name);
  t.hash = core::Sha256Hex(token);
  t.prefix = token.substr(0, 8);
  t.created_at = base::Timestamp{1'700'000'000'000'000'000LL + i};
  return t;
}

void ExpectSameToken(const TokenRecord& got, const TokenRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.scope, want.scope);
  EXPECT_EQ(got.project, want.project);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.hash, want.hash);
  EXPECT_EQ(got.prefix, want.prefix);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.last_used_at, want.last_used_at);
  EXPECT_EQ(got.revoked_at, want.revoked_at);
}

TEST_F(StoreTest, TokensComeBackWithEveryFieldAndAreFoundByHash) {
  std::vector<TokenRecord> tokens = {SampleToken(0, "gruel", "ci"), SampleToken(1, "other"),
                                     SampleToken(2, "gruel", "laptop")};
  tokens[2].scope = "read";
  {
    auto store = Open();
    EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());
    for (size_t i = 0; i < tokens.size(); ++i) {
      TokenRecord given = tokens[i];
      given.id = 99;  // ignored, like the times CreateToken does not set
      given.last_used_at = base::Timestamp{5};
      given.revoked_at = base::Timestamp{6};
      auto id = store->CreateToken(given);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      EXPECT_EQ(*id, static_cast<int64_t>(i + 1));
      tokens[i].id = *id;
    }
  }
  auto store = Open();  // and it all survives reopening
  auto all = store->ListTokens(std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  for (size_t i = 0; i < tokens.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameToken((*all)[i], tokens[i]);
  }
  EXPECT_EQ((*all)[1].name, std::nullopt);

  auto gruel = store->ListTokens("gruel");
  ASSERT_TRUE(gruel.ok());
  ASSERT_EQ(gruel->size(), 2u);
  EXPECT_EQ((*gruel)[0].id, 1);
  EXPECT_EQ((*gruel)[1].id, 3);
  EXPECT_TRUE(store->ListTokens("nope")->empty());

  auto found = store->FindTokenByHash(core::Sha256Hex("plt_token-number-2"));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  ExpectSameToken(**found, tokens[2]);
  auto unknown = store->FindTokenByHash(core::Sha256Hex("plt_token-number-7"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  // The token itself is not its hash: looking it up finds nothing.
  EXPECT_FALSE(store->FindTokenByHash("plt_token-number-2")->has_value());
}

TEST_F(StoreTest, ARevokedTokenIsNotFoundAndRevokingAgainKeepsTheFirstTime) {
  auto store = Open();
  ASSERT_TRUE(store->CreateToken(SampleToken(0, "gruel", "ci")).ok());
  ASSERT_TRUE(store->CreateToken(SampleToken(1, "gruel", "other")).ok());
  const std::string hash = core::Sha256Hex("plt_token-number-0");
  ASSERT_TRUE(store->FindTokenByHash(hash)->has_value());

  ASSERT_TRUE(store->RevokeToken(1, base::Timestamp{100}).ok());
  EXPECT_FALSE(store->FindTokenByHash(hash)->has_value());
  auto listed = store->ListTokens(std::nullopt);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);  // revoked tokens are still listed
  EXPECT_EQ((*listed)[0].revoked_at, base::Timestamp{100});
  EXPECT_EQ((*listed)[1].revoked_at, std::nullopt);  // the other one is untouched
  EXPECT_TRUE(store->FindTokenByHash(core::Sha256Hex("plt_token-number-1"))->has_value());

  // Again: fine, and the first revocation time stays.
  ASSERT_TRUE(store->RevokeToken(1, base::Timestamp{200}).ok());
  EXPECT_EQ(store->ListTokens(std::nullopt)->at(0).revoked_at, base::Timestamp{100});

  auto unknown = store->RevokeToken(7, base::Timestamp{300});
  EXPECT_EQ(unknown.code(), base::StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(), "no token with id 7");
}

TEST_F(StoreTest, TokenNamesAreUniquePerProjectAmongTokensNotRevoked) {
  auto store = Open();
  ASSERT_TRUE(store->CreateToken(SampleToken(0, "gruel", "ci")).ok());
  auto again = store->CreateToken(SampleToken(1, "gruel", "ci"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), base::StatusCode::kConflict);
  EXPECT_EQ(again.status().message(),
            "project 'gruel' already has a token named 'ci' (id 1): choose another name, or "
            "revoke that token first");
  // Another project may use the name, and unnamed tokens never collide.
  EXPECT_TRUE(store->CreateToken(SampleToken(2, "other", "ci")).ok());
  EXPECT_TRUE(store->CreateToken(SampleToken(3, "gruel")).ok());
  EXPECT_TRUE(store->CreateToken(SampleToken(4, "gruel")).ok());
  // Once revoked, the name is free again.
  ASSERT_TRUE(store->RevokeToken(1, base::Timestamp{10}).ok());
  auto reused = store->CreateToken(SampleToken(5, "gruel", "ci"));
  ASSERT_TRUE(reused.ok()) << reused.status().ToString();
  EXPECT_EQ(*reused, 5);  // the failed call used no id
  // The table refuses a second active name even when written directly.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db,
                         "INSERT INTO tokens (project, name, hash, prefix, created_at) VALUES "
                         "('gruel', 'ci', 'x', 'plt_', 1)",
                         0, 0, 0),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(store->ListTokens("gruel")->size(), 4u);
}

TEST_F(StoreTest, InvalidTokensAreRefusedAndNothingIsWritten) {
  auto store = Open();
  TokenRecord no_project = SampleToken(0, "");
  EXPECT_EQ(store->CreateToken(no_project).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord empty_name = SampleToken(0, "gruel", "");
  EXPECT_EQ(store->CreateToken(empty_name).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord raw = SampleToken(0);
  raw.hash = "plt_token-number-0";  // the token itself, not its hash
  auto refused = store->CreateToken(raw);
  EXPECT_EQ(refused.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(refused.status().message(), "64 lower-case hex digits"))
      << refused.status().message();
  TokenRecord upper = SampleToken(0);
  for (char& c : upper.hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(store->CreateToken(upper).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord no_prefix = SampleToken(0);
  no_prefix.prefix.clear();
  EXPECT_EQ(store->CreateToken(no_prefix).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord admin = SampleToken(0);
  admin.scope = "admin";
  EXPECT_EQ(store->CreateToken(admin).status().code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());

  // The same hash twice is a conflict, whatever the project.
  ASSERT_TRUE(store->CreateToken(SampleToken(0)).ok());
  auto twice = store->CreateToken(SampleToken(0, "other", "x"));
  EXPECT_EQ(twice.status().code(), base::StatusCode::kConflict);
  EXPECT_EQ(store->ListTokens(std::nullopt)->size(), 1u);
}

TEST_F(StoreTest, AVersion4StoreIsMigratedKeepingItsRunsAndAlerts) {
  core::Run old = EpochRun(0);
  std::vector<AlertRecord> alerts = {SampleAlert(0)};
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&old, 1}).ok());
    ASSERT_TRUE(store->RecordAlerts(alerts, {}).ok());
  }
  // Back to schema 4 as the previous release left it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE tokens; PRAGMA user_version = 4", 0, 0, 0), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 6"), std::string::npos) << store->Describe();
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], old);
  EXPECT_EQ(store->ListEpochs({})->size(), 1u);
  auto kept = store->ListAlerts({});
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_EQ(kept->size(), 1u);
  ExpectSameAlert((*kept)[0], alerts[0]);
  EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());
  auto id = store->CreateToken(SampleToken(0, "gruel", "ci"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 1);
  EXPECT_TRUE(store->FindTokenByHash(core::Sha256Hex("plt_token-number-0"))->has_value());
}

TEST_F(StoreTest, AVersion5StoresTokensKeepTheirRightToWrite) {
  {
    auto store = Open();
    ASSERT_TRUE(store->CreateToken(SampleToken(0, "gruel", "ci")).ok());
  }
  // Back to schema 5 as the previous release left it: tokens without a scope.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "ALTER TABLE tokens DROP COLUMN scope; PRAGMA user_version = 5", 0, 0, 0),
      SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 6"), std::string::npos) << store->Describe();
  auto tokens = store->ListTokens(std::nullopt);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].scope, "write");
}

}  // namespace
}  // namespace perfledger::store
