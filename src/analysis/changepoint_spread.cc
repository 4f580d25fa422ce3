// Changes of the spread in change point detection (changepoint.h): a benchmark that becomes
// much noisier or bimodal is a noise change, never a regression of its median.
#include <algorithm>
#include <cmath>

#include "analysis/changepoint_detail.h"
#include "analysis/noise_model.h"

namespace perfledger::analysis {
namespace {

// Spread changes (see SpreadChanges).
constexpr size_t kSpreadBlocks = 4096;
constexpr size_t kSpreadSample = 16384;
constexpr double kSpreadClip = 1.5;
constexpr double kSpreadLongRun = 0.97;
constexpr double kMinSpreadRatio = 1.5;
// A level change from shortly before a rise of the spread to the next spread change, smaller
// than kBimodal times the spread there, is the new spread, not a change of the level.
constexpr double kBimodal = 1.5;

}  // namespace

// Changes of the spread: seeded binary segmentation, as for the level, on u = log(|d| + c) of
// the second differences d of the log values, which cancel the level and a local trend; a
// change of the noise deviation by a factor r moves u by log r. c = 0.1 sqrt(6) noise bounds
// the left tail; u then has a long-run deviation of kSpreadLongRun for Gaussian noise
// (simulated, 2e6 points). A change counts when the robust noise either side (LocalNoise)
// differs by kMinSpreadRatio at least.
std::vector<ChangePoint> SpreadChanges(std::span<const double> values, std::span<const double> logs,
                                       double noise, double alpha, size_t min_segment) {
  const size_t n = logs.size();
  const size_t m = std::max(min_segment, kSpreadMinSegment);
  if (!(noise > 0) || n < 2 * m + 2) return {};
  // u[j] is the second difference around point j + 1. Outliers and steps make a few huge
  // differences: u is clipped (at kSpreadClip above its median, about 4.5 times the typical
  // difference) so they weigh no more than a burst of noise. The median is of every u, or of
  // a strided sample of kSpreadSample in a long series.
  const size_t count = n - 2;
  const double floor = 0.1 * std::sqrt(6.0) * noise;
  auto raw = [&](size_t j) {
    return std::log(std::abs(logs[j + 2] - 2 * logs[j + 1] + logs[j]) + floor);
  };
  std::vector<double> sample;
  const size_t stride = std::max<size_t>(1, count / kSpreadSample);
  for (size_t j = 0; j < count; j += stride) sample.push_back(raw(j));
  const double top = MedianInPlace(sample) + kSpreadClip;
  auto u = [&](size_t j) { return std::min(raw(j), top); };
  // A long series is searched on the means of blocks of `block` differences (a change of the
  // spread lasts kSpreadMinSegment points at least), then each split is placed to the point
  // within a block either side: the cost of a second segmentation stays small, and u is never
  // stored whole.
  const size_t block = std::max<size_t>(1, count / kSpreadBlocks);
  std::vector<double> z(count / block);
  for (size_t b = 0; b < z.size(); ++b) {
    double sum = 0;
    for (size_t j = b * block; j < (b + 1) * block; ++j) sum += u(j);
    z[b] = sum / static_cast<double>(block);
  }
  double tail = 0;  // the u after the last whole block
  for (size_t j = z.size() * block; j < count; ++j) tail += u(j);
  const size_t mb = block > 1 ? std::max<size_t>(2, (m + block - 1) / block) : m;
  const std::vector<Level> levels = SeedLevels(z.size(), mb);
  const double threshold = Threshold(alpha, levels, mb);
  const Cusum blocks(z);
  const double block_scale = kSpreadLongRun / std::sqrt(static_cast<double>(block));
  std::vector<size_t> split = GreedySplits(
      BestSplits(blocks, z.size(), mb, threshold * block_scale), threshold * block_scale);
  std::vector<size_t> at = split;
  if (block > 1) {
    // The sum of u[0, j) for j at a block's start or at the end, and the best split within a
    // block either side of each one found, by the CUSUM statistic of u between its neighbours.
    std::vector<double> block_prefix(z.size() + 1);
    for (size_t b = 0; b < z.size(); ++b) {
      block_prefix[b + 1] = block_prefix[b] + z[b] * static_cast<double>(block);
    }
    auto prefix_at_block = [&](size_t j) {
      return j >= count ? block_prefix.back() + tail : block_prefix[j / block];
    };
    for (size_t i = 0; i < at.size(); ++i) {
      const size_t begin = i == 0 ? 0 : split[i - 1] * block;
      const size_t end = i + 1 == at.size() ? count : split[i + 1] * block;
      const size_t t0 = split[i] * block;
      const size_t lo = std::max(begin + m, t0 > block ? t0 - block : 0);
      const size_t hi = std::min(end - std::min(end, m), t0 + block);
      at[i] = t0;
      if (lo > hi) continue;
      const double sum_begin = prefix_at_block(begin), sum_end = prefix_at_block(end);
      const double l = static_cast<double>(end - begin);
      // The prefix at lo: from the start of its block.
      double sum = block_prefix[lo / block];
      for (size_t j = lo / block * block; j < lo; ++j) sum += u(j);
      double best = -1;
      for (size_t t = lo; t <= hi; ++t) {
        const double k = static_cast<double>(t - begin);
        const double d = sum - sum_begin - k / l * (sum_end - sum_begin);
        const double stat = d * d / (k * (l - k));
        if (stat > best) best = stat, at[i] = t;
        if (t < count) sum += u(t);
      }
    }
  }
  std::vector<ChangePoint> out;
  std::vector<double> segment;
  auto median_of = [&](size_t begin, size_t end) {
    segment.assign(values.begin() + static_cast<ptrdiff_t>(begin),
                   values.begin() + static_cast<ptrdiff_t>(end));
    return MedianInPlace(segment);
  };
  for (size_t i = 0; i < at.size(); ++i) {
    const size_t begin = i == 0 ? 0 : split[i - 1];
    const size_t end = i + 1 == at.size() ? z.size() : split[i + 1];
    const double p = CorrectedPValue(blocks.At(begin, split[i], end) / block_scale, levels, mb);
    // u[j] is the second difference around point j + 1.
    const size_t index = at[i] + 1;
    const size_t from = i == 0 ? 0 : at[i - 1] + 1, to = i + 1 == at.size() ? n : at[i + 1] + 1;
    const double before = LocalNoise(logs, from, index), after = LocalNoise(logs, index, to);
    if (p > alpha || !(before > 0) || !(after > 0)) continue;
    const double ratio = after / before;
    if (ratio < kMinSpreadRatio && ratio > 1 / kMinSpreadRatio) continue;
    ChangePoint c;
    c.shape = ChangeShape::kNoise;
    c.index = c.first = c.last = index;
    c.spread_ratio = ratio;
    c.before = median_of(from, index);
    c.after = median_of(index, to);
    c.change = c.after / c.before - 1;
    c.confidence = 1 - p;
    out.push_back(c);
  }
  return out;
}

// A level change where the series has become much noisier must be large against that noise:
// a bimodal series moves its median and its running means by chance, and the more so the
// shorter the segment either side (a burst of one mode is a short bump: the bound grows as the
// square root of kSpreadMinSegment over the shorter side).
void DropLevelChangesOfNoisierStretches(std::span<const double> logs,
                                        std::span<const ChangePoint> spread,
                                        std::vector<ChangePoint>* level) {
  std::vector<ChangePoint>& out = *level;
  const size_t n = logs.size();
  std::vector<double> noise_after(spread.size());
  for (size_t j = 0; j < spread.size(); ++j) {
    const size_t to = j + 1 == spread.size() ? n : spread[j + 1].index;
    if (spread[j].spread_ratio > 1) noise_after[j] = LocalNoise(logs, spread[j].index, to);
  }
  std::vector<bool> drop(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const ChangePoint& c = out[i];
    const size_t left = c.first - (i == 0 ? 0 : out[i - 1].index);
    const size_t right = (i + 1 == out.size() ? n : out[i + 1].first) - c.index;
    const double shorter = static_cast<double>(std::max<size_t>(1, std::min(left, right)));
    const double widen = std::max(1.0, std::sqrt(static_cast<double>(kSpreadMinSegment) / shorter));
    for (size_t j = 0; j < spread.size(); ++j) {
      const ChangePoint& v = spread[j];
      const size_t from = v.index > kSpreadMinSegment ? v.index - kSpreadMinSegment : 0;
      const size_t to = j + 1 == spread.size() ? n : spread[j + 1].index;
      if (v.spread_ratio <= 1 || c.index < from || c.index >= to) continue;
      if (std::abs(std::log(c.after / c.before)) < kBimodal * widen * noise_after[j]) {
        drop[i] = true;
      }
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!drop[i]) out[kept++] = out[i];
  }
  out.resize(kept);
}

}  // namespace perfledger::analysis
