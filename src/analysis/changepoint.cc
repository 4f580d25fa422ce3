#include "analysis/changepoint.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include "analysis/changepoint_detail.h"
#include "analysis/noise_model.h"
#include "analysis/season.h"

namespace perfledger::analysis {
namespace {

// Values further than this many noise deviations from the running median are clipped to it.
constexpr double kWinsorize = 1.5;
// A season is looked for when the noise model's phi is this high even if the level search
// finds nothing (see DetectChanges).
constexpr double kSeasonPhi = 0.3;
// The residual check of the noise model (see LevelChanges) runs on series up to this long:
// beyond, the second-difference estimate of phi is precise (its error 2.4 / sqrt(n) < 0.08).
constexpr size_t kResidualCheckPoints = 1000;
// The residual check's phi is its estimate plus this many standard errors (1 / sqrt(n) each).
// Chosen on the generated corpus: 3 let AR(1) noise (phi 0.6-0.8, 100 points) alert more often
// than without the check; 4 loses clear steps in 40-point white series.
constexpr double kResidualPhiMargin = 3.5;

// The Gaussian efficiency of a median absolute deviation (Rousseeuw & Croux, "Alternatives to
// the median absolute deviation", JASA 88, 1993): a robust spread of n values is about as good
// as a standard deviation from 0.37 n.
constexpr double kRobustEfficiency = 0.37;
// A short series' own noise is taken this many relative errors above its estimate (see
// LevelSearch): the one-sided 90% point.
constexpr double kShortScaleMargin = 1.28;

// Median absolute successive difference of `logs`, as a standard deviation (see SeriesNoise).
double NoiseOfLogs(std::span<const double> logs) {
  if (logs.size() < 3) return 0;
  std::vector<double> d(logs.size() - 1);
  for (size_t i = 1; i < logs.size(); ++i) d[i - 1] = std::abs(logs[i] - logs[i - 1]);
  return 1.4826 * MedianInPlace(d) / std::numbers::sqrt2;
}

// The scale the tests use. Usually NoiseOfLogs; when more than half the successive differences
// are exactly 0 (quantized metrics such as instruction counts) that is 0, and this falls back
// on the mean absolute successive difference without its largest 10% (steps, outliers), which
// is 2 sigma / sqrt(pi) for Gaussian noise. 0 only for a series that is constant between steps.
double TestScale(std::span<const double> logs) {
  const double noise = NoiseOfLogs(logs);
  if (noise > 0 || logs.size() < 3) return noise;
  std::vector<double> d(logs.size() - 1);
  for (size_t i = 1; i < logs.size(); ++i) d[i - 1] = std::abs(logs[i] - logs[i - 1]);
  std::sort(d.begin(), d.end());
  const size_t keep = std::max<size_t>(1, d.size() * 9 / 10);
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += d[i];
  return std::sqrt(std::numbers::pi) / 2 * sum / static_cast<double>(keep);
}

// `model` with phi estimated again from the residuals of `z` around the means of the segments
// that `splits` (sorted) cut: the lag-1 autocorrelation r of the residuals within segments,
// corrected for the means taken out (E r = phi - (1 + 3 phi) / L for segments of L points,
// Kendall 1954, "Note on bias in the estimation of autocorrelation", Biometrika 41), and its
// upper bound kResidualPhiMargin standard errors above.
NoiseModel ResidualModel(std::span<const double> z, std::span<const size_t> splits,
                         const NoiseModel& model) {
  const size_t n = z.size();
  double squares = 0, products = 0;
  for (size_t s = 0; s <= splits.size(); ++s) {
    const size_t begin = s == 0 ? 0 : splits[s - 1], end = s == splits.size() ? n : splits[s];
    double mean = 0;
    for (size_t i = begin; i < end; ++i) mean += z[i];
    mean /= static_cast<double>(end - begin);
    for (size_t i = begin; i < end; ++i) {
      squares += (z[i] - mean) * (z[i] - mean);
      if (i > begin) products += (z[i] - mean) * (z[i - 1] - mean);
    }
  }
  if (!(squares > 0)) return model;
  const double count = static_cast<double>(n);
  const double share = static_cast<double>(splits.size() + 1) / count;  // 1 / segment length
  const double phi =
      std::clamp((products / squares + share) / std::max(1 - 3 * share, 0.1), 0.0, kMaxNoisePhi);
  return WithPhi(model, phi, phi + kResidualPhiMargin / std::sqrt(count));
}

// The level search of `logs` under the noise `model`: the seeded binary segmentation's splits
// at the model's scale (Finish refines, checks and classifies them). Whether it found any
// decides whether a season is looked for, before the costlier steps run.
//
// The residual check (in Finish): in a short series the second-difference estimate of phi is
// uncertain (its error is 2.4 / sqrt(n): 0.4 at 40 points), and a white series whose estimate
// comes out high is tested against a long-run deviation several times its noise, so that a
// clear step is missed. Where the segments found at the white-noise scale (phi = 0) leave
// residuals that are less autocorrelated than the model says, the search runs again at the
// long-run deviation of those residuals' phi (kResidualPhiMargin errors above its estimate).
// Noise that is autocorrelated keeps autocorrelated residuals (a split absorbs only part of
// its wandering, which the margin covers); a slow trend cut into steps leaves sawtooth
// residuals, which are autocorrelated too. A periodic movement cut at every half-period (an
// oscillation, changepoint_detail.h) leaves white residuals but is no step: its cut is no
// evidence against the model. This is the residual-based estimate under the
// alternative of the tests of a level shift in AR(1) noise (as in Chakar, Lebarbier,
// Lévy-Leduc & Robin, "A robust approach for estimating change-points in the mean of an AR(1)
// process", Bernoulli 23(2), 2017, section 3, which estimates phi on the residuals of a first
// segmentation).
class LevelSearch {
 public:
  LevelSearch(std::span<const double> logs, const NoiseModel& model, const DetectOptions& options,
              size_t m)
      : model_(model) {
    const size_t n = logs.size();
    // Without a model (quantized) the noise is TestScale's, as white noise. A series constant
    // between its steps has scale 0: any step is then certain, so a tiny scale keeps the
    // statistic finite without changing any decision.
    double noise = model.sigma > 0 ? model.sigma : TestScale(logs);
    double long_run = model.sigma > 0 ? model.long_run : noise;
    // A short series with samples behind its points: the samples bound the scale (see
    // DetectOptions::run_noise), the series' own successive differences from below, at the
    // upper end of their uncertainty (a robust spread of n - 1 differences is worth
    // kRobustEfficiency (n - 1) degrees of freedom: its relative error is 1 / sqrt(2 df), 34%
    // at 13 points; taken kShortScaleMargin errors up, so that a low estimate does not alert).
    if (n < kShortSeries && options.run_noise > 0) {
      const double df = kRobustEfficiency * static_cast<double>(n - 1);
      const double bound = std::max(options.run_noise,
                                    TestScale(logs) * (1 + kShortScaleMargin / std::sqrt(2 * df)));
      long_run = std::min(long_run, bound);
      noise = std::min(noise, bound);
    }
    const double min_effect =
        std::max(std::log1p(std::max(options.min_effect, 0.0)), kNoiseToEffect * noise);
    test_ = {std::max(long_run, 1e-12), std::min(options.alpha, 1.0), min_effect, m};
    clipped_ = Winsorize(logs, kWinsorize * noise, m);
    cusum_ = Cusum(clipped_);
    levels_ = SeedLevels(n, m);
    threshold_ = Threshold(test_.alpha, levels_, m);
    noise_ = model.sigma > 0 ? LocalNoise(logs, 0, n) : 0;
    white_ = n <= kResidualCheckPoints ? noise_ : 0;
    check_ = white_ > 0 && white_ < test_.scale;
    // The best split of every interval does not depend on the scale: found once, and all kept
    // when the residual check may need them at another scale.
    candidates_ = BestSplits(cusum_, n, m, check_ ? 0 : threshold_ * test_.scale);
    at_ = GreedySplits(candidates_, threshold_ * test_.scale);
  }

