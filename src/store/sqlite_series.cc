// The SQLite back end's series layer (sqlite_migrations.cc migration 7): the primitives
// store/series_ingest.cc writes points with, the reads every view answers from, and building
// the layer from stored runs when a store migrates to it.

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>

#include "base/strings.h"
#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

std::string JoinRunIds(std::span<const RunOrder> runs) {
  std::vector<std::string> ids;
  for (const RunOrder& r : runs) ids.push_back(r.run_id);
  return base::Join(ids, ",");
}

}  // namespace

Status SqliteStore::Open() {
  return OpenFile([this](int version) {
    if (version == 7) return BuildSeries();
    if (version == 11) return SealAllSeries();
    return Status::Ok();
  });
}

Result<SeriesSlot> SqliteStore::SeriesFor(const core::SeriesKey& key, const std::string& unit,
                                          core::Direction direction) {
  if (auto it = series_ids_.find(key); it != series_ids_.end()) return it->second;
  if (auto it = new_series_ids_.find(key); it != new_series_ids_.end()) return it->second;
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(key.project));
  ASSIGN_OR_RETURN(const int64_t benchmark_id,
                   IdFor("INSERT INTO benchmarks(project_id, name) VALUES (?1, ?2)",
                         "SELECT id FROM benchmarks WHERE project_id = ?1 AND name = ?2",
                         key.benchmark, project_id, "store a benchmark"));
  ASSIGN_OR_RETURN(const int64_t metric_id, IdFor("INSERT INTO metrics(name) VALUES (?1)",
                                                  "SELECT id FROM metrics WHERE name = ?1",
                                                  key.metric, std::nullopt, "store a metric"));
  ASSIGN_OR_RETURN(Stmt * sel, Prepared("SELECT id, unit FROM series WHERE project_id = ?1 AND "
                                        "benchmark_id = ?2 AND metric_id = ?3 AND platform = ?4 "
                                        "AND ifnull(epoch, -1) = ?5 AND ci = ?6"));
  sel->Bind(1, project_id);
  sel->Bind(2, benchmark_id);
  sel->Bind(3, metric_id);
  sel->Bind(4, key.platform);
  sel->Bind(5, key.epoch.value_or(-1));
  sel->Bind(6, static_cast<int64_t>(key.ci ? 1 : 0));
  const int rc = sel->Step();
  if (rc == SQLITE_ROW) {
    SeriesSlot slot{sel->Int(0), sel->Text(1)};
    sel->Reset();
    // Committed before this transaction began (or by it: then kept only if it commits).
    new_series_ids_.emplace(key, slot);
    return slot;
  }
  sel->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "look up a series");
  ASSIGN_OR_RETURN(Stmt * ins,
                   Prepared("INSERT INTO series(project_id, benchmark_id, metric_id, platform, "
                            "epoch, ci, unit, higher_is_better, last_run) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)"));
  ins->Bind(1, project_id);
  ins->Bind(2, benchmark_id);
  ins->Bind(3, metric_id);
  ins->Bind(4, key.platform);
  ins->BindOptional(5, key.epoch);
  ins->Bind(6, static_cast<int64_t>(key.ci ? 1 : 0));
  ins->Bind(7, unit);
  ins->Bind(8, static_cast<int64_t>(direction == core::Direction::kHigher ? 1 : 0));
  RETURN_IF_ERROR(StepDone(ins, "store a series"));
  SeriesSlot slot{sqlite3_last_insert_rowid(db_), unit};
  new_series_ids_.emplace(key, slot);
  return slot;
}

Result<std::vector<RunOrder>> SqliteStore::RunsOfCommit(const std::string& project,
                                                        const std::string& platform,
                                                        const std::string& sha) {
  // By the commit's index: without statistics SQLite takes runs_by_epoch (project, platform),
  // which reads every run of the platform, so each ingest got slower as history grew.
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT COALESCE(r.commit_time, r.started_at), r.run_id "
                                      "FROM runs r INDEXED BY runs_by_commit "
                                      "JOIN projects p ON p.id = r.project_id "
                                      "WHERE r.commit_sha = ?1 AND r.platform = ?2 AND "
                                      "p.name = ?3 ORDER BY 1, 2"));
  q->Bind(1, sha);
  q->Bind(2, platform);
  q->Bind(3, project);
  std::vector<RunOrder> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) out.push_back({q->Int(0), q->Text(1)});
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "look up the runs of a commit");
  return out;
}

