// The PostgreSQL back end's reads of runs (pg_store.h), ported from sqlite_runs.cc and
// sqlite_catalog.cc: summaries, whole runs with their samples, the runs as coverage sees them,
// the platforms, the declared epochs and the benchmarks with their platforms. Each round trip
// costs a server's attention, so what SQLite steps row by row is fetched here in a few
// queries: runs in one, their measurements and failures in batches of runs.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/artifact.h"
#include "core/epoch.h"
#include "store/pg_store.h"
#include "store/sample_codec.h"
#include "store/suite_json.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

// Columns 0-19 of every run query, as sqlite_runs.cc numbers them (its column 20, the suite's
// JSON, is kSuiteColumns' first).
constexpr std::string_view kRunColumns =
    "r.id, r.run_id, p.name, r.commit_sha, r.commit_branch, r.commit_time, r.commit_subject, "
    "r.range_from, r.range_count, r.reason, r.reason_detail, r.platform, r.suite_name, "
    "r.suite_revision, r.environment_id, r.started_at, r.finished_at, r.benchmark_count, "
    "r.sample_count, r.partial";

// Columns 20 and 21: the suite's JSON, and whether it is the previous run's (then 20 is NULL).
// Consecutive runs mostly share their suite, whose JSON (every definition) would otherwise
// travel and be parsed again for each run.
constexpr std::string_view kSuiteColumns =
    ", CASE WHEN coalesce(r.suite_json = lag(r.suite_json) OVER w, false) THEN NULL "
    "ELSE r.suite_json END, coalesce(r.suite_json = lag(r.suite_json) OVER w, false)";

constexpr std::string_view kRunOrder = "coalesce(r.commit_time, r.started_at), r.run_id";

// The runs matching a filter, in ListRuns order, with their parameters.
struct RunQuery {
  std::string sql;
  std::vector<PgParam> params;
};

// $1 the platform, $2 the project, then the benchmark and the run_id when given (through the
// run_id's unique index: one run is read without a scan). The runs of one benchmark are those
// whose sets of measured or failed benchmarks hold it: a store has few distinct sets, and no
// index over every measurement is kept for this. `suites`: kSuiteColumns too; `more`: further
// columns from 22 on.
RunQuery MakeRunQuery(const RunFilter& filter, bool suites, std::string_view more = "") {
  RunQuery q;
  q.params = {PgOptText(filter.platform), PgOptText(filter.project)};
  std::string where;
  if (filter.benchmark) {
    q.params.push_back(PgText(*filter.benchmark));
    const std::string sets = fmt::format(
        "(SELECT s.id FROM benchmark_sets s CROSS JOIN LATERAL "
        "json_array_elements_text(s.names::json) AS j(name) WHERE j.name = ${}::text)",
        q.params.size());
    where += fmt::format("AND (r.ok_set IN {0} OR r.failed_set IN {0}) ", sets);
  }
  if (filter.run_id) {
    q.params.push_back(PgText(*filter.run_id));
    where += fmt::format("AND r.run_id = ${}::text ", q.params.size());
  }
  q.sql = fmt::format(
      "SELECT {0}{1}{2} FROM runs r JOIN projects p ON p.id = r.project_id "
      "WHERE ($1::text IS NULL OR r.platform = $1::text) AND "
      "($2::text IS NULL OR p.name = $2::text) {3}{4}ORDER BY {5}",
      kRunColumns, suites ? kSuiteColumns : "", more, where,
      suites ? fmt::format("WINDOW w AS (ORDER BY {}) ", kRunOrder) : std::string(), kRunOrder);
  return q;
}

core::Reason ReasonOrPush(const std::string& name) {
  return core::ParseReason(name).value_or(core::Reason::kPush);
}

// Where each run's rows are in `rows` (sorted by the run, column 0): [first, last).
std::unordered_map<int64_t, std::pair<size_t, size_t>> RowsByRun(const PgRows& rows) {
  std::unordered_map<int64_t, std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < rows.rows.size();) {
    const int64_t run = PgToInt(rows.rows[i], 0);
    size_t j = i + 1;
    while (j < rows.rows.size() && PgToInt(rows.rows[j], 0) == run) ++j;
    out.emplace(run, std::make_pair(i, j));
    i = j;
  }
  return out;
}

// ForEachRun reads the measurements of this many runs at once, or fewer when they hold more
// than kBatchSamples samples together: what one batch holds in memory stays bounded.
constexpr size_t kBatchRuns = 256;
constexpr int64_t kBatchSamples = int64_t{1} << 20;

}  // namespace

