#include "store/sqlite_connection.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "store/sqlite_migrations.h"

namespace perfledger::store {

using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

bool IsBusy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

SqliteConnection::~SqliteConnection() {
  // Statements must be finalised before the connection closes.
  stmts_.clear();
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

base::Timestamp SqliteConnection::Now() const {
  return options_.clock ? options_.clock() : base::SystemNow();
}

Status SqliteConnection::InTransaction(bool write, const std::function<Status()>& body) {
  RETURN_IF_ERROR(Begin(write));
  Status s = body();
  if (s.ok()) s = Commit();
  if (!s.ok()) Rollback();
  return s;
}

Status SqliteConnection::Error(int rc, std::string_view doing) const {
  std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (IsBusy(rc)) {
    return base::Busy(fmt::format(
        "{}: {}: the store stayed locked by other writers for more than {} s; try again", path_,
        doing, std::chrono::duration_cast<std::chrono::seconds>(options_.busy_timeout).count()));
  }
  if (primary == SQLITE_NOTADB) {
    return base::InvalidInput(
        fmt::format("{}: not a perfledger store (the file is not an SQLite database)", path_));
  }
  if (primary == SQLITE_CORRUPT) {
    return base::Internal(fmt::format("{}: the store is corrupted: {}", path_, detail));
  }
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
      primary == SQLITE_READONLY || primary == SQLITE_PERM) {
    return base::IoError(fmt::format("{}: {}: {}", path_, doing, detail));
  }
  return base::Internal(fmt::format("{}: {}: {}", path_, doing, detail));
}

Status SqliteConnection::Exec(std::string_view sql, std::string_view doing) {
  const auto deadline = Clock::now() + options_.busy_timeout;
  std::string text(sql);
  while (true) {
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Status::Ok();
    if (!IsBusy(rc) || Clock::now() >= deadline) return Error(rc, doing);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void SqliteConnection::ResetAll() {
  for (auto& [sql, stmt] : stmts_) stmt->Reset();
}

Status SqliteConnection::Begin(bool write) {
  // A statement left mid-result would pin an old snapshot, and a write transaction started
  // on an old snapshot can never succeed once another process has written (BUSY_SNAPSHOT).
  ResetAll();
  return Exec(write ? "BEGIN IMMEDIATE" : "BEGIN", "start a transaction");
}

Status SqliteConnection::Commit() {
  ResetAll();
  return Exec("COMMIT", "commit");
}

void SqliteConnection::Rollback() {
  ResetAll();
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<Stmt*> SqliteConnection::Prepared(std::string_view sql) {
  auto it = stmts_.find(std::string(sql));
  if (it != stmts_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  auto stmt = std::make_unique<Stmt>();
  RETURN_IF_ERROR(stmt->Prepare(db_, sql));
  Stmt* raw = stmt.get();
  stmts_.emplace(std::string(sql), std::move(stmt));
  return raw;
}

Status SqliteConnection::StepDone(Stmt* stmt, std::string_view doing) {
  int rc = stmt->Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(rc, doing);
  return Status::Ok();
}

Status SqliteConnection::OpenFile(const std::function<Status(int)>& after_migration) {
  struct stat st;
  const bool exists = ::stat(path_.c_str(), &st) == 0;
  if (!exists && !options_.create_if_missing) {
    return base::NotFound(fmt::format(
        "{}: no perfledger store here (ingest some runs first, or choose the store with --db "
        "PATH or PERFLEDGER_DB)",
        path_));
  }
  if (exists && S_ISDIR(st.st_mode)) {
    return base::InvalidInput(
        fmt::format("{}: is a directory; --db expects the store's file path", path_));
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options_.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "open the store");
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(options_.busy_timeout.count()));

  // Refuse foreign files before changing anything in them.
  RETURN_IF_ERROR(CheckOwnFile());
  RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL", "switch the store to WAL mode"));
  // 64 MB of page cache (SQLite's default is 2 MB): the series layer inserts into every
  // series' range of the points tree at once, and a small cache re-reads those pages from the
  // file for each run.
  RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536",
                       "configure the store"));
  if (options_.checkpoint_pages > 0) {
    RETURN_IF_ERROR(Exec(fmt::format("PRAGMA wal_autocheckpoint={}", options_.checkpoint_pages),
                         "configure the store"));
  }
  return Migrate(after_migration);
}

Status SqliteConnection::CheckOwnFile() {
  // One statement, so one snapshot: read apart, another process's migration could commit
  // between the two reads (application id still 0, then tables), and a store being created
  // by a concurrent opener looked foreign (the fresh-store race: a CI flake of concurrent
  // ingests).
  // Prepared here, not through Prepared(): preparing reads the schema, and a file that is
  // no database at all must be reported as such (Error maps SQLITE_NOTADB).
  static constexpr std::string_view kSql =
      "SELECT (SELECT application_id FROM pragma_application_id), "
      "(SELECT count(*) FROM sqlite_master)";
  sqlite3_stmt* q = nullptr;
  int rc = sqlite3_prepare_v2(db_, kSql.data(), static_cast<int>(kSql.size()), &q, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(q);
  const int64_t app_id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
  const int64_t table_count = rc == SQLITE_ROW ? sqlite3_column_int64(q, 1) : 0;
  sqlite3_finalize(q);
  if (rc != SQLITE_ROW) return Error(rc, "read the store's header");
  if (app_id != kSqliteApplicationId && (app_id != 0 || table_count != 0)) {
    return base::InvalidInput(fmt::format(
        "{}: not a perfledger store (an SQLite database of another application)", path_));
  }
  return Status::Ok();
}

Status SqliteConnection::Migrate(const std::function<Status(int)>& after_migration) {
  auto migrations = SqliteMigrations();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  // Up to date (the common case): no write lock, so readers never wait for a collector.
  {
    ASSIGN_OR_RETURN(Stmt * peek, Prepared("PRAGMA user_version"));
    const int rc = peek->Step();
    const int64_t version = rc == SQLITE_ROW ? peek->Int(0) : -1;
    peek->Reset();
    if (rc != SQLITE_ROW) return Error(rc, "read the store's schema version");
    if (version == latest) {
      schema_version_ = latest;
      return Status::Ok();
    }
  }
  RETURN_IF_ERROR(Begin(/*write=*/true));
  auto fail = [&](Status s) {
    Rollback();
    return s;
  };
  // Under the write lock, again: another opener may have created or migrated the store
  // since the check above.
  if (Status own = CheckOwnFile(); !own.ok()) return fail(own);
  auto version_stmt = Prepared("PRAGMA user_version");
  if (!version_stmt.ok()) return fail(version_stmt.status());
  int rc = (*version_stmt)->Step();
  if (rc != SQLITE_ROW) return fail(Error(rc, "read the store's schema version"));
  const int current = static_cast<int>((*version_stmt)->Int(0));
  (*version_stmt)->Reset();
  if (current > latest) {
    return fail(base::InvalidInput(fmt::format(
        "{}: the store has schema version {}, written by a newer perfledger; this build knows "
        "versions up to {} (upgrade perfledger)",
        path_, current, latest)));
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    Status s = Exec(m.sql, fmt::format("apply store migration {}", m.version));
    if (s.ok() && after_migration) s = after_migration(m.version);
    if (!s.ok()) return fail(s);
    s = Exec(fmt::format("PRAGMA user_version = {}; PRAGMA application_id = {}", m.version,
                         kSqliteApplicationId),
             "record the store's schema version");
    if (!s.ok()) return fail(s);
  }
  RETURN_IF_ERROR(Commit());
  schema_version_ = latest;
  return Status::Ok();
}

Result<int64_t> SqliteConnection::IdFor(std::string_view insert_sql, std::string_view select_sql,
                                        std::string_view key1, std::optional<int64_t> key2,
                                        std::string_view doing) {
  ASSIGN_OR_RETURN(Stmt * sel, Prepared(select_sql));
  int n = 1;
  if (key2) sel->Bind(n++, *key2);
  sel->Bind(n, key1);
  int rc = sel->Step();
  const int64_t found = rc == SQLITE_ROW ? sel->Int(0) : 0;
  sel->Reset();
  if (rc == SQLITE_ROW) return found;
  if (rc != SQLITE_DONE) return Error(rc, doing);
  ASSIGN_OR_RETURN(Stmt * ins, Prepared(insert_sql));
  n = 1;
  if (key2) ins->Bind(n++, *key2);
  ins->Bind(n, key1);
  RETURN_IF_ERROR(StepDone(ins, doing));
  return sqlite3_last_insert_rowid(db_);
}

}  // namespace perfledger::store
