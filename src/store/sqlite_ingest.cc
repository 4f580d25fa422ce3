// The SQLite back end's ingest primitives (store.h IngestTransaction): one write transaction,
// a run written whole, the declared suite revisions and epochs looked up and kept. What they
// mean is store/ingest.cc's.

#include <fmt/format.h>

#include "base/json_writer.h"
#include "core/artifact.h"
#include "store/sample_codec.h"
#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

Status SqliteStore::InIngestTransaction(const std::function<Status(IngestTransaction&)>& body) {
  project_ids_.clear();
  benchmark_ids_.clear();
  metric_ids_.clear();
  new_series_ids_.clear();
  touched_series_.clear();
  current_run_id_.clear();
  pending_points_.clear();
  staged_maybe_ = true;  // another connection may have staged points since
  // Without SQLite's foreign key checks: each row written here names a run, benchmark, metric,
  // project, environment or series this transaction has just written or looked up, and
  // checking that again took three lookups per measurement, about a seventh of an ingest.
  // The store tests end with `PRAGMA foreign_key_check` (store_test_fixture.h). The pragma
  // cannot change inside a transaction, so it is set around it.
  RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=OFF", "start an ingest"));
  Status s = InTransaction(/*write=*/true, [&] {
    RETURN_IF_ERROR(body(*this));
    RETURN_IF_ERROR(FlushPoints(/*may_stage=*/true));
    return FlushTouchedSeries();
  });
  const Status on = Exec("PRAGMA foreign_keys=ON", "finish an ingest");
  if (s.ok() && !on.ok()) s = on;
  pending_points_.clear();
  if (s.ok()) {
    series_ids_.merge(new_series_ids_);
    set_ids_.merge(new_set_ids_);
  }
  new_series_ids_.clear();
  new_set_ids_.clear();
  current_run_id_.clear();
  return s;
}

Result<int64_t> SqliteStore::BenchmarkSetId(const std::string& names) {
  if (auto it = set_ids_.find(names); it != set_ids_.end()) return it->second;
  if (auto it = new_set_ids_.find(names); it != new_set_ids_.end()) return it->second;
  ASSIGN_OR_RETURN(const int64_t id, IdFor("INSERT INTO benchmark_sets(names) VALUES (?1)",
                                           "SELECT id FROM benchmark_sets WHERE names = ?1", names,
                                           std::nullopt, "store a benchmark set"));
  new_set_ids_.emplace(names, id);
  return id;
}

Result<std::optional<std::string>> SqliteStore::StoredContentHash(const std::string& run_id) {
  ASSIGN_OR_RETURN(Stmt * sel, Prepared("SELECT content_hash FROM runs WHERE run_id = ?1"));
  sel->Bind(1, run_id);
  const int rc = sel->Step();
  std::optional<std::string> hash;
  if (rc == SQLITE_ROW) hash = sel->Text(0);
  sel->Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "look up a run");
  return hash;
}

Result<int64_t> SqliteStore::ProjectId(const std::string& name) {
  if (auto it = project_ids_.find(name); it != project_ids_.end()) return it->second;
  ASSIGN_OR_RETURN(const int64_t id, IdFor("INSERT INTO projects(name) VALUES (?1)",
                                           "SELECT id FROM projects WHERE name = ?1", name,
                                           std::nullopt, "store a project"));
  project_ids_.emplace(name, id);
  return id;
}

