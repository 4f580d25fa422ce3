// The statistics (stats.h) against reference values (R, published tables) and properties.
// Over 600 lines on purpose: one file per source file, and each test is a short table.
#include "analysis/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

// Reference values marked "R" are printed by R's documented examples and were cross-checked,
// like every other pasted number here, with a Python 3.11 script (standard library and mpmath
// at 40 digits, no SciPy): midranks, tie-corrected variance and continuity correction written
// out with mpmath.erfc; exact p-values and Hodges-Lehmann critical values by enumerating every
// split of the pooled ranks (itertools.combinations) with Fraction; Welch p-values from the
// regularised incomplete beta, I_{df / (df + t^2)}(df / 2, 1 / 2) (mpmath.betainc).

namespace perfledger::analysis {
namespace {

constexpr double kMax = std::numeric_limits<double>::max();

// Student's sleep data (R `sleep`): extra hours of sleep under two drugs.
const std::vector<double> kSleep1 = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
const std::vector<double> kSleep2 = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};

// Hollander & Wolfe (1973), p. 69: permeability constants of the human chorioamnion, at term
// (x) and at 12-26 weeks (y); the R ?wilcox.test example.
const std::vector<double> kTerm = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
const std::vector<double> kEarly = {1.15, 0.88, 0.90, 0.74, 1.21};

std::vector<double> Iota(int n, double from) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(from + i);
  return v;
}

// How many ways to pick x's ranks out of the pooled ones give U = k, by enumeration.
std::vector<int64_t> EnumeratedCounts(size_t n1, size_t n2) {
  const size_t n = n1 + n2;
  std::vector<int64_t> counts(n1 * n2 + 1, 0);
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<size_t>(__builtin_popcount(mask)) != n1) continue;
    size_t rank_sum = 0;  // 0-based ranks
    for (size_t r = 0; r < n; ++r) rank_sum += (mask >> r & 1u) ? r : 0;
    ++counts[rank_sum - n1 * (n1 - 1) / 2];
  }
  return counts;
}

// Exact two-sided p-value of an integral u from the enumerated counts.
double EnumeratedP(size_t n1, size_t n2, double u) {
  const std::vector<int64_t> counts = EnumeratedCounts(n1, n2);
  int64_t low = 0, high = 0, total = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    total += counts[k];
    low += static_cast<double>(k) <= u ? counts[k] : 0;
    high += static_cast<double>(k) >= u ? counts[k] : 0;
  }
  return std::min(1.0, 2.0 * static_cast<double>(std::min(low, high)) / total);
}

// The largest c with P(U <= c) <= alpha / 2 (0 if none), at most (n1 n2 - 1) / 2.
int64_t EnumeratedCritical(const std::vector<int64_t>& counts, double alpha) {
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  int64_t c = 0, cumulative = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    cumulative += counts[k];
    if (static_cast<double>(cumulative) / static_cast<double>(total) > alpha / 2) break;
    c = static_cast<int64_t>(k);
  }
  return std::min<int64_t>(c, static_cast<int64_t>(counts.size() - 2) / 2);
}