Result<int64_t> SqliteStore::RunRow(const std::string& run_id) {
  // The run being written: no query.
  if (!current_run_id_.empty() && run_id == current_run_id_) return current_run_row_;
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT id FROM runs WHERE run_id = ?1"));
  q->Bind(1, run_id);
  const int rc = q->Step();
  const int64_t row = rc == SQLITE_ROW ? q->Int(0) : 0;
  q->Reset();
  if (rc == SQLITE_DONE) {
    return base::Internal(fmt::format("{}: run {} is not stored", path_, run_id));
  }
  if (rc != SQLITE_ROW) return Error(rc, "look up a run");
  return row;
}

Result<std::optional<core::Metric>> SqliteStore::StoredMetric(const std::string& run_id,
                                                              const std::string& benchmark,
                                                              const std::string& metric) {
  ASSIGN_OR_RETURN(Stmt * q,
                   Prepared(fmt::format(
                       "SELECT {} FROM measurements m "
                       "JOIN runs r ON r.id = m.run JOIN benchmarks b ON b.id = m.benchmark "
                       "JOIN metrics mt ON mt.id = m.metric "
                       "WHERE r.run_id = ?1 AND b.project_id = r.project_id AND b.name = ?2 AND "
                       "mt.name = ?3",
                       kMetricColumns)));
  q->Bind(1, run_id);
  q->Bind(2, benchmark);
  q->Bind(3, metric);
  const int rc = q->Step();
  if (rc == SQLITE_DONE) {
    q->Reset();
    return std::optional<core::Metric>();
  }
  if (rc != SQLITE_ROW) {
    q->Reset();
    return Error(rc, "read a measurement");
  }
  auto m = ReadMetric(*q, 0, path_);
  q->Reset();
  if (!m.ok()) return m.status();
  return std::optional<core::Metric>(std::move(*m));
}

Result<std::optional<std::vector<std::string>>> SqliteStore::PointRuns(int64_t series,
                                                                       const RunOrder& first) {
  // The point may be staged: a pooled point is read and rewritten in the tree.
  RETURN_IF_ERROR(FlushPoints());
  RETURN_IF_ERROR(FoldStagedPoints());
  ASSIGN_OR_RETURN(const int64_t row, RunRow(first.run_id));
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT runs, pooled FROM points "
                                      "WHERE series = ?1 AND t = ?2 AND run = ?3"));
  q->Bind(1, series);
  q->Bind(2, first.order_nanos);
  q->Bind(3, row);
  const int rc = q->Step();
  std::optional<std::vector<std::string>> out;
  if (rc == SQLITE_ROW) {
    out.emplace();
    if (q->IsNull(1)) {
      out->push_back(first.run_id);
    } else {
      *out = base::Split(q->Text(1), ',');
    }
  }
  q->Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "read a series point");
  return out;
}

Status SqliteStore::WritePoint(int64_t series, const std::optional<RunOrder>& replaces,
                               std::span<const RunOrder> runs, const core::PointSummary& point) {
  if (runs.empty()) return base::Internal("a series point without a run");
  ASSIGN_OR_RETURN(const int64_t row, RunRow(runs.front().run_id));
  Touched& touched = touched_series_[series];
  touched.newest_run = std::max(touched.newest_run, current_run_row_);
  // Median blocks exist from schema 11 on (not while migration 7 builds the series layer).
  if (schema_version_ >= 11) {
    touched.ts.push_back(runs.front().order_nanos);
    if (replaces) {
      touched.ts.push_back(replaces->order_nanos);
    } else {
      ++touched.added;
    }
  }
  if (!replaces && runs.size() == 1) {
    // A new point of one run, the common case: written sorted with the others at the end of
    // the transaction (FlushPoints), so consecutive inserts land in the same pages.
    pending_points_.push_back({series, runs.front().order_nanos, row, point});
    return Status::Ok();
  }
  RETURN_IF_ERROR(FlushPoints());
  RETURN_IF_ERROR(FoldStagedPoints());
  if (replaces) {
    ASSIGN_OR_RETURN(const int64_t old_row, RunRow(replaces->run_id));
    ASSIGN_OR_RETURN(Stmt * del,
                     Prepared("DELETE FROM points WHERE series = ?1 AND t = ?2 AND run = ?3"));
    del->Bind(1, series);
    del->Bind(2, replaces->order_nanos);
    del->Bind(3, old_row);
    RETURN_IF_ERROR(StepDone(del, "replace a series point"));
  }
  return InsertPoint({series, runs.front().order_nanos, row, point},
                     runs.size() > 1 ? std::optional<std::string>(JoinRunIds(runs)) : std::nullopt);
}

