// The SQLite back end of Store: one file, WAL, writers serialised by BEGIN IMMEDIATE with a
// bounded wait, migrations applied at open.

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "base/json_writer.h"
#include "core/artifact.h"
#include "core/epoch.h"
#include "store/sample_codec.h"
#include "store/sqlite_migrations.h"
#include "store/store.h"

namespace perfledger::store {
namespace {

using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

bool IsBusy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// A prepared statement. Bind indexes start at 1, column indexes at 0.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  Status Prepare(sqlite3* db, std::string_view sql) {
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) {
      return base::Internal(fmt::format("cannot prepare a store query: {}", sqlite3_errmsg(db)));
    }
    return Status::Ok();
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

// The JSON objects of the suite_revisions and epochs tables: name -> definition hash, and
// setting key -> raw JSON value.
std::string DefinitionsJson(const std::map<std::string, std::string>& definitions) {
  base::JsonWriter w;
  w.BeginObject();
  for (const auto& [name, hash] : definitions) w.Key(name).String(hash);
  w.EndObject();
  return w.Take();
}

std::string SettingsJson(const std::map<std::string, std::string>& settings) {
  base::JsonWriter w;
  w.BeginObject();
  for (const auto& [key, raw] : settings) w.Key(key).Raw(raw);
  w.EndObject();
  return w.Take();
}

// Reads the columns above back through core::ReadSuite, so stored text is validated the same
// way an artifact's suite is.
Result<core::SuiteRef> StoredSuite(const std::string& name, int64_t revision,
                                   const std::optional<std::string>& definitions,
                                   const std::optional<std::pair<int64_t, std::string>>& epoch) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("name").String(name);
  w.Key("revision").Int(revision);
  if (definitions) w.Key("definitions").Raw(*definitions);
  if (epoch) {
    w.Key("epoch").BeginObject();
    w.Key("number").Int(epoch->first);
    w.Key("settings").Raw(epoch->second);
    w.EndObject();
  }
  w.EndObject();
  auto suite = core::ReadSuite(w.str(), "stored suite");
  if (!suite.ok()) return base::Internal(suite.status().message());
  return suite;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, OpenOptions options) : path_(std::move(path)), options_(options) {}
  ~SqliteStore() override {
    // Statements must be finalised before the connection closes.
    stmts_.clear();
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  Status Open();
  Result<IngestStats> Ingest(std::span<const core::Run> runs, size_t* conflicting) override;
  Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter) override;
  Status ForEachRun(const RunFilter& filter,
                    const std::function<Status(const core::Run&)>& fn) override;
  Result<std::vector<std::string>> Platforms() override;
  Result<std::vector<RunPoint>> ListRunPoints(const RunFilter& filter,
                                              bool with_benchmarks) override;
  Result<std::vector<EpochInfo>> ListEpochs(const RunFilter& filter) override;
  Status RecordPlan(const PlanRecord& plan) override;
  Result<ScheduleState> LoadSchedule() override;
  Result<std::vector<CommitRecord>> RecordedHistory(const std::string& head) override;
  Result<std::vector<AlertRecord>> ListAlerts(const AlertFilter& filter) override;
  Status RecordAlerts(std::vector<AlertRecord>& inserts,
                      const std::vector<AlertRecord>& narrowed) override;
  Status RecordAlertsAtomically(const AlertDecision& decide,
                                std::vector<AlertRecord>* inserts) override;
  Status SetAlertStatus(int64_t id, const std::string& status,
                        const std::optional<std::string>& note, base::Timestamp now) override;
  Result<int64_t> CreateToken(const TokenRecord& token) override;
  Result<std::vector<TokenRecord>> ListTokens(const std::optional<std::string>& project) override;
  Status RevokeToken(int64_t id, base::Timestamp now) override;
  Result<std::optional<TokenRecord>> FindTokenByHash(const std::string& hash) override;
  Status MarkTokenUsed(int64_t id, base::Timestamp now) override;
  Result<std::vector<BenchmarkInfo>> ListBenchmarks(const RunFilter& filter,
                                                    int64_t runs_after) override;
  Result<int64_t> RunCount() override;
  std::string Describe() const override {
    return fmt::format("sqlite {}, schema {}, {}", sqlite3_libversion(), schema_version_, path_);
  }

 private:
  // Maps an SQLite result code to a Status for users.
  Status Error(int rc, std::string_view doing) const;
  // Runs one or more statements that return no rows, retrying while the store is busy.
  Status Exec(std::string_view sql, std::string_view doing);
  Status Begin(bool write);
  void ResetAll();
  Status Commit();
  void Rollback();
  Result<Stmt*> Prepared(std::string_view sql);
  Status Migrate();
  // Refuses a file that holds tables but not perfledger's application id.
  Status CheckOwnFile();
  Status StepDone(Stmt* stmt, std::string_view doing);
  Result<int64_t> IdFor(std::string_view insert_sql, std::string_view select_sql,
                        std::string_view key1, std::optional<int64_t> key2, std::string_view doing);
  Status WriteRun(const core::Run& run, const std::string& hash,
                  std::map<std::string, int64_t>* project_ids,
                  std::map<std::pair<int64_t, std::string>, int64_t>* benchmark_ids,
                  std::map<std::string, int64_t>* metric_ids, int64_t now);
  Status CheckDeclarations(const core::Run& run, int64_t project_id);
  // The writes of RecordAlerts, inside the caller's transaction; the new ids in `ids`.
  Status WriteAlerts(const std::vector<AlertRecord>& inserts,
                     const std::vector<AlertRecord>& narrowed, std::vector<int64_t>* ids);
  Result<std::optional<core::SuiteRef>> SuiteOf(const Stmt& q, int name_col, int revision_col,
                                                int json_col, const std::string& run_id) const;

  std::string path_;
  OpenOptions options_;
  sqlite3* db_ = nullptr;
  int schema_version_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> stmts_;
};