const std::string_view kPgMetricColumns =
    "mt.name, m.unit, m.higher_is_better, m.samples, m.n, m.mean, m.stddev, m.median, m.min, "
    "m.max, m.lower, m.upper";

Result<core::Metric> PgReadMetric(const PgRow& row, size_t c, const std::string& path) {
  core::Metric m;
  m.name = PgToText(row, c);
  m.unit = PgToText(row, c + 1);
  m.direction = PgToBool(row, c + 2) ? core::Direction::kHigher : core::Direction::kLower;
  if (!PgIsNull(row, c + 3)) {
    auto blob = PgToBytes(row, c + 3, "stored samples");
    if (!blob.ok()) return blob.status().WithPrefix(path);
    auto samples = DecodeSamples(*blob);
    if (!samples.ok()) return samples.status().WithPrefix(path);
    m.samples = std::move(*samples);
  }
  if (!PgIsNull(row, c + 4)) {
    core::Summary s;
    s.n = PgToInt(row, c + 4);
    s.mean = PgToReal(row, c + 5);
    s.stddev = PgToOptReal(row, c + 6);
    s.median = PgToOptReal(row, c + 7);
    s.min = PgToOptReal(row, c + 8);
    s.max = PgToOptReal(row, c + 9);
    s.lower = PgToOptReal(row, c + 10);
    s.upper = PgToOptReal(row, c + 11);
    if (m.samples.empty()) m.summary = s;
  }
  return m;
}

Result<std::optional<core::SuiteRef>> PgStore::SuiteOf(const PgRow& row, size_t name_col,
                                                       size_t revision_col, size_t json_col,
                                                       const std::string& run_id) const {
  if (!PgIsNull(row, json_col)) {
    auto suite = core::ReadSuite(PgToText(row, json_col), "stored suite");
    if (!suite.ok()) {
      return base::Internal(fmt::format("{}: run {} has an unreadable suite: {}", conn_->where(),
                                        run_id, suite.status().message()));
    }
    return std::optional<core::SuiteRef>(std::move(*suite));
  }
  // Written without its JSON (SQLite's stores before schema 3 kept only these).
  if (PgIsNull(row, name_col)) return std::optional<core::SuiteRef>();
  return std::optional<core::SuiteRef>(
      core::SuiteRef{PgToText(row, name_col), PgToInt(row, revision_col), {}, std::nullopt});
}

Result<std::vector<RunSummary>> PgStore::ListRuns(const RunFilter& filter) {
  const RunQuery rq = MakeRunQuery(filter, /*suites=*/false);
  ASSIGN_OR_RETURN(PgRows runs, Q(rq.sql, rq.params, "list runs"));
  std::vector<RunSummary> out;
  out.reserve(runs.rows.size());
  for (const PgRow& row : runs.rows) {
    RunSummary r;
    r.run_id = PgToText(row, 1);
    r.project = PgToText(row, 2);
    r.sha = PgToText(row, 3);
    r.commit_time = PgToOptTime(row, 5);
    r.reason = ReasonOrPush(PgToText(row, 9));
    r.platform = PgToText(row, 11);
    r.started_at = base::Timestamp{PgToInt(row, 15)};
    r.benchmark_count = PgToInt(row, 17);
    r.sample_count = PgToInt(row, 18);
    r.partial = PgToBool(row, 19);
    out.push_back(std::move(r));
  }
  return out;
}

Status PgStore::ForEachRun(const RunFilter& filter,
                           const std::function<Status(const core::Run&)>& fn) {
  // One snapshot, so every run and its rows come from the same store.
  return InRead([&] { return ForEachRunIn(filter, fn); });
}