Status SqliteStore::InsertRun(const core::Run& run, const RunEncoding& encoding) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(run.project));

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
               "epoch, ok_set, failed_set) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
               "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"));
  ins->Bind(1, run.run_id);
  ins->Bind(2, encoding.content_hash);
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
  ins->Bind(21, Now().unix_nanos);
  const RunBenchmarkSets sets = BenchmarkSetsOf(run);
  int column = 24;
  for (const std::string* set : {&sets.ok, &sets.failed}) {
    if (set->empty()) {
      ins->BindNull(column++);
      continue;
    }
    ASSIGN_OR_RETURN(const int64_t set_id, BenchmarkSetId(*set));
    ins->Bind(column++, set_id);
  }
  RETURN_IF_ERROR(StepDone(ins, "store a run"));
  const int64_t row = sqlite3_last_insert_rowid(db_);
  current_run_row_ = row;
  current_run_id_ = run.run_id;

  ASSIGN_OR_RETURN(Stmt * meas,
                   Prepared("INSERT INTO measurements(run, benchmark, metric, unit, "
                            "higher_is_better, samples, n, mean, stddev, median, min, max, "
                            "lower, upper) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                            "?12, ?13, ?14)"));
  size_t at = 0;  // the metric's place in `encoding`
  for (const auto& b : run.benchmarks) {
    int64_t bench_id;
    auto key = std::make_pair(project_id, b.name);
    if (auto it = benchmark_ids_.find(key); it != benchmark_ids_.end()) {
      bench_id = it->second;
    } else {
      ASSIGN_OR_RETURN(
          bench_id, IdFor("INSERT INTO benchmarks(project_id, name) VALUES (?1, ?2)",
                          "SELECT id FROM benchmarks WHERE project_id = ?1 AND name = ?2", b.name,
                          project_id, "store a benchmark"));
      benchmark_ids_.emplace(key, bench_id);
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
      if (auto it = metric_ids_.find(m.name); it != metric_ids_.end()) {
        metric_id = it->second;
      } else {
        ASSIGN_OR_RETURN(metric_id, IdFor("INSERT INTO metrics(name) VALUES (?1)",
                                          "SELECT id FROM metrics WHERE name = ?1", m.name,
                                          std::nullopt, "store a metric"));
        metric_ids_.emplace(m.name, metric_id);
      }
      meas->Reset();
      meas->Bind(1, row);
      meas->Bind(2, bench_id);
      meas->Bind(3, metric_id);
      meas->Bind(4, m.unit);
      meas->Bind(5, static_cast<int64_t>(m.direction == core::Direction::kHigher ? 1 : 0));
      const size_t k = at++;
      if (m.samples.empty()) {
        meas->BindNull(6);
      } else if (k < encoding.sample_blobs.size()) {
        meas->BindBlob(6, encoding.sample_blobs[k]);
      } else {
        meas->BindBlob(6, EncodeSamples(m.samples));
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

Result<std::optional<Declaration>> SqliteStore::DeclaredRevision(const std::string& project,
                                                                 const std::string& suite,
                                                                 int64_t revision) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(project));
  ASSIGN_OR_RETURN(Stmt * sel, Prepared("SELECT definitions, first_run_id FROM suite_revisions "
                                        "WHERE project_id = ?1 AND suite_name = ?2 AND "
                                        "revision = ?3"));
  sel->Bind(1, project_id);
  sel->Bind(2, suite);
  sel->Bind(3, revision);
  const int rc = sel->Step();
  if (rc == SQLITE_DONE) {
    sel->Reset();
    return std::optional<Declaration>();
  }
  if (rc != SQLITE_ROW) return Error(rc, "look up a suite revision");
  const std::string definitions = sel->Text(0), first = sel->Text(1);
  sel->Reset();
  ASSIGN_OR_RETURN(core::SuiteRef declared,
                   StoredSuite(suite, revision, definitions, std::nullopt));
  return std::optional<Declaration>(Declaration{std::move(declared), first});
}

Status SqliteStore::DeclareRevision(const core::Run& run) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(run.project));
  ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO suite_revisions(project_id, suite_name, "
                                        "revision, definitions, first_run_id) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5)"));
  ins->Bind(1, project_id);
  ins->Bind(2, run.suite->name);
  ins->Bind(3, run.suite->revision);
  ins->Bind(4, DefinitionsJson(run.suite->definitions));
  ins->Bind(5, run.run_id);
  return StepDone(ins, "store a suite revision");
}

Result<std::optional<Declaration>> SqliteStore::DeclaredEpoch(const std::string& project,
                                                              const std::string& platform,
                                                              const std::string& suite,
                                                              int64_t number) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(project));
  ASSIGN_OR_RETURN(Stmt * sel, Prepared("SELECT revision, settings, first_run_id FROM epochs "
                                        "WHERE project_id = ?1 AND platform = ?2 AND "
                                        "suite_name = ?3 AND number = ?4"));
  sel->Bind(1, project_id);
  sel->Bind(2, platform);
  sel->Bind(3, suite);
  sel->Bind(4, number);
  const int rc = sel->Step();
  if (rc == SQLITE_DONE) {
    sel->Reset();
    return std::optional<Declaration>();
  }
  if (rc != SQLITE_ROW) return Error(rc, "look up an epoch");
  const int64_t revision = sel->Int(0);
  const std::string settings = sel->Text(1), first = sel->Text(2);
  sel->Reset();
  ASSIGN_OR_RETURN(core::SuiteRef declared,
                   StoredSuite(suite, revision, std::nullopt, std::make_pair(number, settings)));
  return std::optional<Declaration>(Declaration{std::move(declared), first});
}

Status SqliteStore::DeclareEpoch(const core::Run& run) {
  ASSIGN_OR_RETURN(const int64_t project_id, ProjectId(run.project));
  const core::SuiteRef& suite = *run.suite;
  ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO epochs(project_id, platform, suite_name, "
                                        "number, revision, settings, first_run_id) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  ins->Bind(1, project_id);
  ins->Bind(2, run.platform);
  ins->Bind(3, suite.name);
  ins->Bind(4, suite.epoch->number);
  ins->Bind(5, suite.revision);
  ins->Bind(6, SettingsJson(suite.epoch->settings));
  ins->Bind(7, run.run_id);
  return StepDone(ins, "store an epoch");
}

}  // namespace perfledger::store
