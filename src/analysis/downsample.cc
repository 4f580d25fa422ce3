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
  // `xs`: the points' times, or empty when some point has none.
  Bucketing(std::span<const int64_t> xs, size_t n) : n_(n) {
    by_time_ = n_ > 1 && xs.size() == n_;
    for (size_t i = 1; i < n_ && by_time_; ++i) {
      if (xs[i] < xs[i - 1]) by_time_ = false;
    }
    if (by_time_ && xs.back() == xs.front()) by_time_ = false;
    if (by_time_) {
      const int64_t x0 = xs.front();
      span_ = static_cast<double>(xs.back() - x0);
      offsets_.reserve(n_);
      for (const int64_t x : xs) offsets_.push_back(static_cast<double>(x - x0));
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

  // The first point after `i` in a later bucket than point i's (n when none): BucketOf does
  // not fall as i rises (times rise, or the index does), so a binary search finds it.
  size_t EndOfBucket(size_t i, size_t buckets) const {
    const size_t b = BucketOf(i, buckets);
    size_t lo = i + 1, hi = n_;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (BucketOf(mid, buckets) > b) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

 private:
  size_t n_;
  bool by_time_ = false;
  double span_ = 1;
  std::vector<double> offsets_;  // x - the first x, per point
};

// The union of `forced` (sorted) and each bucket's first, last, smallest and largest point,
// sorted; empty when that holds more than `max_points` points. `ys` are the points' values.
std::vector<size_t> M4(std::span<const double> ys, const Bucketing& bucketing, size_t buckets,
                       const std::vector<size_t>& forced, size_t max_points) {
  std::vector<size_t> picked;
  picked.reserve(4 * buckets + forced.size());
  size_t i = 0;
  const size_t n = ys.size();
  while (i < n) {
    const size_t end = bucketing.EndOfBucket(i, buckets);
    size_t lo = i, hi = i;
    double low = ys[i], high = ys[i];
    for (size_t j = i + 1; j < end; ++j) {
      const double y = ys[j];
      if (y < low) {
        low = y;
        lo = j;
      }
      if (y > high) {
        high = y;
        hi = j;
      }
    }
    picked.insert(picked.end(), {i, lo, hi, end - 1});
    i = end;
  }
  picked.insert(picked.end(), forced.begin(), forced.end());
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  if (picked.size() > max_points) return {};
  return picked;
}

// The choice of DownsampleLine for a line of `ys` with `rank` per point (kNotForced for points
// that need not stay), bucketed by `bucketing`; 0 < max_points < ys.size().
std::vector<size_t> Choose(std::span<const double> ys, const Bucketing& bucketing,
                           const std::vector<int>& rank, size_t max_points) {
  const size_t n = ys.size();
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
  if (left >= 4) {
    // left / 4 buckets always fit (four points each at most); more may, when buckets are empty
    // or their points coincide with forced ones. The count that fits is nearly monotonic in
    // the bucket count: a search galloping up from left / 4, then halving, finds a large one,
    // and every answer is checked. Whether some buckets fit is most often told by the buckets'
    // sizes alone (a bucket of s points gives between min(s, 2) and min(s, 4) of them, no two
    // buckets the same one), else by choosing their points.
    auto fits = [&](size_t buckets) {
      size_t at_least = 0, at_most = forced.size();
      for (size_t i = 0; i < n;) {
        const size_t end = bucketing.EndOfBucket(i, buckets);
        at_least += std::min<size_t>(end - i, 2);
        at_most += std::min<size_t>(end - i, 4);
        i = end;
      }
      if (std::max(at_least, forced.size()) > max_points) return false;
      if (at_most <= max_points) return true;
      return !M4(ys, bucketing, buckets, forced, max_points).empty();
    };
    size_t good = left / 4;
    size_t bad = std::min(n, left) + 1;
    for (size_t step = 1; good + step < bad; step *= 2) {
      if (!fits(good + step)) {
        bad = good + step;
        break;
      }
      good += step;
    }
    while (bad - good > 1) {
      const size_t mid = good + (bad - good) / 2;
      if (fits(mid)) {
        good = mid;
      } else {
        bad = mid;
      }
    }
    return M4(ys, bucketing, good, forced, max_points);
  }

  // Room for one to three more: the extremes of the line, the one further from its median
  // first (one bucket's first and last are the line's, already kept).
  size_t lo = 0, hi = 0;
  for (size_t i = 1; i < n; ++i) {
    if (ys[i] < ys[lo]) lo = i;
    if (ys[i] > ys[hi]) hi = i;
  }
  std::vector<double> sorted(ys.begin(), ys.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n / 2),
                   sorted.end());
  const double median = sorted[n / 2];
  const bool low_first = median - ys[lo] > ys[hi] - median;
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

std::vector<size_t> Every(size_t n) {
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  return all;
}

}  // namespace

std::vector<size_t> DownsampleLine(std::span<const PlotPoint> points,
                                   std::span<const PlotRange> alerts, size_t max_points) {
  const size_t n = points.size();
  if (max_points >= n) return Every(n);
  if (max_points == 0) return {};
  std::vector<int64_t> xs;
  xs.reserve(n);
  for (const auto& p : points) {
    if (!p.x) {
      xs.clear();
      break;
    }
    xs.push_back(*p.x);
  }
  std::vector<double> ys;
  ys.reserve(n);
  for (const auto& p : points) ys.push_back(p.y);
  return Choose(ys, Bucketing(xs, n), RanksOf(points, alerts), max_points);
}

std::vector<size_t> DownsampleValues(std::span<const int64_t> xs, std::span<const double> ys,
                                     size_t max_points) {
  const size_t n = ys.size();
  if (max_points >= n) return Every(n);
  if (max_points == 0) return {};
  std::vector<int> rank(n, kNotForced);
  rank[0] = kFirst;
  rank[n - 1] = kLast;
  return Choose(ys, Bucketing(xs, n), rank, max_points);
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
