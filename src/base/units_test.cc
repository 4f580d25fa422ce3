#include "base/units.h"

#include <gtest/gtest.h>

#include <limits>

namespace perfledger::base {
namespace {

constexpr const char* kMicro = "\xC2\xB5s";

TEST(FormatQuantityTest, TimesInTheUnitThatReadsBest) {
  EXPECT_EQ(FormatQuantity(812.4, "ns"), "812.4 ns");
  EXPECT_EQ(FormatQuantity(299400, "ns"), std::string("299.4 ") + kMicro);
  EXPECT_EQ(FormatQuantity(9.72e7, "ns"), "97.2 ms");  // issue 16: was 9.72e+07
  EXPECT_EQ(FormatQuantity(1.2024e6, "ns"), "1.202 ms");
  EXPECT_EQ(FormatQuantity(2.5, "s"), "2.5 s");
  EXPECT_EQ(FormatQuantity(0.0125, "s"), "12.5 ms");
  EXPECT_EQ(FormatQuantity(40, "us"), std::string("40 ") + kMicro);
  EXPECT_EQ(FormatQuantity(40, kMicro), std::string("40 ") + kMicro);
  EXPECT_EQ(FormatQuantity(1500, "ps"), "1.5 ns");
  EXPECT_EQ(FormatQuantity(2, "h"), "7200 s");       // no unit above seconds
  EXPECT_EQ(FormatQuantity(3e13, "ns"), "30000 s");  // never an exponent
  EXPECT_EQ(FormatQuantity(999.97, "us"), "1 ms");   // rounds up into the next unit
  EXPECT_EQ(FormatQuantity(0, "ns"), "0 ns");
  EXPECT_EQ(FormatQuantity(-1.5e6, "ns"), "-1.5 ms");
}

TEST(FormatQuantityTest, BytesByPowersOf1024) {
  EXPECT_EQ(FormatQuantity(512, "bytes"), "512 B");
  EXPECT_EQ(FormatQuantity(1536, "bytes"), "1.5 KiB");
  EXPECT_EQ(FormatQuantity(10485760, "bytes"), "10 MiB");
  EXPECT_EQ(FormatQuantity(1.5 * 1024 * 1024 * 1024, "B"), "1.5 GiB");
  EXPECT_EQ(FormatQuantity(1023.99, "bytes"), "1 KiB");
}

TEST(FormatQuantityTest, CountsWithDecimalPrefixes) {
  EXPECT_EQ(FormatQuantity(950, "count"), "950");
  EXPECT_EQ(FormatQuantity(5e6, "count"), "5M");
  EXPECT_EQ(FormatQuantity(6.25e6, "count"), "6.25M");
  EXPECT_EQ(FormatQuantity(91'020'000, "count"), "91.02M");
  EXPECT_EQ(FormatQuantity(1.5e9, ""), "1.5G");
  EXPECT_EQ(FormatQuantity(12345, "count"), "12.35k");
  EXPECT_EQ(FormatQuantity(0.25, "count"), "0.25");
}

TEST(FormatQuantityTest, OtherUnitsKeptAfterThePrefix) {
  EXPECT_EQ(FormatQuantity(12345, "MB/s"), "12.35k MB/s");
  EXPECT_EQ(FormatQuantity(1.5, "x"), "1.5 x");
  EXPECT_EQ(FormatQuantity(2.5e6, "iter/sec"), "2.5M iter/sec");
}

TEST(FormatQuantityTest, NoScientificNotationFromOneUp) {
  for (const char* unit : {"ns", "s", "bytes", "count", "MB/s"}) {
    for (double v = 1; v < 1e18; v *= 7.3) {
      const std::string s = FormatQuantity(v, unit);
      EXPECT_EQ(s.find('e'), std::string::npos) << v << " " << unit << ": " << s;
    }
  }
}

TEST(FormatQuantityTest, NotFinite) {
  EXPECT_EQ(FormatQuantity(std::numeric_limits<double>::quiet_NaN(), "ns"), "nan ns");
  EXPECT_EQ(FormatQuantity(std::numeric_limits<double>::infinity(), ""), "inf");
}

TEST(UnitKindTest, Kinds) {
  EXPECT_EQ(KindOfUnit("ms"), UnitKind::kTime);
  EXPECT_EQ(KindOfUnit("min"), UnitKind::kTime);
  EXPECT_EQ(KindOfUnit("bytes"), UnitKind::kBytes);
  EXPECT_EQ(KindOfUnit("count"), UnitKind::kCount);
  EXPECT_EQ(KindOfUnit(""), UnitKind::kCount);
  EXPECT_EQ(KindOfUnit("MB/s"), UnitKind::kOther);
}

}  // namespace
}  // namespace perfledger::base
