// The store test suite's shared fixture and sample data (store_*_test.cc). Every back end
// must pass the suite; each file tests one concern of the Store interface, as the SQLite back
// end is split (runs and opening, the schedule, suite and epoch declarations, alerts, tokens).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/uuid.h"
#include "core/artifact.h"
#include "pg_server.h"
#include "store/store.h"

namespace perfledger::store::test_support {

namespace fs = std::filesystem;

// SQLite back end only: turns a store of the current schema back into the one perfledger's
// release of schema VERSION left, so a test can check that release's store migrates. Each
// entry undoes one migration of sqlite_migrations.cc, newest first; a new migration adds its
// undo at the front.
inline ::testing::AssertionResult UndoSchemasDownTo(const std::string& path, int version) {
  struct Undo {
    int from;  // the schema this undoes
    std::string_view sql;
  };
  static constexpr Undo kUndo[] = {
      {14,
       "CREATE TABLE alerts_v13 (id INTEGER PRIMARY KEY, project TEXT NOT NULL, "
       "platform TEXT NOT NULL, benchmark TEXT NOT NULL, metric TEXT NOT NULL, "
       "unit TEXT NOT NULL, epoch INTEGER, range_from TEXT NOT NULL, range_to TEXT NOT NULL, "
       "range_count INTEGER NOT NULL, before_median REAL NOT NULL, after_median REAL NOT NULL, "
       "change REAL NOT NULL, confidence REAL NOT NULL, noise REAL NOT NULL, kind TEXT NOT NULL "
       "CHECK (kind IN ('regression', 'improvement', 'environment')), status TEXT NOT NULL "
       "CHECK (status IN ('open', 'acknowledged', 'resolved', 'false-positive')), note TEXT, "
       "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL); "
       "INSERT INTO alerts_v13 SELECT id, project, platform, benchmark, metric, unit, epoch, "
       "range_from, range_to, range_count, before_median, after_median, change, confidence, "
       "noise, kind, status, note, created_at, updated_at FROM alerts; DROP TABLE alerts; "
       "ALTER TABLE alerts_v13 RENAME TO alerts; "
       "CREATE INDEX alerts_by_status ON alerts(status); "
       "CREATE INDEX alerts_by_series ON alerts(platform, benchmark, metric);"},
      {13,
       "DROP TABLE agents; DROP INDEX jobs_by_platform_state; DROP INDEX jobs_by_lease; "
       "ALTER TABLE jobs DROP COLUMN attempt; ALTER TABLE jobs DROP COLUMN agent; "
       "ALTER TABLE jobs DROP COLUMN claimed_at; ALTER TABLE jobs DROP COLUMN lease_expires_at; "
       "ALTER TABLE jobs DROP COLUMN finished_at; ALTER TABLE jobs DROP COLUMN run_id; "
       "ALTER TABLE jobs DROP COLUMN log_tail;"},
      {12, "DROP TABLE points_staged;"},
      {11,
       "DROP TABLE median_blocks; ALTER TABLE series DROP COLUMN sealed_t; "
       "ALTER TABLE series DROP COLUMN unsealed;"},
      {10, "CREATE INDEX measurements_by_series ON measurements(benchmark, metric);"},
      {9, "DROP TABLE checkpoints;"},
      {8,
       "ALTER TABLE runs DROP COLUMN ok_set; ALTER TABLE runs DROP COLUMN failed_set; "
       "DROP TABLE benchmark_sets;"},
      {7, "DROP TABLE marks; DROP TABLE points; DROP TABLE series;"},
      {6, "ALTER TABLE tokens DROP COLUMN scope;"},
      {5, "DROP TABLE tokens;"},
      {4, "DROP TABLE alerts;"},
      {3,
       "DROP TABLE epochs; DROP TABLE suite_revisions; DROP INDEX runs_by_epoch; "
       "ALTER TABLE runs DROP COLUMN epoch; ALTER TABLE runs DROP COLUMN suite_json;"},
      {2, "DROP TABLE skips; DROP TABLE jobs; DROP TABLE plans; DROP TABLE commits;"},
  };
  std::string sql = "BEGIN;";
  for (const Undo& u : kUndo) {
    if (u.from > version) sql += u.sql;
  }
  sql += "PRAGMA user_version = " + std::to_string(version) + "; COMMIT;";
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return ::testing::AssertionFailure() << "cannot open " << path;
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) {
    return ::testing::AssertionFailure()
           << "undoing schemas down to " << version << ": " << message;
  }
  return ::testing::AssertionSuccess();
}

inline std::string Sha(int i) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", i + 1);
  return buf;
}

inline core::Run MakeRun(int i, const std::string& platform = "x86-64-linux") {
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

// The back ends every store test runs against.
enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "SQLite" : "PostgreSQL";
}

