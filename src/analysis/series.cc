#include "analysis/series.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "analysis/changepoint.h"
#include "base/strings.h"

namespace perfledger::analysis {

void SeriesBuilder::Add(const core::Run& run) {
  if (filter_.platform && run.platform != *filter_.platform) return;
  SeriesKey key;
  key.project = run.project;
  key.platform = run.platform;
  if (run.suite && run.suite->epoch) key.epoch = run.suite->epoch->number;
  key.ci = run.environment.ci.value_or(false);
  for (const core::BenchmarkResult& b : run.benchmarks) {
    if (b.error) continue;
    if (filter_.benchmark_glob && !base::GlobMatch(*filter_.benchmark_glob, b.name)) continue;
    for (const core::Metric& m : b.metrics) {
      if (!filter_.metrics.empty() && std::find(filter_.metrics.begin(), filter_.metrics.end(),
                                                m.name) == filter_.metrics.end()) {
        continue;
      }
      if (!core::GivesPoint(m)) continue;
      key.benchmark = b.name;
      key.metric = m.name;
      Pending& pending = series_[key];
      Series& s = pending.series;
      if (s.points.empty()) {
        s.key = key;
        s.unit = m.unit;
        s.direction = m.direction;
      } else if (s.unit != m.unit) {
        continue;  // a unit change is a different quantity: keep the series as it began
      }
      auto [it, inserted] = pending.index_of_sha.try_emplace(run.commit.sha, s.points.size());
      if (inserted) {
        SeriesPoint p;
        p.run_id = run.run_id;
        p.sha = run.commit.sha;
        p.range_from = run.commit_range.from;
        p.range_count = run.commit_range.count;
        p.commit_time = run.commit.time;
        p.subject = run.commit.subject;
        p.reason = run.reason;
        p.fingerprint = run.environment.fingerprint;
        s.points.push_back(std::move(p));
        pending.metrics.emplace_back();
      }
      SeriesPoint& p = s.points[it->second];
      std::vector<core::Metric>& metrics = pending.metrics[it->second];
      metrics.push_back(m);
      std::vector<const core::Metric*> pointers;
      for (const core::Metric& x : metrics) pointers.push_back(&x);
      const core::PointSummary summary = core::PoolPoint(pointers);
      p.median = summary.median;
      p.spread = summary.spread;
      p.min = summary.min;
      p.max = summary.max;
      p.n = summary.n;
      p.runs = summary.runs;
      if (p.runs > 1) p.pooled_run_ids.push_back(run.run_id);
      if (p.runs == 2) p.pooled_run_ids.insert(p.pooled_run_ids.begin(), p.run_id);
    }
  }
}

std::vector<Series> SeriesBuilder::Finish() {
  std::vector<Series> out;
  out.reserve(series_.size());
  for (auto& [key, pending] : series_) out.push_back(std::move(pending.series));
  series_.clear();
  return out;
}

NoiseByMetric HistoryNoiseOf(const std::vector<Series>& series, const std::string& platform,
                             std::optional<int64_t> epoch, bool ci, size_t min_points) {
  NoiseByMetric out;
  for (const Series& s : series) {
    if (s.key.platform != platform || s.key.epoch != epoch || s.key.ci != ci) continue;
    if (s.points.size() < std::max<size_t>(min_points, 3)) continue;
    std::vector<double> medians;
    medians.reserve(s.points.size());
    for (const SeriesPoint& p : s.points) medians.push_back(p.median);
    double noise = SeriesNoise(medians);
    if (noise <= 0) continue;
    out[{s.key.benchmark, s.key.metric}] = HistoryNoise{noise, static_cast<int>(s.points.size())};
  }
  return out;
}

}  // namespace perfledger::analysis
