#include "analysis/series.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "analysis/changepoint.h"
#include "analysis/stats.h"

namespace perfledger::analysis {

bool GlobMatch(std::string_view pattern, std::string_view name) {
  return ::fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), 0) == 0;
}

namespace {

bool Usable(double v) { return std::isfinite(v) && v > 0; }

// The point's median and spread from pooled samples, or from one run's summary.
void Summarize(const std::vector<double>& samples, SeriesPoint* p) {
  p->n = static_cast<int64_t>(samples.size());
  p->median = Median(samples);
  p->spread = samples.size() >= 2 && p->median > 0 ? RobustSigma(samples) / p->median : 0;
}

}  // namespace

void SeriesBuilder::Add(const core::Run& run) {
  if (filter_.platform && run.platform != *filter_.platform) return;
  SeriesKey key;
  key.platform = run.platform;
  if (run.suite && run.suite->epoch) key.epoch = run.suite->epoch->number;
  key.ci = run.environment.ci.value_or(false);
  for (const core::BenchmarkResult& b : run.benchmarks) {
    if (b.error) continue;
    if (filter_.benchmark_glob && !GlobMatch(*filter_.benchmark_glob, b.name)) continue;
    for (const core::Metric& m : b.metrics) {
      if (!filter_.metrics.empty() && std::find(filter_.metrics.begin(), filter_.metrics.end(),
                                                m.name) == filter_.metrics.end()) {
        continue;
      }
      std::vector<double> values;
      for (double v : m.samples) {
        if (Usable(v)) values.push_back(v);
      }
      std::optional<double> summary_value;
      if (m.samples.empty() && m.summary) {
        double v = m.summary->median.value_or(m.summary->mean);
        if (Usable(v)) summary_value = v;
      }
      if (values.empty() && !summary_value) continue;
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
        pending.samples.emplace_back();
      } else {
        s.points[it->second].runs++;
      }
      SeriesPoint& p = s.points[it->second];
      std::vector<double>& pooled = pending.samples[it->second];
      if (summary_value) {
        // A summary cannot be pooled with samples: the point keeps the first run's summary.
        if (pooled.empty() && p.n == 0) {
          p.median = *summary_value;
          p.n = m.summary->n;
          p.spread =
              m.summary->stddev && *summary_value > 0 ? *m.summary->stddev / *summary_value : 0;
        }
        continue;
      }
      if (pooled.empty() && p.n > 0) continue;  // the first run gave a summary
      pooled.insert(pooled.end(), values.begin(), values.end());
      Summarize(pooled, &p);
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
