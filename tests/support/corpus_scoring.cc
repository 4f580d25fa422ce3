#include "corpus_scoring.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace perfledger::testing {
namespace {

size_t Gap(size_t a, size_t b) { return a > b ? a - b : b - a; }

double Ratio(size_t a, size_t b) {
  return b == 0 ? 1.0 : static_cast<double>(a) / static_cast<double>(b);
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

std::vector<Detected> FromChangePoints(const std::vector<analysis::ChangePoint>& found) {
  std::vector<Detected> out;
  for (const analysis::ChangePoint& cp : found) {
    switch (cp.shape) {
      case analysis::ChangeShape::kStep:
        out.push_back({TruthKind::kStep, cp.index, cp.index});
        break;
      case analysis::ChangeShape::kDrift:
        out.push_back({TruthKind::kDrift, cp.first, std::max(cp.first, cp.last)});
        break;
      case analysis::ChangeShape::kNoise:
        out.push_back({TruthKind::kNoise, cp.index, cp.index});
        break;
    }
  }
  return out;
}

std::vector<size_t> Boundaries(std::span<const TrueChange> changes, size_t n) {
  std::vector<size_t> out;
  for (const TrueChange& c : changes) {
    out.push_back(c.first);
    if (c.kind == TruthKind::kDrift) out.push_back(c.last + 1);
  }
  std::erase_if(out, [n](size_t b) { return b == 0 || b >= n; });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double Cover(std::span<const size_t> truth_boundaries, std::span<const size_t> found_boundaries,
             size_t n) {
  if (n == 0) return 1;
  auto segments = [n](std::span<const size_t> b) {
    std::vector<std::pair<size_t, size_t>> out;  // [begin, end)
    size_t begin = 0;
    for (size_t x : b) {
      out.push_back({begin, x});
      begin = x;
    }
    out.push_back({begin, n});
    return out;
  };
  const auto truth = segments(truth_boundaries), found = segments(found_boundaries);
  double sum = 0;
  for (const auto& [a0, a1] : truth) {
    double best = 0;
    for (const auto& [b0, b1] : found) {
      const size_t lo = std::max(a0, b0), hi = std::min(a1, b1);
      if (hi <= lo) continue;
      const double inter = static_cast<double>(hi - lo);
      const double uni = static_cast<double>(std::max(a1, b1) - std::min(a0, b0));
      best = std::max(best, inter / uni);
    }
    sum += static_cast<double>(a1 - a0) * best;
  }
  return sum / static_cast<double>(n);
}

double BurgF1(std::span<const size_t> truth_boundaries, std::span<const size_t> found_boundaries,
              size_t margin) {
  // Both sets include the start of the series (van den Burg & Williams 2020, section 4.1).
  std::vector<size_t> truth{0}, found{0};
  truth.insert(truth.end(), truth_boundaries.begin(), truth_boundaries.end());
  found.insert(found.end(), found_boundaries.begin(), found_boundaries.end());
  std::vector<bool> used(found.size());
  size_t tp = 0;
  for (size_t t : truth) {
    size_t best = found.size();
    for (size_t j = 0; j < found.size(); ++j) {
      if (used[j] || Gap(found[j], t) > margin) continue;
      if (best == found.size() || Gap(found[j], t) < Gap(found[best], t)) best = j;
    }
    if (best < found.size()) {
      used[best] = true;
      ++tp;
    }
  }
  const double p = Ratio(tp, found.size()), r = Ratio(tp, truth.size());
  return p + r == 0 ? 0 : 2 * p * r / (p + r);
}

double KindScore::Recall() const { return Ratio(found_truths, truths); }
double KindScore::Precision() const { return Ratio(true_detections, detections); }
double KindScore::F1() const {
  const double p = Precision(), r = Recall();
  return p + r == 0 ? 0 : 2 * p * r / (p + r);
}

void CorpusScore::Add(std::span<const TrueChange> truth, bool no_change, bool pure_drift,
                      std::span<const Detected> found, size_t n) {
  const size_t margin = std::max<size_t>(2, n / 100);
  const size_t noise_margin = std::max<size_t>(5, n / 50);
  // Point kinds: each true change takes the nearest unused detection of its kind in reach.
  auto match_points = [&](TruthKind kind, size_t reach, KindScore* score) {
    std::vector<bool> used(found.size());
    for (const TrueChange& t : truth) {
      if (t.kind != kind) continue;
      ++score->truths;
      size_t best = found.size();
      for (size_t j = 0; j < found.size(); ++j) {
        if (found[j].kind != kind || used[j] || Gap(found[j].first, t.first) > reach) continue;
        if (best == found.size() || Gap(found[j].first, t.first) < Gap(found[best].first, t.first))
          best = j;
      }
      if (best < found.size()) {
        used[best] = true;
        ++score->found_truths;
        ++score->true_detections;
      }
    }
    for (const Detected& d : found) score->detections += d.kind == kind;
  };
  match_points(TruthKind::kStep, margin, &step);
  match_points(TruthKind::kNoise, noise_margin, &noise);
  // Drifts: found when exactly one detected drift overlaps the (widened) span; one detection
  // per true drift counts as true, any other as false.
  std::vector<bool> credited(found.size());
  for (const TrueChange& t : truth) {
    if (t.kind != TruthKind::kDrift) continue;
    ++drift.truths;
    const size_t lo = t.first > margin ? t.first - margin : 0, hi = t.last + margin;
    size_t overlapping = 0, first_hit = found.size();
    for (size_t j = 0; j < found.size(); ++j) {
      if (found[j].kind != TruthKind::kDrift || found[j].last < lo || found[j].first > hi) continue;
      ++overlapping;
      if (first_hit == found.size() && !credited[j]) first_hit = j;
    }
    if (overlapping == 1) ++drift.found_truths;
    if (first_hit < found.size()) credited[first_hit] = true;
  }
  for (size_t j = 0; j < found.size(); ++j) {
    if (found[j].kind != TruthKind::kDrift) continue;
    ++drift.detections;
    drift.true_detections += credited[j];
  }

  const auto tb = Boundaries(truth, n), fb = Boundaries(found, n);
  ++series;
  changes += found.size();
  cover_sum += Cover(tb, fb, n);
  burg_f1_sum += BurgF1(tb, fb);
  if (no_change) {
    ++no_change_series;
    no_change_alerting += !found.empty();
  }
  if (pure_drift) {
    ++pure_drift_series;
    pure_drift_changes += found.size();
    pure_drift_over_one += found.size() > 1;
  }
}

double CorpusScore::NoChangeAlertRate() const {
  return no_change_series == 0 ? 0 : Ratio(no_change_alerting, no_change_series);
}

double CorpusScore::PureDriftChangesPerSeries() const {
  return pure_drift_series == 0 ? 0 : Ratio(pure_drift_changes, pure_drift_series);
}

std::string CorpusScore::Report(const std::string& label) const {
  std::ostringstream out;
  char line[320];
  auto kind = [&](const char* name, const KindScore& k) {
    if (k.truths == 0 && k.detections == 0) return;
    std::snprintf(line, sizeof line,
                  "%s  %-5s recall %.3f (%zu/%zu)  precision %.3f (%zu/%zu)  F1 %.3f\n",
                  label.c_str(), name, k.Recall(), k.found_truths, k.truths, k.Precision(),
                  k.true_detections, k.detections, k.F1());
    out << line;
  };
  std::snprintf(line, sizeof line,
                "%s  %zu series, %zu changes reported; cover %.3f, F1 (van den Burg, margin 5) "
                "%.3f\n",
                label.c_str(), series, changes, MeanCover(), MeanBurgF1());
  out << line;
  kind("step", step);
  kind("drift", drift);
  kind("noise", noise);
  if (no_change_series > 0) {
    std::snprintf(line, sizeof line, "%s  no change: %zu of %zu series alert (%.4f)\n",
                  label.c_str(), no_change_alerting, no_change_series, NoChangeAlertRate());
    out << line;
  }
  if (pure_drift_series > 0) {
    std::snprintf(line, sizeof line,
                  "%s  pure drift: %.3f changes per series, %zu of %zu series with more than 1\n",
                  label.c_str(), PureDriftChangesPerSeries(), pure_drift_over_one,
                  pure_drift_series);
    out << line;
  }
  return out.str();
}

std::vector<History> LoadHistories(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<History> out;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    History h;
    h.name = dir.filename().string();
    std::ifstream values(dir / "values.csv"), notes(dir / "annotation.csv");
    if (!values || !notes) {
      h.error = "values.csv or annotation.csv missing";
      out.push_back(std::move(h));
      continue;
    }
    std::string line;
    std::getline(values, line);  // header
    while (std::getline(values, line)) {
      line = Trim(line);
      if (line.empty()) continue;
      const std::string field = line.substr(line.rfind(',') + 1);
      char* end = nullptr;
      const double v = std::strtod(field.c_str(), &end);
      if (end == field.c_str() || !(v > 0)) {
        h.error = "bad value: " + line;
        break;
      }
      h.values.push_back(v);
    }
    std::getline(notes, line);  // header
    while (h.error.empty() && std::getline(notes, line)) {
      line = Trim(line);
      if (line.empty() || line[0] == '#') continue;
      std::stringstream row(line);
      std::string kind, first, last;
      std::getline(row, kind, ',');
      std::getline(row, first, ',');
      std::getline(row, last, ',');
      kind = Trim(kind);
      if (kind == "none") continue;
      TrueChange c;
      if (kind == "step") {
        c.kind = TruthKind::kStep;
      } else if (kind == "drift") {
        c.kind = TruthKind::kDrift;
      } else if (kind == "noise") {
        c.kind = TruthKind::kNoise;
      } else {
        h.error = "bad kind: " + line;
        break;
      }
      c.first = std::strtoul(first.c_str(), nullptr, 10);
      c.last = std::strtoul(last.c_str(), nullptr, 10);
      if (c.last < c.first || c.last >= h.values.size()) {
        h.error = "bad span: " + line;
        break;
      }
      h.truth.push_back(c);
    }
    std::sort(h.truth.begin(), h.truth.end(),
              [](const TrueChange& a, const TrueChange& b) { return a.first < b.first; });
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace perfledger::testing