Status SqliteStore::Error(int rc, std::string_view doing) const {
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

Status SqliteStore::Exec(std::string_view sql, std::string_view doing) {
  const auto deadline = Clock::now() + options_.busy_timeout;
  std::string text(sql);
  while (true) {
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Status::Ok();
    if (!IsBusy(rc) || Clock::now() >= deadline) return Error(rc, doing);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void SqliteStore::ResetAll() {
  for (auto& [sql, stmt] : stmts_) stmt->Reset();
}

Status SqliteStore::Begin(bool write) {
  // A statement left mid-result would pin an old snapshot, and a write transaction started
  // on an old snapshot can never succeed once another process has written (BUSY_SNAPSHOT).
  ResetAll();
  return Exec(write ? "BEGIN IMMEDIATE" : "BEGIN", "start a transaction");
}

Status SqliteStore::Commit() {
  ResetAll();
  return Exec("COMMIT", "commit");
}

void SqliteStore::Rollback() {
  ResetAll();
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Result<Stmt*> SqliteStore::Prepared(std::string_view sql) {
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

Status SqliteStore::StepDone(Stmt* stmt, std::string_view doing) {
  int rc = stmt->Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(rc, doing);
  return Status::Ok();
}

Status SqliteStore::Open() {
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
  RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", "configure the store"));
  return Migrate();
}

Status SqliteStore::CheckOwnFile() {
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

Status SqliteStore::Migrate() {
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

Result<int64_t> SqliteStore::IdFor(std::string_view insert_sql, std::string_view select_sql,
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

Status SqliteStore::WriteRun(const core::Run& run, const std::string& hash,
                             std::map<std::string, int64_t>* project_ids,
                             std::map<std::pair<int64_t, std::string>, int64_t>* benchmark_ids,
                             std::map<std::string, int64_t>* metric_ids, int64_t now) {
  int64_t project_id;
  if (auto it = project_ids->find(run.project); it != project_ids->end()) {
    project_id = it->second;
  } else {
    ASSIGN_OR_RETURN(project_id, IdFor("INSERT INTO projects(name) VALUES (?1)",
                                       "SELECT id FROM projects WHERE name = ?1", run.project,
                                       std::nullopt, "store a project"));
    project_ids->emplace(run.project, project_id);
  }

  const std::string env_json = core::WriteEnvironment(run.environment);
  int64_t env_id;
  {
    ASSIGN_OR_RETURN(Stmt * sel, Prepared("SELECT id FROM environments WHERE description = ?1"));
    sel->Bind(1, env_json);
    int rc = sel->Step();
    if (rc == SQLITE_ROW) {
      env_id = sel->Int(0);
      sel->Reset();
    } else if (rc == SQLITE_DONE) {
      ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO environments(fingerprint, description) "
                                            "VALUES (?1, ?2)"));
      ins->Bind(1, run.environment.fingerprint);
      ins->Bind(2, env_json);
      RETURN_IF_ERROR(StepDone(ins, "store an environment"));
      env_id = sqlite3_last_insert_rowid(db_);
    } else {
      return Error(rc, "look up an environment");
    }
  }

  int64_t samples = run.sample_count();
  ASSIGN_OR_RETURN(
      Stmt * ins,
      Prepared("INSERT INTO runs(run_id, content_hash, project_id, platform, commit_sha, "
               "commit_branch, commit_time, commit_subject, range_from, range_count, reason, "
               "reason_detail, suite_name, suite_revision, environment_id, started_at, "
               "finished_at, benchmark_count, sample_count, partial, ingested_at, suite_json, "
               "epoch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
               "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"));
  ins->Bind(1, run.run_id);
  ins->Bind(2, hash);
  ins->Bind(3, project_id);
  ins->Bind(4, run.platform);
  ins->Bind(5, run.commit.sha);
  ins->BindOptional(6, run.commit.branch);
  if (run.commit.time) {
    ins->Bind(7, run.commit.time->unix_nanos);
  } else {
    ins->BindNull(7);
  }
  ins->BindOptional(8, run.commit.subject);
  ins->BindOptional(9, run.commit_range.from);
  ins->Bind(10, run.commit_range.count);
  ins->Bind(11, core::ReasonName(run.reason));
  ins->BindOptional(12, run.reason_detail);
  if (run.suite) {
    ins->Bind(13, run.suite->name);
    ins->Bind(14, run.suite->revision);
    ins->Bind(22, core::WriteSuite(*run.suite));
    if (run.suite->epoch) {
      ins->Bind(23, run.suite->epoch->number);
    } else {
      ins->BindNull(23);
    }
  } else {
    ins->BindNull(13);
    ins->BindNull(14);
    ins->BindNull(22);
    ins->BindNull(23);
  }
  ins->Bind(15, env_id);
  ins->Bind(16, run.started_at.unix_nanos);
  ins->Bind(17, run.finished_at.unix_nanos);
  ins->Bind(18, static_cast<int64_t>(run.benchmarks.size()));
  ins->Bind(19, samples);
  ins->Bind(20, static_cast<int64_t>(run.partial() ? 1 : 0));
  ins->Bind(21, now);
  RETURN_IF_ERROR(StepDone(ins, "store a run"));
  const int64_t row = sqlite3_last_insert_rowid(db_);

  ASSIGN_OR_RETURN(Stmt * meas,
                   Prepared("INSERT INTO measurements(run, benchmark, metric, unit, "
                            "higher_is_better, samples, n, mean, stddev, median, min, max, "
                            "lower, upper) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                            "?12, ?13, ?14)"));
  for (const auto& b : run.benchmarks) {
    int64_t bench_id;
    auto key = std::make_pair(project_id, b.name);
    if (auto it = benchmark_ids->find(key); it != benchmark_ids->end()) {
      bench_id = it->second;
    } else {
      ASSIGN_OR_RETURN(
          bench_id, IdFor("INSERT INTO benchmarks(project_id, name) VALUES (?1, ?2)",
                          "SELECT id FROM benchmarks WHERE project_id = ?1 AND name = ?2", b.name,
                          project_id, "store a benchmark"));
      benchmark_ids->emplace(key, bench_id);
    }
    if (b.error) {
      ASSIGN_OR_RETURN(Stmt * f, Prepared("INSERT INTO failures(run, benchmark, error) "
                                          "VALUES (?1, ?2, ?3)"));
      f->Bind(1, row);
      f->Bind(2, bench_id);
      f->Bind(3, *b.error);
      RETURN_IF_ERROR(StepDone(f, "store a failed benchmark"));
    }
    for (const auto& m : b.metrics) {
      int64_t metric_id;
      if (auto it = metric_ids->find(m.name); it != metric_ids->end()) {
        metric_id = it->second;
      } else {
        ASSIGN_OR_RETURN(metric_id, IdFor("INSERT INTO metrics(name) VALUES (?1)",
                                          "SELECT id FROM metrics WHERE name = ?1", m.name,
                                          std::nullopt, "store a metric"));
        metric_ids->emplace(m.name, metric_id);
      }
      meas->Reset();
      meas->Bind(1, row);
      meas->Bind(2, bench_id);
      meas->Bind(3, metric_id);
      meas->Bind(4, m.unit);
      meas->Bind(5, static_cast<int64_t>(m.direction == core::Direction::kHigher ? 1 : 0));
      if (!m.samples.empty()) {
        meas->BindBlob(6, EncodeSamples(m.samples));
      } else {
        meas->BindNull(6);
      }
      if (m.summary) {
        const core::Summary& s = *m.summary;
        meas->Bind(7, s.n);
        meas->Bind(8, s.mean);
        meas->BindOptional(9, s.stddev);
        meas->BindOptional(10, s.median);
        meas->BindOptional(11, s.min);
        meas->BindOptional(12, s.max);
        meas->BindOptional(13, s.lower);
        meas->BindOptional(14, s.upper);
      }
      RETURN_IF_ERROR(StepDone(meas, "store a measurement"));
    }
  }
  return Status::Ok();
}

Status SqliteStore::CheckDeclarations(const core::Run& run, int64_t project_id) {
  if (!run.suite) return Status::Ok();
  RETURN_IF_ERROR(core::CheckEnvironmentClass(run));
  const core::SuiteRef& suite = *run.suite;
  if (!suite.definitions.empty()) {
    ASSIGN_OR_RETURN(Stmt * sel, Prepared("SELECT definitions, first_run_id FROM suite_revisions "
                                          "WHERE project_id = ?1 AND suite_name = ?2 AND "
                                          "revision = ?3"));
    sel->Bind(1, project_id);
    sel->Bind(2, suite.name);
    sel->Bind(3, suite.revision);
    const int rc = sel->Step();
    if (rc == SQLITE_ROW) {
      const std::string definitions = sel->Text(0), first = sel->Text(1);
      sel->Reset();
      ASSIGN_OR_RETURN(core::SuiteRef declared,
                       StoredSuite(suite.name, suite.revision, definitions, std::nullopt));
      RETURN_IF_ERROR(
          core::CheckAgainstDeclared(run, declared,
                                     fmt::format("suite '{}' revision {} as first stored by run {}",
                                                 suite.name, suite.revision, first)));
    } else if (rc == SQLITE_DONE) {
      ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO suite_revisions(project_id, suite_name, "
                                            "revision, definitions, first_run_id) "
                                            "VALUES (?1, ?2, ?3, ?4, ?5)"));
      ins->Bind(1, project_id);
      ins->Bind(2, suite.name);
      ins->Bind(3, suite.revision);
      ins->Bind(4, DefinitionsJson(suite.definitions));
      ins->Bind(5, run.run_id);
      RETURN_IF_ERROR(StepDone(ins, "store a suite revision"));
    } else {
      return Error(rc, "look up a suite revision");
    }
  }
  if (suite.epoch) {
    const core::EpochRef& epoch = *suite.epoch;
    ASSIGN_OR_RETURN(Stmt * sel, Prepared("SELECT revision, settings, first_run_id FROM epochs "
                                          "WHERE project_id = ?1 AND platform = ?2 AND "
                                          "suite_name = ?3 AND number = ?4"));
    sel->Bind(1, project_id);
    sel->Bind(2, run.platform);
    sel->Bind(3, suite.name);
    sel->Bind(4, epoch.number);
    const int rc = sel->Step();
    if (rc == SQLITE_ROW) {
      const int64_t revision = sel->Int(0);
      const std::string settings = sel->Text(1), first = sel->Text(2);
      sel->Reset();
      ASSIGN_OR_RETURN(
          core::SuiteRef declared,
          StoredSuite(suite.name, revision, std::nullopt, std::make_pair(epoch.number, settings)));
      RETURN_IF_ERROR(core::CheckAgainstDeclared(
          run, declared,
          fmt::format("epoch {} of suite '{}' on {} as first stored by run {}", epoch.number,
                      suite.name, run.platform, first)));
    } else if (rc == SQLITE_DONE) {
      ASSIGN_OR_RETURN(Stmt * ins,
                       Prepared("INSERT INTO epochs(project_id, platform, suite_name, number, "
                                "revision, settings, first_run_id) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
      ins->Bind(1, project_id);
      ins->Bind(2, run.platform);
      ins->Bind(3, suite.name);
      ins->Bind(4, epoch.number);
      ins->Bind(5, suite.revision);
      ins->Bind(6, SettingsJson(epoch.settings));
      ins->Bind(7, run.run_id);
      RETURN_IF_ERROR(StepDone(ins, "store an epoch"));
    } else {
      return Error(rc, "look up an epoch");
    }
  }
  return Status::Ok();
}

Result<IngestStats> SqliteStore::Ingest(std::span<const core::Run> runs, size_t* conflicting) {
  std::vector<std::string> hashes;
  hashes.reserve(runs.size());
  for (const auto& run : runs) hashes.push_back(core::ContentHash(run));

  RETURN_IF_ERROR(Begin(/*write=*/true));
  IngestStats stats;
  std::map<std::string, int64_t> project_ids;
  std::map<std::pair<int64_t, std::string>, int64_t> benchmark_ids;
  std::map<std::string, int64_t> metric_ids;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto fail = [&](Status s) -> Result<IngestStats> {
    Rollback();
    return s;
  };
  for (size_t i = 0; i < runs.size(); ++i) {
    const core::Run& run = runs[i];
    auto sel = Prepared("SELECT content_hash FROM runs WHERE run_id = ?1");
    if (!sel.ok()) return fail(sel.status());
    (*sel)->Bind(1, run.run_id);
    int rc = (*sel)->Step();
    if (rc == SQLITE_ROW) {
      const bool same = (*sel)->Text(0) == hashes[i];
      (*sel)->Reset();
      if (same) {
        ++stats.already_present;
        continue;
      }
      if (conflicting != nullptr) *conflicting = i;
      return fail(base::Conflict(fmt::format(
          "run {} is already stored with different content (runs are immutable: give a new "
          "run a new run_id)",
          run.run_id)));
    }
    if (rc != SQLITE_DONE) return fail(Error(rc, "look up a run"));
    Status s = WriteRun(run, hashes[i], &project_ids, &benchmark_ids, &metric_ids, now);
    if (!s.ok()) return fail(s);
    // Checked after the write so the project exists; a refusal rolls the whole batch back.
    s = CheckDeclarations(run, project_ids.at(run.project));
    if (!s.ok()) {
      if (conflicting != nullptr && s.code() == base::StatusCode::kConflict) *conflicting = i;
      return fail(s);
    }
    ++stats.ingested;
    stats.samples += run.sample_count();
  }
  Status s = Commit();
  if (!s.ok()) return fail(s);
  return stats;
}

constexpr std::string_view kRunColumns =
    "r.id, r.run_id, p.name, r.commit_sha, r.commit_branch, r.commit_time, r.commit_subject, "
    "r.range_from, r.range_count, r.reason, r.reason_detail, r.platform, r.suite_name, "
    "r.suite_revision, r.environment_id, r.started_at, r.finished_at, r.benchmark_count, "
    "r.sample_count, r.partial, r.suite_json";

std::string RunQuery() {
  return fmt::format(
      "SELECT {} FROM runs r JOIN projects p ON p.id = r.project_id "
      "WHERE (?1 IS NULL OR r.platform = ?1) AND (?2 IS NULL OR p.name = ?2) "
      "AND (?3 IS NULL OR r.id IN (SELECT m.run FROM measurements m JOIN benchmarks b ON b.id = "
      "m.benchmark WHERE b.name = ?3 UNION SELECT f.run FROM failures f JOIN benchmarks b ON "
      "b.id = f.benchmark WHERE b.name = ?3)) "
      "ORDER BY COALESCE(r.commit_time, r.started_at), r.run_id",
      kRunColumns);
}

core::Reason ReasonOrPush(const std::string& name) {
  return core::ParseReason(name).value_or(core::Reason::kPush);
}

Result<std::optional<core::SuiteRef>> SqliteStore::SuiteOf(const Stmt& q, int name_col,
                                                           int revision_col, int json_col,
                                                           const std::string& run_id) const {
  if (!q.IsNull(json_col)) {
    auto suite = core::ReadSuite(q.Text(json_col), "stored suite");
    if (!suite.ok()) {
      return base::Internal(fmt::format("{}: run {} has an unreadable suite: {}", path_, run_id,
                                        suite.status().message()));
    }
    return std::optional<core::SuiteRef>(std::move(*suite));
  }
  // Stored before schema 3: only the name and revision were kept.
  if (q.IsNull(name_col)) return std::optional<core::SuiteRef>();
  return std::optional<core::SuiteRef>(
      core::SuiteRef{q.Text(name_col), q.Int(revision_col), {}, std::nullopt});
}

Result<std::vector<RunSummary>> SqliteStore::ListRuns(const RunFilter& filter) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared(RunQuery()));
  q->BindOptional(1, filter.platform);
  q->BindOptional(2, filter.project);
  q->BindOptional(3, filter.benchmark);
  std::vector<RunSummary> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    RunSummary r;
    r.run_id = q->Text(1);
    r.project = q->Text(2);
    r.sha = q->Text(3);
    if (!q->IsNull(5)) r.commit_time = base::Timestamp{q->Int(5)};
    r.reason = ReasonOrPush(q->Text(9));
    r.platform = q->Text(11);
    r.started_at = base::Timestamp{q->Int(15)};
    r.benchmark_count = q->Int(17);
    r.sample_count = q->Int(18);
    r.partial = q->Int(19) != 0;
    out.push_back(std::move(r));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list runs");
  return out;
}

// The columns ReadMetric reads, from the first: metric name, unit, direction, samples, summary.
constexpr std::string_view kMetricColumns =
    "mt.name, m.unit, m.higher_is_better, m.samples, m.n, m.mean, m.stddev, m.median, m.min, "
    "m.max, m.lower, m.upper";

// One row of measurements (kMetricColumns from column `c` on) as a Metric.
Result<core::Metric> ReadMetric(const Stmt& q, int c, const std::string& path) {
  core::Metric m;
  m.name = q.Text(c);
  m.unit = q.Text(c + 1);
  m.direction = q.Int(c + 2) != 0 ? core::Direction::kHigher : core::Direction::kLower;
  if (!q.IsNull(c + 3)) {
    auto samples = DecodeSamples(q.Blob(c + 3));
    if (!samples.ok()) return samples.status().WithPrefix(path);
    m.samples = std::move(*samples);
  }
  if (!q.IsNull(c + 4)) {
    core::Summary s;
    s.n = q.Int(c + 4);
    s.mean = q.Double(c + 5);
    s.stddev = q.OptDouble(c + 6);
    s.median = q.OptDouble(c + 7);
    s.min = q.OptDouble(c + 8);
    s.max = q.OptDouble(c + 9);
    s.lower = q.OptDouble(c + 10);
    s.upper = q.OptDouble(c + 11);
    if (m.samples.empty()) m.summary = s;
  }
  return m;
}

Status SqliteStore::ForEachRun(const RunFilter& filter,
                               const std::function<Status(const core::Run&)>& fn) {
  // One read transaction, so every run comes from the same snapshot.
  RETURN_IF_ERROR(Begin(/*write=*/false));
  std::unordered_map<int64_t, core::Environment> environments;
  auto body = [&]() -> Status {
    // With a benchmark filter, that benchmark's rows of every run are read first, through the
    // benchmark's index (two queries), rather than looked up run by run: a lookup by run walks
    // all of the run's rows, a thousand for a run of a thousand benchmarks.
    std::unordered_map<int64_t, core::BenchmarkResult> filtered;  // by runs.id
    if (filter.benchmark) {
      constexpr std::string_view kIds = "(SELECT id FROM benchmarks WHERE name = ?1)";
      Stmt failed;
      RETURN_IF_ERROR(failed.Prepare(
          db_, fmt::format("SELECT f.run, f.error FROM failures f WHERE f.benchmark IN {}", kIds)));
      failed.Bind(1, *filter.benchmark);
      int rc;
      while ((rc = failed.Step()) == SQLITE_ROW) filtered[failed.Int(0)].error = failed.Text(1);
      if (rc != SQLITE_DONE) return Error(rc, "read failed benchmarks");
      Stmt measured;
      RETURN_IF_ERROR(measured.Prepare(
          db_, fmt::format("SELECT m.run, {} FROM measurements m JOIN metrics mt ON mt.id = "
                           "m.metric WHERE m.benchmark IN {}",
                           kMetricColumns, kIds)));
      measured.Bind(1, *filter.benchmark);
      while ((rc = measured.Step()) == SQLITE_ROW) {
        ASSIGN_OR_RETURN(core::Metric m, ReadMetric(measured, 1, path_));
        filtered[measured.Int(0)].metrics.push_back(std::move(m));
      }
      if (rc != SQLITE_DONE) return Error(rc, "read measurements");
    }
    ASSIGN_OR_RETURN(Stmt * q, Prepared(RunQuery()));
    q->BindOptional(1, filter.platform);
    q->BindOptional(2, filter.project);
    q->BindOptional(3, filter.benchmark);
    // The inner queries use their own statements; q stays positioned.
    Stmt measurements;
    RETURN_IF_ERROR(measurements.Prepare(
        db_, fmt::format("SELECT b.name, {} FROM measurements m "
                         "JOIN benchmarks b ON b.id = m.benchmark JOIN metrics mt ON mt.id = "
                         "m.metric WHERE m.run = ?1",
                         kMetricColumns)));
    Stmt failures;
    RETURN_IF_ERROR(failures.Prepare(
        db_,
        "SELECT b.name, f.error FROM failures f JOIN benchmarks b ON b.id = f.benchmark "
        "WHERE f.run = ?1"));
    Stmt env_q;
    RETURN_IF_ERROR(env_q.Prepare(db_, "SELECT description FROM environments WHERE id = ?1"));
    // Consecutive runs mostly share their suite: its JSON is parsed once per change.
    std::string suite_json;
    std::optional<core::SuiteRef> suite;
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) {
      core::Run run;
      const int64_t row = q->Int(0);
      run.run_id = q->Text(1);
      run.project = q->Text(2);
      run.commit.sha = q->Text(3);
      run.commit.branch = q->OptText(4);
      if (!q->IsNull(5)) run.commit.time = base::Timestamp{q->Int(5)};
      run.commit.subject = q->OptText(6);
      run.commit_range.from = q->OptText(7);
      run.commit_range.to = run.commit.sha;
      run.commit_range.count = q->Int(8);
      run.reason = ReasonOrPush(q->Text(9));
      run.reason_detail = q->OptText(10);
      run.platform = q->Text(11);
      if (q->IsNull(20)) {
        ASSIGN_OR_RETURN(run.suite, SuiteOf(*q, 12, 13, 20, run.run_id));
      } else {
        if (!suite || q->Text(20) != suite_json) {
          ASSIGN_OR_RETURN(suite, SuiteOf(*q, 12, 13, 20, run.run_id));
          suite_json = q->Text(20);
        }
        run.suite = suite;
      }
      const int64_t env_id = q->Int(14);
      run.started_at = base::Timestamp{q->Int(15)};
      run.finished_at = base::Timestamp{q->Int(16)};

      auto env_it = environments.find(env_id);
      if (env_it == environments.end()) {
        env_q.Reset();
        env_q.Bind(1, env_id);
        if (env_q.Step() != SQLITE_ROW) {
          return base::Internal(fmt::format("{}: run {} has no environment", path_, run.run_id));
        }
        auto env = core::ReadEnvironment(env_q.Text(0), "stored environment");
        if (!env.ok()) return base::Internal(env.status().message());
        env_it = environments.emplace(env_id, std::move(*env)).first;
      }
      run.environment = env_it->second;

      std::map<std::string, core::BenchmarkResult> benchmarks;
      if (filter.benchmark) {
        if (auto it = filtered.find(row); it != filtered.end()) {
          benchmarks.emplace(*filter.benchmark, std::move(it->second));
        }
      } else {
        failures.Reset();
        failures.Bind(1, row);
        while ((rc = failures.Step()) == SQLITE_ROW) {
          auto& b = benchmarks[failures.Text(0)];
          b.error = failures.Text(1);
        }
        if (rc != SQLITE_DONE) return Error(rc, "read failed benchmarks");
        measurements.Reset();
        measurements.Bind(1, row);
        while ((rc = measurements.Step()) == SQLITE_ROW) {
          ASSIGN_OR_RETURN(core::Metric m, ReadMetric(measurements, 1, path_));
          benchmarks[measurements.Text(0)].metrics.push_back(std::move(m));
        }
        if (rc != SQLITE_DONE) return Error(rc, "read measurements");
      }
      for (auto& [name, b] : benchmarks) {
        b.name = name;
        std::sort(b.metrics.begin(), b.metrics.end(),
                  [](const core::Metric& x, const core::Metric& y) { return x.name < y.name; });
        run.benchmarks.push_back(std::move(b));
      }
      RETURN_IF_ERROR(fn(run));
    }
    if (rc != SQLITE_DONE) return Error(rc, "read runs");
    q->Reset();
    return Status::Ok();
  };
  Status s = body();
  Rollback();  // a read transaction: nothing to keep
  return s;
}

Result<std::vector<std::string>> SqliteStore::Platforms() {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT DISTINCT platform FROM runs ORDER BY platform"));
  std::vector<std::string> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) out.push_back(q->Text(0));
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list platforms");
  return out;
}

Result<std::vector<RunPoint>> SqliteStore::ListRunPoints(const RunFilter& filter,
                                                         bool with_benchmarks) {
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Result<std::vector<RunPoint>> {
    std::vector<RunPoint> out;
    std::unordered_map<int64_t, size_t> by_row;
    ASSIGN_OR_RETURN(Stmt * q, Prepared(RunQuery()));
    q->BindOptional(1, filter.platform);
    q->BindOptional(2, filter.project);
    q->BindOptional(3, filter.benchmark);
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) {
      RunPoint p;
      p.run_id = q->Text(1);
      p.project = q->Text(2);
      p.sha = q->Text(3);
      if (!q->IsNull(5)) p.commit_time = base::Timestamp{q->Int(5)};
      p.range_from = q->OptText(7);
      p.range_count = q->Int(8);
      p.platform = q->Text(11);
      ASSIGN_OR_RETURN(p.suite, SuiteOf(*q, 12, 13, 20, p.run_id));
      p.started_at = base::Timestamp{q->Int(15)};
      by_row.emplace(q->Int(0), out.size());
      out.push_back(std::move(p));
    }
    q->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "list runs");
    if (!with_benchmarks) return out;
    for (const bool failed : {false, true}) {
      ASSIGN_OR_RETURN(
          Stmt * names,
          Prepared(failed ? "SELECT f.run, b.name FROM failures f "
                            "JOIN benchmarks b ON b.id = f.benchmark ORDER BY b.name"
                          : "SELECT DISTINCT m.run, b.name FROM measurements m "
                            "JOIN benchmarks b ON b.id = m.benchmark ORDER BY b.name"));
      while ((rc = names->Step()) == SQLITE_ROW) {
        auto it = by_row.find(names->Int(0));
        if (it == by_row.end()) continue;
        RunPoint& p = out[it->second];
        (failed ? p.failed_benchmarks : p.ok_benchmarks).push_back(names->Text(1));
      }
      names->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "list benchmarks of runs");
    }
    return out;
  };
  auto result = body();
  Rollback();
  return result;
}

// True when the benchmark names (sorted) measure every defined entry: a benchmark named
// exactly like the entry, or "<entry>/<harness benchmark>".
bool MeasuresEvery(const std::vector<std::string>& names,
                   const std::map<std::string, std::string>& definitions) {
  for (const auto& [entry, hash] : definitions) {
    if (std::binary_search(names.begin(), names.end(), entry)) continue;
    const std::string prefix = entry + "/";
    auto it = std::lower_bound(names.begin(), names.end(), prefix);
    if (it == names.end() || !it->starts_with(prefix)) return false;
  }
  return true;
}

Result<std::vector<EpochInfo>> SqliteStore::ListEpochs(const RunFilter& filter) {
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Result<std::vector<EpochInfo>> {
    struct Row {
      EpochInfo info;
      int64_t project_id = 0;
      std::map<std::string, std::string> definitions;
    };
    std::vector<Row> rows;
    ASSIGN_OR_RETURN(
        Stmt * q,
        Prepared("SELECT e.project_id, p.name, e.platform, e.suite_name, e.number, e.revision, "
                 "e.settings, sr.definitions FROM epochs e JOIN projects p ON p.id = e.project_id "
                 "LEFT JOIN suite_revisions sr ON sr.project_id = e.project_id AND "
                 "sr.suite_name = e.suite_name AND sr.revision = e.revision "
                 "WHERE (?1 IS NULL OR e.platform = ?1) AND (?2 IS NULL OR p.name = ?2) "
                 "ORDER BY e.platform, e.suite_name, e.number, p.name"));
    q->BindOptional(1, filter.platform);
    q->BindOptional(2, filter.project);
    q->BindOptional(3, filter.benchmark);
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) {
      Row row;
      row.project_id = q->Int(0);
      row.info.project = q->Text(1);
      row.info.platform = q->Text(2);
      row.info.suite = q->Text(3);
      row.info.number = q->Int(4);
      row.info.revision = q->Int(5);
      ASSIGN_OR_RETURN(core::SuiteRef declared,
                       StoredSuite(row.info.suite, row.info.revision, q->OptText(7),
                                   std::make_pair(row.info.number, q->Text(6))));
      row.info.settings = std::move(declared.epoch->settings);
      row.definitions = std::move(declared.definitions);
      rows.push_back(std::move(row));
    }
    q->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "list epochs");

    ASSIGN_OR_RETURN(
        Stmt * runs_q,
        Prepared("SELECT r.id, r.run_id, r.commit_sha, r.commit_time, r.partial FROM runs r "
                 "WHERE r.project_id = ?1 AND r.platform = ?2 AND r.suite_name = ?3 AND "
                 "r.epoch = ?4 ORDER BY COALESCE(r.commit_time, r.started_at), r.run_id"));
    ASSIGN_OR_RETURN(Stmt * names_q,
                     Prepared("SELECT DISTINCT b.name FROM measurements m "
                              "JOIN benchmarks b ON b.id = m.benchmark WHERE m.run = ?1 "
                              "ORDER BY b.name"));
    std::vector<EpochInfo> out;
    out.reserve(rows.size());
    for (Row& row : rows) {
      EpochInfo& info = row.info;
      runs_q->Reset();
      runs_q->Bind(1, row.project_id);
      runs_q->Bind(2, info.platform);
      runs_q->Bind(3, info.suite);
      runs_q->Bind(4, info.number);
      struct RunRow {
        int64_t id;
        std::string run_id, sha;
        std::optional<base::Timestamp> commit_time;
        bool partial;
      };
      std::vector<RunRow> runs;
      while ((rc = runs_q->Step()) == SQLITE_ROW) {
        RunRow r{runs_q->Int(0), runs_q->Text(1), runs_q->Text(2), std::nullopt,
                 runs_q->Int(4) != 0};
        if (!runs_q->IsNull(3)) r.commit_time = base::Timestamp{runs_q->Int(3)};
        runs.push_back(std::move(r));
      }
      runs_q->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "list the runs of an epoch");
      info.run_count = static_cast<int64_t>(runs.size());
      if (!runs.empty()) {
        info.first_run_id = runs.front().run_id;
        info.first_sha = runs.front().sha;
        info.first_commit_time = runs.front().commit_time;
      }
      for (const RunRow& r : runs) {
        if (r.partial) continue;
        if (!row.definitions.empty()) {
          std::vector<std::string> names;
          names_q->Reset();
          names_q->Bind(1, r.id);
          while ((rc = names_q->Step()) == SQLITE_ROW) names.push_back(names_q->Text(0));
          names_q->Reset();
          if (rc != SQLITE_DONE) return Error(rc, "list the benchmarks of a run");
          if (!MeasuresEvery(names, row.definitions)) continue;
        }
        info.first_complete_run_id = r.run_id;
        info.first_complete_sha = r.sha;
        info.first_complete_commit_time = r.commit_time;
        break;
      }
      out.push_back(std::move(info));
    }
    return out;
  };
  auto result = body();
  Rollback();
  return result;
}

