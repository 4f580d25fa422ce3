// The PostgreSQL connection under the PostgreSQL back end (issue 14, in progress): libpq
// connections, parameterised statements in text format, transactions, the mapping of
// SQLSTATEs to Status, and numbered migrations applied once even when several servers open
// the same database at once (an advisory lock). Primitives only, as sqlite_connection.h.
// Private to the store layer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct pg_conn;

namespace perfledger::store {

// A statement's answer: rows of text values (nullopt: SQL NULL), and the rows a command
// changed.
struct PgRows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t changed = 0;
};

using PgParam = std::optional<std::string>;

class PgConnection {
 public:
  // Connects to `uri` (postgresql://...) and runs `setup` (session settings; may be empty). A
  // failure names the address without its password. A connection the server dropped (a
  // restart, a failover, an idle timeout) is opened again, with `setup`, at the next
  // statement outside a transaction; the statement that found it dropped fails (kIoError).
  static base::Result<std::unique_ptr<PgConnection>> Open(const std::string& uri,
                                                          std::string setup = "");
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` with $1, $2, ... bound to `params`; `doing` says what for, in errors
  // ("store a run"). A unique violation is kConflict, a serialization failure or deadlock
  // kBusy, a lost connection kIoError; others kInternal with the server's message.
  base::Result<PgRows> Query(std::string_view sql, std::span<const PgParam> params,
                             std::string_view doing);
  base::Status Exec(std::string_view sql, std::string_view doing);

  // Applies the numbered `migrations` (1, 2, ...) not yet applied, each in a transaction of
  // its own, recording the version in `schema_version`; several connections migrating at
  // once wait for each other (one applies, the others find it applied). Refuses a database
  // of a newer schema than `migrations` knows. Returns the version after.
  struct Migration {
    int version;
    std::string_view sql;
  };
  base::Result<int> Migrate(std::span<const Migration> migrations);

  // The address without its password, for messages.
  const std::string& where() const { return where_; }

 private:
  PgConnection() = default;
  // Opens the connection again when the server dropped it (outside a transaction only: a
  // transaction the server lost is lost, and its caller must see that).
  base::Status Reconnect();
  pg_conn* conn_ = nullptr;
  std::string where_, setup_;
  bool in_transaction_ = false;
};

// `uri` with any password replaced by "***".
std::string RedactedUri(std::string_view uri);

}  // namespace perfledger::store
