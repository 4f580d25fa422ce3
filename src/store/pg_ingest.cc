// The PostgreSQL back end's ingest primitives (store.h IngestTransaction, as sqlite_ingest.cc
// and the writes of sqlite_series.cc): one write transaction, a run written whole, the
// declared suite revisions and epochs looked up and kept, the series layer's points. What
// they mean is store/ingest.cc's and store/series_ingest.cc's.
//
// A round trip costs more than a row here: a run's rows go in a few multi-row INSERTs, and
// its new points wait for the end of the transaction (or the next read of points) to go in
// together. There are no median blocks or staged points: points go straight to `points`.

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "base/strings.h"
#include "core/artifact.h"
#include "store/pg_store.h"
#include "store/sample_codec.h"
#include "store/suite_json.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

// Parameters per statement: well under libpq's 65,535.
constexpr size_t kMaxParams = 30000;

// The rows of a multi-row INSERT, run whenever the next row would pass kMaxParams and at
// Finish: `head` ("INSERT INTO t(a, b) VALUES "), then rows of one parameter per column, each
// followed by its column's cast ("" where the column tells the type).
class MultiInsert {
 public:
  using Runner = std::function<Status(std::string_view sql, std::span<const PgParam> params)>;
  MultiInsert(std::string_view head, std::vector<std::string_view> casts, Runner run)
      : head_(head), casts_(std::move(casts)), run_(std::move(run)) {}

  Status Add(std::initializer_list<PgParam> row) {
    if (!params_.empty() && params_.size() + casts_.size() > kMaxParams) {
      RETURN_IF_ERROR(Finish());
    }
    sql_ += params_.empty() ? head_ : ", ";
    size_t c = 0;
    for (const PgParam& v : row) {
      params_.push_back(v);
      fmt::format_to(std::back_inserter(sql_), "{}${}{}", c == 0 ? "(" : ", ", params_.size(),
                     casts_.at(c));
      ++c;
    }
    sql_ += ")";
    return Status::Ok();
  }

  Status Finish() {
    if (params_.empty()) return Status::Ok();
    Status s = run_(sql_, params_);
    sql_.clear();
    params_.clear();
    return s;
  }

 private:
  std::string head_;
  std::vector<std::string_view> casts_;
  Runner run_;
  std::string sql_;
  std::vector<PgParam> params_;
};

std::string JoinRunIds(std::span<const RunOrder> runs) {
  std::vector<std::string> ids;
  for (const RunOrder& r : runs) ids.push_back(r.run_id);
  return base::Join(ids, ",");
}

// An array literal of integers ("{1,2,3}") for `= ANY($1::bigint[])` and unnest.
template <typename T, typename Get>
std::string IntArray(const T& items, Get get) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += std::to_string(get(item));
  }
  out += '}';
  return out;
}

}  // namespace

Status PgStore::InIngestTransaction(const std::function<Status(IngestTransaction&)>& body) {
  project_ids_.clear();
  benchmark_ids_.clear();
  metric_ids_.clear();
  new_series_ids_.clear();
  new_set_ids_.clear();
  touched_series_.clear();
  pending_points_.clear();
  current_run_id_.clear();
  current_run_row_ = 0;
  Status s = InWrite([&] {
    RETURN_IF_ERROR(body(*this));
    RETURN_IF_ERROR(FlushPoints());
    return FlushTouchedSeries();
  });
  if (s.ok()) {
    series_ids_.merge(new_series_ids_);
    set_ids_.merge(new_set_ids_);
  } else {
    // Rolled back: ids of rows this transaction created were never kept.
    project_ids_.clear();
    benchmark_ids_.clear();
    metric_ids_.clear();
  }
  new_series_ids_.clear();
  new_set_ids_.clear();
  touched_series_.clear();
  pending_points_.clear();
  current_run_id_.clear();
  return s;
}

