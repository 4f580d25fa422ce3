// Display resolution (downsample.h): the budget is never exceeded, what the chart draws at
// stays, a spike survives, and the small budgets behave as documented.
#include "analysis/downsample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace perfledger::analysis {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// A line whose points the views of PlotPoint can point into: point i has sha "c<i>", a commit
// time of i seconds, the value ys[i] and the range (c<i-1>, c<i>] of one commit.
struct Line {
  std::vector<std::string> shas;
  std::vector<PlotPoint> points;

  explicit Line(const std::vector<double>& ys) : shas(ys.size()) {
    for (size_t i = 0; i < ys.size(); ++i) shas[i] = "c" + std::to_string(i);
    for (size_t i = 0; i < ys.size(); ++i) {
      PlotPoint p;
      p.x = static_cast<int64_t>(i) * kSecond;
      p.y = ys[i];
      p.sha = shas[i];
      if (i > 0) p.range_from = shas[i - 1];
      points.push_back(p);
    }
  }
  std::string_view Sha(size_t i) const { return shas[i]; }
};

std::vector<double> Flat(size_t n, double value = 100) { return std::vector<double>(n, value); }

// Values around 100 with a small deterministic wobble.
std::vector<double> Wobbly(size_t n) {
  std::vector<double> ys;
  for (size_t i = 0; i < n; ++i) ys.push_back(100 + static_cast<double>((i * 7) % 5) * 0.1);
  return ys;
}

bool Has(const std::vector<size_t>& kept, size_t i) {
  return std::find(kept.begin(), kept.end(), i) != kept.end();
}

void ExpectValid(const std::vector<size_t>& kept, size_t n, size_t max_points) {
  EXPECT_LE(kept.size(), max_points);
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  EXPECT_EQ(std::adjacent_find(kept.begin(), kept.end()), kept.end()) << "an index twice";
  for (size_t i : kept) EXPECT_LT(i, n);
}

TEST(DownsampleTest, NeverMoreThanMaxPointsAndDeterministic) {
  std::mt19937 rng(13);
  for (int round = 0; round < 200; ++round) {
    const size_t n = rng() % 300;
    std::vector<double> ys;
    for (size_t i = 0; i < n; ++i) ys.push_back(100 + (rng() % 1000) / 10.0);
    Line line(ys);
    for (auto& p : line.points) {
      p.fingerprint_changed = rng() % 20 == 0;
      if (rng() % 50 == 0) p.x.reset();  // a run without a commit time: x is the index
    }
    std::vector<PlotRange> alerts;
    for (int a = 0; n > 0 && a < static_cast<int>(rng() % 6); ++a) {
      alerts.push_back({line.Sha(rng() % n), line.Sha(rng() % n), rng() % 2 == 0});
    }
    std::vector<size_t> must_stay;  // the line's ends, alert ends, fingerprint changes
    for (size_t i = 0; i < n; ++i) {
      const bool end = i == 0 || i + 1 == n;
      const bool changes = line.points[i].fingerprint_changed ||
                           (i + 1 < n && line.points[i + 1].fingerprint_changed);
      const bool alert = std::any_of(alerts.begin(), alerts.end(), [&](const PlotRange& a) {
        return a.from == line.Sha(i) || a.to == line.Sha(i);
      });
      if (end || changes || alert) must_stay.push_back(i);
    }
    for (size_t max_points : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{7},
                              size_t{16}, n / 3, n / 2, n - std::min<size_t>(n, 1), n, n + 1}) {
      const auto kept = DownsampleLine(line.points, alerts, max_points);
      SCOPED_TRACE(testing::Message()
                   << "round " << round << ", n " << n << ", max " << max_points);
      ExpectValid(kept, n, max_points);
      if (max_points >= n) {
        EXPECT_EQ(kept.size(), n);
      }
      if (max_points >= must_stay.size()) {
        for (size_t i : must_stay) EXPECT_TRUE(Has(kept, i)) << i << " must stay";
      }
      EXPECT_EQ(kept, DownsampleLine(line.points, alerts, max_points));
    }
  }
}

TEST(DownsampleTest, EveryPointWhenTheyFit) {
  Line line(Wobbly(10));
  const std::vector<size_t> all = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(DownsampleLine(line.points, {}, 10), all);
  EXPECT_EQ(DownsampleLine(line.points, {}, 11), all);
  EXPECT_EQ(DownsampleLine(line.points, {}, 100000), all);
  EXPECT_EQ(DownsampleLine({}, {}, 4), std::vector<size_t>{});
}

TEST(DownsampleTest, NoBudgetNoPoints) {
  Line line(Wobbly(10));
  EXPECT_EQ(DownsampleLine(line.points, {}, 0), std::vector<size_t>{});
}

