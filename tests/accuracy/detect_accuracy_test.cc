// Accuracy of change point detection (analysis/changepoint.h, default options) on generated
// series of known truth (tests/support/series_corpus.h) and on annotated real histories
// (tests/data/histories), with the figures issue 17 sets:
//  - steps of at least 3x the noise: recall and precision >= 0.95;
//  - drifts found as one drift (exactly one `drift` overlapping the true span) >= 0.9;
//  - series with no change (white noise, outliers, spikes, AR(1), seasons, slow trends,
//    bimodal noise, combinations) alerting: <= 1% of series;
//  - changes reported per series of pure drift: at most 1.
// Every figure is printed, per family too; the larger corpus and the comparison with asv are
// in bench/run_detect_corpus_bench.sh. Seeds are fixed: the same series on every run.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "analysis/changepoint.h"
#include "corpus_scoring.h"
#include "series_corpus.h"

namespace perfledger::testing {
namespace {

CorpusScore MeasureCorpus(const std::vector<CorpusSeries>& corpus, const std::string& label) {
  CorpusScore all;
  std::map<std::string, CorpusScore> by_family;
  for (const CorpusSeries& s : corpus) {
    const auto found = FromChangePoints(analysis::DetectChanges(s.values));
    all.Add(s.truth, s.no_change, s.pure_drift, found, s.values.size());
    by_family[s.family].Add(s.truth, s.no_change, s.pure_drift, found, s.values.size());
  }
  for (const auto& [family, score] : by_family) {
    std::printf("%s", score.Report(label + " / " + family).c_str());
  }
  std::printf("%s", all.Report(label + " (all)").c_str());
  std::fflush(stdout);
  return all;
}

TEST(DetectAccuracy, StepsOfThreeTimesTheNoiseAreFoundExactly) {
  const auto corpus = MakeCorpus({FamilyGroup::kSteps}, {50, 200, 500}, 25, 1701);
  const CorpusScore score = MeasureCorpus(corpus, "steps");
  EXPECT_GE(score.step.Recall(), 0.95);
  EXPECT_GE(score.step.Precision(), 0.95);
}

TEST(DetectAccuracy, SeriesWithoutChangeRarelyAlert) {
  const auto corpus = MakeCorpus({FamilyGroup::kNoChange}, {20, 60, 200, 500}, 15, 1702);
  const CorpusScore score = MeasureCorpus(corpus, "no change");
  EXPECT_LE(score.NoChangeAlertRate(), 0.01);
}

TEST(DetectAccuracy, DriftIsOneDrift) {
  const auto corpus = MakeCorpus({FamilyGroup::kDrift}, {60, 200, 500}, 20, 1703);
  const CorpusScore score = MeasureCorpus(corpus, "drift");
  EXPECT_GE(score.drift.Recall(), 0.9);
  EXPECT_LE(score.PureDriftChangesPerSeries(), 1.0);
}

// Combinations and changes of the noise: printed for the README, no figure in the issue.
TEST(DetectAccuracy, MixedAndNoiseChangesReported) {
  const auto corpus =
      MakeCorpus({FamilyGroup::kStepsMixed, FamilyGroup::kDriftMixed, FamilyGroup::kNoiseChange},
                 {200, 500}, 15, 1704);
  const CorpusScore score = MeasureCorpus(corpus, "mixed");
  EXPECT_EQ(score.series, corpus.size());
}

// Real histories other projects published (tests/data/histories/*/SOURCE.md), annotated by
// us: precision and recall are printed; the figures above are asserted on generated series.
TEST(DetectAccuracy, RealHistories) {
  const char* source = std::getenv("PERFLEDGER_SOURCE_DIR");
  if (source == nullptr) GTEST_SKIP() << "PERFLEDGER_SOURCE_DIR is not set";
  const auto histories = LoadHistories(std::string(source) + "/tests/data/histories");
  ASSERT_GE(histories.size(), 5u);
  CorpusScore all;
  for (const History& h : histories) {
    ASSERT_TRUE(h.error.empty()) << h.name << ": " << h.error;
    const auto found = FromChangePoints(analysis::DetectChanges(h.values));
    CorpusScore one;
    one.Add(h.truth, h.truth.empty(), false, found, h.values.size());
    all.Add(h.truth, h.truth.empty(), false, found, h.values.size());
    std::printf("real / %s: %zu points, %zu annotated, %zu found:", h.name.c_str(), h.values.size(),
                h.truth.size(), found.size());
    for (const Detected& d : found) {
      std::printf(" %s@%zu", TruthKindName(d.kind), d.first);
      if (d.last != d.first) std::printf("-%zu", d.last);
    }
    std::printf("; cover %.3f\n", one.MeanCover());
  }
  std::printf("%s", all.Report("real (all)").c_str());
}

}  // namespace
}  // namespace perfledger::testing