// Two-sided normal-approximation p-value without ties, written out independently.
double NormalP(size_t n1, size_t n2, double u) {
  const double m = static_cast<double>(n1 * n2);
  const double sd = std::sqrt(m * static_cast<double>(n1 + n2 + 1) / 12);
  const double z = std::max(0.0, std::abs(u - m / 2) - 0.5) / sd;
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

// Hodges-Lehmann by brute force: every pairwise log ratio sorted, with the given critical value.
RelativeChange BruteForceHl(const std::vector<double>& base, const std::vector<double>& head,
                            int64_t c) {
  std::vector<double> d;
  for (double b : base) {
    for (double h : head) d.push_back(std::log(h) - std::log(b));
  }
  std::sort(d.begin(), d.end());
  const size_t m = d.size();
  const double middle = (d[(m - 1) / 2] + d[m / 2]) / 2;
  return {std::expm1(middle), std::expm1(d[static_cast<size_t>(c)]),
          std::expm1(d[m - 1 - static_cast<size_t>(c)])};
}

// z quantiles 1 - (1 - confidence) / 2 from Python's statistics.NormalDist().inv_cdf.
struct Level {
  double confidence, z;
};
constexpr Level kLevels[] = {{0.5, 0.6744897501960817}, {0.8, 1.2815515655446008},
                             {0.9, 1.6448536269514715}, {0.95, 1.9599639845400536},
                             {0.99, 2.5758293035489},   {0.999, 3.2905267314919255}};

int64_t NormalCritical(size_t n1, size_t n2, double z) {
  const double m = static_cast<double>(n1 * n2);
  const double c = std::floor(m / 2 - z * std::sqrt(m * static_cast<double>(n1 + n2 + 1) / 12));
  return std::max<int64_t>(0, static_cast<int64_t>(c));
}

void ExpectFinite(const RelativeChange& r) {
  EXPECT_TRUE(std::isfinite(r.estimate));
  EXPECT_TRUE(std::isfinite(r.low));
  EXPECT_TRUE(std::isfinite(r.high));
  EXPECT_LE(r.low, r.estimate);
  EXPECT_LE(r.estimate, r.high);
}

// --- Summaries ---

TEST(StatsSummary, Median) {
  EXPECT_EQ(Median({}), 0);
  EXPECT_EQ(Median(std::vector<double>{7}), 7);
  EXPECT_EQ(Median(std::vector<double>{3, 1, 2}), 2);
  EXPECT_EQ(Median(std::vector<double>{4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median(std::vector<double>{5, 5, 1, 9, 5, 2}), 5);
  // The mean of the middle two never overflows.
  EXPECT_EQ(Median(std::vector<double>{kMax, kMax}), kMax);
  EXPECT_EQ(Median(std::vector<double>{-kMax, kMax}), 0);
}

TEST(StatsSummary, MadAndRobustSigma) {
  EXPECT_EQ(Mad({}), 0);
  EXPECT_EQ(Mad(std::vector<double>{3}), 0);
  EXPECT_EQ(RobustSigma(std::vector<double>{3}), 0);
  // Median 3, deviations {2, 1, 0, 1, 97}: MAD 1, whatever the outlier.
  const std::vector<double> v = {1, 2, 3, 4, 100};
  EXPECT_EQ(Mad(v), 1);
  EXPECT_DOUBLE_EQ(RobustSigma(v), 1.4826);
  EXPECT_EQ(Mad(std::vector<double>{1, 2, 3, 4}), 1);  // median 2.5, deviations 1.5 .5 .5 1.5
  // Deviations beyond the double range saturate.
  const std::vector<double> wide = {-kMax, -kMax, kMax, kMax, 0};
  EXPECT_TRUE(std::isfinite(Mad(wide)));
  EXPECT_TRUE(std::isfinite(RobustSigma(wide)));
}

TEST(StatsSummary, Describe) {
  const Description d = Describe(std::vector<double>{2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(d.n, 8);
  EXPECT_DOUBLE_EQ(d.mean, 5);
  EXPECT_DOUBLE_EQ(d.stddev, std::sqrt(32.0 / 7));  // squared deviations sum to 32
  EXPECT_EQ(d.min, 2);
  EXPECT_EQ(d.max, 9);
  EXPECT_EQ(d.median, 4.5);
  EXPECT_EQ(d.mad, 0.5);  // deviations from 4.5: five of 0.5, 2.5, 2.5, 4.5
}

TEST(StatsSummary, DescribeSmallAndDegenerate) {
  const Description empty = Describe({});
  EXPECT_EQ(empty.n, 0);
  EXPECT_EQ(empty.mean, 0);
  EXPECT_EQ(empty.stddev, 0);
  const Description one = Describe(std::vector<double>{-3.5});
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.mean, -3.5);
  EXPECT_EQ(one.stddev, 0);
  EXPECT_EQ(one.min, -3.5);
  EXPECT_EQ(one.max, -3.5);
  EXPECT_EQ(one.median, -3.5);
  EXPECT_EQ(one.mad, 0);
  // Rounding never puts the mean outside the data, so a constant sample has no spread.
  const Description constant = Describe(std::vector<double>(7, 0.1));
  EXPECT_EQ(constant.mean, 0.1);
  EXPECT_EQ(constant.stddev, 0);
  const Description zeros = Describe(std::vector<double>(3, 0.0));
  EXPECT_EQ(zeros.mean, 0);
  EXPECT_EQ(zeros.stddev, 0);
}

TEST(StatsSummary, DescribeNeverOverflows) {
  const Description big = Describe(std::vector<double>{kMax, kMax, kMax});
  EXPECT_EQ(big.mean, kMax);
  EXPECT_EQ(big.stddev, 0);
  const Description wide = Describe(std::vector<double>{-kMax, kMax});
  EXPECT_EQ(wide.mean, 0);
  EXPECT_EQ(wide.stddev, kMax);  // sqrt(2) kMax, saturated
  const Description mixed = Describe(std::vector<double>{kMax, kMax / 2, 1});
  EXPECT_DOUBLE_EQ(mixed.mean, kMax / 2);
  EXPECT_TRUE(std::isfinite(mixed.stddev));
  const double tiny = std::numeric_limits<double>::denorm_min();
  const Description subnormal = Describe(std::vector<double>{tiny, 3 * tiny});
  EXPECT_EQ(subnormal.mean, 2 * tiny);
  EXPECT_GT(subnormal.stddev, 0);
}

// --- Mann-Whitney U ---

TEST(MannWhitneyU, CountsPairsAndHalfTies) {
  // x > y pairs: (3, 2); tied: (2, 2).
  const RankTest r = MannWhitneyU(std::vector<double>{1, 2, 3}, std::vector<double>{2, 4});
  EXPECT_EQ(r.u, 1.5);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(MannWhitneyU(std::vector<double>{5, 6}, std::vector<double>{1, 2, 3}).u, 6);
}

TEST(MannWhitneyU, CompleteSeparation) {
  const RankTest low = MannWhitneyU(Iota(4, 1), Iota(4, 5));
  EXPECT_EQ(low.u, 0);
  EXPECT_TRUE(low.exact);
  EXPECT_DOUBLE_EQ(low.p_value, 2.0 / 70);  // 2 / C(8, 4) = 0.028571...
  const RankTest high = MannWhitneyU(Iota(4, 5), Iota(4, 1));
  EXPECT_EQ(high.u, 16);
  EXPECT_DOUBLE_EQ(high.p_value, 2.0 / 70);
  EXPECT_DOUBLE_EQ(MannWhitneyU(Iota(10, 1), Iota(10, 11)).p_value, 2.0 / 184756);  // C(20, 10)
  // 50 a side is still exact: 2 / C(100, 50), C(100, 50) = 100891344545564193334812497256.
  const RankTest fifty = MannWhitneyU(Iota(50, 1), Iota(50, 51));
  EXPECT_TRUE(fifty.exact);
  EXPECT_NEAR(fifty.p_value / (2 / 1.00891344545564193334812497256e29), 1, 1e-12);
  EXPECT_FALSE(MannWhitneyU(Iota(51, 1), Iota(50, 52)).exact);
}

TEST(MannWhitneyU, PublishedExactExamples) {
  // R: wilcox.test(x, y, alternative = "g") gives W = 35, p-value = 0.1272 (one-sided).
  // Enumeration: two-sided p = 764 / 3003.
  const RankTest hw = MannWhitneyU(kTerm, kEarly);
  EXPECT_EQ(hw.u, 35);
  EXPECT_TRUE(hw.exact);
  EXPECT_NEAR(hw.p_value, 764.0 / 3003, 1e-15);
  EXPECT_NEAR(hw.p_value / 2, 0.1272, 5e-5);
  // SciPy's mannwhitneyu documentation example: U1 = 17, exact p = 0.1111 (= 14 / 126).
  const RankTest males =
      MannWhitneyU(std::vector<double>{19, 22, 16, 29, 24}, std::vector<double>{20, 11, 17, 12});
  EXPECT_EQ(males.u, 17);
  EXPECT_NEAR(males.p_value, 1.0 / 9, 1e-15);
}

TEST(MannWhitneyU, PublishedExamplesWithTies) {
  // R: wilcox.test(extra ~ group, data = sleep) gives W = 25.5, p-value = 0.06933 (ties, so the
  // normal approximation with continuity correction); mpmath: 0.069327575433626577...
  const RankTest sleep = MannWhitneyU(kSleep1, kSleep2);
  EXPECT_EQ(sleep.u, 25.5);
  EXPECT_FALSE(sleep.exact);
  EXPECT_NEAR(sleep.p_value, 0.06932757543362658, 1e-12);
  // R: wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in% c(5, 8)) gives
  // W = 127.5, p-value = 0.0001208; mpmath: 0.00012080783076877438...
  const std::vector<double> may = {41, 36, 12, 18, 28, 23, 19, 8, 7,  16, 11, 14,  18,
                                   14, 34, 6,  30, 11, 1,  11, 4, 32, 23, 45, 115, 37};
  const std::vector<double> august = {39, 9,  16, 78, 35, 66, 122, 89,  110, 44, 28,  65, 22,
                                      59, 23, 31, 44, 21, 9,  45,  168, 73,  76, 118, 84, 85};
  const RankTest ozone = MannWhitneyU(may, august);
  EXPECT_EQ(ozone.u, 127.5);
  EXPECT_FALSE(ozone.exact);
  EXPECT_NEAR(ozone.p_value, 0.00012080783076877438, 1e-15);
}

TEST(MannWhitneyU, ExactMatchesEnumeration) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<size_t> size(1, 7);
  std::normal_distribution<double> noise;
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n1 = size(rng), n2 = size(rng);
    std::vector<double> x, y;
    for (size_t i = 0; i < n1; ++i) x.push_back(noise(rng) + 0.5);
    for (size_t i = 0; i < n2; ++i) y.push_back(noise(rng));
    const RankTest r = MannWhitneyU(x, y);
    ASSERT_TRUE(r.exact);
    EXPECT_NEAR(r.p_value, EnumeratedP(n1, n2, r.u), 1e-14) << n1 << " vs " << n2 << " U " << r.u;
  }
}

TEST(MannWhitneyU, ExactAgreesWithNormalApproximationAt30) {
  // The approximation's error for 30 vs 30 peaks at 2.8e-3 near p = 0.46 and stays under 1e-3
  // for p <= 0.15 (the whole distribution compared in Python).
  std::mt19937_64 rng(30);
  std::normal_distribution<double> noise;
  int in_tail = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const double shift = 0.002 * trial;
    std::vector<double> x, y;
    for (int i = 0; i < 30; ++i) x.push_back(noise(rng) + shift);
    for (int i = 0; i < 30; ++i) y.push_back(noise(rng));
    const RankTest r = MannWhitneyU(x, y);
    ASSERT_TRUE(r.exact);
    const double normal = NormalP(30, 30, r.u);
    in_tail += r.p_value <= 0.15;
    EXPECT_NEAR(r.p_value, normal, r.p_value <= 0.15 ? 1e-3 : 3e-3) << "U " << r.u;
  }
  EXPECT_GT(in_tail, 100);
}

TEST(MannWhitneyU, NormalPathAgreesWithExactPath) {
  // A tie inside x forces the normal approximation without changing U; the tie correction is
  // negligible, so it should match the exact p-value of the untied sample.
  std::mt19937_64 rng(31);
  std::normal_distribution<double> noise;
  int compared = 0;
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<double> x, y;
    for (int i = 0; i < 30; ++i) x.push_back(noise(rng) + 0.004 * trial);
    for (int i = 0; i < 30; ++i) y.push_back(noise(rng));
    std::vector<double> tied = x;
    tied[1] = tied[0];
    x[1] = std::nextafter(x[0], kMax);
    const RankTest exact = MannWhitneyU(x, y);
    const RankTest normal = MannWhitneyU(tied, y);
    if (exact.u != normal.u) continue;  // a y between x[0] and its successor: not comparable
    ASSERT_TRUE(exact.exact);
    ASSERT_FALSE(normal.exact);
    ++compared;
    if (exact.p_value <= 0.15) {
      EXPECT_NEAR(normal.p_value, exact.p_value, 1e-3);
    }
  }
  EXPECT_GT(compared, 95);
}

