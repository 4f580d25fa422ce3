// The PostgreSQL back end's series layer, the read side (pg_store.h): the series a query
// selects and their points, as sqlite_series.cc reads them. Every point is a row of `points`
// (PostgreSQL has no median blocks nor staged points), so the points of many series are read
// in one statement, and each run's fields once per call, not once per point.

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "store/pg_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

// The columns of PointRows' rows.
// Spread and sample count always (detection tests a young series' steps with them), the rest
// unless medians_only.
enum PointColumn : size_t { kSeries, kT, kRun, kMedian, kSpread, kN, kMin, kMax, kRuns, kPooled };
constexpr std::string_view kMedianColumns = ", spread, n";
constexpr std::string_view kFullColumns = ", spread, n, min, max, runs, pooled";

// How many series the next statement reads the points of: about kBatchRows rows, by the
// points per series seen so far. The rows of one statement are held in memory at once, and a
// round trip costs ~50 us, so neither one statement for a year's 21 million points nor one
// per series.
class BatchSizer {
 public:
  size_t Next() const {
    if (series_ == 0) return kFirst;
    const size_t per_series = std::max<size_t>(1, rows_ / series_);
    return std::clamp<size_t>(kBatchRows / per_series, 1, kMaxSeries);
  }
  void Saw(size_t series, size_t rows) {
    series_ += series;
    rows_ += rows;
  }

 private:
  static constexpr size_t kFirst = 16, kBatchRows = 32768, kMaxSeries = 4096;
  size_t series_ = 0, rows_ = 0;
};

// Where each series' rows are among `rows` (ordered by series): [first, second).
std::unordered_map<int64_t, std::pair<size_t, size_t>> RowsBySeries(const PgRows& rows) {
  std::unordered_map<int64_t, std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < rows.rows.size();) {
    const int64_t series = PgToInt(rows.rows[i], kSeries);
    size_t end = i + 1;
    while (end < rows.rows.size() && PgToInt(rows.rows[end], kSeries) == series) ++end;
    out.emplace(series, std::make_pair(i, end));
    i = end;
  }
  return out;
}

// Store order breaks ties of time by run_id; rows are ordered by run row, so points of one
// time are put in run_id order (rare: two commits of the same time). `order` holds each
// point's time; `run_id` gives a point's run_id.
template <typename Point, typename RunId>
void PutTiesInRunIdOrder(std::vector<Point>& points, std::vector<int64_t>& order,
                         const RunId& run_id) {
  bool sorted = true;
  for (size_t i = 1; i < points.size() && sorted; ++i) {
    sorted = !(order[i] == order[i - 1] && run_id(points[i]) < run_id(points[i - 1]));
  }
  if (sorted) return;
  std::vector<size_t> idx(points.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return std::tie(order[a], run_id(points[a])) < std::tie(order[b], run_id(points[b]));
  });
  std::vector<Point> reordered;
  std::vector<int64_t> reordered_order;
  reordered.reserve(points.size());
  reordered_order.reserve(points.size());
  for (size_t i : idx) {
    reordered.push_back(std::move(points[i]));
    reordered_order.push_back(order[i]);
  }
  points = std::move(reordered);
  order = std::move(reordered_order);
}

}  // namespace