  bool AnySplit() const { return !at_.empty(); }
  // The noise of the series searched from its lag-1 second differences (LocalNoise), when it
  // has a noise model; else 0.
  double LocalNoiseOfSeries() const { return noise_; }

  // The changes of the level, refined, pruned and classified into steps and drifts; `values`
  // are the exponentials of the logs searched.
  std::vector<ChangePoint> Finish(std::span<const double> values) {
    std::vector<ChangePoint> shifts;
    if (!at_.empty()) shifts = RefineAndPrune(values, cusum_, levels_, test_, &at_);
    if (check_) {
      std::vector<size_t> cut = GreedySplits(candidates_, threshold_ * white_);
      if (cut.size() > at_.size()) {
        const std::vector<bool> periodic = Oscillations(RefineAndPrune(
            values, cusum_, levels_, {white_, test_.alpha, test_.min_effect, test_.m}, &cut));
        const double residual = ResidualModel(clipped_, cut, model_).long_run;
        if (residual < test_.scale &&
            std::none_of(periodic.begin(), periodic.end(),
                         [](bool in_oscillation) { return in_oscillation; })) {
          test_.scale = std::max(residual, 1e-12);
          at_ = GreedySplits(candidates_, threshold_ * test_.scale);
          shifts.clear();
          if (!at_.empty()) shifts = RefineAndPrune(values, cusum_, levels_, test_, &at_);
        }
      }
    }
    if (shifts.empty()) return {};
    return Classify(values, clipped_, shifts,
                    {test_.scale, threshold_, test_.min_effect, levels_, test_.m});
  }