TEST(DownsampleTest, ASpikeAndADipInsideABucketSurvive) {
  std::vector<double> ys = Wobbly(10000);
  ys[5171] = 500;  // a spike of one commit
  ys[8322] = 20;   // and a dip
  Line line(ys);
  const auto kept = DownsampleLine(line.points, {}, 40);
  ExpectValid(kept, ys.size(), 40);
  EXPECT_TRUE(Has(kept, 5171));
  EXPECT_TRUE(Has(kept, 8322));
  // The line's extremes are those of the kept points: the chart's y range is the same.
  double lo = 1e9, hi = 0;
  for (size_t i : kept) lo = std::min(lo, ys[i]), hi = std::max(hi, ys[i]);
  EXPECT_EQ(lo, 20);
  EXPECT_EQ(hi, 500);
}

TEST(DownsampleTest, EveryBucketKeepsItsExtremes) {
  // 8 buckets of 100 points each (by time, which is the index here); each has a maximum and
  // a minimum somewhere inside.
  std::vector<double> ys = Flat(800);
  for (size_t b = 0; b < 8; ++b) {
    ys[b * 100 + 37] = 150 + static_cast<double>(b);
    ys[b * 100 + 61] = 50 - static_cast<double>(b);
  }
  Line line(ys);
  const auto kept = DownsampleLine(line.points, {}, 32);
  ExpectValid(kept, ys.size(), 32);
  for (size_t b = 0; b < 8; ++b) {
    EXPECT_TRUE(Has(kept, b * 100 + 37)) << "bucket " << b << " max";
    EXPECT_TRUE(Has(kept, b * 100 + 61)) << "bucket " << b << " min";
  }
}

TEST(DownsampleTest, AlertEndsSurvive) {
  Line line(Wobbly(5000));
  const std::vector<PlotRange> alerts = {
      {line.Sha(1234), line.Sha(1236), true},
      {line.Sha(4001), line.Sha(4002), false},
      {"not-in-this-line", line.Sha(2500), false},  // the `from` end is on another line
  };
  const auto kept = DownsampleLine(line.points, alerts, 50);
  ExpectValid(kept, 5000, 50);
  for (size_t i : {1234, 1236, 4001, 4002, 2500}) EXPECT_TRUE(Has(kept, i)) << i;
}

TEST(DownsampleTest, AFingerprintChangeAndThePointBeforeItSurvive) {
  Line line(Wobbly(5000));
  line.points[3000].fingerprint_changed = true;
  const auto kept = DownsampleLine(line.points, {}, 20);
  ExpectValid(kept, 5000, 20);
  EXPECT_TRUE(Has(kept, 2999));
  EXPECT_TRUE(Has(kept, 3000));
}

TEST(DownsampleTest, TheFirstAndLastPointsAlwaysStay) {
  Line line(Wobbly(1000));
  for (size_t max_points : {2, 3, 4, 10, 999}) {
    const auto kept = DownsampleLine(line.points, {}, max_points);
    ASSERT_FALSE(kept.empty());
    EXPECT_EQ(kept.front(), 0u) << max_points;
    EXPECT_EQ(kept.back(), 999u) << max_points;
  }
}

TEST(DownsampleTest, SmallBudgets) {
  std::vector<double> ys = Wobbly(100);
  ys[30] = 300;  // 200 above the median
  ys[60] = 10;   // 90 below it
  Line line(ys);
  EXPECT_EQ(DownsampleLine(line.points, {}, 1), (std::vector<size_t>{99})) << "the latest";
  EXPECT_EQ(DownsampleLine(line.points, {}, 2), (std::vector<size_t>{0, 99}));
  EXPECT_EQ(DownsampleLine(line.points, {}, 3), (std::vector<size_t>{0, 30, 99}))
      << "the extreme further from the median";
  EXPECT_EQ(DownsampleLine(line.points, {}, 4), (std::vector<size_t>{0, 30, 60, 99}));
  EXPECT_EQ(DownsampleLine(line.points, {}, 5), (std::vector<size_t>{0, 30, 60, 99}))
      << "with room for fewer than four more, only the extremes are added";
}

TEST(DownsampleTest, TwoPointLines) {
  Line line({1, 2});
  EXPECT_EQ(DownsampleLine(line.points, {}, 1), (std::vector<size_t>{1}));
  EXPECT_EQ(DownsampleLine(line.points, {}, 2), (std::vector<size_t>{0, 1}));
}

TEST(DownsampleTest, TooManyPointsThatMustStayKeepTheMostImportant) {
  Line line(Wobbly(100));
  line.points[70].fingerprint_changed = true;
  const std::vector<PlotRange> alerts = {
      {line.Sha(19), line.Sha(20), false},  // triaged
      {line.Sha(39), line.Sha(40), true},   // open
  };
  auto keep = [&](size_t max_points) { return DownsampleLine(line.points, alerts, max_points); };
  EXPECT_EQ(keep(1), (std::vector<size_t>{99}));
  EXPECT_EQ(keep(2), (std::vector<size_t>{0, 99}));
  EXPECT_EQ(keep(3), (std::vector<size_t>{0, 40, 99})) << "an open alert's `to` end";
  EXPECT_EQ(keep(4), (std::vector<size_t>{0, 20, 40, 99})) << "then any alert's";
  EXPECT_EQ(keep(5), (std::vector<size_t>{0, 20, 40, 70, 99})) << "then the environment change";
  EXPECT_EQ(keep(6), (std::vector<size_t>{0, 20, 39, 40, 70, 99})) << "then an open alert's from";
  EXPECT_EQ(keep(7), (std::vector<size_t>{0, 19, 20, 39, 40, 70, 99}));
  EXPECT_EQ(keep(8), (std::vector<size_t>{0, 19, 20, 39, 40, 69, 70, 99}));
}

