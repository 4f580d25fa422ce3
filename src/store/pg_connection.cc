#include "store/pg_connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

// The advisory lock key migrations hold (any fixed number: "perfledger" in ASCII, truncated).
constexpr int64_t kMigrationLock = 0x706572666c656467;

Status FromResult(PGresult* r, pg_conn* conn, std::string_view where, std::string_view doing) {
  const char* state = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string message = r == nullptr ? PQerrorMessage(conn) : PQresultErrorMessage(r);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  const std::string text = fmt::format("{}: cannot {}: {}", where, doing, message);
  if (PQstatus(conn) != CONNECTION_OK) return base::IoError(text);
  if (state == nullptr) return base::Internal(text);
  if (std::strcmp(state, "23505") == 0) return base::Conflict(text);  // unique_violation
  if (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0 ||
      std::strcmp(state, "55P03") == 0) {
    return base::Busy(text);  // serialization_failure, deadlock_detected, lock_not_available
  }
  return base::Internal(text);
}

}  // namespace

std::string RedactedUri(std::string_view uri) {
  // postgresql://user:password@host...: the password is between the first ':' after the
  // scheme and the '@' before the host.
  const size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return std::string(uri);
  const size_t start = scheme + 3;
  const size_t at = uri.find('@', start);
  if (at == std::string_view::npos) return std::string(uri);
  const size_t colon = uri.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(uri);
  return fmt::format("{}***{}", uri.substr(0, colon + 1), uri.substr(at));
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& uri,
                                                         std::string setup) {
  std::unique_ptr<PgConnection> c(new PgConnection());
  c->setup_ = std::move(setup);
  c->where_ = RedactedUri(uri);
  c->conn_ = PQconnectdb(uri.c_str());
  if (c->conn_ == nullptr) return base::IoError(fmt::format("{}: cannot connect", c->where_));
  if (PQstatus(c->conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(c->conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    // libpq's message can span lines; a user reads one.
    for (char& ch : message) {
      if (ch == '\n') ch = ' ';
    }
    return base::IoError(fmt::format("{}: cannot connect: {}", c->where_, message));
  }
  // The server's notices ("relation already exists, skipping") are not for the user.
  PQsetNoticeProcessor(
      c->conn_, [](void*, const char*) {}, nullptr);
  if (!c->setup_.empty()) RETURN_IF_ERROR(c->Exec(c->setup_, "configure the connection"));
  return c;
}

Status PgConnection::Reconnect() {
  if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  in_transaction_ = false;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    for (char& ch : message) {
      if (ch == '\n') ch = ' ';
    }
    while (!message.empty() && message.back() == ' ') message.pop_back();
    return base::IoError(
        fmt::format("{}: lost the connection and cannot connect again: {}", where_, message));
  }
  if (!setup_.empty()) {
    PGresult* r = PQexec(conn_, setup_.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    Status s = ok ? Status::Ok() : FromResult(r, conn_, where_, "configure the connection");
    PQclear(r);
    return s;
  }
  return Status::Ok();
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Result<PgRows> PgConnection::Query(std::string_view sql, std::span<const PgParam> params,
                                   std::string_view doing) {
  if (!in_transaction_) RETURN_IF_ERROR(Reconnect());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  PGresult* r = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Status s = FromResult(r, conn_, where_, doing);
    PQclear(r);
    return s;
  }
  PgRows out;
  const int rows = PQntuples(r), columns = PQnfields(r);
  out.rows.reserve(static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    auto& row = out.rows.emplace_back();
    row.reserve(static_cast<size_t>(columns));
    for (int j = 0; j < columns; ++j) {
      if (PQgetisnull(r, i, j)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(
            std::string(PQgetvalue(r, i, j), static_cast<size_t>(PQgetlength(r, i, j))));
      }
    }
  }
  const char* changed = PQcmdTuples(r);
  if (changed != nullptr && *changed != '\0') out.changed = std::strtoll(changed, nullptr, 10);
  PQclear(r);
  return out;
}

Status PgConnection::Exec(std::string_view sql, std::string_view doing) {
  if (!in_transaction_) RETURN_IF_ERROR(Reconnect());
  const std::string text(sql);
  PGresult* r = PQexec(conn_, text.c_str());
  const ExecStatusType status = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
  Status s = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK
                 ? Status::Ok()
                 : FromResult(r, conn_, where_, doing);
  PQclear(r);
  // Whether a transaction is open decides whether a dropped connection may be opened again
  // (PQtransactionStatus cannot tell once the connection is gone). Every transaction here
  // starts and ends with Exec.
  if (text.starts_with("BEGIN")) {
    in_transaction_ = s.ok();
  } else if (text.starts_with("COMMIT") || text.starts_with("ROLLBACK")) {
    in_transaction_ = false;
  }
  return s;
}

Result<int> PgConnection::Migrate(std::span<const Migration> migrations) {
  int known = 0;
  for (const Migration& m : migrations) known = std::max(known, m.version);
  int version = 0;
  for (;;) {
    RETURN_IF_ERROR(Exec("BEGIN", "migrate the store"));
    auto applied = [&]() -> Result<int> {
      const PgParam key = std::to_string(kMigrationLock);
      RETURN_IF_ERROR(
          Query("SELECT pg_advisory_xact_lock($1::bigint)", std::span(&key, 1), "migrate the store")
              .status());
      // Under the lock: concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog.
      RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)",
                           "prepare the store's schema"));
      ASSIGN_OR_RETURN(PgRows v, Query("SELECT coalesce(max(version), 0) FROM schema_version", {},
                                       "read the store's schema version"));
      const int at = std::stoi(*v.rows.at(0).at(0));
      if (at > known) {
        return base::InvalidInput(fmt::format(
            "{}: the store has schema {}, newer than this perfledger knows ({}): use a newer "
            "perfledger",
            where_, at, known));
      }
      for (const Migration& m : migrations) {
        if (m.version != at + 1) continue;
        RETURN_IF_ERROR(Exec(m.sql, fmt::format("migrate the store to schema {}", m.version)));
        const PgParam to = std::to_string(m.version);
        RETURN_IF_ERROR(Query("INSERT INTO schema_version(version) VALUES ($1::integer)",
                              std::span(&to, 1), "record the store's schema")
                            .status());
        return m.version;
      }
      return at;  // nothing after `at`
    }();
    if (!applied.ok()) {
      (void)Exec("ROLLBACK", "migrate the store");
      return applied.status();
    }
    RETURN_IF_ERROR(Exec("COMMIT", "migrate the store"));
    if (*applied == version) return version;
    version = *applied;
  }
}

}  // namespace perfledger::store