Result<int64_t> PgStore::BenchmarkSetId(const std::string& names) {
  if (auto it = set_ids_.find(names); it != set_ids_.end()) return it->second;
  if (auto it = new_set_ids_.find(names); it != new_set_ids_.end()) return it->second;
  // Found or inserted in one round trip (writers are serialised: nothing inserts between).
  ASSIGN_OR_RETURN(
      PgRows r,
      Q("WITH found AS (SELECT id FROM benchmark_sets WHERE md5(names) = md5($1::text) AND "
        "names = $1::text), "
        "ins AS (INSERT INTO benchmark_sets(names) SELECT $1::text "
        "WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id) "
        "SELECT id FROM found UNION ALL SELECT id FROM ins",
        {PgText(names)}, "store a benchmark set"));
  if (r.rows.empty()) return base::Internal("storing a benchmark set gave no row id");
  const int64_t id = PgToInt(r.rows[0], 0);
  new_set_ids_.emplace(names, id);
  return id;
}

Status PgStore::CacheNameIds(std::optional<int64_t> project_id,
                             const std::vector<std::string>& names) {
  // Those not cached yet, once each.
  std::vector<std::string> wanted;
  std::set<std::string_view> seen;
  for (const std::string& n : names) {
    const bool cached =
        project_id ? benchmark_ids_.contains({*project_id, n}) : metric_ids_.contains(n);
    if (!cached && seen.insert(n).second) wanted.push_back(n);
  }
  const std::string_view table = project_id ? "benchmarks" : "metrics";
  const std::string_view doing = project_id ? "store benchmarks" : "store metrics";
  for (size_t from = 0; from < wanted.size();) {
    const size_t to = std::min(wanted.size(), from + kMaxParams - 1);
    std::vector<PgParam> params;
    if (project_id) params.push_back(PgInt(*project_id));
    std::string values;
    for (size_t i = from; i < to; ++i) {
      params.push_back(PgText(wanted[i]));
      fmt::format_to(std::back_inserter(values), "{}(${}::text)", i == from ? "" : ", ",
                     params.size());
    }
    // Found or inserted in one round trip: `found` reads the snapshot before the insert.
    const std::string sql = fmt::format(
        "WITH want(name) AS (VALUES {0}), "
        "found AS (SELECT t.id, t.name FROM {1} t JOIN want w ON t.name = w.name{2}), "
        "ins AS (INSERT INTO {1}({3}name) SELECT {4}w.name FROM want w "
        "WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.name = w.name) RETURNING id, name) "
        "SELECT id, name FROM found UNION ALL SELECT id, name FROM ins",
        values, table, project_id ? " WHERE t.project_id = $1::bigint" : "",
        project_id ? "project_id, " : "", project_id ? "$1::bigint, " : "");
    ASSIGN_OR_RETURN(PgRows r, Q(sql, params, doing));
    if (r.rows.size() != to - from) {
      return base::Internal(fmt::format("{}: {} gave {} rows for {} names", conn_->where(), doing,
                                        r.rows.size(), to - from));
    }
    for (const PgRow& row : r.rows) {
      if (project_id) {
        benchmark_ids_[{*project_id, PgToText(row, 1)}] = PgToInt(row, 0);
      } else {
        metric_ids_[PgToText(row, 1)] = PgToInt(row, 0);
      }
    }
    from = to;
  }
  return Status::Ok();
}

