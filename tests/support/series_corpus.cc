#include "series_corpus.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace perfledger::testing {
namespace {

double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

size_t UniformIndex(std::mt19937_64& rng, size_t lo, size_t hi) {  // inclusive
  if (hi <= lo) return lo;
  return std::uniform_int_distribution<size_t>(lo, hi)(rng);
}

double Sign(std::mt19937_64& rng) { return Uniform(rng, 0, 1) < 0.5 ? -1.0 : 1.0; }

// The fraction of a drift done at t in [0, 1].
double DriftFraction(DriftShape shape, double t) {
  switch (shape) {
    case DriftShape::kLinear:
      return t;
    case DriftShape::kLogistic: {
      // A logistic curve with slope 10 over the span, rescaled to exactly 0..1.
      auto s = [](double x) { return 1 / (1 + std::exp(-10 * (x - 0.5))); };
      return (s(t) - s(0)) / (s(1) - s(0));
    }
    case DriftShape::kExponential:
      // Slow at first, then faster: a cache or a log that keeps growing.
      return (std::exp(3 * t) - 1) / (std::exp(3.0) - 1);
  }
  return t;
}

// `count` step indexes in [begin, end): segments of at least `gap` points, the rest of the
// room shared uniformly (as bench/detect_bench.cc Generate).
std::vector<size_t> PlaceSteps(std::mt19937_64& rng, size_t begin, size_t end, int count,
                               size_t gap) {
  std::vector<size_t> at;
  const size_t room = end - begin;
  const size_t need = (static_cast<size_t>(count) + 1) * gap;
  if (count <= 0 || room < need) return at;
  for (int i = 0; i < count; ++i) at.push_back(UniformIndex(rng, 0, room - need));
  std::sort(at.begin(), at.end());
  for (size_t i = 0; i < at.size(); ++i) at[i] += begin + (i + 1) * gap;
  return at;
}

size_t ChoosePeriod(std::mt19937_64& rng, size_t n) {
  std::vector<size_t> fits;
  for (size_t p : {7, 24, 168}) {
    if (n >= 4 * p) fits.push_back(p);
  }
  if (fits.empty()) return std::max<size_t>(4, n / 5);
  return fits[UniformIndex(rng, 0, fits.size() - 1)];
}

}  // namespace

const char* TruthKindName(TruthKind kind) {
  switch (kind) {
    case TruthKind::kStep:
      return "step";
    case TruthKind::kDrift:
      return "drift";
    case TruthKind::kNoise:
      return "noise";
  }
  return "";
}

const char* FamilyGroupName(FamilyGroup group) {
  switch (group) {
    case FamilyGroup::kNoChange:
      return "no change";
    case FamilyGroup::kSteps:
      return "steps";
    case FamilyGroup::kStepsMixed:
      return "steps + season/AR(1)";
    case FamilyGroup::kDrift:
      return "pure drift";
    case FamilyGroup::kDriftMixed:
      return "drift + season/step";
    case FamilyGroup::kNoiseChange:
      return "noise change";
  }
  return "";
}

