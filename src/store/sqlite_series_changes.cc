// The SQLite back end's reads for incremental readers: what changed since a change mark
// (Store::ForEachMedianAtChangedCommits: the commits of the runs stored after it, and every
// series' point at those commits, each found by one primary-key seek), and checkpoints.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

Result<std::optional<int64_t>> SqliteStore::ForEachMedianAtChangedCommits(
    const SeriesQuery& query, int64_t after,
    const std::function<Status(const core::Series&, std::span<const PointMedian>,
                               const std::vector<PointRun>&)>& fn) {
  if (!query.with_points || query.last_points || query.changed_after) {
    return base::Internal("ForEachMedianAtChangedCommits reads whole points of every series");
  }
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Result<std::optional<int64_t>> {
    ASSIGN_OR_RETURN(const int64_t mark, ChangeMark());
    // The commits of the runs after the mark, by platform; each with its runs there (a point
    // sits at its commit's first run, so one of them finds it).
    struct RunAt {
      int32_t run = 0;  // into `runs`
      int64_t row = 0, t = 0;
    };
    std::map<std::string, std::vector<std::vector<RunAt>>> commits_of;  // by platform
    std::vector<PointRun> runs;
    {
      // The runs after the mark by row id, distinct here: with DISTINCT (or a platform term)
      // SQLite walks the platform index over every run instead, which grows with the history.
      ASSIGN_OR_RETURN(Stmt * changed,
                       Prepared("SELECT platform, commit_sha FROM runs WHERE id > ?1 ORDER BY id"));
      ASSIGN_OR_RETURN(
          Stmt * of_commit,
          Prepared("SELECT id, run_id, commit_time, "
                   "coalesce(commit_time, started_at) FROM runs "
                   "INDEXED BY runs_by_commit WHERE commit_sha = ?1 AND platform = ?2"));
      changed->Bind(1, after);
      std::vector<std::pair<std::string, std::string>> shas;  // in the order first stored
      std::set<std::pair<std::string, std::string>> seen;
      int rc;
      while ((rc = changed->Step()) == SQLITE_ROW) {
        std::pair<std::string, std::string> at{changed->Text(0), changed->Text(1)};
        if (query.platform && at.first != *query.platform) continue;
        if (seen.insert(at).second) shas.push_back(std::move(at));
      }
      changed->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "read the runs stored since a change mark");
      for (const auto& [platform, sha] : shas) {
        std::vector<RunAt>& at = commits_of[platform].emplace_back();
        const auto commit = static_cast<int32_t>(runs.size());
        of_commit->Bind(1, sha);
        of_commit->Bind(2, platform);
        while ((rc = of_commit->Step()) == SQLITE_ROW) {
          PointRun r;
          r.commit = commit;
          r.sha = sha;
          r.run_id = of_commit->Text(1);
          if (!of_commit->IsNull(2)) r.commit_time = base::Timestamp{of_commit->Int(2)};
          at.push_back({static_cast<int32_t>(runs.size()), of_commit->Int(0), of_commit->Int(3)});
          runs.push_back(std::move(r));
        }
        of_commit->Reset();
        if (rc != SQLITE_DONE) return Error(rc, "read a commit's runs");
      }
    }
    ASSIGN_OR_RETURN(std::vector<SeriesHead> heads, ListSeriesHeads(query));
    // A point may be staged (sqlite_series_staged.cc) rather than in the tree.
    ASSIGN_OR_RETURN(const StagedBySeries staged, ReadStagedPoints());
    ASSIGN_OR_RETURN(Stmt * pt, Prepared("SELECT median FROM points "
                                         "WHERE series = ?1 AND t = ?2 AND run = ?3"));
    std::vector<PointMedian> points;
    for (const SeriesHead& h : heads) {
      auto commits = commits_of.find(h.series.key.platform);
      if (commits == commits_of.end()) continue;
      points.clear();
      const auto in_stage = staged.find(h.id);
      for (const std::vector<RunAt>& commit : commits->second) {
        for (const RunAt& r : commit) {
          if (in_stage != staged.end()) {
            const std::vector<StagedPoint>& stage = in_stage->second;
            auto at =
                std::lower_bound(stage.begin(), stage.end(), std::make_pair(r.t, r.row),
                                 [](const StagedPoint& p, const std::pair<int64_t, int64_t>& k) {
                                   return std::tie(p.t, p.run) < std::tie(k.first, k.second);
                                 });
            if (at != stage.end() && at->t == r.t && at->run == r.row) {
              points.push_back({r.run, at->median});
              break;  // a commit has one point in a series
            }
          }
          pt->Bind(1, h.id);
          pt->Bind(2, r.t);
          pt->Bind(3, r.row);
          const int rc = pt->Step();
          if (rc == SQLITE_ROW) points.push_back({r.run, pt->Double(0)});
          pt->Reset();
          if (rc == SQLITE_ROW) break;  // a commit has one point in a series
          if (rc != SQLITE_DONE) return Error(rc, "read a series point");
        }
      }
      if (points.empty()) continue;
      RETURN_IF_ERROR(fn(h.series, points, runs));
    }
    return std::optional<int64_t>(mark);
  };
  auto result = body();
  Rollback();
  return result;
}

Result<std::optional<Store::Checkpoint>> SqliteStore::ReadCheckpoint(const std::string& name) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT mark, data FROM checkpoints WHERE name = ?1"));
  q->Bind(1, name);
  const int rc = q->Step();
  std::optional<Checkpoint> out;
  if (rc == SQLITE_ROW) out = Checkpoint{q->Int(0), std::string(q->Blob(1))};
  q->Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "read a checkpoint");
  return out;
}

Status SqliteStore::WriteCheckpoint(const std::string& name, int64_t mark, std::string_view data) {
  return InTransaction(/*write=*/true, [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * q, Prepared("INSERT INTO checkpoints(name, mark, data) "
                                        "VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET "
                                        "mark = excluded.mark, data = excluded.data"));
    q->Bind(1, name);
    q->Bind(2, mark);
    q->BindBlob(3, data);
    return StepDone(q, "write a checkpoint");
  });
}

}  // namespace perfledger::store
