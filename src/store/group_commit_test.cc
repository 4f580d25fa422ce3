// GroupCommitter on a real SQLite store. To make a group deterministic, a test holds the
// store's write lock from a raw connection: the first caller leads and waits in its
// transaction while the others queue; once the lock is released, the queued requests are
// committed together in the next round.
#include "store/group_commit.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/collector.h"
#include "store/pg_store.h"
#include "store/store_test_fixture.h"

namespace perfledger::store {
namespace {

using test_support::Contains;
using test_support::MakeRun;
using test_support::StoreTest;

using Outcome = std::optional<base::Result<IngestStats>>;

class GroupCommitTest : public StoreTest {
 protected:
  // Holds the store's write lock until Release: SQLite's, or PostgreSQL's writers' advisory
  // lock (pg_store.h).
  void Lock() {
    if (!sqlite()) {
      auto c = PgConnection::Open(path_);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      pg_ = std::move(*c);
      ASSERT_TRUE(pg_->Exec("BEGIN", "lock").ok());
      const PgParam key = std::to_string(kPgWriteLock);
      auto locked = pg_->Query("SELECT pg_advisory_xact_lock($1::bigint)", {&key, 1}, "lock");
      ASSERT_TRUE(locked.ok()) << locked.status().ToString();
      return;
    }
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw_), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  void Release() {
    if (pg_) {
      (void)pg_->Exec("ROLLBACK", "unlock");
      pg_.reset();
    }
    if (raw_ == nullptr) return;
    sqlite3_exec(raw_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(raw_);
    raw_ = nullptr;
  }
  void TearDown() override {
    Release();
    StoreTest::TearDown();
  }

  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  // Commits requests[0] first, as a leader that waits for the write lock, then queues the
  // others behind it, releases the lock and returns every request's outcome.
  std::vector<Outcome> CommitBehindALeader(GroupCommitter& committer,
                                           std::vector<std::vector<SourcedRun>> requests) {
    const size_t n = requests.size();
    std::vector<std::unique_ptr<Store>> stores;
    for (size_t i = 0; i < n; ++i) stores.push_back(Open());
    std::vector<Outcome> out(n);
    const int64_t groups_before = committer.counters().groups;
    Lock();
    std::vector<std::thread> threads;
    auto start = [&](size_t i) {
      threads.emplace_back(
          [&, i] { out[i] = committer.Collect(*stores[i], std::move(requests[i])); });
    };
    start(0);
    EXPECT_TRUE(WaitFor([&] { return committer.counters().groups == groups_before + 1; }));
    for (size_t i = 1; i < n; ++i) start(i);
    EXPECT_TRUE(
        WaitFor([&] { return committer.counters().waiting == static_cast<int64_t>(n - 1); }));
    Release();
    for (auto& t : threads) t.join();
    return out;
  }

  sqlite3* raw_ = nullptr;
  std::unique_ptr<PgConnection> pg_;
};

std::vector<SourcedRun> Sourced(std::vector<core::Run> runs, const std::string& source) {
  std::vector<SourcedRun> out;
  for (auto& r : runs) out.push_back({std::move(r), source});
  return out;
}

TEST_P(GroupCommitTest, ConcurrentRequestsShareOneTransactionWithExactStats) {
  constexpr int kThreads = 16;
  std::vector<std::vector<SourcedRun>> requests;
  std::vector<int64_t> samples(kThreads, 0);
  std::set<std::string> ids;
  {
    auto store = Open();
    for (int t = 0; t < kThreads; ++t) {
      // Three new runs, the first of them twice, and one stored before.
      std::vector<core::Run> runs = {MakeRun(t * 10), MakeRun(t * 10 + 1), MakeRun(t * 10 + 2)};
      for (const auto& r : runs) {
        samples[t] += r.sample_count();
        ids.insert(r.run_id);
      }
      runs.push_back(runs.front());
      core::Run old = MakeRun(t * 10 + 3);
      ASSERT_TRUE(store->Ingest(std::vector<core::Run>{old}).ok());
      ids.insert(old.run_id);
      runs.push_back(old);
      requests.push_back(Sourced(std::move(runs), "thread " + std::to_string(t)));
    }
  }
  GroupCommitter committer;
  std::vector<Outcome> out = CommitBehindALeader(committer, std::move(requests));
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(out[t] && out[t]->ok()) << t << ": " << (out[t] ? out[t]->status().ToString() : "");
    EXPECT_EQ((*out[t])->ingested, 3) << t;
    EXPECT_EQ((*out[t])->already_present, 2) << t;
    EXPECT_EQ((*out[t])->samples, samples[t]) << t;
  }
  const auto c = committer.counters();
  EXPECT_EQ(c.groups, 2);  // the leader alone, then the other 15 together
  EXPECT_EQ(c.requests, kThreads);
  EXPECT_EQ(c.fallbacks, 0);
  EXPECT_EQ(c.waiting, 0);
  auto store = Open();
  std::vector<core::Run> all = All(*store);
  EXPECT_EQ(all.size(), ids.size());
  std::set<std::string> stored;
  for (const auto& r : all) EXPECT_TRUE(stored.insert(r.run_id).second) << "twice: " << r.run_id;
  EXPECT_EQ(stored, ids);
}

TEST_P(GroupCommitTest, ManyThreadsAtOnceStoreEveryRunOnce) {
  constexpr int kThreads = 16, kRounds = 5;
  { auto store = Open(); }
  GroupCommitter committer;
  std::atomic<int> ready{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = OpenStore(path_);
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int k = 0; k < kRounds; ++k) {
        std::vector<core::Run> runs = {MakeRun(t * 100 + k * 2), MakeRun(t * 100 + k * 2 + 1)};
        int64_t samples = runs[0].sample_count() + runs[1].sample_count();
        auto r = committer.Collect(**store, Sourced(std::move(runs), "t"));
        if (!r.ok() || r->ingested != 2 || r->already_present != 0 || r->samples != samples) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto store = Open();
  EXPECT_EQ(All(*store).size(), static_cast<size_t>(kThreads * kRounds * 2));
  EXPECT_EQ(committer.counters().requests, kThreads * kRounds);
}

TEST_P(GroupCommitTest, AConflictFailsOnlyItsOwnRequest) {
  core::Run stored = MakeRun(50);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest(std::vector<core::Run>{stored}).ok());
  }
  core::Run changed = stored;
  changed.benchmarks[0].metrics[1].samples[0] += 1;
  std::vector<std::vector<SourcedRun>> requests;
  requests.push_back(Sourced({MakeRun(0)}, "leader.json"));
  requests.push_back(Sourced({MakeRun(1), MakeRun(2)}, "a.json"));
  requests.push_back(Sourced({MakeRun(3)}, "other.json"));
  requests.back().push_back({changed, "bad.json"});
  requests.push_back(Sourced({MakeRun(4)}, "c.json"));
  GroupCommitter committer;
  std::vector<Outcome> out = CommitBehindALeader(committer, std::move(requests));
  ASSERT_TRUE(out[0] && out[0]->ok());
  ASSERT_TRUE(out[1] && out[1]->ok()) << out[1]->status().ToString();
  EXPECT_EQ((*out[1])->ingested, 2);
  ASSERT_TRUE(out[3] && out[3]->ok()) << out[3]->status().ToString();
  EXPECT_EQ((*out[3])->ingested, 1);
  ASSERT_TRUE(out[2]);
  ASSERT_FALSE(out[2]->ok());
  EXPECT_EQ(out[2]->status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(out[2]->status().message(), "bad.json")) << out[2]->status().ToString();
  EXPECT_TRUE(Contains(out[2]->status().message(), stored.run_id));
  const auto c = committer.counters();
  EXPECT_EQ(c.groups, 2);
  EXPECT_EQ(c.fallbacks, 1);
  auto store = Open();
  EXPECT_EQ(All(*store).size(), 5u);  // stored, the leader's, a's two, c's; nothing of other's
}

TEST_P(GroupCommitTest, TheSameRunInTwoRequestsIsStoredOnce) {
  core::Run run = MakeRun(7);
  std::vector<std::vector<SourcedRun>> requests;
  requests.push_back(Sourced({MakeRun(0)}, "leader.json"));
  requests.push_back(Sourced({run}, "first.json"));
  requests.push_back(Sourced({run}, "second.json"));
  GroupCommitter committer;
  std::vector<Outcome> out = CommitBehindALeader(committer, std::move(requests));
  ASSERT_TRUE(out[1] && out[1]->ok());
  ASSERT_TRUE(out[2] && out[2]->ok());
  EXPECT_EQ((*out[1])->ingested + (*out[2])->ingested, 1);
  EXPECT_EQ((*out[1])->already_present + (*out[2])->already_present, 1);
  EXPECT_EQ(committer.counters().groups, 3);  // the second waits for the round after the first
  auto store = Open();
  EXPECT_EQ(All(*store).size(), 2u);
}

// The server's uploads: every leader writes with the one connection the opener gave, opened
// once; the fallback after a conflict (runs moved into the shared batch and back) too.
TEST_P(GroupCommitTest, EveryGroupIsWrittenWithOneWriterConnection) {
  core::Run stored = MakeRun(50);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest(std::vector<core::Run>{stored}).ok());
  }
  core::Run changed = stored;
  changed.benchmarks[0].metrics[1].samples[0] += 1;
  std::atomic<int> opened = 0;
  GroupCommitter committer(64, [&]() -> base::Result<std::unique_ptr<Store>> {
    ++opened;
    return Open();
  });
  for (int round = 0; round < 2; ++round) {
    std::vector<std::vector<SourcedRun>> requests;
    requests.push_back(Sourced({MakeRun(round * 10)}, "leader.json"));
    requests.push_back(Sourced({MakeRun(round * 10 + 1), MakeRun(round * 10 + 2)}, "a.json"));
    if (round == 1) requests.push_back(Sourced({changed}, "bad.json"));
    std::vector<Outcome> out = CommitBehindALeader(committer, std::move(requests));
    ASSERT_TRUE(out[0] && out[0]->ok()) << out[0]->status().ToString();
    ASSERT_TRUE(out[1] && out[1]->ok()) << out[1]->status().ToString();
    EXPECT_EQ((*out[1])->ingested, 2);
    EXPECT_EQ((*out[1])->samples, MakeRun(1).sample_count() * 2);
    if (round == 1) {
      ASSERT_TRUE(out[2] && !out[2]->ok());
      EXPECT_TRUE(Contains(out[2]->status().message(), "bad.json"));
    }
  }
  EXPECT_EQ(opened.load(), 1);
  EXPECT_EQ(committer.counters().fallbacks, 1);
  auto store = Open();
  std::vector<core::Run> all = All(*store);
  ASSERT_EQ(all.size(), 7u);  // stored and three of each round
  for (const auto& r : all) {
    if (r.run_id == stored.run_id) {
      EXPECT_EQ(r, stored);
    }
  }
}

