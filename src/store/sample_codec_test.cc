#include "store/sample_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace perfledger::store {
namespace {

void ExpectRoundTrip(const std::vector<double>& v) {
  auto blob = EncodeSamples(v);
  auto back = DecodeSamples(blob);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(std::signbit((*back)[i]), std::signbit(v[i]));
    EXPECT_EQ((*back)[i], v[i]) << i;
  }
}

TEST(SampleCodecTest, IntegersRoundTripCompactly) {
  std::vector<double> v = {1830211, 1829001, 1840533, 1830000, 1829999, 1831234};
  ExpectRoundTrip(v);
  // Deltas of a few thousand take 2 bytes; the first value 3.
  EXPECT_LT(EncodeSamples(v).size(), 1 + 3 + 5 * 3u);
  ExpectRoundTrip({0, -5, 9007199254740992.0, -9007199254740992.0, 42});
}

TEST(SampleCodecTest, FractionsAndSpecialValuesRoundTripExactly) {
  ExpectRoundTrip({0.1, 2.5, 1e300, 5e-324});
  ExpectRoundTrip({-0.0, 1.0});
  ExpectRoundTrip({9007199254740994.0, 1.0});  // beyond 2^53: stored as doubles
  ExpectRoundTrip({});
}

TEST(SampleCodecTest, CorruptBlobsAreErrorsNotCrashes) {
  EXPECT_FALSE(DecodeSamples("").ok());
  EXPECT_FALSE(DecodeSamples(std::string("\x00\x01\x02", 3)).ok());  // doubles, truncated
  EXPECT_FALSE(DecodeSamples(std::string("\x01\x80", 2)).ok());      // varint, truncated
  EXPECT_FALSE(DecodeSamples(std::string("\x07", 1)).ok());          // unknown tag
}

// Regression (found by fuzz/sample_codec_fuzzer.cc): a blob of differences the encoder never
// writes summed past INT64_MIN, undefined behaviour (UBSan: signed integer overflow); it is
// an error now, like any other corrupt blob.
TEST(SampleCodecTest, DifferencesBeyondTheIntegerRangeAreCorruptNotOverflows) {
  // One difference of -2^63 (the zigzag varint of 2^64 - 1), then -3.
  EXPECT_FALSE(
      DecodeSamples(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x05", 12)).ok());
  // Two differences of 2^53 each: within the range apiece, their sum 2^54 is not.
  const std::string one = std::string("\x01") + "\x80\x80\x80\x80\x80\x80\x80\x20";
  auto first = DecodeSamples(one);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, std::vector<double>{9007199254740992.0});
  const std::string twice = one + "\x80\x80\x80\x80\x80\x80\x80\x20";
  EXPECT_FALSE(DecodeSamples(twice).ok());
}

}  // namespace
}  // namespace perfledger::store
