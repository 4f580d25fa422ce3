#include "runner/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace perfledger::runner {
namespace {

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
}  // namespace perfledger::runner
