// Compare accuracy and speed (analysis/compare.h), on generated runs of known truth with fixed
// seeds. Accuracy: each trial is one CompareRuns of two runs of 100 benchmarks (10 samples a
// side unless stated), with the defaults `compare` and `check` use (no --threshold, alpha 0.05):
//  - A/A: both sides from one distribution. Counters: the share of trials that report any
//    regression, and the share of benchmark comparisons that are false regressions;
//  - detection: one of the 100 benchmarks is slower on the head side by `effect`; the share of
//    trials in which it is a regression (and any false regression among the other 99).
// Noise: relative Gaussian (sigma), or heavy-tailed: "outliers", 1% of samples with 3x the
// noise deviation; "spikes", 1% of samples 3x the value (a pause); or "mixed": each benchmark
// its own sigma, 0.25x to 4x the stated one (benchmark 0 has it). Optionally a run-level drift
// (every sample of a run shifted alike), which only the run-to-run history sees. The minimum
// effect comes from the two runs' within-run spread, or ("history") from earlier runs of the
// same model (30, or `history_runs`: RunToRunNoise of their medians, as `compare` and `check`
// load it from the store).
// Short histories (issue 17): A/A and a 10% regression at 2% noise, 10 samples a side, with 0,
// 2, 3, 5, 8 and 30 stored runs, for suites of 1 and 100 benchmarks, with drift and mixed noise.
// Speed: CompareRuns on 1,000 benchmarks x 30 samples a side.
// run_compare_bench.sh prints the tables.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "analysis/compare.h"
#include "analysis/stats.h"

namespace perfledger::analysis {
namespace {

enum class Tail { kGaussian, kOutliers, kSpikes, kMixed };

const char* TailName(Tail t) {
  switch (t) {
    case Tail::kGaussian:
      return "gaussian";
    case Tail::kOutliers:
      return "outliers";
    case Tail::kSpikes:
      return "spikes";
    case Tail::kMixed:
      return "mixed";
  }
  return "?";
}

struct Scenario {
  double effect = 0;  // the regressed benchmark's relative slowdown; 0: A/A
  double sigma = 0.02;
  double drift = 0;  // run-level relative shift (sd)
  Tail tail = Tail::kGaussian;
  bool history = false;
  int history_runs = 30;  // with history: the stored runs of each benchmark (0: none)
  int samples = 10;
  int benchmarks = 100;
  int trials = 1000;
  uint64_t seed = 1;
};

class Model {
 public:
  explicit Model(const Scenario& s) : s_(s), rng_(s.seed) {}

  // One run's samples of benchmark `b` of true level `level`.
  std::vector<double> Samples(double level, int b = 0) {
    const double shift = s_.drift > 0 ? 1 + s_.drift * normal_(rng_) : 1;
    // Mixed: 0.25x, 0.5x, 1x, 2x, 4x the stated sigma, benchmark 0 at 1x.
    const double sigma =
        s_.tail == Tail::kMixed ? s_.sigma * std::ldexp(1.0, (b + 2) % 5 - 2) : s_.sigma;
    std::vector<double> out(static_cast<size_t>(s_.samples));
    for (double& v : out) {
      double e = sigma * normal_(rng_);
      const bool rare = unit_(rng_) < 0.01;
      if (rare && s_.tail == Tail::kOutliers) e *= 3;
      v = level * shift * std::max(0.05, 1 + e);
      if (rare && s_.tail == Tail::kSpikes) v *= 3;
    }
    return out;
  }

  // The run-to-run noise of a benchmark of the model, from `history_runs` earlier runs'
  // medians; nullopt when they give none (fewer than 3).
  std::optional<HistoryNoise> History(double level, int b) {
    std::vector<double> medians;
    for (int i = 0; i < s_.history_runs; ++i) medians.push_back(Median(Samples(level, b)));
    return RunToRunNoise(medians);
  }