 private:
  NoiseModel model_;
  LevelTest test_;
  std::vector<double> clipped_;
  Cusum cusum_;
  std::vector<Level> levels_;
  double threshold_ = 0, noise_ = 0, white_ = 0;
  bool check_ = false;
  std::vector<Candidate> candidates_;
  std::vector<size_t> at_;
};

}  // namespace

double SeriesNoise(std::span<const double> values) {
  if (values.size() < 3) return 0;
  std::vector<double> logs(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] > 0) || !std::isfinite(values[i])) return 0;
    logs[i] = std::log(values[i]);
  }
  return NoiseOfLogs(logs);
}

std::vector<ChangePoint> DetectChanges(std::span<const double> values,
                                       const DetectOptions& options) {
  const size_t n = values.size();
  const size_t m = std::max<size_t>(1, options.min_segment);
  if (n < 2 * m || n < 2 || !(options.alpha > 0)) return {};
  std::vector<double> logs(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(values[i] > 0) || !std::isfinite(values[i])) return {};
    logs[i] = std::log(values[i]);
  }
  const auto [lo, hi] = std::minmax_element(logs.begin(), logs.end());
  if (*lo == *hi) return {};

  // The noise model (noise_model.h); a quantized series has none and falls back on TestScale.
  NoiseModel model = EstimateNoise(logs);
  // A periodic component (season.h) is no change: it is taken out of the series, and the
  // changes are those of the level around it (Lu, Lund & Lee 2010); the reported medians are
  // then of the series without it. It is looked for only where it could matter: when the noise
  // looks autocorrelated (a short period passes for AR(1) noise), or the level search finds a
  // shift. Most series have neither and pay nothing for it.
  std::optional<LevelSearch> search;
  bool season_matters = model.sigma > 0 && model.phi >= kSeasonPhi;
  if (!season_matters) {
    search.emplace(logs, model, options, m);
    season_matters = model.sigma > 0 && search->AnySplit();
  }
  std::vector<double> adjusted;
  if (season_matters) {
    const Season season = FindSeason(logs);
    if (season.period > 0) {
      adjusted.resize(n);
      for (size_t i = 0; i < n; ++i) {
        logs[i] -= season.profile[i % season.period];
        adjusted[i] = std::exp(logs[i]);
      }
      values = adjusted;
      model = EstimateNoise(logs);
      search.reset();
    }
  }
  if (!search) search.emplace(logs, model, options, m);
  std::vector<ChangePoint> out = search->Finish(values);
  const std::vector<ChangePoint> spread =
      SpreadChanges(values, logs, search->LocalNoiseOfSeries(), std::min(options.alpha, 1.0), m);
  if (spread.empty()) return out;
  DropLevelChangesOfNoisierStretches(logs, spread, &out);
  out.insert(out.end(), spread.begin(), spread.end());
  std::sort(out.begin(), out.end(),
            [](const ChangePoint& a, const ChangePoint& b) { return a.index < b.index; });
  return out;
}

}  // namespace perfledger::analysis
