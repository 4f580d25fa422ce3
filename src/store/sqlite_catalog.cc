// The SQLite back end's catalog reads: the declared epochs with where each starts, the
// benchmarks and metrics with their platforms, the run count.

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "core/epoch.h"
#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

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
          if (!core::MeasuresEveryDefinition(names, row.definitions)) continue;
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

Result<int64_t> SqliteStore::ScheduleMark() {
  // Plans are never deleted and hand-out bumps its mark (sqlite_jobs.cc): the sum only grows.
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT ifnull((SELECT max(id) FROM plans), 0) + "
                                      "ifnull((SELECT value FROM marks WHERE name = 'jobs'), 0)"));
  const int rc = q->Step();
  const int64_t mark = rc == SQLITE_ROW ? q->Int(0) : 0;
  q->Reset();
  if (rc != SQLITE_ROW) return Error(rc, "read the schedule's change mark");
  return mark;
}

}  // namespace perfledger::store