Status SqliteStore::InsertPoint(const PendingPoint& p, const std::optional<std::string>& pooled) {
  ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO points(series, t, run, median, spread, min, "
                                        "max, n, runs, pooled) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  ins->Reset();
  ins->Bind(1, p.series);
  ins->Bind(2, p.t);
  ins->Bind(3, p.run);
  ins->Bind(4, p.point.median);
  ins->Bind(5, p.point.spread);
  ins->Bind(6, p.point.min);
  ins->Bind(7, p.point.max);
  ins->Bind(8, p.point.n);
  ins->Bind(9, static_cast<int64_t>(std::max(p.point.runs, 1)));
  ins->BindOptional(10, pooled);
  return StepDone(ins, "store a series point");
}

Status SqliteStore::FlushPoints(bool may_stage) {
  if (may_stage && StagesPoints() && !pending_points_.empty()) return StagePendingPoints();
  std::sort(pending_points_.begin(), pending_points_.end(),
            [](const PendingPoint& a, const PendingPoint& b) {
              return std::tie(a.series, a.t, a.run) < std::tie(b.series, b.t, b.run);
            });
  for (const PendingPoint& p : pending_points_) {
    RETURN_IF_ERROR(InsertPoint(p, std::nullopt));
  }
  pending_points_.clear();
  return Status::Ok();
}

Status SqliteStore::FlushTouchedSeries() {
  if (touched_series_.empty()) return Status::Ok();
  if (schema_version_ < 11) {
    ASSIGN_OR_RETURN(Stmt * up,
                     Prepared("UPDATE series SET last_run = max(last_run, ?2) WHERE id = ?1"));
    for (const auto& [id, touched] : touched_series_) {
      up->Reset();
      up->Bind(1, id);
      up->Bind(2, touched.newest_run);
      RETURN_IF_ERROR(StepDone(up, "mark a series changed"));
    }
    touched_series_.clear();
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(Stmt * up, Prepared("UPDATE series SET last_run = max(last_run, ?2), "
                                       "unsealed = unsealed + ?3 WHERE id = ?1 "
                                       "RETURNING sealed_t, unsealed"));
  for (auto& [id, touched] : touched_series_) {
    up->Reset();
    up->Bind(1, id);
    up->Bind(2, touched.newest_run);
    up->Bind(3, touched.added);
    const int rc = up->Step();
    if (rc != SQLITE_ROW) {
      up->Reset();
      return Error(rc, "mark a series changed");
    }
    const std::optional<int64_t> sealed_t =
        up->IsNull(0) ? std::nullopt : std::optional<int64_t>(up->Int(0));
    const int64_t unsealed = up->Int(1);
    up->Reset();
    // A point written at or before the newest block (a run of an old commit): the block
    // holding it no longer holds the series' points there.
    if (sealed_t) RETURN_IF_ERROR(ForgetBlocksAt(id, *sealed_t, std::move(touched.ts)));
    if (unsealed >= BlockPoints() + UnsealedPoints()) {
      RETURN_IF_ERROR(FoldStagedPoints());  // a block packs the series' rows of the tree
      RETURN_IF_ERROR(SealSeries(id));
    }
  }
  touched_series_.clear();
  return Status::Ok();
}

Status SqliteStore::BuildSeries() {
  static constexpr std::string_view kBuildStep = "building series from runs";
  ASSIGN_OR_RETURN(Stmt * count, Prepared("SELECT count(*) FROM runs"));
  int rc = count->Step();
  const int64_t total = rc == SQLITE_ROW ? count->Int(0) : 0;
  count->Reset();
  if (rc != SQLITE_ROW) return Error(rc, "count runs");
  touched_series_.clear();
  new_series_ids_.clear();
  int64_t done = 0;
  if (options_.progress) options_.progress(kBuildStep, 0, total);
  Status built = ForEachRunIn({}, [&](const core::Run& run) -> Status {
    current_run_id_.clear();
    ASSIGN_OR_RETURN(current_run_row_, RunRow(run.run_id));
    current_run_id_ = run.run_id;
    RETURN_IF_ERROR(AddToSeries(*this, run));
    ++done;
    if (options_.progress && (done % 256 == 0 || done == total)) {
      options_.progress(kBuildStep, done, total);
    }
    return Status::Ok();
  });
  current_run_id_.clear();
  RETURN_IF_ERROR(built);
  RETURN_IF_ERROR(FlushPoints());
  RETURN_IF_ERROR(FlushTouchedSeries());
  // Kept only if the migration commits: the caller's transaction may still roll back.
  new_series_ids_.clear();
  return Status::Ok();
}

Result<int64_t> SqliteStore::ChangeMark() {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT ifnull(max(id), 0) FROM runs"));
  const int rc = q->Step();
  const int64_t mark = rc == SQLITE_ROW ? q->Int(0) : 0;
  q->Reset();
  if (rc != SQLITE_ROW) return Error(rc, "read the store's change mark");
  return mark;
}

Result<std::optional<int64_t>> SqliteStore::ReadMark(const std::string& name) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT value FROM marks WHERE name = ?1"));
  q->Bind(1, name);
  const int rc = q->Step();
  std::optional<int64_t> value;
  if (rc == SQLITE_ROW) value = q->Int(0);
  q->Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "read a mark");
  return value;
}

