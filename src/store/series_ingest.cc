// The series layer's rule (DESIGN.md "Series layer and scale"): every run adds one point per
// series it measured, in the same transaction as the run. A series is project x benchmark x
// metric x platform x epoch x environment class; a point is one commit's, pooled over every
// run of that commit (core::PoolPoint), and sits where its first run (store order) sits. A
// failed benchmark or a metric with nothing usable gives no point; a point of another unit
// than the series began with is another quantity and is left out. The back end keeps what
// this decides (IngestTransaction's series primitives); readers never recompute it.

#include <algorithm>
#include <vector>

#include "store/store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

Status AddToSeries(IngestTransaction& tx, const core::Run& run, const RunEncoding* encoding) {
  core::SeriesKey key;
  key.project = run.project;
  key.platform = run.platform;
  if (run.suite && run.suite->epoch) key.epoch = run.suite->epoch->number;
  key.ci = run.environment.ci.value_or(false);

  // Other runs of this commit on this platform: usually none, and then every point is new.
  ASSIGN_OR_RETURN(std::vector<RunOrder> commit_runs,
                   tx.RunsOfCommit(run.project, run.platform, run.commit.sha));
  const RunOrder self{run.commit.time ? run.commit.time->unix_nanos : run.started_at.unix_nanos,
                      run.run_id};
  std::vector<RunOrder> others;
  for (RunOrder& r : commit_runs) {
    if (r.run_id != run.run_id) others.push_back(std::move(r));
  }

  size_t at = 0;  // the metric's place in `encoding`
  for (const core::BenchmarkResult& b : run.benchmarks) {
    if (b.error) {
      at += b.metrics.size();
      continue;
    }
    key.benchmark = b.name;
    for (const core::Metric& m : b.metrics) {
      const size_t k = at++;
      if (!core::GivesPoint(m)) continue;
      key.metric = m.name;
      ASSIGN_OR_RETURN(SeriesSlot series, tx.SeriesFor(key, m.unit, m.direction));
      if (series.unit != m.unit) continue;
      const core::Metric* mine = &m;

      // The point this commit already has in the series: its first run is one of the others.
      std::optional<RunOrder> first;
      std::vector<std::string> point_runs;
      for (const RunOrder& o : others) {
        ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> runs, tx.PointRuns(series.id, o));
        if (runs) {
          first = o;
          point_runs = std::move(*runs);
          break;
        }
      }
      if (!first) {
        const bool encoded =
            encoding != nullptr && k < encoding->points.size() && encoding->points[k].has_value();
        RETURN_IF_ERROR(
            tx.WritePoint(series.id, std::nullopt, std::span(&self, 1),
                          encoded ? *encoding->points[k] : core::PoolPoint({&mine, 1})));
        continue;
      }
      // Pool: every run of the point and this one, in store order.
      std::vector<RunOrder> runs{self};
      for (const RunOrder& o : others) {
        if (std::find(point_runs.begin(), point_runs.end(), o.run_id) != point_runs.end()) {
          runs.push_back(o);
        }
      }
      std::sort(runs.begin(), runs.end());
      std::vector<core::Metric> stored;
      stored.reserve(runs.size());
      std::vector<RunOrder> kept;
      for (const RunOrder& r : runs) {
        if (r.run_id == run.run_id) {
          kept.push_back(r);
          continue;
        }
        ASSIGN_OR_RETURN(std::optional<core::Metric> other,
                         tx.StoredMetric(r.run_id, b.name, m.name));
        if (!other) continue;  // cannot happen: it is one of the point's runs
        stored.push_back(std::move(*other));
        kept.push_back(r);
      }
      std::vector<const core::Metric*> metrics;
      for (size_t i = 0, j = 0; i < kept.size(); ++i) {
        metrics.push_back(kept[i].run_id == run.run_id ? mine : &stored[j++]);
      }
      RETURN_IF_ERROR(tx.WritePoint(series.id, first, kept, core::PoolPoint(metrics)));
    }
  }
  return Status::Ok();
}

}  // namespace perfledger::store