TEST(MannWhitneyU, DegenerateInputs) {
  const RankTest empty = MannWhitneyU({}, std::vector<double>{1, 2});
  EXPECT_EQ(empty.p_value, 1);
  EXPECT_EQ(MannWhitneyU(std::vector<double>{1}, {}).p_value, 1);
  // Everything tied: no variance, p = 1 rather than NaN.
  const RankTest tied = MannWhitneyU(std::vector<double>{5, 5}, std::vector<double>{5, 5, 5});
  EXPECT_EQ(tied.u, 3);
  EXPECT_EQ(tied.p_value, 1);
  const RankTest single = MannWhitneyU(std::vector<double>{1}, std::vector<double>{2});
  EXPECT_EQ(single.p_value, 1);
  const RankTest extreme =
      MannWhitneyU(std::vector<double>{-kMax, kMax, 0}, std::vector<double>{kMax, 1});
  EXPECT_TRUE(std::isfinite(extreme.p_value));
}

TEST(MannWhitneyU, LargeSamplesAreSymmetric) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise;
  std::vector<double> x, y;
  for (int i = 0; i < 2000; ++i) x.push_back(std::round(noise(rng) * 10));  // many ties
  for (int i = 0; i < 3000; ++i) y.push_back(std::round(noise(rng) * 10 + 3));
  const RankTest xy = MannWhitneyU(x, y);
  const RankTest yx = MannWhitneyU(y, x);
  EXPECT_FALSE(xy.exact);
  EXPECT_EQ(xy.u + yx.u, 2000.0 * 3000);
  EXPECT_DOUBLE_EQ(xy.p_value, yx.p_value);
  EXPECT_LT(xy.p_value, 1e-6);
  EXPECT_GE(xy.p_value, 0);
}

