// The SQLite back end of Store: one file, WAL, writers serialised by BEGIN IMMEDIATE with a
// bounded wait, migrations applied at open. Private to the store layer; OpenSqliteStore
// (store.h) is how others get one.
//
// Split by concern: the connection (sqlite_connection.cc), writing runs (sqlite_ingest.cc),
// reading runs, epochs and benchmarks (sqlite_runs.cc, sqlite_catalog.cc), the scheduler's
// records (sqlite_schedule.cc), job hand-out (sqlite_jobs.cc), alerts (sqlite_alerts.cc),
// tokens (sqlite_tokens.cc) and every record at once for a copy (sqlite_records.cc). No
// domain rule lives here: the rules are store/ingest.cc's and store/store.cc's.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/sqlite_connection.h"
#include "store/store.h"
#include "store/suite_json.h"

namespace perfledger::store {

// The measurements columns ReadMetric reads, from the first: metric name, unit, direction,
// samples, summary (`m` is measurements, `mt` metrics).
extern const std::string_view kMetricColumns;

// One row of measurements (kMetricColumns from column `c` on) as a Metric.
base::Result<core::Metric> ReadMetric(const Stmt& q, int c, const std::string& path);

class SqliteStore final : public Store, private IngestTransaction, private SqliteConnection {
 public:
  SqliteStore(std::string path, OpenOptions options)
      : SqliteConnection(std::move(path), std::move(options)) {}

  // Opens the file; a migration to the series layer builds it from the stored runs.
  base::Status Open();

  base::Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter) override;
  base::Status ForEachRun(const RunFilter& filter,
                          const std::function<base::Status(const core::Run&)>& fn) override;
  base::Result<std::vector<std::string>> Platforms() override;
  base::Result<std::vector<RunPoint>> ListRunPoints(const RunFilter& filter,
                                                    bool with_benchmarks) override;
  base::Result<std::vector<EpochInfo>> ListEpochs(const RunFilter& filter) override;
  base::Status RecordPlan(const PlanRecord& plan) override;
  base::Result<ScheduleState> LoadSchedule() override;
  base::Result<std::vector<CommitRecord>> RecordedHistory(const std::string& head) override;
  // sqlite_jobs.cc
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
  base::Result<std::vector<AlertRecord>> ListAlerts(const AlertFilter& filter) override;
  base::Status SetAlertStatus(int64_t id, core::AlertStatus status,
                              const std::optional<std::string>& note, base::Timestamp now) override;
  base::Result<std::vector<TokenRecord>> ListTokens(
      const std::optional<std::string>& project) override;
  base::Status RevokeToken(int64_t id, base::Timestamp now) override;
  base::Result<std::optional<TokenRecord>> FindTokenByHash(const std::string& hash) override;
  base::Status MarkTokenUsed(int64_t id, base::Timestamp now) override;
  base::Result<StoreRecords> ReadRecords() override;  // sqlite_records.cc
  base::Result<std::vector<BenchmarkInfo>> ListBenchmarks(const RunFilter& filter,
                                                          int64_t runs_after) override;
  base::Result<int64_t> RunCount() override;
  base::Result<int64_t> ScheduleMark() override;
  base::Result<int64_t> AlertsMark() override;
  base::Status ForEachSeries(const SeriesQuery& query,
                             const std::function<base::Status(core::Series&&)>& fn) override;
  base::Status ForEachSeriesMedians(
      const SeriesQuery& query,
      const std::function<base::Status(const core::Series& head, std::span<const PointMedian>,
                                       const std::vector<PointRun>& runs)>& fn) override;
  base::Result<std::optional<int64_t>> ForEachMedianAtChangedCommits(
      const SeriesQuery& query, int64_t after,
      const std::function<base::Status(const core::Series& head, std::span<const PointMedian>,
                                       const std::vector<PointRun>& runs)>& fn) override;
  base::Result<int64_t> ChangeMark() override;
  base::Result<std::optional<int64_t>> ReadMark(const std::string& name) override;
  base::Status WriteMark(const std::string& name, int64_t value) override;
  base::Result<bool> ClaimMark(const std::string& name, std::optional<int64_t> expected,
                               int64_t value) override;
  base::Result<std::optional<Checkpoint>> ReadCheckpoint(const std::string& name) override;
  base::Status WriteCheckpoint(const std::string& name, int64_t mark,
                               std::string_view data) override;
  std::string Describe() const override;

 protected:
  base::Status InIngestTransaction(
      const std::function<base::Status(IngestTransaction&)>& body) override;
  base::Status WriteAlerts(std::vector<AlertRecord>& inserts,
                           const std::vector<AlertRecord>& narrowed) override;
  base::Status WriteAlertsAtomically(const AlertDecision& decide,
                                     std::vector<AlertRecord>* inserts) override;
  base::Result<int64_t> WriteToken(const TokenRecord& token) override;
  base::Status InsertRecords(const StoreRecords& records) override;  // sqlite_records.cc