TEST(DownsampleTest, WithinARankNewerFirst) {
  Line line(Wobbly(100));
  line.points[30].fingerprint_changed = true;
  line.points[70].fingerprint_changed = true;
  EXPECT_EQ(DownsampleLine(line.points, {}, 3), (std::vector<size_t>{0, 70, 99}));
}

TEST(DownsampleTest, BucketsFollowCommitTimeAndFallBackToTheIndex) {
  // 990 commits within 990 seconds, then 10 over 10 days: by time, each late commit has a
  // stretch of the axis to itself and stays; by index they share one bucket.
  Line line(Wobbly(1000));
  for (size_t i = 990; i < 1000; ++i) {
    line.points[i].x = (1'000'000 + static_cast<int64_t>(i - 990) * 100'000) * kSecond;
  }
  auto late_kept = [](const std::vector<size_t>& kept) {
    return std::count_if(kept.begin(), kept.end(), [](size_t i) { return i >= 990; });
  };
  EXPECT_EQ(late_kept(DownsampleLine(line.points, {}, 60)), 10);
  line.points[5].x.reset();  // one run without a commit time
  EXPECT_LT(late_kept(DownsampleLine(line.points, {}, 60)), 10);
}

// The headline index thins its lines from times and values alone (DownsampleValues): the same
// choice as DownsampleLine makes for that line without alerts or fingerprint changes, by time
// and (when a time is missing) by index, for every budget.
TEST(DownsampleTest, ValuesAloneChooseAsTheLineDoes) {
  std::mt19937 random(7);
  std::uniform_real_distribution<double> value(90, 110);
  for (size_t n : {2u, 5u, 97u, 1000u, 5000u}) {
    std::vector<double> ys;
    for (size_t i = 0; i < n; ++i) ys.push_back(i % 13 == 0 ? 100 : value(random));
    Line line(ys);
    // Rising unevenly (buckets by time hold different numbers of points).
    std::vector<int64_t> xs;
    for (size_t i = 0; i < n; ++i) {
      xs.push_back((i == 0 ? 0 : xs.back()) + static_cast<int64_t>(1 + i % 4) * kSecond);
    }
    for (size_t i = 0; i < n; ++i) line.points[i].x = xs[i];
    for (size_t max_points : {0u, 1u, 2u, 3u, 5u, 6u, 40u, 320u, 2000u}) {
      EXPECT_EQ(DownsampleValues(xs, ys, max_points), DownsampleLine(line.points, {}, max_points))
          << n << " points, " << max_points << " at most";
      line.points[n / 2].x.reset();
      EXPECT_EQ(DownsampleValues({}, ys, max_points), DownsampleLine(line.points, {}, max_points))
          << n << " points without a time, " << max_points << " at most";
      line.points[n / 2].x = xs[n / 2];
    }
  }
}

TEST(DownsampleTest, ElidedSaysWhatLiesBetweenKeptPoints) {
  Line line(Wobbly(8));
  line.points[2].range_count = 7;
  line.points[4].range_from = "c0";         // a bisect run inside an earlier range: represented
  line.points[6].range_from = "elsewhere";  // starts at no point of the line
  line.points[0].range_from = "before";     // the first point is never a gap
  const std::vector<size_t> kept = {0, 3, 5, 7};
  const auto elided = ElidedBefore(line.points, kept);
  ASSERT_EQ(elided.size(), 4u);
  EXPECT_EQ(elided[0].points, 0);
  EXPECT_EQ(elided[0].max_range_count, 1);
  EXPECT_FALSE(elided[0].unrepresented);
  EXPECT_EQ(elided[1].points, 2);
  EXPECT_EQ(elided[1].max_range_count, 7) << "point 2, left out, stands for 7 commits";
  EXPECT_FALSE(elided[1].unrepresented) << "ranges start at points left out: still represented";
  EXPECT_EQ(elided[2].points, 1);
  EXPECT_FALSE(elided[2].unrepresented);
  EXPECT_EQ(elided[3].points, 1);
  EXPECT_TRUE(elided[3].unrepresented);

  line.points[3].range_count = 0;  // unknown
  line.points[2].range_count = 0;
  line.points[1].range_count = -1;
  EXPECT_EQ(ElidedBefore(line.points, kept)[1].max_range_count, std::nullopt);
}

}  // namespace
}  // namespace perfledger::analysis