// --- Hodges-Lehmann ---

TEST(HodgesLehmann, NeedsBothSides) {
  EXPECT_FALSE(HodgesLehmann({}, std::vector<double>{1}).has_value());
  EXPECT_FALSE(HodgesLehmann(std::vector<double>{1}, {}).has_value());
  const auto one = HodgesLehmann(std::vector<double>{2}, std::vector<double>{3});
  ASSERT_TRUE(one.has_value());
  EXPECT_DOUBLE_EQ(one->estimate, 0.5);
  EXPECT_DOUBLE_EQ(one->low, 0.5);
  EXPECT_DOUBLE_EQ(one->high, 0.5);
}

TEST(HodgesLehmann, KnownShift) {
  const std::vector<double> base = {100, 101, 99.5, 100.7, 100.2, 99.8, 100.4, 99.9, 100.1, 99.6};
  std::vector<double> head;
  for (double b : base) head.push_back(b * 1.1);
  const auto r = HodgesLehmann(base, head);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(r->estimate, 0.1, 1e-12);
  EXPECT_LT(r->low, 0.1);
  EXPECT_GT(r->high, 0.1);
  EXPECT_LT(r->high - r->low, 0.015);  // the base spreads over 1.5%
  // No change at all: estimate 0, interval symmetric on the log scale.
  const auto same = HodgesLehmann(base, base);
  ASSERT_TRUE(same.has_value());
  EXPECT_NEAR(same->estimate, 0, 1e-15);
  EXPECT_NEAR(std::log1p(same->low), -std::log1p(same->high), 1e-15);
}