Result<std::vector<PgStore::SeriesHead>> PgStore::ListSeriesHeads(const SeriesQuery& query) {
  ASSIGN_OR_RETURN(
      PgRows r,
      Q("SELECT s.id, p.name, b.name, mt.name, s.platform, s.epoch, s.ci, s.unit, "
        "s.higher_is_better FROM series s JOIN projects p ON p.id = s.project_id "
        "JOIN benchmarks b ON b.id = s.benchmark_id JOIN metrics mt ON mt.id = s.metric_id "
        "WHERE ($1::text IS NULL OR p.name = $1::text) "
        "AND ($2::text IS NULL OR s.platform = $2::text) "
        "AND ($3::text IS NULL OR b.name = $3::text) "
        "AND ($4::bigint IS NULL OR s.last_run > $4::bigint)",
        {PgOptText(query.project), PgOptText(query.platform), PgOptText(query.benchmark),
         PgOptInt(query.changed_after)},
        "list series"));
  std::vector<SeriesHead> heads;
  heads.reserve(r.rows.size());
  for (const PgRow& row : r.rows) {
    // The glob and the metrics are matched here, as on SQLite: fnmatch's rules exactly.
    if (query.benchmark_glob && !base::GlobMatch(*query.benchmark_glob, PgToText(row, 2))) {
      continue;
    }
    if (!query.metrics.empty() && std::find(query.metrics.begin(), query.metrics.end(),
                                            PgToText(row, 3)) == query.metrics.end()) {
      continue;
    }
    SeriesHead h;
    h.id = PgToInt(row, 0);
    core::Series& s = h.series;
    s.key.project = PgToText(row, 1);
    s.key.benchmark = PgToText(row, 2);
    s.key.metric = PgToText(row, 3);
    s.key.platform = PgToText(row, 4);
    s.key.epoch = PgToOptInt(row, 5);
    s.key.ci = PgToBool(row, 6);
    s.unit = PgToText(row, 7);
    s.direction = PgToBool(row, 8) ? core::Direction::kHigher : core::Direction::kLower;
    heads.push_back(std::move(h));
  }
  std::sort(heads.begin(), heads.end(),
            [](const SeriesHead& a, const SeriesHead& b) { return a.series.key < b.series.key; });
  return heads;
}

Result<PgRows> PgStore::PointRows(std::span<const SeriesHead> heads, std::string_view columns,
                                  std::optional<int64_t> last_points) {
  std::vector<int64_t> ids;
  ids.reserve(heads.size());
  for (const SeriesHead& h : heads) ids.push_back(h.id);
  if (!last_points) {
    return Q(fmt::format("SELECT series, t, run, median{} FROM points "
                         "WHERE series = ANY($1::bigint[]) ORDER BY series, t, run",
                         columns),
             {PgIntArray(ids)}, "read series points");
  }
  // Each series' tail through the primary key, backwards (a window function over the batch
  // would read every point of it). A negative count is no limit, as SQLite's LIMIT -1.
  return Q(fmt::format("SELECT s.id, p.* FROM unnest($1::bigint[]) AS s(id) "
                       "CROSS JOIN LATERAL (SELECT t, run, median{} FROM points "
                       "WHERE series = s.id ORDER BY t DESC, run DESC LIMIT $2::bigint) p "
                       "ORDER BY s.id, p.t, p.run",
                       columns),
           {PgIntArray(ids), *last_points < 0 ? PgParam() : PgInt(*last_points)},
           "read series points");
}

