#include "base/time.h"

#include <gtest/gtest.h>

namespace perfledger::base {
namespace {

TEST(TimeTest, ParsesUtcAndOffsets) {
  auto a = ParseRfc3339("2026-11-22T10:04:00Z");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->unix_nanos, 1795341840LL * 1'000'000'000);
  auto b = ParseRfc3339("2026-11-22T11:04:00+01:00");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  auto c = ParseRfc3339("2026-11-22T05:34:00.250-04:30");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->unix_nanos, a->unix_nanos + 250'000'000);
}

TEST(TimeTest, FormatsUtcWithShortestFraction) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-22T11:04:00+01:00")), "2026-11-22T10:04:00Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-22T10:04:00.5Z")), "2026-11-22T10:04:00.500Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-22T10:04:00.000001Z")),
            "2026-11-22T10:04:00.000001Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("1969-12-31T23:59:59.999999999Z")),
            "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-02-29T00:00:00Z")), "2024-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(Timestamp{INT64_MIN}), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(FormatRfc3339(Timestamp{INT64_MAX}), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatRfc3339(Timestamp{0}), "1970-01-01T00:00:00Z");
}

TEST(TimeTest, RejectsWhatIsNotRfc3339) {
  for (const char* bad :
       {"", "2026-11-22", "2026-11-22T10:04:00", "2026-11-22 10:04:00Z", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T10:04:00.Z",
        "2026-11-22T10:04:00Zjunk", "yesterday", "2026-11-22T10:04:00+0100"}) {
    auto r = ParseRfc3339(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("RFC 3339"), std::string::npos);
    }
  }
}

// GET /api/v1/series?from=9999-12-31T23:59:59Z overflowed the nanoseconds (the server died
// under UBSan): a valid RFC 3339 time outside what a Timestamp holds is an input error.
TEST(TimeTest, Issue_TimesBeyondTheTimestampRangeAreRefusedNotWrapped) {
  for (const char* far : {"9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2262-04-12T00:00:00Z",
                          "1677-09-21T00:00:00Z", "2262-04-11T00:00:00-23:59"}) {
    auto r = ParseRfc3339(far);
    EXPECT_FALSE(r.ok()) << far;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("1678 to 2261"), std::string::npos);
    }
  }
  EXPECT_TRUE(ParseRfc3339("2261-12-31T23:59:59.999999999Z").ok());
  EXPECT_TRUE(ParseRfc3339("1678-01-01T00:00:00Z").ok());
}

// GET /api/v1/gaps?max_age=9999999999d overflowed before the range check ran.
TEST(DurationTest, Issue_HugeDurationsAreRefusedBeforeTheyOverflow) {
  for (const char* huge : {"9999999999d", "200000d", "1000000000h", "106752d", "401d",
                           "400d1000000000ms", "399d9999999999s"}) {
    EXPECT_FALSE(ParseDuration(huge).ok()) << huge;
  }
  EXPECT_EQ(*ParseDuration("400d"), 400LL * 86'400'000'000'000);
}

TEST(DurationTest, ParsesUnitsAndCombinations) {
  EXPECT_EQ(*ParseDuration("90s"), 90'000'000'000);
  EXPECT_EQ(*ParseDuration("15m"), 900'000'000'000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(*ParseDuration("2d"), 172'800'000'000'000);
  EXPECT_EQ(*ParseDuration("500ms"), 500'000'000);
  for (const char* bad : {"", "15", "m", "15x", "-5m", "1.5h", "15m ", "99999999999d"}) {
    auto r = ParseDuration(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(FormatDuration(*ParseDuration("1h30m")), "1h30m");
  EXPECT_EQ(FormatDuration(*ParseDuration("15m")), "15m");
  EXPECT_EQ(FormatDuration(*ParseDuration("500ms")), "500ms");
}

TEST(ScaleNanosTest, PicksTheLargestUnitWithAWholeOne) {
  auto scaled = [](double nanos) {
    const ScaledTime t = ScaleNanos(nanos);
    return std::to_string(t.value).substr(0, 6) + " " + t.unit;
  };
  EXPECT_EQ(scaled(812.4), "812.40 ns");
  EXPECT_EQ(scaled(999.9), "999.90 ns");
  EXPECT_EQ(scaled(1000), "1.0000 \xC2\xB5s");
  EXPECT_EQ(scaled(999.97), "0.9999 \xC2\xB5s");  // 1.000 at 4 digits
  EXPECT_EQ(scaled(51'317'000), "51.317 ms");
  EXPECT_EQ(scaled(2.5e9), "2.5000 s");
  EXPECT_EQ(scaled(7200e9), "7200.0 s");  // no unit above seconds
  EXPECT_EQ(scaled(0), "0.0000 ns");
}

}  // namespace
}  // namespace perfledger::base