TEST(HodgesLehmann, SwappingSidesInvertsTheRatio) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> noise(0, 0.2);
  for (const size_t n : {7, 40, 120}) {
    std::vector<double> base, head;
    for (size_t i = 0; i < n; ++i) base.push_back(noise(rng));
    for (size_t i = 0; i < n + 3; ++i) head.push_back(1.2 * noise(rng));
    const auto forward = HodgesLehmann(base, head);
    const auto backward = HodgesLehmann(head, base);
    ASSERT_TRUE(forward && backward);
    EXPECT_NEAR(backward->estimate, 1 / (1 + forward->estimate) - 1, 1e-12);
    EXPECT_NEAR(backward->low, 1 / (1 + forward->high) - 1, 1e-12);
    EXPECT_NEAR(backward->high, 1 / (1 + forward->low) - 1, 1e-12);
  }
}

TEST(HodgesLehmann, PublishedDataByEnumeration) {
  // Base = early, head = term (Hollander & Wolfe). Python: all 50 log ratios sorted; critical
  // value by enumerating C(15, 5) rank splits: C = 8 at 95%, 11 at 90%.
  const auto r95 = HodgesLehmann(kEarly, kTerm, 0.95);
  ASSERT_TRUE(r95.has_value());
  EXPECT_NEAR(r95->estimate, 0.3117671370783736, 1e-12);
  EXPECT_NEAR(r95->low, -0.14049586776859502, 1e-12);
  EXPECT_NEAR(r95->high, 0.9594594594594595, 1e-12);
  const auto r90 = HodgesLehmann(kEarly, kTerm, 0.90);
  ASSERT_TRUE(r90.has_value());
  EXPECT_NEAR(r90->low, -0.09090909090909087, 1e-12);
  EXPECT_NEAR(r90->high, 0.8222222222222221, 1e-12);
}

TEST(HodgesLehmann, ExactMatchesBruteForce) {
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<size_t> size(1, 7);
  std::lognormal_distribution<double> noise(0, 0.3);
  for (int trial = 0; trial < 100; ++trial) {
    const size_t n1 = size(rng), n2 = size(rng);
    std::vector<double> base, head;
    for (size_t i = 0; i < n1; ++i) base.push_back(noise(rng));
    for (size_t i = 0; i < n2; ++i) head.push_back(1.1 * noise(rng));
    const std::vector<int64_t> counts = EnumeratedCounts(n1, n2);
    for (const Level& level : kLevels) {
      const auto r = HodgesLehmann(base, head, level.confidence);
      ASSERT_TRUE(r.has_value());
      const int64_t c = EnumeratedCritical(counts, 1 - level.confidence);
      const RelativeChange want = BruteForceHl(base, head, c);
      EXPECT_DOUBLE_EQ(r->estimate, want.estimate);
      EXPECT_DOUBLE_EQ(r->low, want.low) << n1 << " vs " << n2 << " at " << level.confidence;
      EXPECT_DOUBLE_EQ(r->high, want.high) << n1 << " vs " << n2 << " at " << level.confidence;
    }
  }
}