Status PgStore::ForEachSeries(const SeriesQuery& query,
                              const std::function<Status(core::Series&&)>& fn) {
  return InRead([&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<SeriesHead> heads, ListSeriesHeads(query));
    if (!query.with_points) {
      for (SeriesHead& h : heads) RETURN_IF_ERROR(fn(std::move(h.series)));
      return Status::Ok();
    }
    // What a point takes from its run, by run row; read once per call for every run of a
    // batch not read before.
    struct RunInfo {
      std::string run_id, sha;
      std::optional<std::string> range_from;
      int64_t range_count = 1;
      std::optional<base::Timestamp> commit_time;
      std::optional<std::string> subject;
      core::Reason reason = core::Reason::kPush;
      std::optional<std::string> fingerprint;  // none: the run has no environment
    };
    std::unordered_map<int64_t, RunInfo> runs;
    auto read_runs = [&](const PgRows& rows) -> Status {
      std::vector<int64_t> missing;
      for (const PgRow& row : rows.rows) {
        const int64_t run = PgToInt(row, kRun);
        if (!runs.contains(run)) missing.push_back(run);
      }
      if (missing.empty()) return Status::Ok();
      std::sort(missing.begin(), missing.end());
      missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
      ASSIGN_OR_RETURN(
          PgRows r,
          Q("SELECT r.id, r.run_id, r.commit_sha, r.range_from, r.range_count, r.commit_time, "
            "r.commit_subject, r.reason, e.fingerprint FROM runs r "
            "LEFT JOIN environments e ON e.id = r.environment_id WHERE r.id = ANY($1::bigint[])",
            {PgIntArray(missing)}, "read series points' runs"));
      for (const PgRow& row : r.rows) {
        RunInfo info;
        info.run_id = PgToText(row, 1);
        info.sha = PgToText(row, 2);
        info.range_from = PgToOptText(row, 3);
        info.range_count = PgToInt(row, 4);
        if (!PgIsNull(row, 5)) info.commit_time = base::Timestamp{PgToInt(row, 5)};
        info.subject = PgToOptText(row, 6);
        info.reason = core::ParseReason(PgToText(row, 7)).value_or(core::Reason::kPush);
        info.fingerprint = PgToOptText(row, 8);
        runs.emplace(PgToInt(row, 0), std::move(info));
      }
      return Status::Ok();
    };
    // A run missing from the store or without an environment fails where SQLite's read
    // fails: at the first point naming it.
    auto run_info = [&](int64_t row) -> Result<const RunInfo*> {
      auto it = runs.find(row);
      if (it == runs.end()) {
        return base::Internal(fmt::format(
            "{}: a series point names run row {}, which is not stored", conn_->where(), row));
      }
      if (!it->second.fingerprint) {
        return base::Internal(
            fmt::format("{}: run {} has no environment", conn_->where(), it->second.run_id));
      }
      return &it->second;
    };
    const std::string_view columns = query.medians_only ? kMedianColumns : kFullColumns;
    // One series is filled at a time, in place: a point's strings are assigned into those of
    // the series before, so a long series costs no allocation per point. A callee that keeps
    // a series moves it out; the next one is then built afresh.
    core::Series buffer;
    std::vector<int64_t> order;
    BatchSizer sizer;
    for (size_t at = 0; at < heads.size();) {
      const std::span<SeriesHead> batch(heads.data() + at,
                                        std::min(sizer.Next(), heads.size() - at));
      at += batch.size();
      ASSIGN_OR_RETURN(const PgRows rows, PointRows(batch, columns, query.last_points));
      sizer.Saw(batch.size(), rows.rows.size());
      RETURN_IF_ERROR(read_runs(rows));
      const auto by_series = RowsBySeries(rows);
      for (SeriesHead& h : batch) {
        buffer.key = std::move(h.series.key);
        buffer.unit = std::move(h.series.unit);
        buffer.direction = h.series.direction;
        auto& points = buffer.points;
        order.clear();
        size_t n = 0;
        const auto range = by_series.find(h.id);
        const size_t first = range == by_series.end() ? 0 : range->second.first;
        const size_t end = range == by_series.end() ? 0 : range->second.second;
        for (size_t i = first; i < end; ++i) {
          const PgRow& row = rows.rows[i];
          if (n == points.size()) points.emplace_back();
          core::SeriesPoint& p = points[n++];
          order.push_back(PgToInt(row, kT));
          p.median = PgToReal(row, kMedian);
          p.spread = PgToReal(row, kSpread);
          p.n = PgToInt(row, kN);
          if (query.medians_only) {
            p.min = p.max = 0;
            p.runs = 0;
            p.pooled_run_ids.clear();
          } else {
            p.min = PgToReal(row, kMin);
            p.max = PgToReal(row, kMax);
            p.runs = static_cast<int>(PgToInt(row, kRuns));
            if (!PgIsNull(row, kPooled)) {
              p.pooled_run_ids = base::Split(PgToText(row, kPooled), ',');
            } else {
              p.pooled_run_ids.clear();
            }
          }
          ASSIGN_OR_RETURN(const RunInfo* info, run_info(PgToInt(row, kRun)));
          const RunInfo& r = *info;
          p.run_id = r.run_id;
          p.sha = r.sha;
          p.range_from = r.range_from;
          p.range_count = r.range_count;
          p.commit_time = r.commit_time;
          p.subject = r.subject;
          p.reason = r.reason;
          p.fingerprint = *r.fingerprint;
        }
        points.resize(n);
        PutTiesInRunIdOrder(points, order, [](const core::SeriesPoint& p) -> const std::string& {
          return p.run_id;
        });
        RETURN_IF_ERROR(fn(std::move(buffer)));
      }
    }
    return Status::Ok();
  });
}

