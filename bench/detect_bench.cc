// Change point detection benchmarks (analysis/changepoint.h): one series of 100,000 points,
// 1,000 series of 1,000 points, and the reference the design names, E-divisive means with a
// permutation test, on the same series: its time, whether both find the same change points,
// and both methods' accuracy against the known truth. run_detect_bench.sh prints the ratios.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "analysis/changepoint.h"

namespace perfledger::analysis {
namespace {

// --- Generated series of known truth ---------------------------------------------------------

struct Series {
  std::vector<double> values;
  std::vector<size_t> steps;  // true change indexes
};

// `steps` step changes of 5-50% (at least 3 noise deviations) in either direction, segments of
// at least `min_gap` points, relative Gaussian noise of 1-5%; with `outliers`, 1% of the points
// have 3x the noise deviation.
Series Generate(std::mt19937_64& rng, size_t n, size_t steps, bool outliers, size_t min_gap = 15) {
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> normal;
  Series s;
  const double sigma = 0.01 + 0.04 * unit(rng);
  // Every segment has min_gap points plus a uniform share of the slack.
  std::uniform_int_distribution<size_t> slack(0, n - (steps + 1) * min_gap);
  for (size_t i = 0; i < steps; ++i) s.steps.push_back(slack(rng));
  std::sort(s.steps.begin(), s.steps.end());
  for (size_t i = 0; i < steps; ++i) s.steps[i] += (i + 1) * min_gap;

  double level = 1e4;
  size_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    if (next < s.steps.size() && s.steps[next] == i) {
      const double low = std::max(0.05, 3 * sigma);
      const double size = low + unit(rng) * (0.5 - low);
      level *= unit(rng) < 0.5 ? 1 + size : 1 - size;
      ++next;
    }
    double e = sigma * normal(rng);
    if (outliers && unit(rng) < 0.01) e *= 3;
    s.values.push_back(level * (1 + e));
  }
  return s;
}

// `count` series of `n` points with 1-3 steps each (no steps with `changes` false), half of
// them with outliers.
std::vector<Series> Batch(size_t count, size_t n, uint64_t seed, bool changes = true) {
  std::mt19937_64 rng(seed);
  std::vector<Series> out;
  for (size_t i = 0; i < count; ++i) {
    out.push_back(Generate(rng, n, changes ? 1 + i % 3 : 0, i % 2 == 1));
  }
  return out;
}

// --- The reference: E-divisive means ---------------------------------------------------------

// E-divisive means (Matteson & James, "A nonparametric approach for multiple change point
// analysis of multivariate data", JASA 2014), straightforwardly: the energy divergence of every
// split of a segment from its pairwise distances (exponent 1), quadratic in the segment's
// length; the best split over all segments is kept when a permutation test of its segment
// (permutations of that segment's values, stopped as soon as it cannot pass) gives p <= alpha.
// It runs on the log values, as DetectChanges does.
struct EDivisiveOptions {
  size_t min_segment = 3;
  int permutations = 99;
  double alpha = 0.01;
};

struct Split {
  size_t at = 0;  // the left side's size
  double q = -std::numeric_limits<double>::infinity();
};

// The split of `x` with the largest Q = k (n - k) / n * E(left, right), O(n^2).
Split BestEnergySplit(std::span<const double> x, size_t m) {
  const size_t n = x.size();
  Split best;
  if (n < 2 * m || m < 2) return best;
  double within_left = 0, within_right = 0, between = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) within_right += std::abs(x[i] - x[j]);
  }
  // Move x[k-1] from the right side to the left one; the left side then has k points.
  for (size_t k = 1; k + m <= n; ++k) {
    const size_t p = k - 1;
    double to_left = 0, to_right = 0;
    for (size_t i = 0; i < p; ++i) to_left += std::abs(x[p] - x[i]);
    for (size_t j = p + 1; j < n; ++j) to_right += std::abs(x[p] - x[j]);
    within_left += to_left;
    within_right -= to_right;
    between += to_right - to_left;
    if (k < m) continue;
    const double a = static_cast<double>(k), b = static_cast<double>(n - k);
    const double e =
        2 * between / (a * b) - 2 * within_left / (a * (a - 1)) - 2 * within_right / (b * (b - 1));
    const double q = a * b / (a + b) * e;
    if (q > best.q) best = {k, q};
  }
  return best;
}

