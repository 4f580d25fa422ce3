#include "analysis/downsample.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace perfledger::analysis {

namespace {

constexpr int kNotForced = std::numeric_limits<int>::max();

// The ranks of DownsampleLine's header, 0 the most important.
enum Rank : int {
  kLast = 0,
  kFirst = 1,
  kOpenAlertTo = 2,
  kAlertTo = 3,
  kFingerprintChange = 4,
  kOpenAlertFrom = 5,
  kAlertFrom = 6,
  kBeforeFingerprintChange = 7,
};

// The rank of every point (kNotForced for points that need not stay).
std::vector<int> RanksOf(std::span<const PlotPoint> points, std::span<const PlotRange> alerts) {
  const size_t n = points.size();
  std::vector<int> rank(n, kNotForced);
  auto lift = [&](size_t i, int r) { rank[i] = std::min(rank[i], r); };
  lift(n - 1, kLast);
  lift(0, kFirst);
  // The rank each alert end gives its point: a few shas, looked up once per point.
  std::unordered_map<std::string_view, int> ends;
  auto end = [&](std::string_view sha, int r) {
    auto [it, added] = ends.emplace(sha, r);
    if (!added) it->second = std::min(it->second, r);
  };
  for (const auto& a : alerts) {
    end(a.to, a.open ? kOpenAlertTo : kAlertTo);
    end(a.from, a.open ? kOpenAlertFrom : kAlertFrom);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!ends.empty()) {
      if (auto it = ends.find(points[i].sha); it != ends.end()) lift(i, it->second);
    }
    if (!points[i].fingerprint_changed) continue;
    lift(i, kFingerprintChange);
    if (i > 0) lift(i - 1, kBeforeFingerprintChange);
  }
  return rank;
}

// Bucket of each point for `buckets` buckets: by commit time when every point has one and they
// rise, else by index.
class Bucketing {
 public:
  explicit Bucketing(std::span<const PlotPoint> points) : n_(points.size()) {
    by_time_ = n_ > 1;
    for (size_t i = 0; i < n_ && by_time_; ++i) {
      if (!points[i].x || (i > 0 && *points[i].x < *points[i - 1].x)) by_time_ = false;
    }
    if (by_time_ && *points.back().x == *points.front().x) by_time_ = false;
    if (by_time_) {
      const int64_t x0 = *points.front().x;
      span_ = static_cast<double>(*points.back().x - x0);
      offsets_.reserve(n_);
      for (const auto& p : points) offsets_.push_back(static_cast<double>(*p.x - x0));
    }
  }

  size_t BucketOf(size_t i, size_t buckets) const {
    size_t b = 0;
    if (by_time_) {
      b = static_cast<size_t>(offsets_[i] / span_ * static_cast<double>(buckets));
    } else {
      b = i * buckets / n_;
    }
    return std::min(b, buckets - 1);
  }

 private:
  size_t n_;
  bool by_time_ = false;
  double span_ = 1;
  std::vector<double> offsets_;  // x - the first x, per point
};

// The union of `forced` (sorted) and each bucket's first, last, smallest and largest point,
// sorted; empty when that holds more than `max_points` points.
std::vector<size_t> M4(std::span<const PlotPoint> points, const Bucketing& bucketing,
                       size_t buckets, const std::vector<size_t>& forced, size_t max_points) {
  std::vector<size_t> picked;
  picked.reserve(4 * buckets);
  size_t i = 0;
  const size_t n = points.size();
  while (i < n) {
    const size_t b = bucketing.BucketOf(i, buckets);
    size_t lo = i, hi = i, j = i;
    for (; j < n && bucketing.BucketOf(j, buckets) == b; ++j) {
      if (points[j].y < points[lo].y) lo = j;
      if (points[j].y > points[hi].y) hi = j;
    }
    picked.insert(picked.end(), {i, lo, hi, j - 1});
    i = j;
  }
  picked.insert(picked.end(), forced.begin(), forced.end());
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  if (picked.size() > max_points) return {};
  return picked;
}

}  // namespace