CorpusSeries GenerateSeries(const SeriesSpec& spec, std::mt19937_64& rng) {
  const size_t n = spec.n;
  CorpusSeries s;
  s.sigma = Uniform(rng, 0.01, 0.05);
  const double sigma = s.sigma;
  std::vector<double> log_level(n, Uniform(rng, std::log(1e3), std::log(1e6)));

  // Where steps may go: the whole series, or before the drift (with a gap) when both exist.
  size_t step_end = n;
  if (spec.drift) {
    const size_t edge = std::max(spec.min_gap, n * 15 / 100);
    const size_t length = std::max<size_t>(8, static_cast<size_t>(Uniform(rng, 0.1, 0.4) * n));
    size_t first = 0;
    if (spec.drift_to_end) {
      first = n - length;
    } else if (spec.steps > 0) {
      first = UniformIndex(rng, n / 2, n - length - edge);
    } else {
      first = UniformIndex(rng, edge, n - length - edge);
    }
    const size_t last = std::min(n - 1, first + length - 1);
    if (spec.steps > 0) step_end = first - spec.min_gap;
    const double total = Sign(rng) * Uniform(rng, std::max(0.10, 6 * sigma), 0.40);
    const double log_total = std::log(1 + total);
    for (size_t i = first; i < n; ++i) {
      const double t =
          i > last ? 1.0
                   : static_cast<double>(i - first + 1) / static_cast<double>(last - first + 1);
      log_level[i] += log_total * DriftFraction(spec.drift_shape, t);
    }
    s.truth.push_back({TruthKind::kDrift, first, last});
  }
  for (size_t at : PlaceSteps(rng, 0, step_end, spec.steps, spec.min_gap)) {
    const double low = std::max(0.05, 3 * sigma);
    const double size = Uniform(rng, low, 0.5);
    const double factor = Sign(rng) < 0 ? 1 - size : 1 + size;
    for (size_t i = at; i < n; ++i) log_level[i] += std::log(factor);
    s.truth.push_back({TruthKind::kStep, at, at});
  }
  if (spec.trend_sigmas != 0 && n > 1) {
    const double log_total = std::log(1 + spec.trend_sigmas * sigma);
    for (size_t i = 0; i < n; ++i) {
      log_level[i] += log_total * static_cast<double>(i) / static_cast<double>(n - 1);
    }
  }

  // A change of the noise itself, in the middle 40%.
  size_t noise_at = n;
  double spread_factor = 1, onset_share = 0, onset_offset = 0;
  if (spec.variance_change || spec.bimodal_onset) {
    noise_at = UniformIndex(rng, n * 3 / 10, n * 7 / 10);
    s.truth.push_back({TruthKind::kNoise, noise_at, noise_at});
    if (spec.variance_change) spread_factor = Uniform(rng, 3, 5);
    if (spec.bimodal_onset) {
      onset_share = Uniform(rng, 0.25, 0.4);
      onset_offset = Uniform(rng, 5, 8);
    }
  }
  const double bimodal_share = spec.bimodal ? Uniform(rng, 0.2, 0.5) : 0;
  const double bimodal_offset = spec.bimodal ? Uniform(rng, 3, 6) : 0;

  const size_t period = spec.season == SeasonShape::kNone ? 0
                        : spec.period > 0                 ? spec.period
                                                          : ChoosePeriod(rng, n);
  const double phase = Uniform(rng, 0, 2 * std::numbers::pi);
  const double season_amp = spec.season_sigmas * sigma;

  std::normal_distribution<double> normal;
  const double innovation = std::sqrt(1 - spec.ar * spec.ar);
  double u = normal(rng);
  s.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) u = spec.ar * u + innovation * normal(rng);
    double e = sigma * u;
    if (i >= noise_at) e *= spread_factor;
    if (spec.contamination == Contamination::kOutliers && Uniform(rng, 0, 1) < 0.01) e *= 3;
    if (spec.contamination == Contamination::kSpikes && Uniform(rng, 0, 1) < 0.02) {
      e = sigma * Uniform(rng, 4, 20);
    }
    if (bimodal_share > 0 && Uniform(rng, 0, 1) < bimodal_share) e += sigma * bimodal_offset;
    if (i >= noise_at && onset_share > 0 && Uniform(rng, 0, 1) < onset_share) {
      e += sigma * onset_offset;
    }
    double season = 0;
    if (period > 0) {
      const double x = std::sin(
          2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(period) + phase);
      season = spec.season == SeasonShape::kSine ? x : std::tanh(3 * x) / std::tanh(3.0);
    }
    s.values[i] = std::exp(log_level[i]) * (1 + season_amp * season) * (1 + std::max(e, -0.5));
  }
  std::sort(s.truth.begin(), s.truth.end(),
            [](const TrueChange& a, const TrueChange& b) { return a.first < b.first; });
  s.no_change = s.truth.empty();
  s.pure_drift = s.truth.size() == 1 && s.truth[0].kind == TruthKind::kDrift &&
                 spec.season == SeasonShape::kNone && spec.ar == 0 && spec.trend_sigmas == 0 &&
                 spec.contamination == Contamination::kNone && !spec.bimodal;
  return s;
}

namespace {

int StepCount(size_t n, std::mt19937_64& rng, size_t gap = 15) {
  const int room = static_cast<int>(n / gap) - 1;
  return std::max(1, std::min(1 + static_cast<int>(UniformIndex(rng, 0, 2)), room));
}

SeriesSpec DriftSpec(size_t n, std::mt19937_64& rng, DriftShape shape) {
  SeriesSpec s{.n = n, .drift = true, .drift_shape = shape};
  s.drift_to_end = Uniform(rng, 0, 1) < 1.0 / 3;
  return s;
}

}  // namespace

