#include "analysis/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <set>

#include "analysis/stats.h"

namespace perfledger::analysis {
namespace {

// The Gaussian efficiency of the median absolute deviation: a robust noise estimate from n
// points is about as good as a standard deviation from 0.37 n.
constexpr double kNoiseEfficiency = 0.37;

// The two sides' pooled relative spread: each sample relative to its side's median.
double WithinRunNoise(const std::vector<double>& base, const std::vector<double>& head) {
  std::vector<double> relative;
  for (const auto* side : {&base, &head}) {
    const double m = Median(*side);
    if (m == 0) return 0;
    for (double v : *side) relative.push_back(v / m - 1);
  }
  return RobustSigma(relative);
}

const core::Metric* FindMetric(const core::BenchmarkResult& b, const std::string& name) {
  for (const auto& m : b.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

struct Side {
  double median = 0;
  int64_t n = 0;
  double mean = 0;
  std::optional<double> sd;
  bool has_samples = false;
};

Side Summarize(const core::Metric& m) {
  Side s;
  if (!m.samples.empty()) {
    const Description d = Describe(m.samples);
    s.median = d.median;
    s.n = d.n;
    s.mean = d.mean;
    s.sd = d.stddev;
    s.has_samples = true;
  } else if (m.summary) {
    s.n = m.summary->n;
    s.mean = m.summary->mean;
    s.median = m.summary->median.value_or(m.summary->mean);
    s.sd = m.summary->stddev;
  }
  return s;
}

void Judge(ComparisonRow& row, double alpha) {
  if (row.verdict == Verdict::kInconclusive && !row.note.empty()) return;
  if (!row.change || !row.q_value) {
    row.verdict = Verdict::kInconclusive;
    return;
  }
  const bool significant = *row.q_value <= alpha;
  const bool large = std::abs(*row.change) >= row.threshold;
  if (!significant || !large) {
    row.verdict = Verdict::kUnchanged;
    return;
  }
  const bool worse = row.direction == core::Direction::kLower ? *row.change > 0 : *row.change < 0;
  row.verdict = worse ? Verdict::kRegression : Verdict::kImprovement;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kRegression:
      return "regression";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

Comparison CompareRuns(const core::Run& base, const core::Run& head, const CompareOptions& options,
                       const NoiseByMetric& history) {
  Comparison out;
  std::map<std::string, const core::BenchmarkResult*> heads;
  for (const auto& b : head.benchmarks) heads[b.name] = &b;
  std::set<std::string> seen;
  const std::set<std::string> wanted(options.metrics.begin(), options.metrics.end());
  const int min_n = MinimumSamplesPerSide(options.alpha);
  // The multiple of run-to-run noise (see CompareOptions): sqrt(2) for a difference of two
  // runs, and a Bonferroni quantile over every metric compared.
  int64_t compared = 0;
  for (const auto& b : base.benchmarks) {
    auto it = heads.find(b.name);
    if (it == heads.end() || b.error || it->second->error) continue;
    for (const auto& bm : b.metrics) {
      if ((wanted.empty() || wanted.contains(bm.name)) && FindMetric(*it->second, bm.name)) {
        ++compared;
      }
    }
  }
  const double family_p = 1 - options.alpha / static_cast<double>(std::max<int64_t>(compared, 1));
  // The noise is itself an estimate from `runs` points (a robust one, about kNoiseEfficiency as
  // efficient as a standard deviation): Student's t with that many effective degrees of freedom
  // instead of the normal quantile, so an underestimated noise does not alert.
  auto history_multiple = [&, cache = std::map<int, double>()](int runs) mutable {
    auto it = cache.find(runs);
    if (it != cache.end()) return it->second;
    const double df = std::max(1.0, kNoiseEfficiency * (runs - 1));
    const double t = boost::math::quantile(boost::math::students_t(df), family_p);
    return cache[runs] = std::max(options.noise_multiple, std::sqrt(2.0) * t);
  };
  for (const auto& b : base.benchmarks) {
    seen.insert(b.name);
    auto it = heads.find(b.name);
    if (it == heads.end()) {
      out.only_base.push_back(b.name);
      continue;
    }
    const core::BenchmarkResult& h = *it->second;
    if (b.error || h.error) {
      out.failed.push_back(b.name);
      continue;
    }
    for (const auto& bm : b.metrics) {
      if (!wanted.empty() && !wanted.contains(bm.name)) continue;
      const core::Metric* hm = FindMetric(h, bm.name);
      if (hm == nullptr) {
        out.metrics_only_base.push_back(b.name + "/" + bm.name);
        continue;
      }
      ComparisonRow row;
      row.benchmark = b.name;
      row.metric = bm.name;
      row.unit = bm.unit;
      row.direction = bm.direction;
      const Side bs = Summarize(bm), hs = Summarize(*hm);
      row.base_median = bs.median;
      row.head_median = hs.median;
      row.base_n = bs.n;
      row.head_n = hs.n;
      if (hm->unit != bm.unit) {
        row.note = fmt::format("units differ: {} and {}", bm.unit, hm->unit);
        out.rows.push_back(std::move(row));
        continue;
      }
      // The minimum effect.
      if (options.threshold) {
        row.threshold = *options.threshold;
        row.noise_source = "--threshold";
      } else {
        auto known = history.find({b.name, bm.name});
        double multiple = options.noise_multiple;
        if (known != history.end() && known->second.runs > 0) {
          multiple = history_multiple(known->second.runs);
          row.noise = known->second.relative;
          row.noise_source = fmt::format("run-to-run over {} runs", known->second.runs);
        } else if (bs.has_samples && hs.has_samples) {
          row.noise = WithinRunNoise(bm.samples, hm->samples);
          row.noise_source = "within-run spread";
        }
        if (row.noise_source.empty()) {
          row.threshold = options.default_threshold;
          row.noise_source = "default (noise unknown)";
        } else {
          row.threshold =
              std::clamp(multiple * row.noise, options.min_threshold, options.max_threshold);
        }
      }
      if (bs.has_samples && hs.has_samples) {
        if (bs.n < min_n || hs.n < min_n) {
          row.note =
              fmt::format("needs at least {} samples a side, has {} and {}", min_n, bs.n, hs.n);
        } else {
          auto hl = HodgesLehmann(bm.samples, hm->samples, 1 - options.alpha);
          if (hl) {
            row.change = hl->estimate;
            row.ci_low = hl->low;
            row.ci_high = hl->high;
          }
          row.p_value = MannWhitneyU(bm.samples, hm->samples).p_value;
          if (!row.change) row.note = "no relative change: the base median is 0";
        }
      } else {
        // Aggregates only: Welch's test on the means.
        if (bs.mean != 0) row.change = hs.mean / bs.mean - 1;
        std::optional<double> p;
        if (bs.sd && hs.sd) p = WelchPValue(bs.n, bs.mean, *bs.sd, hs.n, hs.mean, *hs.sd);
        if (p) {
          row.p_value = p;
        } else {
          row.note = "no spread to test (a summary without stddev, or fewer than 2 samples)";
        }
      }
      if (!row.note.empty()) row.verdict = Verdict::kInconclusive;
      out.rows.push_back(std::move(row));
    }
  }
  std::map<std::string, const core::BenchmarkResult*> bases;
  for (const auto& b : base.benchmarks) bases[b.name] = &b;
  for (const auto& h : head.benchmarks) {
    if (!seen.contains(h.name)) {
      out.only_head.push_back(h.name);
      continue;
    }
    const core::BenchmarkResult& b = *bases.at(h.name);
    if (b.error || h.error) continue;
    for (const auto& hm : h.metrics) {
      if (!wanted.empty() && !wanted.contains(hm.name)) continue;
      if (FindMetric(b, hm.name) == nullptr)
        out.metrics_only_head.push_back(h.name + "/" + hm.name);
    }
  }
  // The false discovery rate across everything tested.
  std::vector<double> ps;
  std::vector<size_t> index;
  for (size_t i = 0; i < out.rows.size(); ++i) {
    if (out.rows[i].p_value && out.rows[i].note.empty()) {
      ps.push_back(*out.rows[i].p_value);
      index.push_back(i);
    }
  }
  const std::vector<double> qs = BenjaminiHochberg(ps);
  for (size_t k = 0; k < index.size(); ++k) out.rows[index[k]].q_value = qs[k];
  for (auto& row : out.rows) {
    Judge(row, options.alpha);
    switch (row.verdict) {
      case Verdict::kRegression:
        ++out.regressions;
        break;
      case Verdict::kImprovement:
        ++out.improvements;
        break;
      case Verdict::kUnchanged:
        ++out.unchanged;
        break;
      case Verdict::kInconclusive:
        ++out.inconclusive;
        break;
    }
  }
  std::sort(out.rows.begin(), out.rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.benchmark, a.metric) < std::tie(b.benchmark, b.metric);
  });
  return out;
}

}  // namespace perfledger::analysis
