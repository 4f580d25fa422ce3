#include "analysis/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/polygamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <set>

#include "analysis/stats.h"

namespace perfledger::analysis {
namespace {

// RunToRunNoise's estimator for k = 2..64 Gaussian points of sigma 1, from a simulation
// (400,000 series per k, std::mt19937_64 seed 17; RunToRunNoiseTest in compare_test.cc
// simulates a few rows again): E[s^2] of the raw 1.4826 median|successive difference| / sqrt(2),
// then of s^2 = raw^2 / E[raw^2]: E[log s^2] and Var[log s^2].
struct Calibration {
  double mean_square, log_bias, log_variance;
};
constexpr Calibration kCalibration[] = {
    {2.19370, -1.26456, 4.89752},  // 2
    {1.88509, -0.69383, 1.88127},  // 3
    {1.77814, -0.74316, 2.08137},  // 4
    {1.57907, -0.50192, 1.25977},  // 5
    {1.47002, -0.50473, 1.26967},  // 6
    {1.39846, -0.39026, 0.92230},  // 7
    {1.35593, -0.38684, 0.91731},  // 8
    {1.30944, -0.31481, 0.72143},  // 9
    {1.27808, -0.31236, 0.71710},  // 10
    {1.24893, -0.26571, 0.59559},  // 11
    {1.23306, -0.26336, 0.59094},  // 12
    {1.21094, -0.22865, 0.50430},  // 13
    {1.19742, -0.22666, 0.49920},  // 14
    {1.18119, -0.20077, 0.43732},  // 15
    {1.17148, -0.19949, 0.43523},  // 16
    {1.16141, -0.17889, 0.38603},  // 17
    {1.15323, -0.17853, 0.38601},  // 18
    {1.14118, -0.16173, 0.34697},  // 19
    {1.13707, -0.16064, 0.34452},  // 20
    {1.12995, -0.14783, 0.31495},  // 21
    {1.12274, -0.14634, 0.31186},  // 22
    {1.11592, -0.13496, 0.28574},  // 23
    {1.11566, -0.13502, 0.28622},  // 24
    {1.10775, -0.12475, 0.26291},  // 25
    {1.10568, -0.12389, 0.26143},  // 26
    {1.10040, -0.11601, 0.24366},  // 27
    {1.09767, -0.11544, 0.24264},  // 28
    {1.09286, -0.10868, 0.22759},  // 29
    {1.09028, -0.10800, 0.22634},  // 30
    {1.08822, -0.10205, 0.21324},  // 31
    {1.08513, -0.10133, 0.21145},  // 32
    {1.08185, -0.09603, 0.19996},  // 33
    {1.07999, -0.09532, 0.19859},  // 34
    {1.07711, -0.09057, 0.18819},  // 35
    {1.07492, -0.09008, 0.18724},  // 36
    {1.07395, -0.08604, 0.17848},  // 37
    {1.07111, -0.08563, 0.17776},  // 38
    {1.06882, -0.08186, 0.16944},  // 39
    {1.06688, -0.08106, 0.16780},  // 40
    {1.06636, -0.07778, 0.16095},  // 41
    {1.06521, -0.07743, 0.16014},  // 42
    {1.06404, -0.07432, 0.15328},  // 43
    {1.06212, -0.07414, 0.15310},  // 44
    {1.05996, -0.07114, 0.14660},  // 45
    {1.05876, -0.07076, 0.14597},  // 46
    {1.05721, -0.06804, 0.14008},  // 47
    {1.05624, -0.06788, 0.13984},  // 48
    {1.05476, -0.06543, 0.13458},  // 49
    {1.05449, -0.06506, 0.13379},  // 50
    {1.05229, -0.06298, 0.12932},  // 51
    {1.05311, -0.06281, 0.12900},  // 52
    {1.05028, -0.06078, 0.12470},  // 53
    {1.05104, -0.06044, 0.12390},  // 54
    {1.04979, -0.05835, 0.11965},  // 55
    {1.04858, -0.05839, 0.11976},  // 56
    {1.04732, -0.05641, 0.11557},  // 57
    {1.04616, -0.05603, 0.11473},  // 58
    {1.04495, -0.05461, 0.11174},  // 59
    {1.04593, -0.05443, 0.11133},  // 60
    {1.04410, -0.05288, 0.10821},  // 61
    {1.04249, -0.05273, 0.10785},  // 62
    {1.04311, -0.05131, 0.10484},  // 63
    {1.04242, -0.05105, 0.10430},  // 64
};
constexpr int kCalibratedPoints = 64;

// The inverse of the trigamma function, by Newton's method on 1 / trigamma (Smyth 2004,
// appendix; limma's trigammaInverse).
double InverseTrigamma(double x) {
  if (x > 1e7) return 1 / std::sqrt(x);
  if (x < 1e-6) return 1 / x;
  double y = 0.5 + 1 / x;
  for (int i = 0; i < 50; ++i) {
    const double tri = boost::math::trigamma(y);
    const double step = tri * (1 - tri / x) / boost::math::polygamma(2, y);
    y += step;
    if (!(std::isfinite(y) && y > 0)) return 1 / x;
    if (-step / y < 1e-8) break;
  }
  return y;
}

// The Gaussian efficiency of the median absolute deviation (Rousseeuw & Croux, "Alternatives
// to the median absolute deviation", JASA 88, 1993): a robust spread of n points is about as
// good as a standard deviation from 0.37 n.
constexpr double kNoiseEfficiency = 0.37;

// Below this many degrees of freedom a (moderated) run-to-run noise is not used: the two runs'
// spread is. A series alone reaches it at 5 points (2.4), as before issue 17.
constexpr double kMinHistoryDf = 2;

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

NoiseModel RunToRunNoiseModel(int points) {
  if (points < 2) return {};
  NoiseModel m;
  if (points <= kCalibratedPoints) {
    const Calibration& c = kCalibration[points - 2];
    m.bias = c.log_bias;
    m.variance = c.log_variance;
  } else {
    // Both shrink as 1 / (k - 1) (the estimate is asymptotically normal).
    const Calibration& c = kCalibration[kCalibratedPoints - 2];
    const double scale = (kCalibratedPoints - 1.0) / (points - 1.0);
    m.bias = c.log_bias * scale;
    m.variance = c.log_variance * scale;
  }
  m.df = 2 * InverseTrigamma(m.variance);
  return m;
}

std::optional<HistoryNoise> RunToRunNoise(std::span<const double> medians) {
  // Two points give one difference: a chi with 1 degree of freedom, whose log has a long lower
  // tail (a near-zero difference), enough to make a suite's noises look unlike and spoil the
  // pooling (in a simulation of 100 alike series with 2 points each, the prior's degrees of
  // freedom fell below 2 in 5% of suites). Three points are the least.
  const size_t k = medians.size();
  if (k < 3) return std::nullopt;
  std::vector<double> d(k - 1);
  for (size_t i = 0; i < k; ++i) {
    if (!(medians[i] > 0) || !std::isfinite(medians[i])) return std::nullopt;
    if (i > 0) d[i - 1] = std::abs(std::log(medians[i]) - std::log(medians[i - 1]));
  }
  const double raw = 1.4826 * Median(d) / std::numbers::sqrt2;
  if (!(raw > 0)) return std::nullopt;
  double mean_square = kCalibration[kCalibratedPoints - 2].mean_square;
  if (k <= static_cast<size_t>(kCalibratedPoints)) {
    mean_square = kCalibration[k - 2].mean_square;
  } else {
    // MAD is consistent: E[raw^2] goes to 1 as 1 / (k - 1).
    mean_square = 1 + (mean_square - 1) * (kCalibratedPoints - 1.0) / static_cast<double>(k - 1);
  }
  return HistoryNoise{raw / std::sqrt(mean_square), static_cast<int>(k)};
}

NoisePrior FitNoisePrior(const std::vector<HistoryNoise>& noises, std::span<const double> scales,
                         std::span<const double> scale_dfs) {
  // Smyth (2004) section 6.2 (limma's fitFDist), with the estimator's own log bias and variance
  // in place of a chi-square's digamma and trigamma terms: e_i = log s_i^2 - bias(k_i) -
  // log scale_i^2 is unbiased for E[log sigma_i^2 / scale_i^2]; its variance across series
  // beyond the sampling variances is the prior's, trigamma(d0 / 2); and E[log sigma^2] = log
  // s0^2 - digamma(d0 / 2) + log(d0 / 2).
  std::vector<double> e;
  double sampling = 0, total_df = 0;
  double cap = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < noises.size(); ++i) {
    const HistoryNoise& n = noises[i];
    if (!(n.relative > 0) || n.runs < 3) continue;
    double log_scale = 0;
    if (!scales.empty()) {
      if (!(scales[i] > 0)) continue;
      log_scale = 2 * std::log(scales[i]);
      if (i < scale_dfs.size() && scale_dfs[i] > 0) {
        sampling += boost::math::trigamma(scale_dfs[i] / 2);
        cap = std::min(cap, scale_dfs[i]);
      }
    }
    const NoiseModel m = RunToRunNoiseModel(n.runs);
    e.push_back(2 * std::log(n.relative) - m.bias - log_scale);
    sampling += m.variance;
    total_df += m.df;
  }
  NoisePrior prior;
  const auto g = static_cast<double>(e.size());
  if (e.size() < 3) return prior;
  const double mean = std::accumulate(e.begin(), e.end(), 0.0) / g;
  double squares = 0;
  for (double v : e) squares += (v - mean) * (v - mean);
  const double excess = squares / (g - 1) - sampling / g;
  double d0 = std::numeric_limits<double>::infinity();
  double log_s0 = mean;
  if (excess > 0) {
    d0 = 2 * InverseTrigamma(excess);
    log_s0 = mean + boost::math::digamma(d0 / 2) - std::log(d0 / 2);
  }
  prior.variance = std::exp(log_s0);
  prior.df = std::min({d0, total_df, cap});
  prior.series = static_cast<int>(e.size());
  return prior;
}

ModeratedNoise ModerateNoise(const HistoryNoise& own, const NoisePrior& prior, double scale) {
  const double d = RunToRunNoiseModel(own.runs).df;
  const double s2 = own.relative * own.relative;
  if (prior.df <= 0) return {own.relative, d};
  const double prior_variance = prior.variance * scale * scale;
  return {std::sqrt((prior.df * prior_variance + d * s2) / (prior.df + d)), prior.df + d};
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
  // One prior per metric name over the series compared (wall times are alike, instruction
  // counts are alike, the two are not), scaled by each series' within-run spread when every
  // one of them has samples on both sides.
  struct PriorInputs {
    std::vector<HistoryNoise> noises;
    std::vector<double> scales, scale_dfs;
    bool scaled = true;
  };
  std::map<std::string, NoisePrior> priors;
  std::map<std::pair<std::string, std::string>, double> scales;  // of the series in `priors`
  std::map<std::string, bool> scaled;
  {
    std::map<std::string, PriorInputs> by_metric;
    for (const auto& b : base.benchmarks) {
      auto it = heads.find(b.name);
      if (it == heads.end() || b.error || it->second->error) continue;
      for (const auto& bm : b.metrics) {
        if (!wanted.empty() && !wanted.contains(bm.name)) continue;
        const core::Metric* hm = FindMetric(*it->second, bm.name);
        if (hm == nullptr || hm->unit != bm.unit) continue;
        auto known = history.find({b.name, bm.name});
        if (known == history.end()) continue;
        PriorInputs& in = by_metric[bm.name];
        in.noises.push_back(known->second);
        const double w =
            bm.samples.empty() || hm->samples.empty() ? 0 : WithinRunNoise(bm.samples, hm->samples);
        in.scaled = in.scaled && w > 0;
        in.scales.push_back(w);
        scales[{b.name, bm.name}] = w;
        // The spread is a median absolute deviation of n values: about a standard deviation's
        // worth of kNoiseEfficiency (n - 2) degrees of freedom.
        const auto n = static_cast<double>(bm.samples.size() + hm->samples.size());
        in.scale_dfs.push_back(std::max(0.5, kNoiseEfficiency * (n - 2)));
      }
    }
    // Two candidate priors: the series share a noise (a machine's drift is the same for
    // every benchmark), or they share its excess over their within-run spread (quiet and noisy
    // benchmarks on a steady machine). The one the data make the more informative is used.
    for (const auto& [metric, in] : by_metric) {
      const NoisePrior plain = FitNoisePrior(in.noises);
      const NoisePrior relative =
          in.scaled ? FitNoisePrior(in.noises, in.scales, in.scale_dfs) : NoisePrior{};
      scaled[metric] = relative.df > plain.df;
      priors[metric] = scaled[metric] ? relative : plain;
    }
  }
  // The (moderated) noise is itself an estimate with `df` degrees of freedom: Student's t
  // instead of the normal quantile, so an underestimated noise does not alert.
  auto history_multiple = [&, cache = std::map<double, double>()](double df) mutable {
    auto it = cache.find(df);
    if (it != cache.end()) return it->second;
    const double q = df > 1e6 ? boost::math::quantile(boost::math::normal(), family_p)
                              : boost::math::quantile(boost::math::students_t(df), family_p);
    return cache[df] = std::max(options.noise_multiple, std::sqrt(2.0) * q);
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
        std::optional<ModeratedNoise> moderated;
        if (known != history.end() && known->second.runs >= 2 && known->second.relative > 0) {
          moderated = ModerateNoise(known->second, priors[bm.name],
                                    scaled[bm.name] ? scales[{b.name, bm.name}] : 1.0);
          if (moderated->df < kMinHistoryDf) moderated.reset();
        }
        if (moderated) {
          multiple = history_multiple(moderated->df);
          row.noise = moderated->relative;
          const NoisePrior& prior = priors[bm.name];
          row.noise_source = prior.df > 0
                                 ? fmt::format("run-to-run over {} runs, pooled with {} series",
                                               known->second.runs, prior.series - 1)
                                 : fmt::format("run-to-run over {} runs", known->second.runs);
        } else if (bs.has_samples && hs.has_samples) {
          row.noise = WithinRunNoise(bm.samples, hm->samples);
          row.noise_source = "within-run spread";
        }
        if (row.noise_source.empty()) {
          row.threshold = options.default_threshold;
          row.noise_source = "default (noise unknown)";
        } else {
          // A run-to-run noise is a standard deviation of log medians: `multiple` of it is a
          // log change, and the relative change that counts is its expm1 (a regression of a
          // lower-is-better metric is a positive change). Comparing the relative change with
          // the log bound instead let 7.7% of A/A runs of 100 benchmarks with 2% run drift
          // alert where 5% was meant (thresholds near 10%).
          const double bound = moderated ? std::expm1(multiple * row.noise) : multiple * row.noise;
          row.threshold = std::clamp(bound, options.min_threshold, options.max_threshold);
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
