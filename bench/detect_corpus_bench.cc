// Change point detection on the corpus of issue 17 (tests/support/series_corpus.h): the
// figures of tests/accuracy on a larger corpus (lengths 100 to 10,000), speed at 100,000
// points, and the accuracy of asv's step detection (bench/asv_step_detect_reference.py) on
// the same series. run_detect_corpus_bench.sh drives it and prints the summary.
//
// Besides Google Benchmark's flags:
//   --write-asv-corpus=FILE   write the series asv is measured on ({"series": [[...]]}), exit
//   --asv-results=FILE        score asv's answers for them (BM_AsvCorpus)
//   --histories=DIR           the annotated real histories (default tests/data/histories)
//   --write-values=FILE       write one series of 10,000 points (3 steps, outliers), one value a
//                             line, for the whole-process comparison, and exit
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "analysis/changepoint.h"
#include "corpus_scoring.h"
#include "series_corpus.h"

namespace perfledger::testing {
namespace {

std::string asv_results_path;
std::string histories_root = "tests/data/histories";

const std::vector<FamilyGroup> kAllGroups = {FamilyGroup::kNoChange,   FamilyGroup::kSteps,
                                             FamilyGroup::kStepsMixed, FamilyGroup::kDrift,
                                             FamilyGroup::kDriftMixed, FamilyGroup::kNoiseChange};

// The series asv is run on: pure Python takes ~0.1 s per series of 500 points.
std::vector<CorpusSeries> AsvCorpus() { return MakeCorpus(kAllGroups, {100, 500}, 6, 1717); }

void SetCounters(benchmark::State& state, const std::string& prefix, const CorpusScore& s) {
  auto& c = state.counters;
  c[prefix + "series"] = static_cast<double>(s.series);
  c[prefix + "cover"] = s.MeanCover();
  c[prefix + "f1"] = s.MeanBurgF1();
  c[prefix + "changes"] = static_cast<double>(s.changes);
  c[prefix + "step_truths"] = static_cast<double>(s.step.truths);
  c[prefix + "step_recall"] = s.step.Recall();
  c[prefix + "step_precision"] = s.step.Precision();
  c[prefix + "step_detections"] = static_cast<double>(s.step.detections);
  c[prefix + "drift_truths"] = static_cast<double>(s.drift.truths);
  c[prefix + "drift_recall"] = s.drift.Recall();
  c[prefix + "drift_precision"] = s.drift.Precision();
  c[prefix + "noise_truths"] = static_cast<double>(s.noise.truths);
  c[prefix + "noise_recall"] = s.noise.Recall();
  c[prefix + "noise_precision"] = s.noise.Precision();
  c[prefix + "nochange_series"] = static_cast<double>(s.no_change_series);
  c[prefix + "nochange_alert_rate"] = s.NoChangeAlertRate();
  c[prefix + "puredrift_series"] = static_cast<double>(s.pure_drift_series);
  c[prefix + "puredrift_changes"] = s.PureDriftChangesPerSeries();
}

// The whole corpus: every family at 100, 1,000 and 10,000 points, 20 series each; counters
// per group of families ("g<k>_"), printed by the script.
void BM_Corpus(benchmark::State& state) {
  const auto corpus = MakeCorpus(kAllGroups, {100, 1'000, 10'000}, 20, 1718);
  std::map<std::string, FamilyGroup> group_of;
  for (const Family& f : Families()) group_of[f.name] = f.group;
  std::vector<CorpusScore> by_group(kAllGroups.size());
  double seconds = 0;
  size_t points = 0;
  for (auto _ : state) {
    by_group.assign(kAllGroups.size(), {});
    for (const CorpusSeries& s : corpus) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto found = analysis::DetectChanges(s.values);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      points += s.values.size();
      by_group[static_cast<size_t>(group_of[s.family])].Add(
          s.truth, s.no_change, s.pure_drift, FromChangePoints(found), s.values.size());
    }
  }
  for (size_t g = 0; g < kAllGroups.size(); ++g) {
    // Appended, not "g" + std::to_string(g): GCC 12 warns (-Wrestrict, a false positive inside
    // char_traits) on a literal prepended to a temporary string.
    std::string prefix = "g";
    prefix += std::to_string(g);
    prefix += '_';
    SetCounters(state, prefix, by_group[g]);
  }
  state.counters["us_per_1000_points"] = seconds * 1e6 / static_cast<double>(points) * 1000;
}
BENCHMARK(BM_Corpus)->Unit(benchmark::kMillisecond)->Iterations(1);

// One series of 100,000 points per family kind (target: under 50 ms).
void BM_Detect100k(benchmark::State& state, SeriesSpec spec) {
  std::mt19937_64 rng(1719);
  const CorpusSeries s = GenerateSeries(spec, rng);
  size_t found = 0;
  for (auto _ : state) {
    auto cps = analysis::DetectChanges(s.values);
    found = cps.size();
    benchmark::DoNotOptimize(cps);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.values.size()));
  state.counters["changes"] = static_cast<double>(found);
  state.counters["truths"] = static_cast<double>(s.truth.size());
}
BENCHMARK_CAPTURE(BM_Detect100k, steps, SeriesSpec{.n = 100'000, .steps = 100, .min_gap = 500})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Detect100k, drift, SeriesSpec{.n = 100'000, .drift = true})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Detect100k, season_trend_ar1,
                  SeriesSpec{.n = 100'000,
                             .trend_sigmas = 4,
                             .season = SeasonShape::kSine,
                             .season_sigmas = 2,
                             .ar = 0.5})
    ->Unit(benchmark::kMillisecond);

