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

core::Metric Summary(std::string name, std::string unit, double value) {
  core::Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.direction = core::DefaultDirection(m.name);
  core::Summary s;
  s.n = 50;
  s.mean = value;
  s.median = value;
  m.summary = s;
  return m;
}

core::BenchmarkResult Bench(std::string name, std::vector<core::Metric> metrics) {
  core::BenchmarkResult b;
  b.name = std::move(name);
  b.metrics = std::move(metrics);
  return b;
}

TEST(Libtest, ParsesCargoBenchWithFractionsThroughputIgnoredAndFailed) {
  auto parsed = ParseLibtest(Fixture("libtest/cargo_bench.txt"), "bench.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  core::BenchmarkResult failed;
  failed.name = "parse::broken";
  failed.error =
      "FAILED: panicked at benches/parse.rs:48:9: assertion `left == right` failed: unexpected "
      "token count left: 3 right: 4";
  const std::vector<core::BenchmarkResult> expected = {
      Bench("lexer::tokenize_small", {Summary("wall_time", "ns", 148.70)}),
      Bench("lexer::tokenize_large",
            {Summary("throughput", "MB/s", 532), Summary("wall_time", "ns", 18794.12)}),
      Bench("parse::document", {Summary("wall_time", "ns", 1234567.89)}),
      failed,
      Bench("parse::empty_input", {Summary("wall_time", "ns", 0.25)}),
  };
  EXPECT_EQ(*parsed, expected);
  EXPECT_EQ((*parsed)[1].metrics[0].direction, core::Direction::kHigher);
  EXPECT_EQ((*parsed)[1].metrics[1].direction, core::Direction::kLower);
}

TEST(Libtest, ParsesIntegerFormatOfRustBefore177) {
  auto parsed = ParseLibtest(Fixture("libtest/cargo_bench_before_1_77.txt"), "old.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const std::vector<core::BenchmarkResult> expected = {
      Bench("bench_fib_10", {Summary("wall_time", "ns", 148)}),
      Bench("bench_fib_20", {Summary("wall_time", "ns", 18794)}),
      Bench("hash::sip_1k",
            {Summary("throughput", "MB/s", 1002), Summary("wall_time", "ns", 1021)}),
  };
  EXPECT_EQ(*parsed, expected);
}

TEST(Libtest, FailedWithoutCapturedOutputSaysFailed) {
  auto parsed = ParseLibtest(
      "running 1 test\ntest bench_x ... FAILED\n\ntest result: FAILED. 0 passed; 1 failed\n",
      "b.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].error, "FAILED");
  EXPECT_TRUE((*parsed)[0].metrics.empty());
}

TEST(Libtest, NoBenchmarksIsAnError) {
  const std::string message =
      "b.txt: no benchmark results (expected lines like \"test name ... bench: 1,234 ns/iter "
      "(+/- 56)\" from cargo bench)";
  for (const char* text :
       {"",
        "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 "
        "filtered out\n",
        "running 1 test\ntest tests::it_works ... ignored\ntest tests::other ... ok\n"}) {
    auto parsed = ParseLibtest(text, "b.txt");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
    EXPECT_EQ(parsed.status().message(), message);
  }
}

TEST(Libtest, MalformedBenchLineNamesTheLine) {
  auto parsed = ParseLibtest(
      "running 2 tests\ntest a ... bench:  12 ns/iter (+/- 1)\ntest b ... bench: fast\n", "b.txt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(parsed.status().message(),
            "b.txt:3: expected \"bench: <number> ns/iter (+/- <number>)\" after the benchmark "
            "name, got \"bench: fast\"");
}

TEST(Libtest, DuplicateNameIsAnError) {
  auto parsed = ParseLibtest(
      "test a ... bench: 12 ns/iter (+/- 1)\ntest a ... bench: 13 ns/iter (+/- 1)\n", "b.txt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "b.txt:2: benchmark \"a\" was already reported on line 1 (output of several bench "
            "binaries in one input? pass each binary's output separately)");
}

TEST(Libtest, LooksLikeItsOwnFixturesOnly) {
  EXPECT_TRUE(LooksLikeLibtest(Fixture("libtest/cargo_bench.txt")));
  EXPECT_TRUE(LooksLikeLibtest(Fixture("libtest/cargo_bench_before_1_77.txt")));
  EXPECT_FALSE(LooksLikeLibtest(Fixture("criterion/bencher.txt")));
  EXPECT_FALSE(LooksLikeLibtest(Fixture("jmh/results.json")));
  EXPECT_FALSE(LooksLikeLibtest(Fixture("benchmarkdotnet/Example.Benchmarks-report-full.json")));
  EXPECT_FALSE(LooksLikeLibtest(""));
  EXPECT_FALSE(LooksLikeLibtest("running 0 tests\n\ntest result: ok. 0 passed\n"));
}

TEST(Libtest, BareBenchLinesLookLikeBothLibtestAndCriterion) {
  // Without "running N tests" blocks or criterion's own lines the formats are the same; auto
  // detection reports the ambiguity and the user names the adapter.
  const char* bare = "test a ... bench:         12 ns/iter (+/- 1)\n";
  EXPECT_TRUE(LooksLikeLibtest(bare));
  EXPECT_TRUE(LooksLikeCriterion(bare));
}

}  // namespace
}  // namespace perfledger::adapters
