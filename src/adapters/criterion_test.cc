#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "adapters/adapters.h"

namespace perfledger::adapters {
namespace {

std::string Fixture(const std::string& path) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/tests/data/harness/" + path,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path << " (set PERFLEDGER_SOURCE_DIR)";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

core::BenchmarkResult Bench(std::string name, double median, double stddev,
                            std::string metric = "wall_time", std::string unit = "ns") {
  core::Metric m;
  m.name = std::move(metric);
  m.unit = std::move(unit);
  m.direction = core::Direction::kLower;
  core::Summary s;
  s.n = 1;
  s.mean = median;
  s.median = median;
  s.stddev = stddev;
  m.summary = s;
  core::BenchmarkResult b;
  b.name = std::move(name);
  b.metrics.push_back(std::move(m));
  return b;
}

TEST(Criterion, ParsesBencherFormatWithGroupsSpacesAndWarnings) {
  auto parsed = ParseCriterion(Fixture("criterion/bencher.txt"), "criterion.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const std::vector<core::BenchmarkResult> expected = {
      Bench("parse/small input", 329, 4),    Bench("parse/large input", 1672496, 10166),
      Bench("tokenize/utf8/1024", 3268, 47), Bench("tokenize/utf8/65536", 212314, 1123),
      Bench("end to end", 12345678, 234567),
  };
  EXPECT_EQ(*parsed, expected);
}

TEST(Criterion, CustomMeasurementUnitIsItsOwnMetric) {
  auto parsed = ParseCriterion("test cmov ... bench:        2835 cycles/iter (+/- 14)\n", "c.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const std::vector<core::BenchmarkResult> expected = {Bench("cmov", 2835, 14, "cycles", "cycles")};
  EXPECT_EQ(*parsed, expected);
}

TEST(Criterion, StderrWarningBetweenIdAndEstimate) {
  // stdout and stderr captured together: criterion printed "test <id> ... " (stdout), then a
  // warning (stderr), then "bench: ..." (stdout).
  auto parsed = ParseCriterion(
      "test big/case ... Warning: Unable to complete 100 samples in 5.0s. You may wish to "
      "increase target time to 9.1s, or reduce sample count to 50.\n"
      "bench:   1,234,567 ns/iter (+/- 8,910)\n",
      "c.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const std::vector<core::BenchmarkResult> expected = {Bench("big/case", 1234567, 8910)};
  EXPECT_EQ(*parsed, expected);
}

TEST(Criterion, NoBenchmarksIsAnError) {
  for (const char* text : {"", "Gnuplot not found, using plotters backend\n"}) {
    auto parsed = ParseCriterion(text, "c.txt");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
    EXPECT_EQ(parsed.status().message(),
              "c.txt: no benchmark results (expected lines like \"test group/name ... bench: "
              "123,456 ns/iter (+/- 789)\" from criterion's --output-format bencher)");
  }
}

TEST(Criterion, MalformedEstimateNamesTheLine) {
  auto parsed = ParseCriterion(
      "Gnuplot not found, using plotters backend\ntest a/b ... bench: 12 ns/iter (+/- oops)\n",
      "c.txt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(parsed.status().message(),
            "c.txt:2: expected \"bench: <number> <unit>/iter (+/- <number>)\", got \"bench: 12 "
            "ns/iter (+/- oops)\"");
}

TEST(Criterion, LooksLikeItsOwnFixtureOnly) {
  EXPECT_TRUE(LooksLikeCriterion(Fixture("criterion/bencher.txt")));
  EXPECT_FALSE(LooksLikeCriterion(Fixture("libtest/cargo_bench.txt")));
  EXPECT_FALSE(LooksLikeCriterion(Fixture("libtest/cargo_bench_before_1_77.txt")));
  EXPECT_FALSE(LooksLikeCriterion(Fixture("jmh/results.json")));
  EXPECT_FALSE(LooksLikeCriterion(Fixture("benchmarkdotnet/Example.Benchmarks-report-full.json")));
  EXPECT_FALSE(LooksLikeCriterion(""));
}

TEST(Criterion, BenchLinesAfterAnEmptyLibtestTargetAreCriterion) {
  // `cargo bench` runs the library's libtest harness first ("running 0 tests"); criterion's
  // harness = false binary prints no "running" line.
  const char* text =
      "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 "
      "filtered out\n\ntest fib_20 ... bench:      18,794 ns/iter (+/- 440)\n";
  EXPECT_TRUE(LooksLikeCriterion(text));
  EXPECT_FALSE(LooksLikeLibtest(text));
}

}  // namespace
}  // namespace perfledger::adapters