Status PgStore::ForEachRunIn(const RunFilter& filter,
                             const std::function<Status(const core::Run&)>& fn) {
  const RunQuery rq = MakeRunQuery(filter, /*suites=*/true);
  ASSIGN_OR_RETURN(PgRows runs, Q(rq.sql, rq.params, "read runs"));
  // A batch's rows, or with a benchmark filter only that benchmark's ($2), sorted by run, then
  // benchmark and metric name: the order in which a run holds them.
  const std::string only = filter.benchmark ? " AND b.name = $2::text" : "";
  const std::string measurements_sql = fmt::format(
      "SELECT m.run, b.name, {} FROM measurements m JOIN benchmarks b ON b.id = m.benchmark "
      "JOIN metrics mt ON mt.id = m.metric WHERE m.run = ANY($1::bigint[]){} "
      "ORDER BY m.run, b.name, mt.name",
      kPgMetricColumns, only);
  const std::string failures_sql = fmt::format(
      "SELECT f.run, b.name, f.error FROM failures f JOIN benchmarks b ON b.id = f.benchmark "
      "WHERE f.run = ANY($1::bigint[]){} ORDER BY f.run, b.name",
      only);
  std::unordered_map<int64_t, core::Environment> environments;
  std::optional<core::SuiteRef> suite;  // the previous run's
  for (size_t begin = 0; begin < runs.rows.size();) {
    size_t end = begin;
    int64_t samples = 0;
    std::vector<int64_t> ids, new_environments;
    while (end < runs.rows.size() && ids.size() < kBatchRuns &&
           (filter.benchmark || samples < kBatchSamples)) {
      const PgRow& row = runs.rows[end++];
      ids.push_back(PgToInt(row, 0));
      samples += PgToInt(row, 18);
      if (!environments.contains(PgToInt(row, 14))) new_environments.push_back(PgToInt(row, 14));
    }
    // The environments not read yet, parsed when a run needs one (an unreadable one fails at
    // its run, after the runs before it, as on SQLite).
    std::unordered_map<int64_t, std::string> descriptions;
    if (!new_environments.empty()) {
      std::sort(new_environments.begin(), new_environments.end());
      new_environments.erase(std::unique(new_environments.begin(), new_environments.end()),
                             new_environments.end());
      ASSIGN_OR_RETURN(PgRows e, Q("SELECT id, description FROM environments "
                                   "WHERE id = ANY($1::bigint[])",
                                   {PgIntArray(new_environments)}, "read environments"));
      for (PgRow& row : e.rows) descriptions.emplace(PgToInt(row, 0), PgToText(row, 1));
    }
    std::vector<PgParam> params = {PgIntArray(ids)};
    if (filter.benchmark) params.push_back(PgText(*filter.benchmark));
    ASSIGN_OR_RETURN(PgRows failed, Q(failures_sql, params, "read failed benchmarks"));
    ASSIGN_OR_RETURN(PgRows measured, Q(measurements_sql, params, "read measurements"));
    const auto failed_of = RowsByRun(failed), measured_of = RowsByRun(measured);

    for (size_t i = begin; i < end; ++i) {
      const PgRow& row = runs.rows[i];
      core::Run run;
      const int64_t id = PgToInt(row, 0);
      run.run_id = PgToText(row, 1);
      run.project = PgToText(row, 2);
      run.commit.sha = PgToText(row, 3);
      run.commit.branch = PgToOptText(row, 4);
      run.commit.time = PgToOptTime(row, 5);
      run.commit.subject = PgToOptText(row, 6);
      run.commit_range.from = PgToOptText(row, 7);
      run.commit_range.to = run.commit.sha;
      run.commit_range.count = PgToInt(row, 8);
      run.reason = ReasonOrPush(PgToText(row, 9));
      run.reason_detail = PgToOptText(row, 10);
      run.platform = PgToText(row, 11);
      if (!PgToBool(row, 21)) {
        ASSIGN_OR_RETURN(suite, SuiteOf(row, 12, 13, 20, run.run_id));
      }
      run.suite = suite;
      const int64_t env_id = PgToInt(row, 14);
      run.started_at = base::Timestamp{PgToInt(row, 15)};
      run.finished_at = base::Timestamp{PgToInt(row, 16)};

      auto env_it = environments.find(env_id);
      if (env_it == environments.end()) {
        auto text = descriptions.find(env_id);
        if (text == descriptions.end()) {
          return base::Internal(
              fmt::format("{}: run {} has no environment", conn_->where(), run.run_id));
        }
        auto env = core::ReadEnvironment(text->second, "stored environment");
        if (!env.ok()) return base::Internal(env.status().message());
        env_it = environments.emplace(env_id, std::move(*env)).first;
      }
      run.environment = env_it->second;

      std::map<std::string, core::BenchmarkResult> benchmarks;
      if (auto it = failed_of.find(id); it != failed_of.end()) {
        for (size_t r = it->second.first; r < it->second.second; ++r) {
          benchmarks[PgToText(failed.rows[r], 1)].error = PgToText(failed.rows[r], 2);
        }
      }
      if (auto it = measured_of.find(id); it != measured_of.end()) {
        for (size_t r = it->second.first; r < it->second.second; ++r) {
          ASSIGN_OR_RETURN(core::Metric m, PgReadMetric(measured.rows[r], 2, conn_->where()));
          // Sorted by metric name already (ORDER BY, bytewise as std::string compares).
          benchmarks[PgToText(measured.rows[r], 1)].metrics.push_back(std::move(m));
        }
      }
      for (auto& [name, b] : benchmarks) {
        b.name = name;
        run.benchmarks.push_back(std::move(b));
      }
      RETURN_IF_ERROR(fn(run));
    }
    begin = end;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> PgStore::Platforms() {
  ASSIGN_OR_RETURN(PgRows r,
                   Q("SELECT DISTINCT platform FROM runs ORDER BY platform", {}, "list platforms"));
  std::vector<std::string> out;
  out.reserve(r.rows.size());
  for (const PgRow& row : r.rows) out.push_back(PgToText(row, 0));
  return out;
}

Result<std::vector<RunPoint>> PgStore::ListRunPoints(const RunFilter& filter,
                                                     bool with_benchmarks) {
  std::vector<RunPoint> out;
  auto body = [&]() -> Status {
    // With benchmarks, each run's sets by id (columns 22 and 23): one row per run and each
    // distinct set once, not every measurement.
    const RunQuery rq =
        MakeRunQuery(filter, /*suites=*/true, with_benchmarks ? ", r.ok_set, r.failed_set" : "");
    ASSIGN_OR_RETURN(PgRows runs, Q(rq.sql, rq.params, "list runs"));
    std::optional<core::SuiteRef> suite;  // the previous run's
    out.reserve(runs.rows.size());
    for (const PgRow& row : runs.rows) {
      RunPoint p;
      p.run_id = PgToText(row, 1);
      p.project = PgToText(row, 2);
      p.sha = PgToText(row, 3);
      p.commit_time = PgToOptTime(row, 5);
      p.range_from = PgToOptText(row, 7);
      p.range_count = PgToInt(row, 8);
      p.platform = PgToText(row, 11);
      if (!PgToBool(row, 21)) {
        ASSIGN_OR_RETURN(suite, SuiteOf(row, 12, 13, 20, p.run_id));
      }
      p.suite = suite;
      p.started_at = base::Timestamp{PgToInt(row, 15)};
      out.push_back(std::move(p));
    }
    if (!with_benchmarks) return Status::Ok();
    std::vector<int64_t> set_ids;
    for (const PgRow& row : runs.rows) {
      for (size_t c : {22, 23}) {
        if (!PgIsNull(row, c)) set_ids.push_back(PgToInt(row, c));
      }
    }
    std::sort(set_ids.begin(), set_ids.end());
    set_ids.erase(std::unique(set_ids.begin(), set_ids.end()), set_ids.end());
    std::unordered_map<int64_t, BenchmarkNames> sets;
    if (!set_ids.empty()) {
      ASSIGN_OR_RETURN(PgRows s, Q("SELECT id, names FROM benchmark_sets "
                                   "WHERE id = ANY($1::bigint[])",
                                   {PgIntArray(set_ids)}, "list benchmark sets"));
      for (const PgRow& row : s.rows) {
        sets.emplace(PgToInt(row, 0), SplitBenchmarkSet(PgToText(row, 1)));
      }
    }
    const BenchmarkNames none = std::make_shared<const std::vector<std::string>>();
    auto set_of = [&](const PgRow& row, size_t c) {
      if (PgIsNull(row, c)) return none;
      auto it = sets.find(PgToInt(row, c));
      return it == sets.end() ? none : it->second;
    };
    for (size_t i = 0; i < out.size(); ++i) {
      out[i].ok_benchmarks = set_of(runs.rows[i], 22);
      out[i].failed_benchmarks = set_of(runs.rows[i], 23);
    }
    return Status::Ok();
  };
  // The sets are read in the runs' snapshot.
  RETURN_IF_ERROR(with_benchmarks ? InRead(body) : body());
  return out;
}

Result<std::vector<EpochInfo>> PgStore::ListEpochs(const RunFilter& filter) {
  // Each epoch with its run count, first run and first run that is not partial (the first
  // complete run when its suite revision defines no benchmark), in one query.
  constexpr std::string_view kOfEpoch =
      "r.project_id = e.project_id AND r.platform = e.platform AND r.suite_name = e.suite_name "
      "AND r.epoch = e.number";
  const std::string epochs_sql = fmt::format(
      "SELECT e.project_id, p.name, e.platform, e.suite_name, e.number, e.revision, e.settings, "
      "sr.definitions, (SELECT count(*) FROM runs r WHERE {0}), f.run_id, f.commit_sha, "
      "f.commit_time, c.id, c.run_id, c.commit_sha, c.commit_time "
      "FROM epochs e JOIN projects p ON p.id = e.project_id "
      "LEFT JOIN suite_revisions sr ON sr.project_id = e.project_id AND "
      "sr.suite_name = e.suite_name AND sr.revision = e.revision "
      "LEFT JOIN LATERAL (SELECT r.run_id, r.commit_sha, r.commit_time FROM runs r WHERE {0} "
      "ORDER BY {1} LIMIT 1) f ON true "
      "LEFT JOIN LATERAL (SELECT r.id, r.run_id, r.commit_sha, r.commit_time FROM runs r "
      "WHERE {0} AND NOT r.partial ORDER BY {1} LIMIT 1) c ON true "
      "WHERE ($1::text IS NULL OR e.platform = $1::text) AND ($2::text IS NULL OR p.name = "
      "$2::text) "
      "ORDER BY e.platform, e.suite_name, e.number, p.name",
      kOfEpoch, kRunOrder);
  // The benchmarks each of `ids` measured, sorted (runs without any are missing).
  auto names_of = [&](const std::vector<int64_t>& ids)
      -> Result<std::unordered_map<int64_t, std::vector<std::string>>> {
    std::unordered_map<int64_t, std::vector<std::string>> names;
    if (ids.empty()) return names;
    ASSIGN_OR_RETURN(PgRows r, Q("SELECT DISTINCT m.run, b.name FROM measurements m "
                                 "JOIN benchmarks b ON b.id = m.benchmark "
                                 "WHERE m.run = ANY($1::bigint[]) ORDER BY m.run, b.name",
                                 {PgIntArray(ids)}, "list the benchmarks of runs"));
    for (const PgRow& row : r.rows) names[PgToInt(row, 0)].push_back(PgToText(row, 1));
    return names;
  };
  auto set_complete = [](EpochInfo& info, const PgRow& row, size_t c) {
    info.first_complete_run_id = PgToText(row, c);
    info.first_complete_sha = PgToText(row, c + 1);
    info.first_complete_commit_time = PgToOptTime(row, c + 2);
  };

  std::vector<EpochInfo> out;
  RETURN_IF_ERROR(InRead([&]() -> Status {
    ASSIGN_OR_RETURN(
        PgRows epochs,
        Q(epochs_sql, {PgOptText(filter.platform), PgOptText(filter.project)}, "list epochs"));
    std::vector<std::map<std::string, std::string>> definitions;
    std::vector<int64_t> candidates;  // first runs not partial, of epochs with definitions
    for (const PgRow& row : epochs.rows) {
      EpochInfo info;
      info.project = PgToText(row, 1);
      info.platform = PgToText(row, 2);
      info.suite = PgToText(row, 3);
      info.number = PgToInt(row, 4);
      info.revision = PgToInt(row, 5);
      ASSIGN_OR_RETURN(core::SuiteRef declared,
                       StoredSuite(info.suite, info.revision, PgToOptText(row, 7),
                                   std::make_pair(info.number, PgToText(row, 6))));
      info.settings = std::move(declared.epoch->settings);
      info.run_count = PgToInt(row, 8);
      if (!PgIsNull(row, 9)) {
        info.first_run_id = PgToText(row, 9);
        info.first_sha = PgToText(row, 10);
        info.first_commit_time = PgToOptTime(row, 11);
      }
      if (!PgIsNull(row, 12)) {
        if (declared.definitions.empty()) {
          set_complete(info, row, 13);
        } else {
          candidates.push_back(PgToInt(row, 12));
        }
      }
      definitions.push_back(std::move(declared.definitions));
      out.push_back(std::move(info));
    }
    ASSIGN_OR_RETURN(auto names, names_of(candidates));
    for (size_t i = 0; i < out.size(); ++i) {
      const PgRow& row = epochs.rows[i];
      if (PgIsNull(row, 12) || definitions[i].empty()) continue;
      if (core::MeasuresEveryDefinition(names[PgToInt(row, 12)], definitions[i])) {
        set_complete(out[i], row, 13);
        continue;
      }
      // Rare: the first run lacks a definition (added to the suite later on), so the epoch's
      // later runs are checked in order, a page of them at a time.
      ASSIGN_OR_RETURN(
          PgRows later,
          Q(fmt::format("SELECT r.id, r.run_id, r.commit_sha, r.commit_time FROM runs r "
                        "WHERE r.project_id = $1::bigint AND r.platform = $2::text AND "
                        "r.suite_name = $3::text AND r.epoch = $4::bigint AND NOT r.partial "
                        "ORDER BY {} OFFSET 1",
                        kRunOrder),
            {PgInt(PgToInt(row, 0)), PgText(out[i].platform), PgText(out[i].suite),
             PgInt(out[i].number)},
            "list the runs of an epoch"));
      constexpr size_t kPage = 64;
      bool found = false;
      for (size_t begin = 0; begin < later.rows.size() && !found; begin += kPage) {
        const size_t end = std::min(later.rows.size(), begin + kPage);
        std::vector<int64_t> ids;
        for (size_t r = begin; r < end; ++r) ids.push_back(PgToInt(later.rows[r], 0));
        ASSIGN_OR_RETURN(auto page, names_of(ids));
        for (size_t r = begin; r < end && !found; ++r) {
          if (core::MeasuresEveryDefinition(page[ids[r - begin]], definitions[i])) {
            set_complete(out[i], later.rows[r], 1);
            found = true;
          }
        }
      }
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<BenchmarkInfo>> PgStore::ListBenchmarks(const RunFilter& filter,
                                                           int64_t runs_after) {
  // Aggregated by the server: each benchmark x metric x platform of the matching runs with its
  // newest run, the unit and direction as the newest of those stored them. One row per
  // platform, sorted, folded below. filter.benchmark is ignored, as the interface says.
  constexpr std::string_view kSql =
      "WITH g AS (SELECT m.benchmark, m.metric, r.platform, max(m.run) AS newest "
      "FROM measurements m JOIN runs r ON r.id = m.run JOIN projects pr ON pr.id = r.project_id "
      "WHERE m.run > $1::bigint AND ($2::text IS NULL OR r.platform = $2::text) AND "
      "($3::text IS NULL OR pr.name = $3::text) GROUP BY m.benchmark, m.metric, r.platform), "
      "n AS (SELECT benchmark, metric, max(newest) AS newest FROM g GROUP BY benchmark, metric) "
      "SELECT p.name, b.name, mt.name, m.unit, m.higher_is_better, g.platform "
      "FROM g JOIN n ON n.benchmark = g.benchmark AND n.metric = g.metric "
      "JOIN measurements m ON m.run = n.newest AND m.benchmark = n.benchmark AND "
      "m.metric = n.metric "
      "JOIN benchmarks b ON b.id = g.benchmark JOIN projects p ON p.id = b.project_id "
      "JOIN metrics mt ON mt.id = g.metric ORDER BY p.name, b.name, mt.name, g.platform";
  std::vector<BenchmarkInfo> out;
  RETURN_IF_ERROR(InRead([&]() -> Status {
    // "After the first n runs" in storage (id) order: ids may have gaps, so the n-th id
    // bounds them, not n.
    int64_t after = 0;
    if (runs_after > 0) {
      ASSIGN_OR_RETURN(PgRows nth, Q("SELECT id FROM runs ORDER BY id OFFSET $1::bigint LIMIT 1",
                                     {PgInt(runs_after - 1)}, "list benchmarks"));
      if (nth.rows.empty()) return Status::Ok();  // no run after the first n
      after = PgToInt(nth.rows[0], 0);
    }
    ASSIGN_OR_RETURN(PgRows rows,
                     Q(kSql, {PgInt(after), PgOptText(filter.platform), PgOptText(filter.project)},
                       "list benchmarks"));
    for (const PgRow& row : rows.rows) {
      const std::string project = PgToText(row, 0), benchmark = PgToText(row, 1),
                        metric = PgToText(row, 2);
      if (out.empty() || out.back().project != project || out.back().benchmark != benchmark ||
          out.back().metric != metric) {
        BenchmarkInfo info;
        info.project = project;
        info.benchmark = benchmark;
        info.metric = metric;
        info.unit = PgToText(row, 3);
        info.direction = PgToBool(row, 4) ? core::Direction::kHigher : core::Direction::kLower;
        out.push_back(std::move(info));
      }
      out.back().platforms.push_back(PgToText(row, 5));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace perfledger::store