Result<std::optional<std::string>> PgStore::StoredContentHash(const std::string& run_id) {
  ASSIGN_OR_RETURN(PgRows r, Q("SELECT content_hash FROM runs WHERE run_id = $1", {PgText(run_id)},
                               "look up a run"));
  if (r.rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(PgToText(r.rows[0], 0));
}

Status PgStore::InsertRun(const core::Run& run, const RunEncoding& encoding) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(run.project));

  // Found or inserted in one round trip; the unique index is on md5(description).
  const std::string env_json = core::WriteEnvironment(run.environment);
  ASSIGN_OR_RETURN(
      PgRows env,
      Q("WITH found AS (SELECT id FROM environments WHERE md5(description) = md5($2::text) AND "
        "description = $2::text), "
        "ins AS (INSERT INTO environments(fingerprint, description) SELECT $1::text, $2::text "
        "WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id) "
        "SELECT id FROM found UNION ALL SELECT id FROM ins",
        {PgText(run.environment.fingerprint), PgText(env_json)}, "store an environment"));
  if (env.rows.empty()) return base::Internal("storing an environment gave no row id");
  const int64_t env_id = PgToInt(env.rows[0], 0);

  const RunBenchmarkSets sets = BenchmarkSetsOf(run);
  PgParam set_ids[2];
  for (int i = 0; i < 2; ++i) {
    const std::string& set = i == 0 ? sets.ok : sets.failed;
    if (set.empty()) continue;
    ASSIGN_OR_RETURN(const int64_t set_id, BenchmarkSetId(set));
    set_ids[i] = PgInt(set_id);
  }
  const bool suite = run.suite.has_value();
  ASSIGN_OR_RETURN(
      PgRows ins,
      Q("INSERT INTO runs(run_id, content_hash, project_id, platform, commit_sha, "
        "commit_branch, commit_time, commit_subject, range_from, range_count, reason, "
        "reason_detail, suite_name, suite_revision, environment_id, started_at, "
        "finished_at, benchmark_count, sample_count, partial, ingested_at, suite_json, "
        "epoch, ok_set, failed_set) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) RETURNING id",
        {PgText(run.run_id),
         PgText(encoding.content_hash),
         PgInt(project_id),
         PgText(run.platform),
         PgText(run.commit.sha),
         PgOptText(run.commit.branch),
         run.commit.time ? PgInt(run.commit.time->unix_nanos) : PgParam(),
         PgOptText(run.commit.subject),
         PgOptText(run.commit_range.from),
         PgInt(run.commit_range.count),
         PgText(core::ReasonName(run.reason)),
         PgOptText(run.reason_detail),
         suite ? PgText(run.suite->name) : PgParam(),
         suite ? PgInt(run.suite->revision) : PgParam(),
         PgInt(env_id),
         PgInt(run.started_at.unix_nanos),
         PgInt(run.finished_at.unix_nanos),
         PgInt(static_cast<int64_t>(run.benchmarks.size())),
         PgInt(run.sample_count()),
         PgBool(run.partial()),
         PgInt(Now().unix_nanos),
         suite ? PgText(core::WriteSuite(*run.suite)) : PgParam(),
         suite && run.suite->epoch ? PgInt(run.suite->epoch->number) : PgParam(),
         set_ids[0],
         set_ids[1]},
        "store a run"));
  if (ins.rows.empty()) return base::Internal("storing a run gave no row id");
  const int64_t row = PgToInt(ins.rows[0], 0);
  current_run_row_ = row;
  current_run_id_ = run.run_id;

  // The run's benchmarks and metrics: those not seen in this transaction in two statements.
  std::vector<std::string> benchmark_names, metric_names;
  for (const auto& b : run.benchmarks) {
    benchmark_names.push_back(b.name);
    for (const auto& m : b.metrics) metric_names.push_back(m.name);
  }
  RETURN_IF_ERROR(CacheNameIds(project_id, benchmark_names));
  RETURN_IF_ERROR(CacheNameIds(std::nullopt, metric_names));

  auto runner = [this](std::string_view doing) {
    return [this, doing](std::string_view sql, std::span<const PgParam> params) {
      return Q(sql, params, doing).status();
    };
  };
  MultiInsert meas(
      "INSERT INTO measurements(run, benchmark, metric, unit, higher_is_better, samples, n, "
      "mean, stddev, median, min, max, lower, upper) VALUES ",
      {"", "", "", "", "", "::bytea", "", "", "", "", "", "", "", ""},
      runner("store measurements"));
  MultiInsert failures("INSERT INTO failures(run, benchmark, error) VALUES ", {"", "", ""},
                       runner("store failed benchmarks"));
  size_t at = 0;  // the metric's place in `encoding`
  for (const auto& b : run.benchmarks) {
    const int64_t bench_id = benchmark_ids_.at({project_id, b.name});
    if (b.error) {
      RETURN_IF_ERROR(failures.Add({PgInt(row), PgInt(bench_id), PgText(*b.error)}));
    }
    for (const auto& m : b.metrics) {
      const size_t k = at++;
      PgParam samples;
      if (!m.samples.empty()) {
        samples = PgBytes(k < encoding.sample_blobs.size() ? encoding.sample_blobs[k]
                                                           : EncodeSamples(m.samples));
      }
      const core::Summary none;
      const core::Summary& s = m.summary ? *m.summary : none;
      const bool summary = m.summary.has_value();
      RETURN_IF_ERROR(
          meas.Add({PgInt(row), PgInt(bench_id), PgInt(metric_ids_.at(m.name)), PgText(m.unit),
                    PgBool(m.direction == core::Direction::kHigher), std::move(samples),
                    summary ? PgInt(s.n) : PgParam(), summary ? PgReal(s.mean) : PgParam(),
                    PgOptReal(s.stddev), PgOptReal(s.median), PgOptReal(s.min), PgOptReal(s.max),
                    PgOptReal(s.lower), PgOptReal(s.upper)}));
    }
  }
  RETURN_IF_ERROR(meas.Finish());
  return failures.Finish();
}

