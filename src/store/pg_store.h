// The PostgreSQL back end of Store (issue 14): one database that several servers and CLI
// processes share through libpq. Private to the store layer; OpenStore (store.h) returns one
// for a postgresql:// location.
//
// Writers are serialised as SQLite's are: every write transaction first takes one
// transaction-level advisory lock (kPgWriteLock), waiting at most OpenOptions::busy_timeout
// (lock_timeout), so the rules of store/ingest.cc and store/store.cc (read what is stored,
// then decide and write) hold across processes exactly as on SQLite, and row ids are
// assigned in commit order (ChangeMark). Readers read one snapshot (REPEATABLE READ) and never
// wait for writers.
//
// Split by concern as the SQLite back end is: opening, transactions and marks (pg_store.cc),
// the schema (pg_migrations.cc), writing runs and points (pg_ingest.cc), reading runs, epochs
// and benchmarks (pg_runs.cc), series (pg_series.cc), the scheduler's records, alerts and
// tokens (pg_records.cc), job hand-out (pg_jobs.cc), every record at once for a copy
// (pg_copy.cc). No domain rule lives here.
//
// Every text column is COLLATE "C", so ORDER BY sorts bytes as SQLite does whatever the
// database's locale. Values travel as text (libpq's text format): integers in decimal,
// doubles in their shortest round-trip form, bytes as bytea hex ("\x0a1b").
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/pg_connection.h"
#include "store/store.h"

namespace perfledger::store {

// The advisory lock every write transaction takes first (InWrite).
inline constexpr int64_t kPgWriteLock = 0x706c2d7772697465;

// The schema's numbered migrations (pg_migrations.cc).
std::span<const PgConnection::Migration> PgMigrations();

// Values to and from libpq's text format.
using PgRow = std::vector<std::optional<std::string>>;
inline PgParam PgInt(int64_t v) { return std::to_string(v); }
PgParam PgReal(double v);  // shortest round trip; Infinity, -Infinity, NaN
inline PgParam PgText(std::string_view s) { return std::string(s); }
PgParam PgBytes(std::string_view bytes);  // bytea hex input: "\x" and two digits a byte
inline PgParam PgBool(bool b) { return b ? "true" : "false"; }
inline PgParam PgOptInt(const std::optional<int64_t>& v) { return v ? PgInt(*v) : PgParam(); }
inline PgParam PgOptReal(const std::optional<double>& v) { return v ? PgReal(*v) : PgParam(); }
inline PgParam PgOptText(const std::optional<std::string>& v) { return v; }
// An alert's direction column: "lower", "higher" or NULL.
inline PgParam PgOptDirection(const std::optional<core::Direction>& d) {
  return d ? PgText(core::DirectionName(*d)) : PgParam();
}

// An alert's columns after its id, in the alerts table's order (project .. direction): the
// insert of new alerts and the copy between stores write the same list.
void AppendAlertParams(const AlertRecord& a, std::vector<PgParam>* params);

// Column `c` of a row. A NULL reads as 0, "" or false; use IsNull/Opt* where NULL means
// something.
inline bool PgIsNull(const PgRow& row, size_t c) { return !row.at(c).has_value(); }
int64_t PgToInt(const PgRow& row, size_t c);
double PgToReal(const PgRow& row, size_t c);
bool PgToBool(const PgRow& row, size_t c);  // "t" / "true"
inline std::string PgToText(const PgRow& row, size_t c) { return row.at(c).value_or(""); }
inline std::optional<std::string> PgToOptText(const PgRow& row, size_t c) { return row.at(c); }
std::optional<int64_t> PgToOptInt(const PgRow& row, size_t c);
std::optional<double> PgToOptReal(const PgRow& row, size_t c);
// A bytea column (hex output, "\x0a1b") as its bytes; kInternal naming `what` when malformed.
base::Result<std::string> PgToBytes(const PgRow& row, size_t c, std::string_view what);

inline PgParam PgOptTime(const std::optional<base::Timestamp>& t) {
  return t ? PgInt(t->unix_nanos) : PgParam();
}
inline std::optional<base::Timestamp> PgToOptTime(const PgRow& row, size_t c) {
  if (PgIsNull(row, c)) return std::nullopt;
  return base::Timestamp{PgToInt(row, c)};
}

// Array parameters for `= ANY($1::bigint[])`, `unnest($1::text[])`: "{1,2,3}", and
// "{"a","b"}" with every element quoted, so that any text reads back.
template <typename Ids>
PgParam PgIntArray(const Ids& ids) {
  std::string out = "{";
  for (int64_t id : ids) {
    if (out.size() > 1) out += ',';
    out += std::to_string(id);
  }
  out += '}';
  return out;
}
PgParam PgTextArray(std::span<const std::string> items);

// Runs `head` VALUES ($1::type, ...), (...) `tail` over `params`, types.size() of them a row,
// in as few statements as 30,000 parameters a statement allow (libpq's limit is 65,535), in
// order; `run` runs one statement. Every value is cast to its column's type, since PostgreSQL
// infers no type for a parameter in VALUES.
base::Status PgInsertChunks(
    std::string_view head, std::span<const std::string_view> types, std::string_view tail,
    std::span<const PgParam> params,
    const std::function<base::Status(const std::string& sql, std::span<const PgParam>)>& run);

// The jobs columns PgReadJob reads, from the first (`j` is jobs, `p` plans), and one row of
// them as a JobHandout (pg_jobs.cc); `where` names the store in errors.
extern const std::string_view kPgJobColumns;
base::Result<JobHandout> PgReadJob(const PgRow& row, const std::string& where);

// The measurements columns PgReadMetric reads, from the first: metric name, unit,
// higher_is_better, samples, n, mean, stddev, median, min, max, lower, upper (`m` is
// measurements, `mt` metrics) (pg_runs.cc).
extern const std::string_view kPgMetricColumns;
// One row of measurements (kPgMetricColumns from column `c` on) as a Metric; `path` names it
// in errors.
base::Result<core::Metric> PgReadMetric(const PgRow& row, size_t c, const std::string& path);

class PgStore final : public Store, private IngestTransaction {
 public:
  PgStore(std::string uri, OpenOptions options)
      : uri_(std::move(uri)), options_(std::move(options)) {}