 private:
  // IngestTransaction (sqlite_ingest.cc).
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
  // The series layer's primitives (sqlite_series.cc).
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
  base::Status BumpAlertsMark();
  // Job hand-out's helpers (sqlite_jobs.cc): the job of row `id` as agents see it; the
  // refusal of an agent that does not hold job `id`; noting an agent as seen (holding `job`
  // when given) with the hand-out mark moved.
  base::Result<JobHandout> ReadHandout(int64_t id);
  base::Status RefuseNotHeld(int64_t id, const std::string& agent);
  base::Status NoteAgent(const std::string& agent, const std::string& platform, base::Timestamp now,
                         std::optional<int64_t> job);
  // The row id of a stored run.
  base::Result<int64_t> RunRow(const std::string& run_id);
  // The series a query selects, by key, without points; `id` is the series' row.
  struct SeriesHead {
    int64_t id = 0;
    core::Series series;
  };
  base::Result<std::vector<SeriesHead>> ListSeriesHeads(const SeriesQuery& query);
  // A new point of one run, kept until the end of the transaction.
  struct PendingPoint {
    int64_t series = 0, t = 0, run = 0;
    core::PointSummary point;
  };
  base::Status InsertPoint(const PendingPoint& p, const std::optional<std::string>& pooled);
  // Inserts the pending points, sorted by the points tree's key; at the end of a small ingest
  // transaction (`may_stage`) stages them instead (sqlite_series_staged.cc).
  base::Status FlushPoints(bool may_stage = false);
  // Writes the newest run of each series that received a point in this transaction.
  base::Status FlushTouchedSeries();
  // Migration 7: the series layer from every stored run, in store order, with progress.
  base::Status BuildSeries();

  // Median blocks (migration 11, sqlite_series_blocks.cc).
  // Points per block, and how many of a series' newest points stay out of blocks (a second
  // run of a recent commit pools into its point without breaking a block).
  int64_t BlockPoints() const;
  int64_t UnsealedPoints() const;
  // Deletes the blocks holding a point at any of `ts` (their points changed).
  base::Status ForgetBlocksAt(int64_t series, int64_t sealed_t, std::vector<int64_t> ts);
  // Writes blocks of the series' points not yet in one: its newest points but the last
  // UnsealedPoints(), and the points between blocks when enough gathered there (where blocks
  // were forgotten). Updates the series' sealed_t and unsealed.
  base::Status SealSeries(int64_t series);
  // Migration 11: SealSeries for every series with enough points, with progress.
  base::Status SealAllSeries();
  // Staged points (migration 12, sqlite_series_staged.cc): new points of one run, packed by
  // transaction, not yet in the points tree.
  struct StagedPoint {
    int64_t t = 0, run = 0;
    double median = 0, spread = 0, min = 0, max = 0;
    int64_t n = 0, runs = 1;
  };
  // Each series' staged points in point order (t, then run row).
  using StagedBySeries = std::unordered_map<int64_t, std::vector<StagedPoint>>;
  bool StagesPoints() const;
  // Appends the pending points as one staged row; moves every staged point into the tree
  // when enough have gathered.
  base::Status StagePendingPoints();
  // Moves every staged point into the points tree (before anything writes around them: a
  // pooled point, a median block).
  base::Status FoldStagedPoints();
  // Reads every staged point (readers merge them with the points rows).
  base::Result<StagedBySeries> ReadStagedPoints();
  // Whether staged rows may exist in this transaction (set when one is read or written).
  bool staged_maybe_ = true;
  // Calls `row(stmt)` for each point row of `series` after `after` and before `before`
  // (exclusive; none: unbounded), in point order, selecting `columns` (sqlite_series_blocks.cc).
  template <typename Row>
  base::Status ForEachGapRow(int64_t series, std::string_view columns, std::optional<int64_t> after,
                             std::optional<int64_t> before, Row&& row);
  // Every point's run row and median of `series`, in point order, from its blocks and the
  // points rows around them, into `out` (cleared first; its memory reused across series).
  // `staged`: the series' staged points, merged in (none: nullptr).
  base::Status ReadSeriesMedians(int64_t series, std::vector<std::pair<int64_t, double>>& out,
                                 const std::vector<StagedPoint>* staged = nullptr);
  // ForEachRun inside the caller's transaction.
  base::Status ForEachRunIn(const RunFilter& filter,
                            const std::function<base::Status(const core::Run&)>& fn);
  // The row id of a project, created when missing; cached for one ingest transaction.
  base::Result<int64_t> ProjectId(const std::string& name);
  base::Result<int64_t> BenchmarkSetId(const std::string& names);

  // The writes of RecordAlerts, inside the caller's transaction; the new ids in `ids`.
  base::Status WriteAlertRows(const std::vector<AlertRecord>& inserts,
                              const std::vector<AlertRecord>& narrowed, std::vector<int64_t>* ids);
  base::Result<std::optional<core::SuiteRef>> SuiteOf(const Stmt& q, int name_col, int revision_col,
                                                      int json_col,
                                                      const std::string& run_id) const;

  // Row ids seen in the current ingest transaction.
  std::map<std::string, int64_t> project_ids_;
  std::map<std::pair<int64_t, std::string>, int64_t> benchmark_ids_;
  std::map<std::string, int64_t> metric_ids_;
  // The run whose points are being written (InsertRun, or BuildSeries' current run).
  int64_t current_run_row_ = 0;
  std::string current_run_id_;
  // Series ids: those committed (ids never change once committed: series are never deleted),
  // and those created in the current ingest transaction (kept once it commits).
  std::map<core::SeriesKey, SeriesSlot> series_ids_, new_series_ids_;
  // Benchmark set ids by their names (RunBenchmarkSets), committed and of the current ingest
  // transaction alike (sets are never changed or deleted).
  std::unordered_map<std::string, int64_t> set_ids_, new_set_ids_;
  // Series that received a point in the current ingest transaction: the newest run's row,
  // how many points were added, and where points were written or replaced (median blocks).
  struct Touched {
    int64_t newest_run = 0;
    int64_t added = 0;
    std::vector<int64_t> ts;
  };
  std::map<int64_t, Touched> touched_series_;
  std::vector<PendingPoint> pending_points_;
};

}  // namespace perfledger::store