TEST(HodgesLehmann, NormalApproximationMatchesBruteForce) {
  // Ties (values rounded) or more than 50 a side: the normal critical value. The larger cases
  // run the selection over the pairwise matrix instead of sorting it.
  std::mt19937_64 rng(17);
  std::lognormal_distribution<double> noise(3, 0.5);
  struct Case {
    size_t n1, n2;
    bool round;
  };
  for (const Case& c : {Case{12, 9, true}, Case{60, 70, false}, Case{1, 3000, false},
                        Case{2500, 1, true}, Case{300, 400, true}, Case{400, 300, false}}) {
    std::vector<double> base, head;
    for (size_t i = 0; i < c.n1; ++i) base.push_back(noise(rng));
    for (size_t i = 0; i < c.n2; ++i) head.push_back(1.03 * noise(rng));
    if (c.round) {
      for (double& v : base) v = std::round(v);
      for (double& v : head) v = std::round(v);
    }
    for (const Level& level : kLevels) {
      const auto r = HodgesLehmann(base, head, level.confidence);
      ASSERT_TRUE(r.has_value());
      const int64_t crit = std::min<int64_t>(NormalCritical(c.n1, c.n2, level.z),
                                             static_cast<int64_t>(c.n1 * c.n2 - 1) / 2);
      const RelativeChange want = BruteForceHl(base, head, crit);
      EXPECT_DOUBLE_EQ(r->estimate, want.estimate) << c.n1 << " vs " << c.n2;
      EXPECT_DOUBLE_EQ(r->low, want.low) << c.n1 << " vs " << c.n2 << " at " << level.confidence;
      EXPECT_DOUBLE_EQ(r->high, want.high) << c.n1 << " vs " << c.n2 << " at " << level.confidence;
    }
  }
}

TEST(HodgesLehmann, CoverageOfKnownShift) {
  // 2000 simulated comparisons with a true 5% shift: the 95% interval should hold it in about
  // 95% of them (a little more for the exact, discrete case).
  std::mt19937_64 rng(2024);
  std::lognormal_distribution<double> noise(0, 0.05);
  for (const size_t n : {15, 60}) {
    int covered = 0;
    for (int trial = 0; trial < 2000; ++trial) {
      std::vector<double> base, head;
      for (size_t i = 0; i < n; ++i) base.push_back(noise(rng));
      for (size_t i = 0; i < n; ++i) head.push_back(1.05 * noise(rng));
      const auto r = HodgesLehmann(base, head, 0.95);
      ASSERT_TRUE(r.has_value());
      covered += r->low <= 0.05 && 0.05 <= r->high;
    }
    EXPECT_GE(covered, 1860) << n;  // 93%
    EXPECT_LE(covered, 1940) << n;  // 97%
  }
}

TEST(HodgesLehmann, LargeInputs) {
  // 6 million pairs, never materialised.
  std::mt19937_64 rng(19);
  std::lognormal_distribution<double> noise(0, 0.05);
  std::vector<double> base, head;
  for (int i = 0; i < 2000; ++i) base.push_back(noise(rng));
  for (int i = 0; i < 3000; ++i) head.push_back(1.05 * noise(rng));
  const auto r = HodgesLehmann(base, head);
  ASSERT_TRUE(r.has_value());
  ExpectFinite(*r);
  EXPECT_NEAR(r->estimate, 0.05, 0.005);
  EXPECT_LT(r->high - r->low, 0.01);
}

TEST(HodgesLehmann, NonPositiveValuesUseTheBaseMedian) {
  // Differences head_j - base_i = (j - i) + 1 over the base median 1; ties, so the normal
  // critical value floor(12.5 - 1.96 sqrt(25 * 11 / 12)) = 3 picks the 4th and 22nd.
  const auto r =
      HodgesLehmann(std::vector<double>{-1, 0, 1, 2, 3}, std::vector<double>{0, 1, 2, 3, 4});
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(r->estimate, 1);
  EXPECT_DOUBLE_EQ(r->low, -1);
  EXPECT_DOUBLE_EQ(r->high, 3);
  // A negative base median: -11 against -10 is 10% larger.
  const auto negative =
      HodgesLehmann(std::vector<double>{-10, -10.5, -9.5}, std::vector<double>{-11, -11.5, -10.5});
  ASSERT_TRUE(negative.has_value());
  EXPECT_DOUBLE_EQ(negative->estimate, 0.1);
  ExpectFinite(*negative);
  // Base median 0: no scale.
  EXPECT_FALSE(HodgesLehmann(std::vector<double>{-1, 0, 1}, std::vector<double>{1, 2}).has_value());
}