const std::vector<Family>& Families() {
  using R = std::mt19937_64;
  static const std::vector<Family> families = {
      {"white", FamilyGroup::kNoChange, 20, [](size_t n, R&) { return SeriesSpec{.n = n}; }},
      {"outliers", FamilyGroup::kNoChange, 20,
       [](size_t n, R&) { return SeriesSpec{.n = n, .contamination = Contamination::kOutliers}; }},
      {"spikes", FamilyGroup::kNoChange, 20,
       [](size_t n, R&) { return SeriesSpec{.n = n, .contamination = Contamination::kSpikes}; }},
      {"ar1", FamilyGroup::kNoChange, 20,
       [](size_t n, R& rng) { return SeriesSpec{.n = n, .ar = Uniform(rng, 0.3, 0.8)}; }},
      {"season-sine", FamilyGroup::kNoChange, 40,
       [](size_t n, R& rng) {
         return SeriesSpec{
             .n = n, .season = SeasonShape::kSine, .season_sigmas = Uniform(rng, 1, 3)};
       }},
      {"season-square", FamilyGroup::kNoChange, 40,
       [](size_t n, R& rng) {
         return SeriesSpec{
             .n = n, .season = SeasonShape::kSquare, .season_sigmas = Uniform(rng, 1, 3)};
       }},
      // A slow trend within the noise (at most 1.5 sigma over the whole series: below the
      // smallest effect detection reports). A larger one is a drift: the drift families.
      {"trend", FamilyGroup::kNoChange, 20,
       [](size_t n, R& rng) {
         return SeriesSpec{.n = n, .trend_sigmas = Sign(rng) * Uniform(rng, 0.5, 1.5)};
       }},
      {"bimodal", FamilyGroup::kNoChange, 20,
       [](size_t n, R&) { return SeriesSpec{.n = n, .bimodal = true}; }},
      {"season+trend+ar1", FamilyGroup::kNoChange, 40,
       [](size_t n, R& rng) {
         return SeriesSpec{.n = n,
                           .trend_sigmas = Sign(rng) * Uniform(rng, 0.5, 1.5),
                           .season = SeasonShape::kSine,
                           .season_sigmas = Uniform(rng, 1, 2),
                           .ar = Uniform(rng, 0.3, 0.6)};
       }},
      {"steps", FamilyGroup::kSteps, 40,
       [](size_t n, R& rng) { return SeriesSpec{.n = n, .steps = StepCount(n, rng)}; }},
      {"steps+outliers", FamilyGroup::kSteps, 40,
       [](size_t n, R& rng) {
         return SeriesSpec{
             .n = n, .steps = StepCount(n, rng), .contamination = Contamination::kOutliers};
       }},
      {"steps+spikes", FamilyGroup::kSteps, 40,
       [](size_t n, R& rng) {
         return SeriesSpec{
             .n = n, .steps = StepCount(n, rng), .contamination = Contamination::kSpikes};
       }},
      {"steps+season", FamilyGroup::kStepsMixed, 60,
       [](size_t n, R& rng) {
         return SeriesSpec{.n = n,
                           .steps = StepCount(n, rng),
                           .season = SeasonShape::kSine,
                           .season_sigmas = Uniform(rng, 1, 2)};
       }},
      {"steps+ar1", FamilyGroup::kStepsMixed, 60,
       [](size_t n, R& rng) {
         return SeriesSpec{.n = n, .steps = StepCount(n, rng), .ar = Uniform(rng, 0.3, 0.5)};
       }},
      {"drift-linear", FamilyGroup::kDrift, 60,
       [](size_t n, R& rng) { return DriftSpec(n, rng, DriftShape::kLinear); }},
      {"drift-logistic", FamilyGroup::kDrift, 60,
       [](size_t n, R& rng) { return DriftSpec(n, rng, DriftShape::kLogistic); }},
      {"drift-exponential", FamilyGroup::kDrift, 60,
       [](size_t n, R& rng) { return DriftSpec(n, rng, DriftShape::kExponential); }},
      {"drift+season", FamilyGroup::kDriftMixed, 100,
       [](size_t n, R& rng) {
         SeriesSpec s = DriftSpec(n, rng, DriftShape::kLinear);
         s.season = SeasonShape::kSine;
         s.season_sigmas = Uniform(rng, 1, 2);
         return s;
       }},
      {"step+drift", FamilyGroup::kDriftMixed, 100,
       [](size_t n, R& rng) {
         SeriesSpec s = DriftSpec(n, rng, DriftShape::kLinear);
         s.drift_to_end = false;
         s.steps = 1;
         return s;
       }},
      {"variance-change", FamilyGroup::kNoiseChange, 60,
       [](size_t n, R&) { return SeriesSpec{.n = n, .variance_change = true}; }},
      {"bimodal-onset", FamilyGroup::kNoiseChange, 60,
       [](size_t n, R&) { return SeriesSpec{.n = n, .bimodal_onset = true}; }},
  };
  return families;
}

std::vector<CorpusSeries> MakeCorpus(const std::vector<FamilyGroup>& groups,
                                     const std::vector<size_t>& lengths, size_t per_family,
                                     uint64_t seed) {
  std::vector<CorpusSeries> out;
  const auto& families = Families();
  for (size_t f = 0; f < families.size(); ++f) {
    const Family& family = families[f];
    if (std::find(groups.begin(), groups.end(), family.group) == groups.end()) continue;
    for (size_t n : lengths) {
      if (n < family.min_n) continue;
      // One stream per family and length: adding a family or a length changes no other series.
      std::seed_seq seq{seed, static_cast<uint64_t>(f), static_cast<uint64_t>(n)};
      std::mt19937_64 rng(seq);
      for (size_t i = 0; i < per_family; ++i) {
        const SeriesSpec spec = family.draw(n, rng);
        CorpusSeries s = GenerateSeries(spec, rng);
        s.family = family.name;
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

}  // namespace perfledger::testing