std::vector<size_t> EDivisive(std::span<const double> values, const EDivisiveOptions& options,
                              std::mt19937_64& rng) {
  std::vector<double> logs(values.size());
  for (size_t i = 0; i < values.size(); ++i) logs[i] = std::log(values[i]);
  const size_t m = options.min_segment;
  struct Segment {
    size_t begin, end;
    Split best;
  };
  auto segment = [&](size_t begin, size_t end) {
    return Segment{begin, end, BestEnergySplit(std::span(logs).subspan(begin, end - begin), m)};
  };
  std::vector<Segment> segments{segment(0, logs.size())};
  std::vector<size_t> changes;
  // Stop the permutations once more than this many reach the statistic: p > alpha then.
  const int allowed = static_cast<int>(std::floor(options.alpha * (options.permutations + 1))) - 1;
  while (true) {
    auto it = std::max_element(segments.begin(), segments.end(),
                               [](auto& a, auto& b) { return a.best.q < b.best.q; });
    if (it == segments.end() || !std::isfinite(it->best.q)) break;
    std::vector<double> shuffled(logs.begin() + static_cast<ptrdiff_t>(it->begin),
                                 logs.begin() + static_cast<ptrdiff_t>(it->end));
    int reached = 0;
    for (int r = 0; r < options.permutations && reached <= allowed; ++r) {
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      if (BestEnergySplit(shuffled, m).q >= it->best.q) ++reached;
    }
    if (reached > allowed) break;
    const Segment s = *it;
    const size_t at = s.begin + s.best.at;
    changes.push_back(at);
    segments.erase(it);
    segments.push_back(segment(s.begin, at));
    segments.push_back(segment(at, s.end));
  }
  std::sort(changes.begin(), changes.end());
  return changes;
}

// --- Scoring ---------------------------------------------------------------------------------

std::vector<size_t> Indexes(const std::vector<ChangePoint>& found) {
  std::vector<size_t> out;
  for (const ChangePoint& cp : found) out.push_back(cp.index);
  return out;
}

// Pairs of a and b within `tolerance` points of each other, each used once.
size_t Matches(const std::vector<size_t>& a, const std::vector<size_t>& b, size_t tolerance = 2) {
  std::vector<bool> used(b.size());
  size_t matched = 0;
  for (size_t x : a) {
    for (size_t j = 0; j < b.size(); ++j) {
      const size_t gap = x > b[j] ? x - b[j] : b[j] - x;
      if (!used[j] && gap <= tolerance) {
        used[j] = true;
        ++matched;
        break;
      }
    }
  }
  return matched;
}

// --- Benchmarks ------------------------------------------------------------------------------