Status SqliteStore::RecordPlan(const PlanRecord& plan) {
  RETURN_IF_ERROR(Begin(/*write=*/true));
  auto body = [&]() -> Status {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    // Commits newest first: once one is known, its ancestors were stored with it.
    ASSIGN_OR_RETURN(Stmt * ins_commit,
                     Prepared("INSERT OR IGNORE INTO commits (sha, first_parent, parent_count, "
                              "commit_time, subject) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (auto it = plan.commits.rbegin(); it != plan.commits.rend(); ++it) {
      ins_commit->Reset();
      ins_commit->Bind(1, it->sha);
      ins_commit->BindOptional(2, it->first_parent);
      ins_commit->Bind(3, int64_t{it->parent_count});
      ins_commit->Bind(4, it->time.unix_nanos);
      ins_commit->Bind(5, it->subject);
      RETURN_IF_ERROR(StepDone(ins_commit, "record a commit"));
      if (sqlite3_changes(db_) == 0) break;
    }
    // The same plan recorded again (a retried collect job) changes nothing.
    ASSIGN_OR_RETURN(Stmt * same, Prepared("SELECT 1 FROM plans WHERE planned_at = ?1 AND "
                                           "branch = ?2 AND head_sha = ?3 AND queue_depth = ?4"));
    same->Bind(1, plan.now.unix_nanos);
    same->Bind(2, plan.branch);
    same->Bind(3, plan.head);
    same->Bind(4, int64_t{plan.queue_depth});
    const int found = same->Step();
    same->Reset();
    if (found == SQLITE_ROW) return Commit();
    if (found != SQLITE_DONE) return Error(found, "look up a plan");
    ASSIGN_OR_RETURN(Stmt * ins_plan,
                     Prepared("INSERT INTO plans (planned_at, recorded_at, branch, head_sha, "
                              "queue_depth, degradation, window_nanos) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    ins_plan->Bind(1, plan.now.unix_nanos);
    ins_plan->Bind(2, now);
    ins_plan->Bind(3, plan.branch);
    ins_plan->Bind(4, plan.head);
    ins_plan->Bind(5, int64_t{plan.queue_depth});
    ins_plan->Bind(6, plan.degradation);
    ins_plan->Bind(7, plan.window_nanos);
    RETURN_IF_ERROR(StepDone(ins_plan, "record a plan"));
    const int64_t plan_id = sqlite3_last_insert_rowid(db_);

    ASSIGN_OR_RETURN(Stmt * supersede,
                     Prepared("UPDATE jobs SET state = 'superseded' "
                              "WHERE sha = ?1 AND platform = ?2 AND state = 'queued'"));
    auto supersede_queued = [&](const std::string& sha, const std::string& platform) {
      supersede->Reset();
      supersede->Bind(1, sha);
      supersede->Bind(2, platform);
      return StepDone(supersede, "supersede a queued job");
    };
    ASSIGN_OR_RETURN(Stmt * ins_skip,
                     Prepared("INSERT OR REPLACE INTO skips (sha, platform, plan_id, reason, "
                              "queue_depth, superseded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    for (const SkipRecord& k : plan.skips) {
      RETURN_IF_ERROR(supersede_queued(k.sha, k.platform));
      ins_skip->Reset();
      ins_skip->Bind(1, k.sha);
      ins_skip->Bind(2, k.platform);
      ins_skip->Bind(3, plan_id);
      ins_skip->Bind(4, k.reason);
      ins_skip->Bind(5, int64_t{k.queue_depth});
      ins_skip->BindOptional(6, k.superseded_by);
      RETURN_IF_ERROR(StepDone(ins_skip, "record a skip"));
    }
    ASSIGN_OR_RETURN(Stmt * ins_job,
                     Prepared("INSERT INTO jobs (plan_id, sha, platform, reason, reason_detail, "
                              "range_from, range_count, priority, state) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued')"));
    for (const JobRecord& j : plan.jobs) {
      RETURN_IF_ERROR(supersede_queued(j.sha, j.platform));
      ins_job->Reset();
      ins_job->Bind(1, plan_id);
      ins_job->Bind(2, j.sha);
      ins_job->Bind(3, j.platform);
      ins_job->Bind(4, j.reason);
      ins_job->Bind(5, j.reason_detail);
      ins_job->BindOptional(6, j.range_from);
      ins_job->Bind(7, j.range_count);
      ins_job->Bind(8, int64_t{j.priority});
      RETURN_IF_ERROR(StepDone(ins_job, "record a job"));
    }
    return Commit();
  };
  Status s = body();
  if (!s.ok()) Rollback();
  return s;
}

Result<ScheduleState> SqliteStore::LoadSchedule() {
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Result<ScheduleState> {
    ScheduleState out;
    int rc;
    ASSIGN_OR_RETURN(Stmt * plan_q, Prepared("SELECT branch, head_sha, planned_at FROM plans "
                                             "ORDER BY id DESC LIMIT 1"));
    if ((rc = plan_q->Step()) == SQLITE_ROW) {
      out.branch = plan_q->Text(0);
      out.head = plan_q->Text(1);
      out.last_plan = base::Timestamp{plan_q->Int(2)};
    }
    plan_q->Reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "read the last plan");
    ASSIGN_OR_RETURN(Stmt * jobs_q,
                     Prepared("SELECT j.plan_id, j.sha, j.platform, j.reason, j.reason_detail, "
                              "j.range_from, j.range_count, j.priority, j.state, p.planned_at "
                              "FROM jobs j JOIN plans p ON p.id = j.plan_id ORDER BY j.id"));
    while ((rc = jobs_q->Step()) == SQLITE_ROW) {
      JobRecord j;
      j.plan_id = jobs_q->Int(0);
      j.sha = jobs_q->Text(1);
      j.platform = jobs_q->Text(2);
      j.reason = jobs_q->Text(3);
      j.reason_detail = jobs_q->Text(4);
      j.range_from = jobs_q->OptText(5);
      j.range_count = jobs_q->Int(6);
      j.priority = static_cast<int>(jobs_q->Int(7));
      j.state = jobs_q->Text(8);
      j.planned_at = base::Timestamp{jobs_q->Int(9)};
      out.jobs.push_back(std::move(j));
    }
    jobs_q->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read jobs");
    ASSIGN_OR_RETURN(Stmt * skips_q,
                     Prepared("SELECT s.plan_id, s.sha, s.platform, s.reason, s.queue_depth, "
                              "s.superseded_by, p.planned_at FROM skips s "
                              "JOIN plans p ON p.id = s.plan_id ORDER BY s.plan_id, s.sha"));
    while ((rc = skips_q->Step()) == SQLITE_ROW) {
      SkipRecord k;
      k.plan_id = skips_q->Int(0);
      k.sha = skips_q->Text(1);
      k.platform = skips_q->Text(2);
      k.reason = skips_q->Text(3);
      k.queue_depth = static_cast<int>(skips_q->Int(4));
      k.superseded_by = skips_q->OptText(5);
      k.planned_at = base::Timestamp{skips_q->Int(6)};
      out.skips.push_back(std::move(k));
    }
    skips_q->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read skips");
    return out;
  };
  auto result = body();
  Rollback();
  return result;
}

Result<std::vector<CommitRecord>> SqliteStore::RecordedHistory(const std::string& head) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT sha, first_parent, parent_count, commit_time, "
                                      "subject FROM commits"));
  std::unordered_map<std::string, CommitRecord> all;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    CommitRecord c;
    c.sha = q->Text(0);
    c.first_parent = q->OptText(1);
    c.parent_count = static_cast<int>(q->Int(2));
    c.time = base::Timestamp{q->Int(3)};
    c.subject = q->Text(4);
    std::string key = c.sha;
    all.emplace(std::move(key), std::move(c));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "read recorded commits");
  std::vector<CommitRecord> out;
  std::optional<std::string> next = head;
  while (next) {
    auto it = all.find(*next);
    if (it == all.end()) break;
    out.push_back(std::move(it->second));
    all.erase(it);  // also ends a (corrupt) cycle
    next = out.back().first_parent;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// The alert vocabulary (store.h AlertRecord); the alerts table's CHECK constraints say the
// same, so nothing else ever reaches the table.
bool IsAlertStatus(std::string_view status) {
  return status == "open" || status == "acknowledged" || status == "resolved" ||
         status == "false-positive";
}

bool IsAlertKind(std::string_view kind) {
  return kind == "regression" || kind == "improvement" || kind == "environment";
}

Status UnknownAlertStatus(std::string_view status) {
  return base::InvalidInput(fmt::format(
      "unknown alert status \"{}\": expected open, acknowledged, resolved or false-positive",
      status));
}

// The numbers RecordAlerts writes must be finite (SQLite would store NaN as NULL).
Status CheckAlertNumbers(const AlertRecord& a) {
  const std::pair<const char*, double> numbers[] = {{"before_median", a.before_median},
                                                    {"after_median", a.after_median},
                                                    {"change", a.change},
                                                    {"confidence", a.confidence},
                                                    {"noise", a.noise}};
  for (const auto& [name, value] : numbers) {
    if (!std::isfinite(value)) {
      return base::InvalidInput(fmt::format("alert for {} {} on {}: {} is not a finite number ({})",
                                            a.benchmark, a.metric, a.platform, name, value));
    }
  }
  return Status::Ok();
}

Status CheckNewAlert(const AlertRecord& a) {
  if (!IsAlertKind(a.kind)) {
    return base::InvalidInput(fmt::format(
        "alert for {} {} on {}: unknown alert kind \"{}\": expected regression, improvement or "
        "environment",
        a.benchmark, a.metric, a.platform, a.kind));
  }
  if (!IsAlertStatus(a.status)) {
    return base::InvalidInput(fmt::format("alert for {} {} on {}: {}", a.benchmark, a.metric,
                                          a.platform, UnknownAlertStatus(a.status).message()));
  }
  return CheckAlertNumbers(a);
}

Result<std::vector<AlertRecord>> SqliteStore::ListAlerts(const AlertFilter& filter) {
  ASSIGN_OR_RETURN(
      Stmt * q,
      Prepared("SELECT id, project, platform, benchmark, metric, unit, epoch, range_from, "
               "range_to, range_count, before_median, after_median, change, confidence, noise, "
               "kind, status, note, created_at, updated_at FROM alerts "
               "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR platform = ?2) AND "
               "(?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR id = ?4) ORDER BY id"));
  q->BindOptional(1, filter.status);
  q->BindOptional(2, filter.platform);
  q->BindOptional(3, filter.kind);
  q->BindOptional(4, filter.id);
  std::vector<AlertRecord> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    AlertRecord a;
    a.id = q->Int(0);
    a.project = q->Text(1);
    a.platform = q->Text(2);
    a.benchmark = q->Text(3);
    a.metric = q->Text(4);
    a.unit = q->Text(5);
    if (!q->IsNull(6)) a.epoch = q->Int(6);
    a.range_from = q->Text(7);
    a.range_to = q->Text(8);
    a.range_count = q->Int(9);
    a.before_median = q->Double(10);
    a.after_median = q->Double(11);
    a.change = q->Double(12);
    a.confidence = q->Double(13);
    a.noise = q->Double(14);
    a.kind = q->Text(15);
    a.status = q->Text(16);
    a.note = q->OptText(17);
    a.created_at = base::Timestamp{q->Int(18)};
    a.updated_at = base::Timestamp{q->Int(19)};
    out.push_back(std::move(a));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list alerts");
  return out;
}

Status SqliteStore::WriteAlerts(const std::vector<AlertRecord>& inserts,
                                const std::vector<AlertRecord>& narrowed,
                                std::vector<int64_t>* ids) {
  // Narrowed first, so an unknown id can never match an alert this call inserts. The
  // record's updated_at is the caller's clock; it never moves an alert's updated_at back.
  ASSIGN_OR_RETURN(Stmt * narrow,
                   Prepared("UPDATE alerts SET range_from = ?2, range_to = ?3, range_count = ?4, "
                            "before_median = ?5, after_median = ?6, change = ?7, confidence = ?8, "
                            "updated_at = MAX(updated_at, ?9) WHERE id = ?1"));
  for (const AlertRecord& a : narrowed) {
    narrow->Reset();
    narrow->Bind(1, a.id);
    narrow->Bind(2, a.range_from);
    narrow->Bind(3, a.range_to);
    narrow->Bind(4, a.range_count);
    narrow->Bind(5, a.before_median);
    narrow->Bind(6, a.after_median);
    narrow->Bind(7, a.change);
    narrow->Bind(8, a.confidence);
    narrow->Bind(9, a.updated_at.unix_nanos);
    RETURN_IF_ERROR(StepDone(narrow, "narrow an alert"));
    if (sqlite3_changes(db_) == 0) {
      return base::NotFound(fmt::format("no alert with id {}", a.id));
    }
  }
  ASSIGN_OR_RETURN(
      Stmt * ins,
      Prepared("INSERT INTO alerts (project, platform, benchmark, metric, unit, epoch, "
               "range_from, range_to, range_count, before_median, after_median, change, "
               "confidence, noise, kind, status, note, created_at, updated_at) VALUES (?1, ?2, "
               "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"));
  for (const AlertRecord& a : inserts) {
    ins->Reset();
    ins->Bind(1, a.project);
    ins->Bind(2, a.platform);
    ins->Bind(3, a.benchmark);
    ins->Bind(4, a.metric);
    ins->Bind(5, a.unit);
    ins->BindOptional(6, a.epoch);
    ins->Bind(7, a.range_from);
    ins->Bind(8, a.range_to);
    ins->Bind(9, a.range_count);
    ins->Bind(10, a.before_median);
    ins->Bind(11, a.after_median);
    ins->Bind(12, a.change);
    ins->Bind(13, a.confidence);
    ins->Bind(14, a.noise);
    ins->Bind(15, a.kind);
    ins->Bind(16, a.status);
    ins->BindOptional(17, a.note);
    ins->Bind(18, a.created_at.unix_nanos);
    ins->Bind(19, a.updated_at.unix_nanos);
    RETURN_IF_ERROR(StepDone(ins, "record an alert"));
    ids->push_back(sqlite3_last_insert_rowid(db_));
  }
  return Status::Ok();
}

Status SqliteStore::RecordAlerts(std::vector<AlertRecord>& inserts,
                                 const std::vector<AlertRecord>& narrowed) {
  for (const AlertRecord& a : inserts) RETURN_IF_ERROR(CheckNewAlert(a));
  for (const AlertRecord& a : narrowed) RETURN_IF_ERROR(CheckAlertNumbers(a));
  if (inserts.empty() && narrowed.empty()) return Status::Ok();
  RETURN_IF_ERROR(Begin(/*write=*/true));
  std::vector<int64_t> ids;
  ids.reserve(inserts.size());
  Status s = WriteAlerts(inserts, narrowed, &ids);
  if (s.ok()) s = Commit();
  if (!s.ok()) {
    Rollback();
    return s;
  }
  // Only once committed: a failed call leaves the caller's records as they were.
  for (size_t i = 0; i < inserts.size(); ++i) inserts[i].id = ids[i];
  return Status::Ok();
}

Status SqliteStore::RecordAlertsAtomically(const AlertDecision& decide,
                                           std::vector<AlertRecord>* inserts) {
  inserts->clear();
  // The write lock first: the alerts read below are then the ones the writes apply to.
  RETURN_IF_ERROR(Begin(/*write=*/true));
  std::vector<AlertRecord> narrowed;
  std::vector<int64_t> ids;
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<AlertRecord> kept, ListAlerts({}));
    RETURN_IF_ERROR(decide(kept, inserts, &narrowed));
    for (const AlertRecord& a : *inserts) RETURN_IF_ERROR(CheckNewAlert(a));
    for (const AlertRecord& a : narrowed) RETURN_IF_ERROR(CheckAlertNumbers(a));
    RETURN_IF_ERROR(WriteAlerts(*inserts, narrowed, &ids));
    return Commit();
  };
  Status s = body();
  if (!s.ok()) {
    Rollback();
    inserts->clear();
    return s;
  }
  for (size_t i = 0; i < inserts->size(); ++i) (*inserts)[i].id = ids[i];
  return Status::Ok();
}