Status SqliteStore::WriteMark(const std::string& name, int64_t value) {
  return InTransaction(/*write=*/true, [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * q, Prepared("INSERT INTO marks(name, value) VALUES (?1, ?2) "
                                        "ON CONFLICT(name) DO UPDATE SET "
                                        "value = max(value, excluded.value)"));
    q->Bind(1, name);
    q->Bind(2, value);
    return StepDone(q, "write a mark");
  });
}

Result<bool> SqliteStore::ClaimMark(const std::string& name, std::optional<int64_t> expected,
                                    int64_t value) {
  bool claimed = false;
  const Status s = InTransaction(/*write=*/true, [&]() -> Status {
    ASSIGN_OR_RETURN(std::optional<int64_t> current, ReadMark(name));
    if (current != expected) return Status::Ok();
    ASSIGN_OR_RETURN(Stmt * q, Prepared("INSERT INTO marks(name, value) VALUES (?1, ?2) "
                                        "ON CONFLICT(name) DO UPDATE SET value = excluded.value"));
    q->Bind(1, name);
    q->Bind(2, value);
    RETURN_IF_ERROR(StepDone(q, "claim a mark"));
    claimed = true;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Result<std::vector<SqliteStore::SeriesHead>> SqliteStore::ListSeriesHeads(
    const SeriesQuery& query) {
  std::vector<SeriesHead> heads;
  ASSIGN_OR_RETURN(
      Stmt * q, Prepared("SELECT s.id, p.name, b.name, mt.name, s.platform, s.epoch, s.ci, s.unit, "
                         "s.higher_is_better FROM series s JOIN projects p ON p.id = s.project_id "
                         "JOIN benchmarks b ON b.id = s.benchmark_id "
                         "JOIN metrics mt ON mt.id = s.metric_id "
                         "WHERE (?1 IS NULL OR p.name = ?1) AND (?2 IS NULL OR s.platform = ?2) "
                         "AND (?3 IS NULL OR b.name = ?3) AND (?4 IS NULL OR s.last_run > ?4)"));
  q->BindOptional(1, query.project);
  q->BindOptional(2, query.platform);
  q->BindOptional(3, query.benchmark);
  q->BindOptional(4, query.changed_after);
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    SeriesHead h;
    h.id = q->Int(0);
    core::Series& s = h.series;
    s.key.project = q->Text(1);
    s.key.benchmark = q->Text(2);
    s.key.metric = q->Text(3);
    s.key.platform = q->Text(4);
    if (!q->IsNull(5)) s.key.epoch = q->Int(5);
    s.key.ci = q->Int(6) != 0;
    s.unit = q->Text(7);
    s.direction = q->Int(8) != 0 ? core::Direction::kHigher : core::Direction::kLower;
    if (query.benchmark_glob && !base::GlobMatch(*query.benchmark_glob, s.key.benchmark)) continue;
    if (!query.metrics.empty() && std::find(query.metrics.begin(), query.metrics.end(),
                                            s.key.metric) == query.metrics.end()) {
      continue;
    }
    heads.push_back(std::move(h));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list series");
  std::sort(heads.begin(), heads.end(),
            [](const SeriesHead& a, const SeriesHead& b) { return a.series.key < b.series.key; });
  return heads;
}

Status SqliteStore::ForEachSeriesMedians(
    const SeriesQuery& query,
    const std::function<Status(const core::Series&, std::span<const PointMedian>,
                               const std::vector<PointRun>&)>& fn) {
  if (!query.with_points || query.last_points) return Store::ForEachSeriesMedians(query, fn);
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<SeriesHead> heads, ListSeriesHeads(query));
    ASSIGN_OR_RETURN(const StagedBySeries staged, ReadStagedPoints());
    ASSIGN_OR_RETURN(Stmt * run_q, Prepared("SELECT run_id, commit_sha, commit_time FROM runs "
                                            "WHERE id = ?1"));
    std::vector<PointRun> runs;
    // By run row (runs.id counts up from 1): an index into `runs`, -1 before the run is read.
    // An array, not a hash map: it is looked up once per point, 21 million times for the
    // index of a year's store.
    ASSIGN_OR_RETURN(const int64_t last_row, ChangeMark());  // the largest runs.id
    if (last_row >= std::numeric_limits<int32_t>::max()) {
      return base::Internal(
          fmt::format("{}: {} runs are more than a read can count", path_, last_row));
    }
    std::vector<int32_t> run_of_row(static_cast<size_t>(last_row) + 1, -1);
    std::unordered_map<std::string, int32_t> commit_of_sha;
    std::vector<PointMedian> points;
    std::vector<std::pair<int64_t, double>> rows;
    for (SeriesHead& h : heads) {
      points.clear();
      // From the series' median blocks and the points rows around them.
      const auto in_stage = staged.find(h.id);
      RETURN_IF_ERROR(
          ReadSeriesMedians(h.id, rows, in_stage == staged.end() ? nullptr : &in_stage->second));
      for (const auto& [row, median] : rows) {
        if (row < 0 || row > last_row) {
          return base::Internal(
              fmt::format("{}: a series point names run row {}, which is not stored", path_, row));
        }
        int32_t& index = run_of_row[static_cast<size_t>(row)];
        if (index < 0) {
          run_q->Reset();
          run_q->Bind(1, row);
          const int rrc = run_q->Step();
          if (rrc != SQLITE_ROW) {
            run_q->Reset();
            return rrc == SQLITE_DONE
                       ? base::Internal(
                             fmt::format("{}: a series point names run row {}, which is not stored",
                                         path_, row))
                       : Error(rrc, "read a series point's run");
          }
          PointRun r;
          r.run_id = run_q->Text(0);
          r.sha = run_q->Text(1);
          if (!run_q->IsNull(2)) r.commit_time = base::Timestamp{run_q->Int(2)};
          run_q->Reset();
          r.commit = commit_of_sha.try_emplace(r.sha, static_cast<int32_t>(commit_of_sha.size()))
                         .first->second;
          index = static_cast<int32_t>(runs.size());
          runs.push_back(std::move(r));
        }
        points.push_back({index, median});
      }
      RETURN_IF_ERROR(fn(h.series, points, runs));
    }
    return Status::Ok();
  };
  Status s = body();
  Rollback();
  return s;
}

Status SqliteStore::ForEachSeries(const SeriesQuery& query,
                                  const std::function<Status(core::Series&&)>& fn) {
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<SeriesHead> heads, ListSeriesHeads(query));
    StagedBySeries staged;
    if (query.with_points) {
      ASSIGN_OR_RETURN(staged, ReadStagedPoints());
    }
    // The newest `last_points` (?2) when given: the tail through the primary key, backwards,
    // turned around here (an outer ORDER BY made SQLite sort every series' tail again).
    // No join: a run's row is read once per call (below), not once per point of every series
    // it measured.
    const std::string sql =
        fmt::format("SELECT t, median, run{} FROM points WHERE series = ?1 {}",
                    query.medians_only ? ", spread, n" : ", spread, n, min, max, runs, pooled",
                    query.last_points ? "ORDER BY t DESC, run DESC LIMIT ?2" : "ORDER BY t, run");
    ASSIGN_OR_RETURN(Stmt * pts, Prepared(sql));
    ASSIGN_OR_RETURN(
        Stmt * run_q,
        Prepared("SELECT r.run_id, r.commit_sha, r.range_from, r.range_count, r.commit_time, "
                 "r.commit_subject, r.reason, e.fingerprint FROM runs r "
                 "LEFT JOIN environments e ON e.id = r.environment_id WHERE r.id = ?1"));
    // What a point takes from its run, by run row.
    struct RunInfo {
      std::string run_id, sha;
      std::optional<std::string> range_from;
      int64_t range_count = 1;
      std::optional<base::Timestamp> commit_time;
      std::optional<std::string> subject;
      core::Reason reason = core::Reason::kPush;
      std::string fingerprint;
    };
    std::unordered_map<int64_t, RunInfo> runs;
    auto run_info = [&](int64_t row) -> Result<const RunInfo*> {
      auto it = runs.find(row);
      if (it != runs.end()) return &it->second;
      run_q->Reset();
      run_q->Bind(1, row);
      const int rrc = run_q->Step();
      if (rrc != SQLITE_ROW) {
        run_q->Reset();
        return rrc == SQLITE_DONE ? base::Internal(fmt::format("{}: a series point names run row "
                                                               "{}, which is not stored",
                                                               path_, row))
                                  : Error(rrc, "read a series point's run");
      }
      RunInfo info;
      info.run_id = run_q->Text(0);
      info.sha = run_q->Text(1);
      info.range_from = run_q->OptText(2);
      info.range_count = run_q->Int(3);
      if (!run_q->IsNull(4)) info.commit_time = base::Timestamp{run_q->Int(4)};
      info.subject = run_q->OptText(5);
      info.reason = core::ParseReason(run_q->Text(6)).value_or(core::Reason::kPush);
      if (run_q->IsNull(7)) {
        run_q->Reset();
        return base::Internal(fmt::format("{}: run {} has no environment", path_, info.run_id));
      }
      info.fingerprint = run_q->Text(7);
      run_q->Reset();
      return &runs.emplace(row, std::move(info)).first->second;
    };
    // One series is filled at a time, in place: a point's strings are assigned into those of
    // the series before, so a long series costs no allocation per point. (Allocated and freed
    // point by point, a year's series spent more time in malloc than in SQLite.) A callee
    // that keeps a series moves it out; the next one is then built afresh.
    core::Series buffer;
    std::vector<int64_t> order;
    for (SeriesHead& h : heads) {
      if (!query.with_points) {
        RETURN_IF_ERROR(fn(std::move(h.series)));
        continue;
      }
      buffer.key = std::move(h.series.key);
      buffer.unit = std::move(h.series.unit);
      buffer.direction = h.series.direction;
      auto& points = buffer.points;
      pts->Reset();
      pts->Bind(1, h.id);
      if (query.last_points) pts->Bind(2, *query.last_points);
      order.clear();
      size_t n = 0;
      // A point from its row's values: `pooled` is null for a point of one run.
      auto add = [&](int64_t t, int64_t run_row, double median, double spread, double min,
                     double max, int64_t samples, int64_t runs_n,
                     const std::optional<std::string>& pooled) -> Status {
        if (n == points.size()) points.emplace_back();
        core::SeriesPoint& p = points[n++];
        order.push_back(t);
        p.median = median;
        p.spread = spread;
        p.n = samples;
        if (query.medians_only) {
          p.min = p.max = 0;
          p.runs = 0;
          p.pooled_run_ids.clear();
        } else {
          p.min = min;
          p.max = max;
          p.runs = static_cast<int>(runs_n);
          if (pooled) {
            p.pooled_run_ids = base::Split(*pooled, ',');
          } else {
            p.pooled_run_ids.clear();
          }
        }
        ASSIGN_OR_RETURN(const RunInfo* info, run_info(run_row));
        const RunInfo& r = *info;
        p.run_id = r.run_id;
        p.sha = r.sha;
        p.range_from = r.range_from;
        p.range_count = r.range_count;
        p.commit_time = r.commit_time;
        p.subject = r.subject;
        p.reason = r.reason;
        p.fingerprint = r.fingerprint;
        return Status::Ok();
      };
      // The series' staged points (sqlite_series_staged.cc), merged in by time and run row:
      // ascending, or from the newest for `last_points`.
      const auto in_stage = staged.find(h.id);
      const std::vector<StagedPoint>* stage =
          in_stage == staged.end() ? nullptr : &in_stage->second;
      size_t next = 0;  // staged points taken
      auto add_staged = [&](int64_t t, int64_t run) -> Status {
        while (stage != nullptr && next < stage->size()) {
          const StagedPoint& sp =
              query.last_points ? (*stage)[stage->size() - 1 - next] : (*stage)[next];
          const bool first = query.last_points ? std::tie(sp.t, sp.run) > std::tie(t, run)
                                               : std::tie(sp.t, sp.run) < std::tie(t, run);
          if (!first) break;
          ++next;
          RETURN_IF_ERROR(
              add(sp.t, sp.run, sp.median, sp.spread, sp.min, sp.max, sp.n, sp.runs, std::nullopt));
        }
        return Status::Ok();
      };
      int rc;
      while ((rc = pts->Step()) == SQLITE_ROW) {
        const int64_t t = pts->Int(0), run = pts->Int(2);
        Status added = add_staged(t, run);
        if (added.ok()) {
          const bool full = !query.medians_only;
          added = add(t, run, pts->Double(1), pts->Double(3), full ? pts->Double(5) : 0,
                      full ? pts->Double(6) : 0, pts->Int(4), full ? pts->Int(7) : 0,
                      full ? pts->OptText(8) : std::nullopt);
        }
        if (!added.ok()) {
          pts->Reset();
          return added;
        }
      }
      pts->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "read series points");
      constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();
      RETURN_IF_ERROR(query.last_points ? add_staged(std::numeric_limits<int64_t>::min(), 0)
                                        : add_staged(kEnd, kEnd));
      if (query.last_points && n > static_cast<size_t>(*query.last_points)) {
        n = static_cast<size_t>(*query.last_points);
        order.resize(n);
      }
      points.resize(n);
      if (query.last_points) {
        std::reverse(points.begin(), points.end());
        std::reverse(order.begin(), order.end());
      }
      // Store order breaks ties of time by run_id; rows are ordered by run row, so points of
      // one time are put in run_id order (rare: two commits of the same time).
      bool sorted = true;
      for (size_t i = 1; i < points.size() && sorted; ++i) {
        sorted = !(order[i] == order[i - 1] && points[i].run_id < points[i - 1].run_id);
      }
      if (!sorted) {
        std::vector<size_t> idx(points.size());
        for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
        std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
          return std::tie(order[a], points[a].run_id) < std::tie(order[b], points[b].run_id);
        });
        std::vector<core::SeriesPoint> reordered;
        reordered.reserve(points.size());
        for (size_t i : idx) reordered.push_back(std::move(points[i]));
        points = std::move(reordered);
      }
      RETURN_IF_ERROR(fn(std::move(buffer)));
    }
    return Status::Ok();
  };
  Status s = body();
  Rollback();
  return s;
}

}  // namespace perfledger::store
