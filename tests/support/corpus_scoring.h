// Scoring change point detection against known truth (series_corpus.h, or the annotated real
// histories under tests/data/histories), shared by tests/accuracy and
// bench/detect_corpus_bench.cc:
//  - per kind (step, drift, noise) precision, recall and F1: a true step is found by a detected
//    step within max(2, 1% of n) points (each used once); a true drift is found when exactly
//    one detected drift overlaps its span (widened by that margin), so a drift cut in pieces
//    is missed; a step detected inside a true drift is a false step; a noise change is found
//    by a detected noise change within max(5, 2% of n) points;
//  - the segmentation covering metric and the F1 of van den Burg & Williams, "An Evaluation of
//    Change Point Detection Algorithms" (arXiv:2003.06222, 2020), section 4.1, by their
//    definitions: cover(G', G) = 1/T sum_{A in G} |A| max_{A' in G'} J(A, A') over the true
//    partition G and the detected one G' (J: Jaccard index of the two intervals), and F1 with
//    a margin of 5 points where both sets of change points include the start of the series;
//  - alerts on series with no change (any change reported), and changes per series of pure
//    drift.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "analysis/changepoint.h"
#include "series_corpus.h"

namespace perfledger::testing {

// A change as a detector reports it: kind and the points it spans (as TrueChange).
using Detected = TrueChange;

std::vector<Detected> FromChangePoints(const std::vector<analysis::ChangePoint>& found);

// The points where a new segment starts, sorted, unique, each in (0, n): a step or noise
// change at its index, a drift at its first point and after its last.
std::vector<size_t> Boundaries(std::span<const TrueChange> changes, size_t n);

double Cover(std::span<const size_t> truth_boundaries, std::span<const size_t> found_boundaries,
             size_t n);
double BurgF1(std::span<const size_t> truth_boundaries, std::span<const size_t> found_boundaries,
              size_t margin = 5);

struct KindScore {
  size_t truths = 0, found_truths = 0;         // recall = found_truths / truths
  size_t detections = 0, true_detections = 0;  // precision = true_detections / detections
  double Recall() const;
  double Precision() const;
  double F1() const;
};

struct CorpusScore {
  KindScore step, drift, noise;
  size_t series = 0;
  double cover_sum = 0, burg_f1_sum = 0;
  size_t no_change_series = 0, no_change_alerting = 0;
  size_t pure_drift_series = 0, pure_drift_changes = 0, pure_drift_over_one = 0;
  size_t changes = 0;

  void Add(std::span<const TrueChange> truth, bool no_change, bool pure_drift,
           std::span<const Detected> found, size_t n);
  double MeanCover() const { return series == 0 ? 0 : cover_sum / static_cast<double>(series); }
  double MeanBurgF1() const { return series == 0 ? 0 : burg_f1_sum / static_cast<double>(series); }
  double NoChangeAlertRate() const;
  double PureDriftChangesPerSeries() const;
  // One line per figure, prefixed by `label`.
  std::string Report(const std::string& label) const;
};

// A real history: values oldest first and its annotation.
struct History {
  std::string name;
  std::vector<double> values;
  std::vector<TrueChange> truth;
  std::string error;  // non-empty when the files could not be read
};

// Every tests/data/histories/<name>/ below `root` (values.csv: a header, then one point a
// line with the value in the last column; annotation.csv: kind,first,last,reason with kind
// step, drift or noise, or a single row of kind "none").
std::vector<History> LoadHistories(const std::string& root);

}  // namespace perfledger::testing