Status SqliteStore::SetAlertStatus(int64_t id, const std::string& status,
                                   const std::optional<std::string>& note, base::Timestamp now) {
  if (!IsAlertStatus(status)) return UnknownAlertStatus(status);
  RETURN_IF_ERROR(Begin(/*write=*/true));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * upd, Prepared("UPDATE alerts SET status = ?2, updated_at = ?3, "
                                          "note = COALESCE(?4, note) WHERE id = ?1"));
    upd->Bind(1, id);
    upd->Bind(2, status);
    upd->Bind(3, now.unix_nanos);
    upd->BindOptional(4, note);
    RETURN_IF_ERROR(StepDone(upd, "set an alert's status"));
    if (sqlite3_changes(db_) == 0) return base::NotFound(fmt::format("no alert with id {}", id));
    return Commit();
  };
  Status s = body();
  if (!s.ok()) Rollback();
  return s;
}

// ---- tokens ----

bool IsTokenHash(std::string_view hash) {
  return hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

constexpr std::string_view kTokenColumns =
    "id, project, name, hash, prefix, created_at, last_used_at, revoked_at, scope";

TokenRecord ReadToken(const Stmt& q) {
  TokenRecord t;
  t.id = q.Int(0);
  t.project = q.Text(1);
  t.name = q.OptText(2);
  t.hash = q.Text(3);
  t.prefix = q.Text(4);
  t.created_at = base::Timestamp{q.Int(5)};
  if (!q.IsNull(6)) t.last_used_at = base::Timestamp{q.Int(6)};
  if (!q.IsNull(7)) t.revoked_at = base::Timestamp{q.Int(7)};
  t.scope = q.Text(8);
  return t;
}

Result<int64_t> SqliteStore::CreateToken(const TokenRecord& token) {
  if (token.project.empty()) return base::InvalidInput("a token needs a project");
  if (token.name && token.name->empty()) {
    return base::InvalidInput("a token's name must not be empty (leave it out for none)");
  }
  if (!IsTokenHash(token.hash)) {
    return base::InvalidInput(
        "a token's hash must be its SHA-256 as 64 lower-case hex digits; the token itself is "
        "never stored");
  }
  if (token.prefix.empty()) return base::InvalidInput("a token needs its display prefix");
  if (token.scope != "read" && token.scope != "write") {
    return base::InvalidInput(
        fmt::format("a token's scope is read or write, not '{}'", token.scope));
  }
  RETURN_IF_ERROR(Begin(/*write=*/true));
  int64_t id = 0;
  auto body = [&]() -> Status {
    if (token.name) {
      ASSIGN_OR_RETURN(Stmt * same, Prepared("SELECT id FROM tokens WHERE project = ?1 AND "
                                             "name = ?2 AND revoked_at IS NULL"));
      same->Bind(1, token.project);
      same->Bind(2, *token.name);
      int rc = same->Step();
      if (rc == SQLITE_ROW) {
        const int64_t other = same->Int(0);
        same->Reset();
        return base::Conflict(fmt::format(
            "project '{}' already has a token named '{}' (id {}): choose another name, or "
            "revoke that token first",
            token.project, *token.name, other));
      }
      same->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "look up a token's name");
    }
    {
      ASSIGN_OR_RETURN(Stmt * dup, Prepared("SELECT id FROM tokens WHERE hash = ?1"));
      dup->Bind(1, token.hash);
      int rc = dup->Step();
      if (rc == SQLITE_ROW) {
        const int64_t other = dup->Int(0);
        dup->Reset();
        return base::Conflict(
            fmt::format("token {} already has this hash: a token is never stored twice", other));
      }
      dup->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "look up a token's hash");
    }
    ASSIGN_OR_RETURN(Stmt * ins,
                     Prepared("INSERT INTO tokens (project, name, hash, prefix, created_at, "
                              "scope) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    ins->Bind(1, token.project);
    ins->BindOptional(2, token.name);
    ins->Bind(3, token.hash);
    ins->Bind(4, token.prefix);
    ins->Bind(5, token.created_at.unix_nanos);
    ins->Bind(6, token.scope);
    RETURN_IF_ERROR(StepDone(ins, "store a token"));
    id = sqlite3_last_insert_rowid(db_);
    return Commit();
  };
  Status s = body();
  if (!s.ok()) {
    Rollback();
    return s;
  }
  return id;
}

Result<std::vector<TokenRecord>> SqliteStore::ListTokens(
    const std::optional<std::string>& project) {
  ASSIGN_OR_RETURN(Stmt * q,
                   Prepared(fmt::format("SELECT {} FROM tokens WHERE (?1 IS NULL OR project = ?1) "
                                        "ORDER BY id",
                                        kTokenColumns)));
  q->BindOptional(1, project);
  std::vector<TokenRecord> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) out.push_back(ReadToken(*q));
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list tokens");
  return out;
}

