// The SQLite connection under the SQLite back end: prepared statements, transactions with a
// bounded wait for other writers, the mapping of SQLite's result codes to Status, opening a
// file and migrating its schema. Primitives only: what is stored and why lives in the
// Store methods (sqlite_*.cc) and the rules above them (store/ingest.cc, store/store.cc).
// Private to the store layer.
#pragma once

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "store/store.h"

namespace perfledger::store {

bool IsBusy(int rc);

// A prepared statement. Bind indexes start at 1, column indexes at 0.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  base::Status Prepare(sqlite3* db, std::string_view sql) {
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) {
      return base::Internal(fmt::format("cannot prepare a store query: {}", sqlite3_errmsg(db)));
    }
    return base::Status::Ok();
  }

  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void Bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, std::string_view s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  template <typename T>
  void BindOptional(int i, const std::optional<T>& v) {
    if (v) {
      Bind(i, *v);
    } else {
      BindNull(i);
    }
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }

  bool IsNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
  double Double(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string Text(int c) const {
    const unsigned char* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
  std::optional<std::string> OptText(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Text(c);
  }
  std::optional<double> OptDouble(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Double(c);
  }
  std::string_view Blob(int c) const {
    const void* p = sqlite3_column_blob(stmt_, c);
    return p ? std::string_view(static_cast<const char*>(p),
                                static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string_view();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteConnection {
 protected:
  SqliteConnection(std::string path, OpenOptions options)
      : path_(std::move(path)), options_(std::move(options)) {}
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Opens (creating as allowed) and migrates the file. `after_migration` runs inside the
  // migration's transaction after each migration's SQL (its version given): a migration that
  // derives data from stored rows in C++ does it there, so it commits with the schema or not
  // at all.
  base::Status OpenFile(const std::function<base::Status(int version)>& after_migration = {});
  // Maps an SQLite result code to a Status for users.
  base::Status Error(int rc, std::string_view doing) const;
  // Runs one or more statements that return no rows, retrying while the store is busy.
  base::Status Exec(std::string_view sql, std::string_view doing);
  base::Status Begin(bool write);
  void ResetAll();
  base::Status Commit();
  void Rollback();
  // Runs `body` in a transaction: committed when it succeeds, rolled back otherwise.
  base::Status InTransaction(bool write, const std::function<base::Status()>& body);
  base::Result<Stmt*> Prepared(std::string_view sql);
  base::Status StepDone(Stmt* stmt, std::string_view doing);
  // The id of the row `select_sql` finds by (key2, key1), inserting it with `insert_sql` when
  // there is none.
  base::Result<int64_t> IdFor(std::string_view insert_sql, std::string_view select_sql,
                              std::string_view key1, std::optional<int64_t> key2,
                              std::string_view doing);
  // The time of the clock the store was opened with (OpenOptions::clock).
  base::Timestamp Now() const;

  std::string path_;
  OpenOptions options_;
  sqlite3* db_ = nullptr;
  int schema_version_ = 0;

 private:
  base::Status Migrate(const std::function<base::Status(int version)>& after_migration);
  // Refuses a file that holds tables but not perfledger's application id.
  base::Status CheckOwnFile();

  std::unordered_map<std::string, std::unique_ptr<Stmt>> stmts_;
};

}  // namespace perfledger::store