  // Connects and migrates (pg_store.cc).
  base::Status Open();

  // pg_runs.cc
  base::Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter) override;
  base::Status ForEachRun(const RunFilter& filter,
                          const std::function<base::Status(const core::Run&)>& fn) override;
  base::Result<std::vector<std::string>> Platforms() override;
  base::Result<std::vector<RunPoint>> ListRunPoints(const RunFilter& filter,
                                                    bool with_benchmarks) override;
  base::Result<std::vector<EpochInfo>> ListEpochs(const RunFilter& filter) override;
  base::Result<std::vector<BenchmarkInfo>> ListBenchmarks(const RunFilter& filter,
                                                          int64_t runs_after) override;

  // pg_records.cc
  base::Status RecordPlan(const PlanRecord& plan) override;
  base::Result<ScheduleState> LoadSchedule() override;
  base::Result<std::vector<CommitRecord>> RecordedHistory(const std::string& head) override;
  base::Result<std::vector<AlertRecord>> ListAlerts(const AlertFilter& filter) override;
  base::Status SetAlertStatus(int64_t id, core::AlertStatus status,
                              const std::optional<std::string>& note, base::Timestamp now) override;
  base::Result<std::vector<TokenRecord>> ListTokens(
      const std::optional<std::string>& project) override;
  base::Status RevokeToken(int64_t id, base::Timestamp now) override;
  base::Result<std::optional<TokenRecord>> FindTokenByHash(const std::string& hash) override;
  base::Status MarkTokenUsed(int64_t id, base::Timestamp now) override;

  // pg_copy.cc
  base::Result<StoreRecords> ReadRecords() override;

  // pg_jobs.cc
  base::Result<std::optional<JobHandout>> ClaimJob(const ClaimRequest& request) override;
  base::Result<JobHandout> RenewJobLease(int64_t id, const std::string& agent, base::Timestamp now,
                                         int64_t lease_nanos) override;
  base::Result<JobHandout> FinishJob(int64_t id, const std::string& agent,
                                     const std::optional<std::string>& run_id,
                                     const std::string& log_tail, base::Timestamp now,
                                     int max_attempts) override;
  base::Result<std::vector<JobHandout>> ListJobHandouts(
      const std::optional<std::string>& platform) override;
  base::Result<std::vector<AgentRecord>> ListAgents() override;