Result<std::optional<Declaration>> PgStore::DeclaredRevision(const std::string& project,
                                                             const std::string& suite,
                                                             int64_t revision) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(project));
  ASSIGN_OR_RETURN(
      PgRows r, Q("SELECT definitions, first_run_id FROM suite_revisions "
                  "WHERE project_id = $1 AND suite_name = $2 AND revision = $3",
                  {PgInt(project_id), PgText(suite), PgInt(revision)}, "look up a suite revision"));
  if (r.rows.empty()) return std::optional<Declaration>();
  ASSIGN_OR_RETURN(core::SuiteRef declared,
                   StoredSuite(suite, revision, PgToText(r.rows[0], 0), std::nullopt));
  return std::optional<Declaration>(Declaration{std::move(declared), PgToText(r.rows[0], 1)});
}

Status PgStore::DeclareRevision(const core::Run& run) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(run.project));
  return Q("INSERT INTO suite_revisions(project_id, suite_name, revision, definitions, "
           "first_run_id) VALUES ($1, $2, $3, $4, $5)",
           {PgInt(project_id), PgText(run.suite->name), PgInt(run.suite->revision),
            PgText(DefinitionsJson(run.suite->definitions)), PgText(run.run_id)},
           "store a suite revision")
      .status();
}

Result<std::optional<Declaration>> PgStore::DeclaredEpoch(const std::string& project,
                                                          const std::string& platform,
                                                          const std::string& suite,
                                                          int64_t number) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(project));
  ASSIGN_OR_RETURN(PgRows r, Q("SELECT revision, settings, first_run_id FROM epochs "
                               "WHERE project_id = $1 AND platform = $2 AND suite_name = $3 AND "
                               "number = $4",
                               {PgInt(project_id), PgText(platform), PgText(suite), PgInt(number)},
                               "look up an epoch"));
  if (r.rows.empty()) return std::optional<Declaration>();
  const PgRow& row = r.rows[0];
  ASSIGN_OR_RETURN(core::SuiteRef declared, StoredSuite(suite, PgToInt(row, 0), std::nullopt,
                                                        std::make_pair(number, PgToText(row, 1))));
  return std::optional<Declaration>(Declaration{std::move(declared), PgToText(row, 2)});
}

Status PgStore::DeclareEpoch(const core::Run& run) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(run.project));
  const core::SuiteRef& suite = *run.suite;
  return Q("INSERT INTO epochs(project_id, platform, suite_name, number, revision, settings, "
           "first_run_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
           {PgInt(project_id), PgText(run.platform), PgText(suite.name), PgInt(suite.epoch->number),
            PgInt(suite.revision), PgText(SettingsJson(suite.epoch->settings)), PgText(run.run_id)},
           "store an epoch")
      .status();
}