TEST(HodgesLehmann, ExtremesStayFinite) {
  const auto huge =
      HodgesLehmann(std::vector<double>{1e-300, 2e-300}, std::vector<double>{1e300, 2e300});
  ASSERT_TRUE(huge.has_value());
  ExpectFinite(*huge);
  EXPECT_EQ(huge->estimate, kMax);
  const auto wide =
      HodgesLehmann(std::vector<double>{-kMax, 1, 2}, std::vector<double>{kMax, 0, -kMax});
  ASSERT_TRUE(wide.has_value());
  ExpectFinite(*wide);
  for (const double confidence : {0.0, 0.5, 1.0, 1.5, -1.0}) {
    const auto r = HodgesLehmann(kEarly, kTerm, confidence);
    ASSERT_TRUE(r.has_value());
    ExpectFinite(*r);
  }
  // Full confidence: the extreme pairwise ratios.
  const auto all = HodgesLehmann(kEarly, kTerm, 1.0);
  EXPECT_NEAR(all->low, 0.73 / 1.21 - 1, 1e-14);
  EXPECT_NEAR(all->high, 1.91 / 0.74 - 1, 1e-14);
}

// --- Welch ---

TEST(Welch, SleepData) {
  // R: t.test(extra ~ group, data = sleep) gives t = -1.8608, df = 17.776, p-value = 0.07939;
  // mpmath: 0.079394140187358138...
  const Description a = Describe(kSleep1), b = Describe(kSleep2);
  const auto p = WelchPValue(a.n, a.mean, a.stddev, b.n, b.mean, b.stddev);
  ASSERT_TRUE(p.has_value());
  EXPECT_NEAR(*p, 0.07939414018735814, 1e-12);
}

TEST(Welch, AggregatesAgainstMpmath) {
  // t, df, p computed with mpmath (Welch-Satterthwaite df, incomplete beta).
  EXPECT_NEAR(*WelchPValue(5, 10, 1, 7, 12, 3), 0.14077457485986370, 1e-12);       // df 7.73
  EXPECT_NEAR(*WelchPValue(30, 100, 5, 3, 103, 0), 0.0026589984677350771, 1e-13);  // df 29
  EXPECT_NEAR(*WelchPValue(1000, 1.0, 0.1, 2000, 1.01, 0.2), 0.067988581965962682,
              1e-12);  // df 2998
  // The sides are interchangeable.
  EXPECT_DOUBLE_EQ(*WelchPValue(7, 12, 3, 5, 10, 1), *WelchPValue(5, 10, 1, 7, 12, 3));
  EXPECT_EQ(*WelchPValue(5, 3, 1, 6, 3, 2), 1);
}

TEST(Welch, Degenerate) {
  EXPECT_FALSE(WelchPValue(1, 1, 1, 5, 2, 1).has_value());
  EXPECT_FALSE(WelchPValue(5, 1, 1, 0, 2, 1).has_value());
  EXPECT_FALSE(WelchPValue(5, 1, 0, 5, 2, 0).has_value());
  // Overflowing differences and deviations, huge counts: still a probability.
  EXPECT_EQ(*WelchPValue(5, kMax, 1, 5, -kMax, 1), 0);
  for (const auto p : {WelchPValue(5, 1, kMax, 5, 2, kMax), WelchPValue(5, kMax, kMax, 5, 0, 1),
                       WelchPValue(int64_t{1} << 60, 1, 1, int64_t{1} << 61, 1.001, 1),
                       WelchPValue(5, 1, 1e-320, 5, 2, 0)}) {
    ASSERT_TRUE(p.has_value());
    EXPECT_GE(*p, 0);
    EXPECT_LE(*p, 1);
  }
}

// --- Benjamini-Hochberg ---