  // pg_store.cc
  base::Result<int64_t> RunCount() override;
  base::Result<int64_t> ScheduleMark() override;
  base::Result<int64_t> AlertsMark() override;
  base::Result<int64_t> ChangeMark() override;
  base::Result<std::optional<int64_t>> ReadMark(const std::string& name) override;
  base::Status WriteMark(const std::string& name, int64_t value) override;
  base::Result<bool> ClaimMark(const std::string& name, std::optional<int64_t> expected,
                               int64_t value) override;
  base::Result<std::optional<Checkpoint>> ReadCheckpoint(const std::string& name) override;
  base::Status WriteCheckpoint(const std::string& name, int64_t mark,
                               std::string_view data) override;
  std::string Describe() const override;

  // pg_series.cc
  base::Status ForEachSeries(const SeriesQuery& query,
                             const std::function<base::Status(core::Series&&)>& fn) override;
  base::Status ForEachSeriesMedians(
      const SeriesQuery& query,
      const std::function<base::Status(const core::Series& head, std::span<const PointMedian>,
                                       const std::vector<PointRun>& runs)>& fn) override;

 protected:
  // pg_ingest.cc
  base::Status InIngestTransaction(
      const std::function<base::Status(IngestTransaction&)>& body) override;
  // pg_records.cc
  base::Status WriteAlerts(std::vector<AlertRecord>& inserts,
                           const std::vector<AlertRecord>& narrowed) override;
  base::Status WriteAlertsAtomically(const AlertDecision& decide,
                                     std::vector<AlertRecord>* inserts) override;
  base::Result<int64_t> WriteToken(const TokenRecord& token) override;
  // pg_copy.cc
  base::Status InsertRecords(const StoreRecords& records) override;

 private:
  // IngestTransaction (pg_ingest.cc).
  base::Result<std::optional<std::string>> StoredContentHash(const std::string& run_id) override;
  base::Status InsertRun(const core::Run& run, const RunEncoding& encoding) override;
  base::Result<std::optional<Declaration>> DeclaredRevision(const std::string& project,
                                                            const std::string& suite,
                                                            int64_t revision) override;
  base::Status DeclareRevision(const core::Run& run) override;
  base::Result<std::optional<Declaration>> DeclaredEpoch(const std::string& project,
                                                         const std::string& platform,
                                                         const std::string& suite,
                                                         int64_t number) override;
  base::Status DeclareEpoch(const core::Run& run) override;
  base::Result<SeriesSlot> SeriesFor(const core::SeriesKey& key, const std::string& unit,
                                     core::Direction direction) override;
  base::Result<std::vector<RunOrder>> RunsOfCommit(const std::string& project,
                                                   const std::string& platform,
                                                   const std::string& sha) override;
  base::Result<std::optional<core::Metric>> StoredMetric(const std::string& run_id,
                                                         const std::string& benchmark,
                                                         const std::string& metric) override;
  base::Result<std::optional<std::vector<std::string>>> PointRuns(int64_t series,
                                                                  const RunOrder& first) override;
  base::Status WritePoint(int64_t series, const std::optional<RunOrder>& replaces,
                          std::span<const RunOrder> runs, const core::PointSummary& point) override;

  // The connection's primitives (pg_store.cc).
  // Runs one statement with `params` ($1, $2, ...); `doing` names it in errors.
  base::Result<PgRows> Q(std::string_view sql, std::initializer_list<PgParam> params,
                         std::string_view doing);
  base::Result<PgRows> Q(std::string_view sql, std::span<const PgParam> params,
                         std::string_view doing);
  // Runs `body` in one write transaction, after every other writer (the advisory lock, waited
  // for at most busy_timeout: kBusy); committed when it returns Ok, else rolled back. Inside
  // a transaction already (a read called by a write), runs `body` in it.
  base::Status InWrite(const std::function<base::Status()>& body);
  // Runs `body` in one read-only snapshot (REPEATABLE READ); inside a transaction already,
  // in it.
  base::Status InRead(const std::function<base::Status()>& body);
  // The time of the clock the store was opened with (OpenOptions::clock).
  base::Timestamp Now() const;
  // The row id of a project, created when missing (inside a write transaction).
  base::Result<int64_t> ProjectId(const std::string& name);

