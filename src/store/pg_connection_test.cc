// PgConnection (store/pg_connection.h) against a real PostgreSQL 15 (tests/support/pg_server.h):
// errors mapped to the codes the store's callers act on, and migrations applied once when
// several connections migrate at once.
#include "store/pg_connection.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "pg_server.h"

namespace perfledger::store {
namespace {

using base::StatusCode;

class PgConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = testing::PgServer::Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  std::unique_ptr<PgConnection> Connect() {
    auto c = PgConnection::Open(server_->uri());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  static testing::PgServer* server_;
};
testing::PgServer* PgConnectionTest::server_ = nullptr;

TEST(PgUriTest, ThePasswordIsNeverShown) {
  EXPECT_EQ(RedactedUri("postgresql://ci:s3cret@db.example:5432/perf"),
            "postgresql://ci:***@db.example:5432/perf");
  EXPECT_EQ(RedactedUri("postgresql://ci@db.example/perf"), "postgresql://ci@db.example/perf");
  EXPECT_EQ(RedactedUri("postgresql://db.example:5432/perf"), "postgresql://db.example:5432/perf");
}

TEST_F(PgConnectionTest, AServerThatDoesNotAnswerIsAnIoErrorWithoutThePassword) {
  // Port 1 on loopback: nothing listens there.
  auto c = PgConnection::Open("postgresql://ci:s3cret@127.0.0.1:1/perf?connect_timeout=5");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIoError);
  EXPECT_NE(c.status().message().find("postgresql://ci:***@127.0.0.1:1/perf"), std::string::npos)
      << c.status().ToString();
  EXPECT_EQ(c.status().message().find("s3cret"), std::string::npos) << c.status().ToString();
  EXPECT_EQ(c.status().message().find('\n'), std::string::npos) << c.status().ToString();
}

TEST_F(PgConnectionTest, AUniqueViolationIsAConflictAndOtherErrorsNameWhatFailed) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Exec("CREATE TABLE runs_u (run_id text PRIMARY KEY)", "make a table").ok());
  const PgParam id = std::string("r-1");
  auto first = c->Query("INSERT INTO runs_u VALUES ($1)", std::span(&id, 1), "store a run");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->changed, 1);
  auto again = c->Query("INSERT INTO runs_u VALUES ($1)", std::span(&id, 1), "store a run");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_NE(again.status().message().find("cannot store a run"), std::string::npos)
      << again.status().ToString();
  auto bad = c->Query("SELECT nope FROM runs_u", {}, "list runs");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  // NULL and text values come back as written.
  const std::vector<PgParam> values = {std::nullopt, std::string("x y")};
  auto echo = c->Query("SELECT $1::text, $2::text", values, "echo");
  ASSERT_TRUE(echo.ok()) << echo.status().ToString();
  ASSERT_EQ(echo->rows.size(), 1u);
  EXPECT_EQ(echo->rows[0][0], std::nullopt);
  EXPECT_EQ(echo->rows[0][1], "x y");
}

constexpr PgConnection::Migration kTwo[] = {
    {1, "CREATE TABLE m1 (x integer)"},
    {2, "CREATE TABLE m2 (y integer); INSERT INTO m1 VALUES (1)"},
};

TEST_F(PgConnectionTest, MigrationsApplyOnceEvenWhenEightConnectionsMigrateAtOnce) {
  std::vector<int> versions(8, -1);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < versions.size(); ++i) {
    threads.emplace_back([&, i] {
      auto c = PgConnection::Open(server_->uri());
      if (!c.ok()) return;
      auto v = (*c)->Migrate(kTwo);
      versions[i] = v.ok() ? *v : -2;
    });
  }
  for (auto& t : threads) t.join();
  for (int v : versions) EXPECT_EQ(v, 2);
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto rows = c->Query("SELECT count(*) FROM schema_version", {}, "count");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows[0][0], "2");
  rows = c->Query("SELECT count(*) FROM m1", {}, "count");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows[0][0], "1");  // migration 2's insert ran once

  // A later release's migration applies on the next open; an older release refuses the store.
  constexpr PgConnection::Migration kThree[] = {
      kTwo[0], kTwo[1], {3, "ALTER TABLE m2 ADD COLUMN z text"}};
  auto three = c->Migrate(kThree);
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(*three, 3);
  auto older = c->Migrate(kTwo);
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(older.status().message().find("schema 3, newer"), std::string::npos)
      << older.status().ToString();
  // A failing migration leaves the store at the version before it.
  constexpr PgConnection::Migration kBroken[] = {
      kThree[0], kThree[1], kThree[2], {4, "CREATE TABLE m4 (x integer); SELECT nope"}};
  auto broken = c->Migrate(kBroken);
  ASSERT_FALSE(broken.ok());
  rows = c->Query("SELECT max(version), to_regclass('m4') IS NULL FROM schema_version", {}, "read");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows[0][0], "3");
  EXPECT_EQ(rows->rows[0][1], "t");
}

// A server that drops the connection (a restart, a failover, an administrator): the next
// statement outside a transaction connects again, with the session's settings; a transaction
// whose connection was dropped is never reported committed.
TEST_F(PgConnectionTest, ADroppedConnectionIsOpenedAgainButALostTransactionFails) {
  auto opened = PgConnection::Open(server_->uri(), "SET application_name = 'perfledger-test'");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto c = std::move(*opened);
  auto admin = Connect();
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(c->Exec("CREATE TABLE kept (n integer)", "make a table").ok());
  auto kill = [&] {
    auto killed = admin->Query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
        "'perfledger-test'",
        {}, "drop the connection");
    ASSERT_TRUE(killed.ok()) << killed.status().ToString();
    ASSERT_EQ(killed->rows.size(), 1u);
  };
  kill();
  // The statement that finds the connection gone may fail; the next one works again.
  (void)c->Query("SELECT 1", {}, "probe");
  auto again = c->Query("SELECT current_setting('application_name')", {}, "read a setting");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->rows.at(0).at(0), "perfledger-test");
  // Dropped inside a transaction: the insert and the commit fail; nothing was written.
  ASSERT_TRUE(c->Exec("BEGIN", "begin").ok());
  ASSERT_TRUE(c->Exec("INSERT INTO kept VALUES (1)", "insert").ok());
  kill();
  const base::Status commit = c->Exec("COMMIT", "commit");
  EXPECT_FALSE(commit.ok());
  EXPECT_EQ(commit.code(), StatusCode::kIoError) << commit.ToString();
  auto rows = admin->Query("SELECT count(*) FROM kept", {}, "count");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows.at(0).at(0), "0");
  EXPECT_TRUE(c->Query("SELECT 1", {}, "probe").ok());
}

}  // namespace
}  // namespace perfledger::store