Status SqliteStore::RevokeToken(int64_t id, base::Timestamp now) {
  RETURN_IF_ERROR(Begin(/*write=*/true));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * upd, Prepared("UPDATE tokens SET revoked_at = COALESCE(revoked_at, "
                                          "?2) WHERE id = ?1"));
    upd->Bind(1, id);
    upd->Bind(2, now.unix_nanos);
    RETURN_IF_ERROR(StepDone(upd, "revoke a token"));
    if (sqlite3_changes(db_) == 0) return base::NotFound(fmt::format("no token with id {}", id));
    return Commit();
  };
  Status s = body();
  if (!s.ok()) Rollback();
  return s;
}

Result<std::optional<TokenRecord>> SqliteStore::FindTokenByHash(const std::string& hash) {
  ASSIGN_OR_RETURN(
      Stmt * q, Prepared(fmt::format("SELECT {} FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
                                     kTokenColumns)));
  q->Bind(1, hash);
  int rc = q->Step();
  std::optional<TokenRecord> found;
  if (rc == SQLITE_ROW) found = ReadToken(*q);
  q->Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "look up a token");
  return found;
}

Status SqliteStore::MarkTokenUsed(int64_t id, base::Timestamp now) {
  ASSIGN_OR_RETURN(Stmt * upd, Prepared("UPDATE tokens SET last_used_at = ?2 WHERE id = ?1"));
  upd->Bind(1, id);
  upd->Bind(2, now.unix_nanos);
  RETURN_IF_ERROR(StepDone(upd, "note a token's use"));
  if (sqlite3_changes(db_) == 0) return base::NotFound(fmt::format("no token with id {}", id));
  return Status::Ok();
}