Result<SeriesSlot> PgStore::SeriesFor(const core::SeriesKey& key, const std::string& unit,
                                      core::Direction direction) {
  if (auto it = series_ids_.find(key); it != series_ids_.end()) return it->second;
  if (auto it = new_series_ids_.find(key); it != new_series_ids_.end()) return it->second;
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(key.project));
  RETURN_IF_ERROR(CacheNameIds(project_id, {key.benchmark}));
  RETURN_IF_ERROR(CacheNameIds(std::nullopt, {key.metric}));
  const int64_t benchmark_id = benchmark_ids_.at({project_id, key.benchmark});
  const int64_t metric_id = metric_ids_.at(key.metric);
  // Found (with the unit it began with) or inserted in one round trip.
  ASSIGN_OR_RETURN(
      PgRows r,
      Q("WITH found AS (SELECT id, unit FROM series WHERE project_id = $1::bigint AND "
        "benchmark_id = $2::bigint AND metric_id = $3::bigint AND platform = $4::text AND "
        "coalesce(epoch, -1) = coalesce($5::bigint, -1) AND ci = $6::boolean), "
        "ins AS (INSERT INTO series(project_id, benchmark_id, metric_id, platform, epoch, ci, "
        "unit, higher_is_better, last_run) SELECT $1::bigint, $2::bigint, $3::bigint, $4::text, "
        "$5::bigint, $6::boolean, $7::text, $8::boolean, 0 "
        "WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id, unit) "
        "SELECT id, unit FROM found UNION ALL SELECT id, unit FROM ins",
        {PgInt(project_id), PgInt(benchmark_id), PgInt(metric_id), PgText(key.platform),
         PgOptInt(key.epoch), PgBool(key.ci), PgText(unit),
         PgBool(direction == core::Direction::kHigher)},
        "store a series"));
  if (r.rows.empty()) return base::Internal("storing a series gave no row id");
  SeriesSlot slot{PgToInt(r.rows[0], 0), PgToText(r.rows[0], 1)};
  // Kept across transactions only once this one commits.
  new_series_ids_.emplace(key, slot);
  return slot;
}

Result<std::vector<RunOrder>> PgStore::RunsOfCommit(const std::string& project,
                                                    const std::string& platform,
                                                    const std::string& sha) {
  ASSIGN_OR_RETURN(PgRows r, Q("SELECT coalesce(r.commit_time, r.started_at), r.run_id "
                               "FROM runs r JOIN projects p ON p.id = r.project_id "
                               "WHERE r.commit_sha = $1 AND r.platform = $2 AND p.name = $3 "
                               "ORDER BY 1, 2",
                               {PgText(sha), PgText(platform), PgText(project)},
                               "look up the runs of a commit"));
  std::vector<RunOrder> out;
  out.reserve(r.rows.size());
  for (const PgRow& row : r.rows) out.push_back({PgToInt(row, 0), PgToText(row, 1)});
  return out;
}

Result<int64_t> PgStore::RunRow(const std::string& run_id) {
  // The run being written: no query.
  if (!current_run_id_.empty() && run_id == current_run_id_) return current_run_row_;
  ASSIGN_OR_RETURN(PgRows r,
                   Q("SELECT id FROM runs WHERE run_id = $1", {PgText(run_id)}, "look up a run"));
  if (r.rows.empty()) {
    return base::Internal(fmt::format("{}: run {} is not stored", conn_->where(), run_id));
  }
  return PgToInt(r.rows[0], 0);
}

Result<std::optional<core::Metric>> PgStore::StoredMetric(const std::string& run_id,
                                                          const std::string& benchmark,
                                                          const std::string& metric) {
  ASSIGN_OR_RETURN(
      PgRows r,
      Q(fmt::format("SELECT {} FROM measurements m "
                    "JOIN runs r ON r.id = m.run JOIN benchmarks b ON b.id = m.benchmark "
                    "JOIN metrics mt ON mt.id = m.metric "
                    "WHERE r.run_id = $1 AND b.project_id = r.project_id AND b.name = $2 AND "
                    "mt.name = $3",
                    kPgMetricColumns),
        {PgText(run_id), PgText(benchmark), PgText(metric)}, "read a measurement"));
  if (r.rows.empty()) return std::optional<core::Metric>();
  ASSIGN_OR_RETURN(core::Metric m, PgReadMetric(r.rows[0], 0, conn_->where()));
  return std::optional<core::Metric>(std::move(m));
}

