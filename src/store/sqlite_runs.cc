// The SQLite back end's reads of runs: summaries, whole runs with their samples, the runs as
// coverage sees them, the platforms.

#include <fmt/format.h>

#include <algorithm>

#include "core/artifact.h"
#include "store/sample_codec.h"
#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

constexpr std::string_view kRunColumns =
    "r.id, r.run_id, p.name, r.commit_sha, r.commit_branch, r.commit_time, r.commit_subject, "
    "r.range_from, r.range_count, r.reason, r.reason_detail, r.platform, r.suite_name, "
    "r.suite_revision, r.environment_id, r.started_at, r.finished_at, r.benchmark_count, "
    "r.sample_count, r.partial, r.suite_json";

// The runs matching `filter`, with ?1 the platform, ?2 the project, ?3 the benchmark and ?4
// the run_id (through the run_id's unique index: one run is read without a scan). The
// runs of one benchmark are those whose sets of measured or failed benchmarks (migration 8)
// hold it: a store has few distinct sets, and no index over every measurement is kept for this
// (migration 10). Without a benchmark the query does not name the sets, which a store being
// migrated to the series layer (migration 7) does not have yet.
std::string RunQuery(const RunFilter& filter) {
  constexpr std::string_view kSetsWith =
      "(SELECT s.id FROM benchmark_sets s, json_each(s.names) j WHERE j.value = ?3)";
  return fmt::format(
      "SELECT {0} FROM runs r JOIN projects p ON p.id = r.project_id "
      "WHERE (?1 IS NULL OR r.platform = ?1) AND (?2 IS NULL OR p.name = ?2) {1}{2}"
      "ORDER BY COALESCE(r.commit_time, r.started_at), r.run_id",
      kRunColumns,
      filter.benchmark ? fmt::format("AND (r.ok_set IN {0} OR r.failed_set IN {0}) ", kSetsWith)
                       : std::string(),
      filter.run_id ? "AND r.run_id = ?4 " : "");
}

// Binds RunQuery's parameters.
void BindRunQuery(Stmt& q, const RunFilter& filter) {
  q.BindOptional(1, filter.platform);
  q.BindOptional(2, filter.project);
  if (filter.benchmark) q.Bind(3, *filter.benchmark);
  if (filter.run_id) q.Bind(4, *filter.run_id);
}

core::Reason ReasonOrPush(const std::string& name) {
  return core::ParseReason(name).value_or(core::Reason::kPush);
}

}  // namespace

// The columns ReadMetric reads, from the first: metric name, unit, direction, samples, summary.
const std::string_view kMetricColumns =
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
  ASSIGN_OR_RETURN(Stmt * q, Prepared(RunQuery(filter)));
  BindRunQuery(*q, filter);
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

Status SqliteStore::ForEachRun(const RunFilter& filter,
                               const std::function<Status(const core::Run&)>& fn) {
  // One read transaction, so every run comes from the same snapshot.
  RETURN_IF_ERROR(Begin(/*write=*/false));
  Status s = ForEachRunIn(filter, fn);
  Rollback();  // a read transaction: nothing to keep
  return s;
}

Status SqliteStore::ForEachRunIn(const RunFilter& filter,
                                 const std::function<Status(const core::Run&)>& fn) {
  std::unordered_map<int64_t, core::Environment> environments;
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * q, Prepared(RunQuery(filter)));
    BindRunQuery(*q, filter);
    // The inner queries use their own statements; q stays positioned.
    // A run's rows, or with a benchmark filter only that benchmark's: found by the primary
    // key (run, benchmark), not by walking all of the run's rows.
    const std::string only = filter.benchmark ? " AND b.id = (SELECT b2.id FROM runs r2 JOIN "
                                                "benchmarks b2 ON b2.project_id = r2.project_id "
                                                "WHERE r2.id = ?1 AND b2.name = ?2)"
                                              : "";
    Stmt measurements;
    RETURN_IF_ERROR(measurements.Prepare(
        db_, fmt::format("SELECT b.name, {} FROM measurements m "
                         "JOIN benchmarks b ON b.id = m.benchmark JOIN metrics mt ON mt.id = "
                         "m.metric WHERE m.run = ?1{}",
                         kMetricColumns, only)));
    Stmt failures;
    RETURN_IF_ERROR(failures.Prepare(
        db_, fmt::format("SELECT b.name, f.error FROM failures f JOIN benchmarks b ON "
                         "b.id = f.benchmark WHERE f.run = ?1{}",
                         only)));
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
      failures.Reset();
      failures.Bind(1, row);
      if (filter.benchmark) failures.Bind(2, *filter.benchmark);
      while ((rc = failures.Step()) == SQLITE_ROW) {
        auto& b = benchmarks[failures.Text(0)];
        b.error = failures.Text(1);
      }
      if (rc != SQLITE_DONE) return Error(rc, "read failed benchmarks");
      measurements.Reset();
      measurements.Bind(1, row);
      if (filter.benchmark) measurements.Bind(2, *filter.benchmark);
      while ((rc = measurements.Step()) == SQLITE_ROW) {
        ASSIGN_OR_RETURN(core::Metric m, ReadMetric(measurements, 1, path_));
        benchmarks[measurements.Text(0)].metrics.push_back(std::move(m));
      }
      if (rc != SQLITE_DONE) return Error(rc, "read measurements");
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
  return body();
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
    ASSIGN_OR_RETURN(Stmt * q, Prepared(RunQuery(filter)));
    BindRunQuery(*q, filter);
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
    // Each run's sets by id (migration 8): one row per run and each distinct set once, not
    // every measurement.
    std::unordered_map<int64_t, BenchmarkNames> sets;
    ASSIGN_OR_RETURN(Stmt * all_sets, Prepared("SELECT id, names FROM benchmark_sets"));
    while ((rc = all_sets->Step()) == SQLITE_ROW) {
      sets.emplace(all_sets->Int(0), SplitBenchmarkSet(all_sets->Text(1)));
    }
    all_sets->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "list benchmark sets");
    const BenchmarkNames none = std::make_shared<const std::vector<std::string>>();
    for (RunPoint& p : out) p.ok_benchmarks = p.failed_benchmarks = none;
    ASSIGN_OR_RETURN(Stmt * of_runs, Prepared("SELECT id, ok_set, failed_set FROM runs"));
    auto set_of = [&](int column) {
      if (of_runs->IsNull(column)) return none;
      auto it = sets.find(of_runs->Int(column));
      return it == sets.end() ? none : it->second;
    };
    while ((rc = of_runs->Step()) == SQLITE_ROW) {
      auto it = by_row.find(of_runs->Int(0));
      if (it == by_row.end()) continue;
      RunPoint& p = out[it->second];
      p.ok_benchmarks = set_of(1);
      p.failed_benchmarks = set_of(2);
    }
    of_runs->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "list benchmarks of runs");
    return out;
  };
  auto result = body();
  Rollback();
  return result;
}

}  // namespace perfledger::store
