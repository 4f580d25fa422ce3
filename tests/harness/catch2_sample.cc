// A tiny Catch2 v2 program whose XML report (-r xml) the catch2 adapter is tested on
// (src/adapters/catch2_test.cc runs it). Two test cases each hold a benchmark called "copy",
// so the adapter's "test case/benchmark" names are what keeps them apart; a third has a
// benchmark that throws, which Catch2 2.13 reports as <failed message=...> (the test case
// still passes).
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

TEST_CASE("vector sum", "[bench]") {
  std::vector<int> values(64, 3);
  REQUIRE(std::accumulate(values.begin(), values.end(), 0) == 192);
  BENCHMARK("sum 64") { return std::accumulate(values.begin(), values.end(), 0); };
  BENCHMARK("copy") { return std::vector<int>(values); };
}

TEST_CASE("string/build", "[bench]") {
  BENCHMARK("copy") { return std::string(64, 'x'); };
  BENCHMARK("append") {
    std::string s;
    for (int i = 0; i < 16; ++i) s += 'y';
    return s;
  };
}

TEST_CASE("broken", "[bench]") {
  BENCHMARK("throws") {
    throw std::runtime_error("no input");
    return 0;
  };
}