// One PostgreSQL server per test process (each test of the suite runs in a process of its
// own under ctest), started at the first PostgreSQL test and stopped at exit; each test gets a
// database of its own. PERFLEDGER_TEST_PG_SERVER=URI (a superuser's) uses a running server
// instead, for quick runs by hand.
inline base::Result<std::string> NewPgDatabase() {
  static std::unique_ptr<perfledger::testing::PgServer> server;
  static int made = 0;
  const std::string name =
      "store_test_" + std::to_string(::getpid()) + "_" + std::to_string(++made);
  if (const char* external = std::getenv("PERFLEDGER_TEST_PG_SERVER")) {
    RETURN_IF_ERROR(
        perfledger::testing::PgServer::ExecSql(external, "CREATE DATABASE \"" + name + "\""));
    std::string uri = external;
    return uri.substr(0, uri.rfind('/') + 1) + name;
  }
  if (!server) {
    ASSIGN_OR_RETURN(server, perfledger::testing::PgServer::Start());
  }
  return server->NewDatabase(name);
}

// A store test: `path_` is where the store lives, a SQLite file in a temporary directory or a
// new PostgreSQL database.
class StoreTestBase : public ::testing::Test {
 protected:
  virtual Backend backend() const = 0;
  bool sqlite() const { return backend() == Backend::kSqlite; }

  void SetUp() override {
    // A parameterised test's name is "Name/Backend".
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() /
           ("perfledger-store-test-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (sqlite()) {
      path_ = (dir_ / "perf.db").string();
    } else {
      auto uri = NewPgDatabase();
      ASSERT_TRUE(uri.ok()) << uri.status().ToString();
      path_ = *uri;
    }
  }
  // Ingest writes without SQLite's per-row foreign key checks (sqlite_ingest.cc): every test
  // ends by checking that no row of the store points at a row that is not there. PostgreSQL
  // checks its foreign keys at every write.
  void TearDown() override {
    if (sqlite() && fs::exists(path_)) {
      sqlite3* db = nullptr;
      if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* check = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &check, nullptr) == SQLITE_OK) {
          while (sqlite3_step(check) == SQLITE_ROW) {
            ADD_FAILURE() << "a row of table "
                          << reinterpret_cast<const char*>(sqlite3_column_text(check, 0))
                          << " names a missing row of "
                          << reinterpret_cast<const char*>(sqlite3_column_text(check, 2));
          }
        }
        sqlite3_finalize(check);
      }
      sqlite3_close(db);
    }
    fs::remove_all(dir_);
  }

  std::unique_ptr<Store> Open() {
    auto s = OpenStore(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Runs `sql` on the store's database directly, as another program could: whether the
  // database accepted it (`*error` says why not).
  bool ExecRaw(const std::string& sql, std::string* error = nullptr) {
    if (sqlite()) {
      sqlite3* db = nullptr;
      if (sqlite3_open(path_.c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        return false;
      }
      char* message = nullptr;
      const bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK;
      if (error && message) *error = message;
      sqlite3_free(message);
      sqlite3_close(db);
      return ok;
    }
    const base::Status s = perfledger::testing::PgServer::ExecSql(path_, sql);
    if (error) *error = s.ToString();
    return s.ok();
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

// The shared suite: each TEST_P runs on SQLite and on PostgreSQL (instantiated once, in
// store_test.cc).
class StoreTest : public StoreTestBase, public ::testing::WithParamInterface<Backend> {
 protected:
  Backend backend() const override { return GetParam(); }
};

// What only the SQLite back end has: its file, its own migrations, its storage devices.
class SqliteStoreTest : public StoreTestBase {
 protected:
  Backend backend() const override { return Backend::kSqlite; }
};

inline PlanRecord SamplePlan(int first, int last, base::Timestamp now) {
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

// A run of suite "compiler" revision 3 whose entries "parse" (a harness: parse/small and
// parse/summary) and "link" are defined, in epoch `epoch` on a CI runner; not partial.
inline core::Run EpochRun(int i, int64_t epoch = 1, const std::string& platform = "x86-64-linux") {
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

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline AlertRecord SampleAlert(int i, const std::string& platform = "x86-64-linux",
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

inline void ExpectSameAlert(const AlertRecord& got, const AlertRecord& want) {
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
  EXPECT_EQ(got.first, want.first);
  EXPECT_EQ(got.rate, want.rate);
  EXPECT_EQ(got.spread_ratio, want.spread_ratio);
  EXPECT_EQ(got.direction, want.direction);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.note, want.note);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.updated_at, want.updated_at);
}

}  // namespace perfledger::store::test_support