TEST_P(GroupCommitTest, AWriterThatCannotOpenLeavesEachLeaderItsOwnConnection) {
  GroupCommitter committer(
      64, []() -> base::Result<std::unique_ptr<Store>> { return base::IoError("no writer here"); });
  std::vector<std::vector<SourcedRun>> requests;
  requests.push_back(Sourced({MakeRun(0)}, "leader.json"));
  requests.push_back(Sourced({MakeRun(1)}, "a.json"));
  std::vector<Outcome> out = CommitBehindALeader(committer, std::move(requests));
  ASSERT_TRUE(out[0] && out[0]->ok()) << out[0]->status().ToString();
  ASSERT_TRUE(out[1] && out[1]->ok()) << out[1]->status().ToString();
  auto store = Open();
  EXPECT_EQ(All(*store).size(), 2u);
}

TEST_P(GroupCommitTest, AWriterThatFailedToOpenIsTriedAgainAfterTheRetryInterval) {
  int attempts = 0;
  GroupCommitter::Opener opener = [&]() -> base::Result<std::unique_ptr<Store>> {
    if (++attempts == 1) return base::IoError("not yet");
    return OpenStore(path_);
  };
  auto own = Open();
  auto commit = [&](GroupCommitter& committer, int i) {
    auto stats = committer.Collect(*own, Sourced({MakeRun(i)}, "r.json"));
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->ingested, 1);
  };
  {
    // Within the interval: each leader writes with its own connection, no second attempt.
    GroupCommitter committer(64, opener, std::chrono::hours(1));
    commit(committer, 0);
    commit(committer, 1);
    EXPECT_EQ(attempts, 1);
    EXPECT_EQ(committer.counters().writer_opens, 1);
  }
  {
    // Past it: opened again, then kept.
    attempts = 0;
    GroupCommitter committer(64, opener, std::chrono::milliseconds(0));
    commit(committer, 2);
    commit(committer, 3);
    commit(committer, 4);
    EXPECT_EQ(attempts, 2);
    EXPECT_EQ(committer.counters().writer_opens, 2);
  }
  EXPECT_EQ(All(*own).size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupCommitTest,
                         ::testing::Values(test_support::Backend::kSqlite,
                                           test_support::Backend::kPostgres),
                         test_support::BackendName);

}  // namespace
}  // namespace perfledger::store