std::vector<size_t> DownsampleLine(std::span<const PlotPoint> points,
                                   std::span<const PlotRange> alerts, size_t max_points) {
  const size_t n = points.size();
  if (max_points >= n) {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    return all;
  }
  if (max_points == 0) return {};

  const std::vector<int> rank = RanksOf(points, alerts);
  std::vector<size_t> forced;
  for (size_t i = 0; i < n; ++i) {
    if (rank[i] != kNotForced) forced.push_back(i);
  }
  if (forced.size() >= max_points) {
    std::stable_sort(forced.begin(), forced.end(), [&](size_t a, size_t b) {
      return rank[a] != rank[b] ? rank[a] < rank[b] : a > b;
    });
    forced.resize(max_points);
    std::sort(forced.begin(), forced.end());
    return forced;
  }

  const size_t left = max_points - forced.size();
  const Bucketing bucketing(points);
  if (left >= 4) {
    // left / 4 buckets always fit (four points each at most); more may, when buckets are empty
    // or their points coincide with forced ones. The count that fits is nearly monotonic in
    // the bucket count: a binary search finds a large one, and every answer is checked.
    size_t good = left / 4;
    std::vector<size_t> best = M4(points, bucketing, good, forced, max_points);
    size_t bad = std::min(n, left) + 1;
    while (bad - good > 1) {
      const size_t mid = good + (bad - good) / 2;
      std::vector<size_t> tried = M4(points, bucketing, mid, forced, max_points);
      if (tried.empty()) {
        bad = mid;
      } else {
        good = mid;
        best = std::move(tried);
      }
    }
    return best;
  }

  // Room for one to three more: the extremes of the line, the one further from its median
  // first (one bucket's first and last are the line's, already kept).
  size_t lo = 0, hi = 0;
  for (size_t i = 1; i < n; ++i) {
    if (points[i].y < points[lo].y) lo = i;
    if (points[i].y > points[hi].y) hi = i;
  }
  std::vector<double> ys;
  ys.reserve(n);
  for (const auto& p : points) ys.push_back(p.y);
  std::nth_element(ys.begin(), ys.begin() + static_cast<std::ptrdiff_t>(n / 2), ys.end());
  const double median = ys[n / 2];
  const bool low_first = median - points[lo].y > points[hi].y - median;
  std::vector<size_t> out = forced;
  size_t room = left;
  for (size_t extreme : {low_first ? lo : hi, low_first ? hi : lo}) {
    if (room == 0 || rank[extreme] != kNotForced) continue;
    if (std::find(out.begin(), out.end(), extreme) != out.end()) continue;
    out.push_back(extreme);
    --room;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Elided> ElidedBefore(std::span<const PlotPoint> points, std::span<const size_t> kept) {
  std::vector<Elided> out;
  out.reserve(kept.size());
  // The shas of points [0, seen_upto): filled only when a range does not start at the point
  // right before it (rare: gaps, bisect runs), so a long line without them hashes nothing.
  std::unordered_set<std::string_view> seen;
  size_t seen_upto = 0;
  auto starts_at_an_earlier_point = [&](size_t i) {
    const std::string_view from = *points[i].range_from;
    if (from == points[i - 1].sha) return true;
    for (; seen_upto < i; ++seen_upto) seen.insert(points[seen_upto].sha);
    return seen.contains(from);
  };
  size_t next = 0;  // the first point not yet looked at
  for (size_t k : kept) {
    Elided e;
    e.points = static_cast<int64_t>(k - next);
    for (size_t i = next; i <= k; ++i) {
      const PlotPoint& p = points[i];
      if (p.range_count > 0) {
        e.max_range_count = std::max(e.max_range_count.value_or(0), p.range_count);
      }
      if (i > 0 && p.range_from && !starts_at_an_earlier_point(i)) e.unrepresented = true;
    }
    next = k + 1;
    out.push_back(e);
  }
  return out;
}

}  // namespace perfledger::analysis