Result<std::optional<std::vector<std::string>>> PgStore::PointRuns(int64_t series,
                                                                   const RunOrder& first) {
  // The point may still be pending.
  RETURN_IF_ERROR(FlushPoints());
  // The run's row and its point in one round trip: no row is a run not stored (RunRow's error).
  ASSIGN_OR_RETURN(PgRows r, Q("SELECT p.run IS NOT NULL, p.pooled FROM runs r "
                               "LEFT JOIN points p ON p.series = $1::bigint AND "
                               "p.t = $2::bigint AND p.run = r.id WHERE r.run_id = $3::text",
                               {PgInt(series), PgInt(first.order_nanos), PgText(first.run_id)},
                               "read a series point"));
  if (r.rows.empty()) {
    return base::Internal(fmt::format("{}: run {} is not stored", conn_->where(), first.run_id));
  }
  std::optional<std::vector<std::string>> out;
  if (PgToBool(r.rows[0], 0)) {
    out.emplace();
    if (PgIsNull(r.rows[0], 1)) {
      out->push_back(first.run_id);
    } else {
      *out = base::Split(PgToText(r.rows[0], 1), ',');
    }
  }
  return out;
}

Status PgStore::WritePoint(int64_t series, const std::optional<RunOrder>& replaces,
                           std::span<const RunOrder> runs, const core::PointSummary& point) {
  if (runs.empty()) return base::Internal("a series point without a run");
  ASSIGN_OR_RETURN(const int64_t row, RunRow(runs.front().run_id));
  int64_t& newest = touched_series_[series];
  newest = std::max(newest, current_run_row_);
  if (replaces) {
    // The point replaced may still be pending; deleted before its successor is inserted (they
    // may have the same key).
    RETURN_IF_ERROR(FlushPoints());
    ASSIGN_OR_RETURN(const int64_t old_row, RunRow(replaces->run_id));
    RETURN_IF_ERROR(Q("DELETE FROM points WHERE series = $1 AND t = $2 AND run = $3",
                      {PgInt(series), PgInt(replaces->order_nanos), PgInt(old_row)},
                      "replace a series point")
                        .status());
  }
  pending_points_.push_back(
      {series, runs.front().order_nanos, row, point,
       runs.size() > 1 ? std::optional<std::string>(JoinRunIds(runs)) : std::nullopt});
  return Status::Ok();
}

Status PgStore::FlushPoints() {
  if (pending_points_.empty()) return Status::Ok();
  MultiInsert ins(
      "INSERT INTO points(series, t, run, median, spread, min, max, n, runs, pooled) VALUES ",
      {"", "", "", "", "", "", "", "", "", ""},
      [this](std::string_view sql, std::span<const PgParam> params) {
        return Q(sql, params, "store series points").status();
      });
  for (const PendingPoint& p : pending_points_) {
    RETURN_IF_ERROR(
        ins.Add({PgInt(p.series), PgInt(p.t), PgInt(p.run), PgReal(p.point.median),
                 PgReal(p.point.spread), PgReal(p.point.min), PgReal(p.point.max), PgInt(p.point.n),
                 PgInt(std::max(p.point.runs, 1)), PgOptText(p.pooled)}));
  }
  RETURN_IF_ERROR(ins.Finish());
  pending_points_.clear();
  return Status::Ok();
}

Status PgStore::FlushTouchedSeries() {
  if (touched_series_.empty()) return Status::Ok();
  // Every touched series in one statement: its ids and newest run rows as two arrays.
  RETURN_IF_ERROR(Q("UPDATE series s SET last_run = greatest(s.last_run, v.run) "
                    "FROM unnest($1::bigint[], $2::bigint[]) AS v(id, run) WHERE s.id = v.id",
                    {PgText(IntArray(touched_series_, [](const auto& e) { return e.first; })),
                     PgText(IntArray(touched_series_, [](const auto& e) { return e.second; }))},
                    "mark series changed")
                      .status());
  touched_series_.clear();
  return Status::Ok();
}

}  // namespace perfledger::store