Status PgStore::ForEachSeriesMedians(
    const SeriesQuery& query,
    const std::function<Status(const core::Series&, std::span<const PointMedian>,
                               const std::vector<PointRun>&)>& fn) {
  // As on SQLite: the default (through ForEachSeries) for what this does not narrow.
  if (!query.with_points || query.last_points) return Store::ForEachSeriesMedians(query, fn);
  return InRead([&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<SeriesHead> heads, ListSeriesHeads(query));
    std::vector<PointRun> runs;
    // By run row: an index into `runs`, -1 before the run is given. An array, not a hash map:
    // it is looked up once per point, 21 million times for the index of a year's store.
    // (Row ids may have gaps, but not many: a rolled-back ingest's.)
    ASSIGN_OR_RETURN(const int64_t last_row, ChangeMark());  // the largest runs.id
    if (last_row >= std::numeric_limits<int32_t>::max()) {
      return base::Internal(
          fmt::format("{}: {} runs are more than a read can count", conn_->where(), last_row));
    }
    std::vector<int32_t> run_of_row(static_cast<size_t>(last_row) + 1, -1);
    // Runs read for the current batch, not given yet (a run is given at its first point, so
    // runs are numbered as SQLite numbers them).
    std::unordered_map<int64_t, PointRun> read;
    std::unordered_map<std::string, int32_t> commit_of_sha;
    auto not_stored = [&](int64_t row) {
      return base::Internal(fmt::format("{}: a series point names run row {}, which is not stored",
                                        conn_->where(), row));
    };
    std::vector<PointMedian> points;
    std::vector<int64_t> order;
    BatchSizer sizer;
    for (size_t at = 0; at < heads.size();) {
      const std::span<SeriesHead> batch(heads.data() + at,
                                        std::min(sizer.Next(), heads.size() - at));
      at += batch.size();
      ASSIGN_OR_RETURN(const PgRows rows, PointRows(batch, "", std::nullopt));
      sizer.Saw(batch.size(), rows.rows.size());
      std::vector<int64_t> missing;
      for (const PgRow& row : rows.rows) {
        const int64_t run = PgToInt(row, kRun);
        if (run >= 0 && run <= last_row && run_of_row[static_cast<size_t>(run)] < 0) {
          missing.push_back(run);
        }
      }
      std::sort(missing.begin(), missing.end());
      missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
      if (!missing.empty()) {
        ASSIGN_OR_RETURN(PgRows r, Q("SELECT id, run_id, commit_sha, commit_time FROM runs "
                                     "WHERE id = ANY($1::bigint[])",
                                     {PgIntArray(missing)}, "read series points' runs"));
        for (const PgRow& row : r.rows) {
          PointRun run;
          run.run_id = PgToText(row, 1);
          run.sha = PgToText(row, 2);
          if (!PgIsNull(row, 3)) run.commit_time = base::Timestamp{PgToInt(row, 3)};
          read.emplace(PgToInt(row, 0), std::move(run));
        }
      }
      const auto by_series = RowsBySeries(rows);
      for (const SeriesHead& h : batch) {
        points.clear();
        order.clear();
        const auto range = by_series.find(h.id);
        const size_t first = range == by_series.end() ? 0 : range->second.first;
        const size_t end = range == by_series.end() ? 0 : range->second.second;
        for (size_t i = first; i < end; ++i) {
          const PgRow& row = rows.rows[i];
          const int64_t run_row = PgToInt(row, kRun);
          if (run_row < 0 || run_row > last_row) return not_stored(run_row);
          int32_t& index = run_of_row[static_cast<size_t>(run_row)];
          if (index < 0) {
            auto it = read.find(run_row);
            if (it == read.end()) return not_stored(run_row);
            PointRun& r = it->second;
            r.commit = commit_of_sha.try_emplace(r.sha, static_cast<int32_t>(commit_of_sha.size()))
                           .first->second;
            index = static_cast<int32_t>(runs.size());
            runs.push_back(std::move(r));
            read.erase(it);
          }
          order.push_back(PgToInt(row, kT));
          points.push_back({index, PgToReal(row, kMedian)});
        }
        PutTiesInRunIdOrder(points, order, [&](const PointMedian& p) -> const std::string& {
          return runs[static_cast<size_t>(p.run)].run_id;
        });
        RETURN_IF_ERROR(fn(h.series, points, runs));
      }
    }
    return Status::Ok();
  });
}

}  // namespace perfledger::store
