// PgServer (tests/support/pg_server.h): a real PostgreSQL 15 per test, on its own port and
// directory, that keeps what is written until it is stopped and leaves nothing behind.
#include "pg_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <filesystem>
#include <string>

namespace perfledger::testing {
namespace {

// The first column of the first row of `sql`'s answer; "" on error (reported).
std::string One(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  std::string out;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
    out = PQgetvalue(r, 0, 0);
  } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
  }
  PQclear(r);
  return out;
}

TEST(PgServerTest, StartsAPostgres15ThatKeepsWhatIsWrittenUntilStopped) {
  auto started = PgServer::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  PgServer& server = **started;
  EXPECT_EQ(server.uri(),
            "postgresql://perfledger@127.0.0.1:" + std::to_string(server.port()) + "/perfledger");
  PGconn* writer = PQconnectdb(server.uri().c_str());
  ASSERT_EQ(PQstatus(writer), CONNECTION_OK) << PQerrorMessage(writer);
  EXPECT_EQ(One(writer, "SELECT current_setting('server_version_num')::int / 10000"), "15");
  EXPECT_EQ(One(writer, "SELECT current_database()"), "perfledger");
  One(writer, "CREATE TABLE t (x integer)");
  One(writer, "INSERT INTO t VALUES (1), (2), (3)");
  // Another connection sees the committed rows.
  PGconn* reader = PQconnectdb(server.uri().c_str());
  ASSERT_EQ(PQstatus(reader), CONNECTION_OK) << PQerrorMessage(reader);
  EXPECT_EQ(One(reader, "SELECT sum(x) FROM t"), "6");
  PQfinish(reader);
  PQfinish(writer);

  ASSERT_TRUE(server.Stop().ok());
  EXPECT_EQ(PQping(server.uri().c_str()), PQPING_NO_RESPONSE);
}

TEST(PgServerTest, TwoServersAtOnceAreSeparateAndLeaveNoDirectoryBehind) {
  auto a = PgServer::Start();
  auto b = PgServer::Start();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE((*a)->port(), (*b)->port());
  PGconn* ca = PQconnectdb((*a)->uri().c_str());
  PGconn* cb = PQconnectdb((*b)->uri().c_str());
  ASSERT_EQ(PQstatus(ca), CONNECTION_OK) << PQerrorMessage(ca);
  ASSERT_EQ(PQstatus(cb), CONNECTION_OK) << PQerrorMessage(cb);
  One(ca, "CREATE TABLE only_in_a (x integer)");
  EXPECT_EQ(One(cb, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"), "0");
  EXPECT_EQ(One(ca, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"), "1");
  // The socket directory is the server's temporary directory: gone with the server.
  const std::string socket_dir = One(ca, "SHOW unix_socket_directories");
  PQfinish(ca);
  PQfinish(cb);
  ASSERT_FALSE(socket_dir.empty());
  EXPECT_TRUE(std::filesystem::exists(socket_dir));
  const std::string uri = (*a)->uri();
  a->reset();
  EXPECT_FALSE(std::filesystem::exists(socket_dir));
  EXPECT_EQ(PQping(uri.c_str()), PQPING_NO_RESPONSE);
}

}  // namespace
}  // namespace perfledger::testing