Result<std::vector<BenchmarkInfo>> SqliteStore::ListBenchmarks(const RunFilter& filter,
                                                               int64_t runs_after) {
  // Runs are never deleted, so their row ids are 1..RunCount() in storage order, and the
  // measurements' primary key starts with the run: "after the first n runs" is a range scan.
  // Aggregating in a hash map here is several times faster than GROUP BY's sort in SQLite.
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Result<std::vector<BenchmarkInfo>> {
    std::unordered_map<int64_t, int32_t> run_platform;  // run row -> index into platforms
    std::vector<std::string> platforms;
    {
      Stmt q;
      RETURN_IF_ERROR(q.Prepare(
          db_,
          "SELECT r.id, r.platform FROM runs r JOIN projects p ON p.id = r.project_id "
          "WHERE r.id > ?1 AND (?2 IS NULL OR r.platform = ?2) AND (?3 IS NULL OR p.name = ?3)"));
      q.Bind(1, runs_after);
      q.BindOptional(2, filter.platform);
      q.BindOptional(3, filter.project);
      std::unordered_map<std::string, int32_t> index;
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) {
        auto [it, added] = index.emplace(q.Text(1), static_cast<int32_t>(platforms.size()));
        if (added) platforms.push_back(it->first);
        run_platform.emplace(q.Int(0), it->second);
      }
      if (rc != SQLITE_DONE) return Error(rc, "list benchmarks");
    }
    struct Seen {
      int64_t newest_run = -1;
      std::string unit;
      bool higher = false;
      std::vector<int32_t> platforms;
    };
    std::unordered_map<uint64_t, Seen> seen;  // benchmark id << 32 | metric id
    {
      Stmt q;
      RETURN_IF_ERROR(q.Prepare(db_,
                                "SELECT run, benchmark, metric, unit, higher_is_better FROM "
                                "measurements WHERE run > ?1"));
      q.Bind(1, runs_after);
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) {
        auto run = run_platform.find(q.Int(0));
        if (run == run_platform.end()) continue;  // filtered out
        Seen& s = seen[(static_cast<uint64_t>(q.Int(1)) << 32) | static_cast<uint64_t>(q.Int(2))];
        if (std::find(s.platforms.begin(), s.platforms.end(), run->second) == s.platforms.end()) {
          s.platforms.push_back(run->second);
        }
        if (q.Int(0) > s.newest_run) {
          s.newest_run = q.Int(0);
          s.unit = q.Text(3);
          s.higher = q.Int(4) != 0;
        }
      }
      if (rc != SQLITE_DONE) return Error(rc, "list benchmarks");
    }
    std::unordered_map<int64_t, std::pair<std::string, std::string>> benchmarks;  // project, name
    std::unordered_map<int64_t, std::string> metrics;
    {
      Stmt q;
      RETURN_IF_ERROR(
          q.Prepare(db_,
                    "SELECT b.id, p.name, b.name FROM benchmarks b JOIN projects p ON p.id = "
                    "b.project_id"));
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) benchmarks[q.Int(0)] = {q.Text(1), q.Text(2)};
      if (rc != SQLITE_DONE) return Error(rc, "list benchmarks");
      Stmt m;
      RETURN_IF_ERROR(m.Prepare(db_, "SELECT id, name FROM metrics"));
      while ((rc = m.Step()) == SQLITE_ROW) metrics[m.Int(0)] = m.Text(1);
      if (rc != SQLITE_DONE) return Error(rc, "list benchmarks");
    }
    std::vector<BenchmarkInfo> out;
    out.reserve(seen.size());
    for (auto& [key, s] : seen) {
      BenchmarkInfo info;
      const auto& [project, name] = benchmarks[static_cast<int64_t>(key >> 32)];
      info.project = project;
      info.benchmark = name;
      info.metric = metrics[static_cast<int64_t>(key & 0xffffffffu)];
      info.unit = std::move(s.unit);
      info.direction = s.higher ? core::Direction::kHigher : core::Direction::kLower;
      for (int32_t p : s.platforms) info.platforms.push_back(platforms[static_cast<size_t>(p)]);
      std::sort(info.platforms.begin(), info.platforms.end());
      out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), [](const BenchmarkInfo& a, const BenchmarkInfo& b) {
      return std::tie(a.project, a.benchmark, a.metric) <
             std::tie(b.project, b.benchmark, b.metric);
    });
    return out;
  };
  auto result = body();
  Rollback();  // a read transaction: nothing to keep
  return result;
}

Result<int64_t> SqliteStore::RunCount() {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT COUNT(*) FROM runs"));
  int rc = q->Step();
  int64_t n = rc == SQLITE_ROW ? q->Int(0) : 0;
  q->Reset();
  if (rc != SQLITE_ROW) return Error(rc, "count runs");
  return n;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const OpenOptions& options) {
  auto store = std::make_unique<SqliteStore>(path, options);
  RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& location, const OpenOptions& options) {
  if (location.starts_with("postgres://") || location.starts_with("postgresql://")) {
    return base::InvalidInput(fmt::format(
        "{}: PostgreSQL stores are not supported by this build yet; pass a file path for the "
        "embedded SQLite store",
        location));
  }
  return OpenSqliteStore(location, options);
}

}  // namespace perfledger::store