 private:
  Scenario s_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> normal_;
  std::uniform_real_distribution<double> unit_{0, 1};
};

std::string Name(int i) { return "bench/" + std::to_string(1000 + i); }

core::Run MakeRun(std::vector<std::vector<double>> samples) {
  core::Run r;
  for (size_t i = 0; i < samples.size(); ++i) {
    core::BenchmarkResult b;
    b.name = Name(static_cast<int>(i));
    b.metrics.push_back(
        {"wall_time", "ns", core::Direction::kLower, std::move(samples[i]), std::nullopt});
    r.benchmarks.push_back(std::move(b));
  }
  return r;
}

struct Tally {
  int trials = 0, trials_with_regression = 0, detected = 0;
  int64_t null_rows = 0, false_regressions = 0;
  double threshold_sum = 0;
  int64_t rows = 0;
};

// Benchmark 0 is the regressed one when s.effect > 0.
Tally RunTrials(const Scenario& s) {
  Model model(s);
  Tally t;
  for (int trial = 0; trial < s.trials; ++trial) {
    std::vector<std::vector<double>> base, head;
    NoiseByMetric history;
    for (int b = 0; b < s.benchmarks; ++b) {
      const double level = 1e5 * (1 + b % 7);
      base.push_back(model.Samples(level, b));
      head.push_back(model.Samples(b == 0 ? level * (1 + s.effect) : level, b));
      if (s.history) {
        if (auto noise = model.History(level, b)) history[{Name(b), "wall_time"}] = *noise;
      }
    }
    const Comparison c = CompareRuns(MakeRun(std::move(base)), MakeRun(std::move(head)), {},
                                     s.history ? history : NoiseByMetric{});
    ++t.trials;
    bool any_false = false;
    for (const ComparisonRow& row : c.rows) {
      ++t.rows;
      t.threshold_sum += row.threshold;
      const bool regressed = row.benchmark == Name(0) && s.effect > 0;
      const bool flagged = row.verdict == Verdict::kRegression;
      if (regressed) {
        t.detected += flagged;
      } else {
        ++t.null_rows;
        t.false_regressions += flagged;
        any_false |= flagged;
      }
    }
    t.trials_with_regression += any_false;
  }
  return t;
}

void Accuracy(benchmark::State& state, Scenario s) {
  Tally t;
  for (auto _ : state) t = RunTrials(s);
  auto ratio = [](double a, double b) { return b == 0 ? 0.0 : a / b; };
  state.counters["trials"] = t.trials;
  state.counters["effect"] = s.effect;
  state.counters["sigma"] = s.sigma;
  state.counters["drift"] = s.drift;
  state.counters["samples"] = s.samples;
  state.counters["history"] = s.history;
  state.counters["history_runs"] = s.history ? s.history_runs : 0;
  state.counters["benchmarks"] = s.benchmarks;
  // Trials with a false regression among the unchanged benchmarks.
  state.counters["any_false_rate"] = ratio(t.trials_with_regression, t.trials);
  state.counters["false_rate"] =
      ratio(static_cast<double>(t.false_regressions), static_cast<double>(t.null_rows));
  state.counters["detection_rate"] = s.effect > 0 ? ratio(t.detected, t.trials) : 0.0;
  state.counters["mean_min_effect"] = ratio(t.threshold_sum, static_cast<double>(t.rows));
}

void RegisterAccuracy() {
  uint64_t seed = 100;
  auto add = [&](std::string name, Scenario s) {
    s.seed = ++seed;
    benchmark::RegisterBenchmark(name.c_str(), Accuracy, s)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  };
  auto label = [](const Scenario& s) {
    std::string out = std::string(TailName(s.tail)) +
                      "/noise:" + std::to_string(static_cast<int>(std::lround(s.sigma * 1000))) +
                      "pm";
    if (s.drift > 0) {
      out += "/drift:" + std::to_string(static_cast<int>(std::lround(s.drift * 1000))) + "pm";
    }
    out += "/n:" + std::to_string(s.samples);
    out += s.history ? "/history" : "/within-run";
    return out;
  };
  // A/A: i.i.d. samples, the setting, then run-level drift.
  for (bool history : {false, true}) {
    for (Tail tail : {Tail::kGaussian, Tail::kOutliers, Tail::kSpikes}) {
      for (double sigma : {0.01, 0.02, 0.05}) {
        Scenario s;
        s.sigma = sigma;
        s.tail = tail;
        s.history = history;
        add("AA/" + label(s), s);
      }
    }
    for (double drift : {0.01, 0.02}) {
      Scenario s;
      s.sigma = 0.01;
      s.drift = drift;
      s.history = history;
      add("AA/" + label(s), s);
    }
  }
  // Short histories (issue 17): history length x (power, A/A), 10% at 2% noise, n = 10.
  for (int runs : {0, 2, 3, 5, 8, 30}) {
    struct Variant {
      const char* name;
      int benchmarks;
      double drift;
      Tail tail;
    };
    for (const Variant& v :
         {Variant{"suite:100", 100, 0, Tail::kGaussian}, Variant{"suite:1", 1, 0, Tail::kGaussian},
          Variant{"suite:100/mixed", 100, 0, Tail::kMixed},
          Variant{"suite:100/drift:1pc", 100, 0.01, Tail::kGaussian}}) {
      for (double effect : {0.0, 0.10}) {
        Scenario s;
        s.effect = effect;
        s.sigma = v.drift > 0 ? 0.01 : 0.02;
        s.drift = v.drift;
        s.tail = v.tail;
        s.benchmarks = v.benchmarks;
        s.history = runs > 0;
        s.history_runs = runs;
        if (v.benchmarks == 1) s.trials = 4000;
        add("Short/" + std::string(effect > 0 ? "detect" : "AA") + "/" + v.name +
                "/runs:" + std::to_string(runs),
            s);
      }
    }
  }
  // Detection of one regressed benchmark among 100.
  for (bool history : {false, true}) {
    for (Tail tail : {Tail::kGaussian, Tail::kOutliers, Tail::kSpikes}) {
      for (double sigma : {0.01, 0.02, 0.05}) {
        for (double effect : {0.10, 0.05, 0.03}) {
          Scenario s;
          s.effect = effect;
          s.sigma = sigma;
          s.tail = tail;
          s.history = history;
          add("Detect/effect:" + std::to_string(static_cast<int>(std::lround(effect * 100))) +
                  "pc/" + label(s),
              s);
        }
      }
    }
    for (int n : {5, 20, 30}) {
      Scenario s;
      s.effect = 0.10;
      s.samples = n;
      s.history = history;
      add("Detect/effect:10pc/" + label(s), s);
    }
    for (double drift : {0.01, 0.02}) {
      Scenario s;
      s.effect = 0.10;
      s.sigma = 0.01;
      s.drift = drift;
      s.history = history;
      add("Detect/effect:10pc/" + label(s), s);
    }
  }
}

// CompareRuns on 1,000 benchmarks x 30 samples a side (no history).
void BM_Compare1000x30(benchmark::State& state) {
  Scenario s;
  s.samples = 30;
  s.benchmarks = 1000;
  Model model(s);
  std::vector<std::vector<double>> base, head;
  for (int b = 0; b < s.benchmarks; ++b) {
    base.push_back(model.Samples(1e5));
    head.push_back(model.Samples(b % 10 == 0 ? 1.1e5 : 1e5));
  }
  const core::Run base_run = MakeRun(base), head_run = MakeRun(head);
  int regressions = 0;
  for (auto _ : state) {
    const Comparison c = CompareRuns(base_run, head_run, {});
    regressions = c.regressions;
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * s.benchmarks);
  state.counters["regressions"] = regressions;
}
BENCHMARK(BM_Compare1000x30)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace perfledger::analysis

int main(int argc, char** argv) {
  perfledger::analysis::RegisterAccuracy();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