  // Private helpers of pg_ingest.cc.
  base::Result<int64_t> BenchmarkSetId(const std::string& names);
  base::Result<int64_t> RunRow(const std::string& run_id);
  base::Status FlushTouchedSeries();
  // Puts the row ids of `names` among the benchmarks of `project_id` (among the metrics when
  // none) into benchmark_ids_ (metric_ids_), creating the rows missing.
  base::Status CacheNameIds(std::optional<int64_t> project_id,
                            const std::vector<std::string>& names);
  // A point written by this transaction, inserted with the others in a few statements before
  // points are read, replaced, or the transaction ends (FlushPoints).
  struct PendingPoint {
    int64_t series = 0, t = 0, run = 0;
    core::PointSummary point;
    std::optional<std::string> pooled;  // every run's run_id, comma-separated, when pooled
  };
  base::Status FlushPoints();
  std::vector<PendingPoint> pending_points_;

  // Private helpers of pg_runs.cc.
  base::Status ForEachRunIn(const RunFilter& filter,
                            const std::function<base::Status(const core::Run&)>& fn);
  // A run's suite from its row: its JSON (column `json_col`) when stored, else its name and
  // revision alone; none without a suite. kInternal naming the run when unreadable.
  base::Result<std::optional<core::SuiteRef>> SuiteOf(const PgRow& row, size_t name_col,
                                                      size_t revision_col, size_t json_col,
                                                      const std::string& run_id) const;

  // Private helpers of pg_records.cc.
  base::Status BumpAlertsMark();
  base::Status WriteAlertRows(const std::vector<AlertRecord>& inserts,
                              const std::vector<AlertRecord>& narrowed, std::vector<int64_t>* ids);

  // Private helpers of pg_jobs.cc.
  // Runs `body` in one READ COMMITTED transaction without the writers' lock (claims never
  // wait behind an ingest; FOR UPDATE SKIP LOCKED keeps concurrent claims apart); inside a
  // transaction already, in it.
  base::Status InJobTransaction(const std::function<base::Status()>& body);
  // The refusal of an agent that does not hold job `id`.
  base::Status RefuseNotHeld(int64_t id, const std::string& agent);
  // Notes an agent as seen (holding `job` when given) and moves the hand-out mark.
  base::Status NoteAgent(const std::string& agent, const std::string& platform, base::Timestamp now,
                         std::optional<int64_t> job);

  // Private helpers of pg_series.cc.
  // A series `query` selects, with its row id and without points.
  struct SeriesHead {
    int64_t id = 0;
    core::Series series;
  };
  // The series `query` selects, sorted by key.
  base::Result<std::vector<SeriesHead>> ListSeriesHeads(const SeriesQuery& query);
  // The points of `heads` as rows of series, t, run, median and then `columns` (", spread,
  // ..."), ordered by series, t, run; with `last_points`, each series' newest that many.
  base::Result<PgRows> PointRows(std::span<const SeriesHead> heads, std::string_view columns,
                                 std::optional<int64_t> last_points);

  std::string uri_;
  OpenOptions options_;
  std::unique_ptr<PgConnection> conn_;
  int schema_version_ = 0;
  std::string server_version_;
  bool in_transaction_ = false;

  // Row ids seen in the current ingest transaction.
  std::map<std::string, int64_t> project_ids_;
  std::map<std::pair<int64_t, std::string>, int64_t> benchmark_ids_;
  std::map<std::string, int64_t> metric_ids_;
  // The run whose points are being written (InsertRun).
  int64_t current_run_row_ = 0;
  std::string current_run_id_;
  // Series ids: those committed (never change once committed: series are never deleted),
  // and those created in the current ingest transaction (kept once it commits).
  std::map<core::SeriesKey, SeriesSlot> series_ids_, new_series_ids_;
  // Benchmark set ids by their names, committed and of the current ingest transaction.
  std::unordered_map<std::string, int64_t> set_ids_, new_set_ids_;
  // Series that received a point in the current ingest transaction -> the newest run's row.
  std::map<int64_t, int64_t> touched_series_;
};

base::Result<std::unique_ptr<Store>> OpenPgStore(const std::string& uri,
                                                 const OpenOptions& options = {});

}  // namespace perfledger::store