TEST(BenjaminiHochberg, KnownExamples) {
  const std::vector<double> q = BenjaminiHochberg(std::vector<double>{0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(q.size(), 4u);
  EXPECT_DOUBLE_EQ(q[0], 0.02);
  EXPECT_DOUBLE_EQ(q[1], 0.04);
  EXPECT_DOUBLE_EQ(q[2], 0.04);
  EXPECT_DOUBLE_EQ(q[3], 0.02);
  // By hand: sorted p n / rank = .006 .12 .1 .075 .24 .9, then minima from the top.
  const std::vector<double> q2 =
      BenjaminiHochberg(std::vector<double>{0.2, 0.001, 0.05, 0.05, 0.9, 0.04});
  const std::vector<double> want = {0.24, 0.006, 0.075, 0.075, 0.9, 0.075};
  ASSERT_EQ(q2.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(q2[i], want[i]) << i;
  EXPECT_TRUE(BenjaminiHochberg({}).empty());
  EXPECT_EQ(BenjaminiHochberg(std::vector<double>{0.3}), std::vector<double>{0.3});
}

TEST(BenjaminiHochberg, MonotoneAndCapped) {
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<double> p;
  for (int i = 0; i < 500; ++i) p.push_back(uniform(rng) * uniform(rng));
  p.push_back(1);
  p.push_back(1);
  const std::vector<double> q = BenjaminiHochberg(p);
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_GE(q[i], p[i]);
    EXPECT_LE(q[i], 1);
    for (size_t j = 0; j < p.size(); ++j) {
      if (p[i] <= p[j]) {
        ASSERT_LE(q[i], q[j]) << i << " " << j;
      }
    }
  }
}

// --- Minimum sample count ---

TEST(StatsMinimumSamples, SmallestReachableCount) {
  EXPECT_EQ(MinimumSamplesPerSide(0.05), 4);  // 2 / C(8, 4) = 0.0286; 2 / C(6, 3) = 0.1
  EXPECT_EQ(MinimumSamplesPerSide(0.01), 5);  // 2 / 252 = 0.0079; 2 / 70 = 0.0286
  EXPECT_EQ(MinimumSamplesPerSide(0.1), 3);   // 2 / 20 exactly
  EXPECT_EQ(MinimumSamplesPerSide(1), 1);
  EXPECT_GT(MinimumSamplesPerSide(0), 100);
  // Against C(2n, n) in integers, and against the test itself: complete separation at n
  // reaches alpha, at n - 1 it does not.
  for (const double alpha : {0.2, 0.1, 0.05, 0.02, 0.01, 0.001, 1e-6, 1e-9}) {
    const int n = MinimumSamplesPerSide(alpha);
    auto central = [](int k) {
      uint64_t c = 1;
      for (int i = 1; i <= k; ++i) c = c * static_cast<uint64_t>(k + i) / static_cast<uint64_t>(i);
      return static_cast<double>(c);
    };
    EXPECT_LE(2 / central(n), alpha);
    EXPECT_GT(2 / central(n - 1), alpha);
    EXPECT_LE(MannWhitneyU(Iota(n, 0), Iota(n, 100)).p_value, alpha * (1 + 1e-12));
    EXPECT_GT(MannWhitneyU(Iota(n - 1, 0), Iota(n - 1, 100)).p_value, alpha);
  }
}

// The median interval (formerly runner/stats_test.cc).

TEST(MedianConfidence, RanksFromTheBinomialDistribution) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  MedianInterval ci = MedianConfidence(v);
  EXPECT_DOUBLE_EQ(ci.median, 50.5);
  // The textbook 95% ranks for n = 100 are the 40th and the 61st.
  EXPECT_DOUBLE_EQ(ci.lower, 40);
  EXPECT_DOUBLE_EQ(ci.upper, 61);
  EXPECT_DOUBLE_EQ(ci.relative_width, 21 / 50.5);
}

TEST(MedianConfidence, OrderDoesNotMatterAndIdenticalSamplesHaveNoWidth) {
  std::vector<double> v = {5, 1, 4, 2, 3, 9, 7};
  EXPECT_DOUBLE_EQ(MedianConfidence(v).median, 4);
  std::vector<double> same(20, 1e6);
  EXPECT_DOUBLE_EQ(MedianConfidence(same).relative_width, 0);
}

TEST(MedianConfidence, TooFewSamplesNeverLookPrecise) {
  std::vector<double> v = {1, 1, 1, 1, 1};
  EXPECT_TRUE(std::isinf(MedianConfidence(v).relative_width));
  EXPECT_TRUE(std::isinf(MedianConfidence({}).relative_width));
}

}  // namespace
}  // namespace perfledger::analysis