// One series of 100,000 points: a step about every 1,000 points, noise with outliers.
void BM_Detect100k(benchmark::State& state) {
  std::mt19937_64 rng(1);
  Series s = Generate(rng, 100'000, 100, true, 500);
  size_t found = 0;
  for (auto _ : state) {
    auto cps = DetectChanges(s.values);
    found = cps.size();
    benchmark::DoNotOptimize(cps);
  }
  state.SetItemsProcessed(state.iterations() * 100'000);
  state.counters["changes"] = static_cast<double>(found);
  state.counters["recall"] =
      static_cast<double>(Matches(s.steps, Indexes(DetectChanges(s.values)))) /
      static_cast<double>(s.steps.size());
}
BENCHMARK(BM_Detect100k)->Unit(benchmark::kMillisecond);

// 1,000 series of 1,000 points each, per iteration.
void BM_Detect1000x1000(benchmark::State& state) {
  const std::vector<Series> batch = Batch(1'000, 1'000, 2);
  for (auto _ : state) {
    for (const Series& s : batch) {
      auto cps = DetectChanges(s.values);
      benchmark::DoNotOptimize(cps);
    }
  }
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK(BM_Detect1000x1000)->Unit(benchmark::kMillisecond);

// The same state.range(1) series of state.range(0) points for both methods.
std::vector<Series> CompareBatch(const benchmark::State& state) {
  return Batch(static_cast<size_t>(state.range(1)), static_cast<size_t>(state.range(0)), 3);
}

void BM_DetectCompare(benchmark::State& state) {
  const auto batch = CompareBatch(state);
  for (auto _ : state) {
    for (const Series& s : batch) {
      auto cps = DetectChanges(s.values);
      benchmark::DoNotOptimize(cps);
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_DetectCompare)->Args({1'000, 20})->Args({2'000, 6})->Unit(benchmark::kMillisecond);

// Counters: series on which both methods found the same change points (within 2 points), and
// the share of either method's change points the other one also found.
void BM_EDivisiveCompare(benchmark::State& state) {
  const auto batch = CompareBatch(state);
  std::vector<std::vector<size_t>> edm(batch.size());
  for (auto _ : state) {
    std::mt19937_64 rng(4);
    for (size_t i = 0; i < batch.size(); ++i) edm[i] = EDivisive(batch[i].values, {}, rng);
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  size_t same = 0, edm_total = 0, ours_total = 0, pairs = 0, truths = 0, edm_hits = 0,
         ours_hits = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto ours = Indexes(DetectChanges(batch[i].values));
    const size_t matched = Matches(ours, edm[i]);
    same += matched == ours.size() && matched == edm[i].size();
    pairs += matched;
    edm_total += edm[i].size();
    ours_total += ours.size();
    truths += batch[i].steps.size();
    edm_hits += Matches(edm[i], batch[i].steps);
    ours_hits += Matches(ours, batch[i].steps);
  }
  state.counters["series"] = static_cast<double>(batch.size());
  state.counters["same_series"] = static_cast<double>(same);
  state.counters["ours_found"] = static_cast<double>(ours_total);
  state.counters["edm_found"] = static_cast<double>(edm_total);
  state.counters["agreeing"] = static_cast<double>(pairs);
  state.counters["truths"] = static_cast<double>(truths);
  state.counters["ours_true"] = static_cast<double>(ours_hits);
  state.counters["edm_true"] = static_cast<double>(edm_hits);
}
BENCHMARK(BM_EDivisiveCompare)
    ->Args({1'000, 20})
    ->Args({2'000, 6})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Accuracy of both in the test suite's setting, 200 points: 500 series with 1-3 steps, 500
// without. Counters only.
void BM_AccuracyVsEDivisive200(benchmark::State& state) {
  const auto with_steps = Batch(500, 200, 5);
  const auto without = Batch(500, 200, 6, false);
  double ours_seconds = 0, edm_seconds = 0;
  size_t truths = 0, ours_found = 0, ours_true = 0, edm_found = 0, edm_true = 0;
  size_t ours_alarms = 0, edm_alarms = 0;
  for (auto _ : state) {
    std::mt19937_64 rng(7);
    for (const auto* batch : {&with_steps, &without}) {
      for (const Series& s : *batch) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto ours = Indexes(DetectChanges(s.values));
        const auto t1 = std::chrono::steady_clock::now();
        const auto edm = EDivisive(s.values, {}, rng);
        const auto t2 = std::chrono::steady_clock::now();
        ours_seconds += std::chrono::duration<double>(t1 - t0).count();
        edm_seconds += std::chrono::duration<double>(t2 - t1).count();
        if (s.steps.empty()) {
          ours_alarms += !ours.empty();
          edm_alarms += !edm.empty();
          continue;
        }
        truths += s.steps.size();
        ours_found += ours.size();
        edm_found += edm.size();
        ours_true += Matches(ours, s.steps);
        edm_true += Matches(edm, s.steps);
      }
    }
  }
  auto ratio = [](size_t a, size_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / b; };
  state.counters["ours_recall"] = ratio(ours_true, truths);
  state.counters["ours_precision"] = ratio(ours_true, ours_found);
  state.counters["ours_false_alarms"] = ratio(ours_alarms, without.size());
  state.counters["edm_recall"] = ratio(edm_true, truths);
  state.counters["edm_precision"] = ratio(edm_true, edm_found);
  state.counters["edm_false_alarms"] = ratio(edm_alarms, without.size());
  state.counters["ours_us_per_series"] = ours_seconds * 1e6 / 1'000;
  state.counters["edm_us_per_series"] = edm_seconds * 1e6 / 1'000;
}
BENCHMARK(BM_AccuracyVsEDivisive200)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace perfledger::analysis

BENCHMARK_MAIN();
