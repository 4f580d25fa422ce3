// perfledger_testing_pg: a real PostgreSQL server for tests, started and stopped by the test.
//
// PgServer::Start makes a database cluster with Debian's PostgreSQL 15 (`initdb`) in a new
// temporary directory and runs `postgres` on a free loopback port, its socket in that
// directory, without fsync (a test's data is thrown away). When the test runs as root (CI),
// both run as the unprivileged `postgres` user, which PostgreSQL requires. The destructor
// stops the server (fast shutdown, then SIGKILL after 10 s) and removes the directory.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace perfledger::testing {

class PgServer {
 public:
  // Starts a server with one database, `perfledger`, owned by the superuser `perfledger`
  // (trust authentication on loopback). `settings` ("name=value", passed as -c after the
  // defaults, so they win) change the server's configuration: bench/pg_up turns fsync back on.
  // Fails with a message naming the step and its log.
  static base::Result<std::unique_ptr<PgServer>> Start(
      const std::vector<std::string>& settings = {});
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // postgresql://perfledger@127.0.0.1:PORT/perfledger
  const std::string& uri() const { return uri_; }
  int port() const { return port_; }
  // Creates a new, empty database `name` and returns its URI (a test per database, one
  // server per test process).
  base::Result<std::string> NewDatabase(const std::string& name);
  // Runs `sql` in database `uri` as the superuser, as another program could (a test writing
  // around the store); its error names the statement.
  static base::Status ExecSql(const std::string& uri, const std::string& sql);
  // Stops the server now (the destructor then only removes the directory); ok when stopped.
  base::Status Stop();

 private:
  PgServer() = default;
  std::string dir_, uri_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// The PostgreSQL 15 programs' directory (/usr/lib/postgresql/15/bin), or "" when missing.
std::string PgBinDir();

}  // namespace perfledger::testing