// asv's answers (bench/asv_step_detect_reference.py, run by the script on AsvCorpus()) and
// DetectChanges' on the same series, scored alike; asv reports steps only. The file holds the
// generated series, then the real histories: counters ours_/asv_ and ours_real_/asv_real_.
void BM_AsvCorpus(benchmark::State& state) {
  std::vector<CorpusSeries> corpus = AsvCorpus();
  const size_t generated = corpus.size();
  for (const History& h : LoadHistories(histories_root)) {
    corpus.push_back(
        {.family = h.name, .values = h.values, .truth = h.truth, .no_change = h.truth.empty()});
  }
  std::ifstream in(asv_results_path);
  if (!in) {
    state.SkipWithError("no --asv-results file");
    return;
  }
  const auto results = nlohmann::json::parse(in, nullptr, false);
  if (results.is_discarded() || results["changes"].size() != corpus.size()) {
    state.SkipWithError("asv results do not match the corpus");
    return;
  }
  CorpusScore ours, asv, ours_real, asv_real;
  double seconds = 0;
  for (auto _ : state) {
    ours = asv = ours_real = asv_real = {};
    for (size_t i = 0; i < corpus.size(); ++i) {
      const CorpusSeries& s = corpus[i];
      const auto t0 = std::chrono::steady_clock::now();
      const auto found = analysis::DetectChanges(s.values);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::vector<Detected> theirs;
      for (size_t at : results["changes"][i].get<std::vector<size_t>>()) {
        theirs.push_back({TruthKind::kStep, at, at});
      }
      (i < generated ? ours : ours_real)
          .Add(s.truth, s.no_change, s.pure_drift, FromChangePoints(found), s.values.size());
      (i < generated ? asv : asv_real)
          .Add(s.truth, s.no_change, s.pure_drift, theirs, s.values.size());
    }
  }
  SetCounters(state, "ours_", ours);
  SetCounters(state, "asv_", asv);
  SetCounters(state, "ours_real_", ours_real);
  SetCounters(state, "asv_real_", asv_real);
  state.counters["ours_seconds"] = seconds;
  state.counters["asv_seconds"] = results["seconds"].get<double>();
}
BENCHMARK(BM_AsvCorpus)->Unit(benchmark::kMillisecond)->Iterations(1);

int WriteAsvCorpus(const char* path) {
  nlohmann::json out;
  out["series"] = nlohmann::json::array();
  for (const CorpusSeries& s : AsvCorpus()) out["series"].push_back(s.values);
  for (const History& h : LoadHistories(histories_root)) out["series"].push_back(h.values);
  std::ofstream f(path);
  f << out.dump();
  return f ? 0 : 1;
}

int WriteValues(const char* path) {
  std::mt19937_64 rng(1720);
  const CorpusSeries s = GenerateSeries(
      SeriesSpec{.n = 10'000, .steps = 3, .contamination = Contamination::kOutliers}, rng);
  std::ofstream f(path);
  f.precision(17);
  for (double v : s.values) f << v << '\n';
  std::printf("true steps at");
  for (const TrueChange& c : s.truth) std::printf(" %zu", c.first);
  std::printf("\n");
  return f ? 0 : 1;
}

}  // namespace
}  // namespace perfledger::testing

int main(int argc, char** argv) {
  using namespace perfledger::testing;
  std::vector<char*> rest;
  std::string write_asv_corpus, write_values;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto take = [&](const char* flag, std::string* to) {
      const size_t len = std::strlen(flag);
      if (arg.compare(0, len, flag) != 0) return false;
      *to = arg.substr(len);
      return true;
    };
    if (take("--histories=", &histories_root) || take("--asv-results=", &asv_results_path) ||
        take("--write-asv-corpus=", &write_asv_corpus) || take("--write-values=", &write_values)) {
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (!write_asv_corpus.empty()) return WriteAsvCorpus(write_asv_corpus.c_str());
  if (!write_values.empty()) return WriteValues(write_values.c_str());
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
