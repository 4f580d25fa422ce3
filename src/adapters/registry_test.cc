// The adapter table, lookup by name, and --adapter auto over every committed real output.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "adapters/adapters.h"

namespace perfledger::adapters {
namespace {

std::string Fixture(const std::string& path) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/tests/data/harness/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << path;
  return ss.str();
}

TEST(Registry, EveryAdapterIsListedOnceAndFoundByName) {
  std::vector<std::string> names;
  for (const Adapter& a : All()) names.push_back(std::string(a.name));
  EXPECT_EQ(names,
            (std::vector<std::string>{"google-benchmark", "catch2", "hyperfine", "pytest-benchmark",
                                      "go", "libtest", "criterion", "jmh", "benchmarkdotnet"}));
  for (const Adapter& a : All()) {
    auto found = Find(a.name);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(*found, &a);
  }
}

TEST(Registry, UnknownAdapterListsTheKnownOnes) {
  auto a = Find("nunit");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(a.status().message(),
            "unknown adapter 'nunit' (known: google-benchmark, catch2, hyperfine, "
            "pytest-benchmark, go, libtest, criterion, jmh, benchmarkdotnet, auto)");
}

TEST(Registry, DetectsEveryRealOutput) {
  const std::pair<const char*, const char*> cases[] = {
      {"google-benchmark/gbench_sample_1.7.1.json", "google-benchmark"},
      {"google-benchmark/old_format_v1.4.json", "google-benchmark"},
      {"catch2/catch2_sample_2.13.xml", "catch2"},
      {"catch2/catch2_v3.xml", "catch2"},
      {"hyperfine/sleep_true.json", "hyperfine"},
      {"hyperfine/parameter_scan.json", "hyperfine"},
      {"pytest-benchmark/with_data.json", "pytest-benchmark"},
      {"pytest-benchmark/saved_without_data.json", "pytest-benchmark"},
      {"go/sample.txt", "go"},
      {"go/sample_verbose.txt", "go"},
      {"libtest/cargo_bench.txt", "libtest"},
      {"criterion/bencher.txt", "criterion"},
      {"jmh/results.json", "jmh"},
      {"benchmarkdotnet/Example.Benchmarks-report-full.json", "benchmarkdotnet"},
  };
  for (const auto& [path, expected] : cases) {
    const std::string text = Fixture(path);
    auto a = Detect(text, path);
    ASSERT_TRUE(a.ok()) << path << ": " << a.status().message();
    EXPECT_EQ((*a)->name, expected) << path;
    auto parsed = (*a)->parse(text, path);
    EXPECT_TRUE(parsed.ok()) << path << ": " << parsed.status().message();
  }
}

TEST(Registry, UnknownOrAmbiguousInputSaysWhatItLookedLike) {
  auto a = Detect("hello, world\nthis is not benchmark output\n", "notes.txt");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message(),
            "notes.txt: not a format any adapter knows (it starts with \"hello, world this is "
            "not benchmark outpu...\"); name one with --adapter (google-benchmark, catch2, "
            "hyperfine, "
            "pytest-benchmark, go, libtest, criterion, jmh, benchmarkdotnet)");
  EXPECT_FALSE(Detect("", "empty.txt").ok());
  // Bare bench lines are both libtest's and criterion's format.
  a = Detect("test parse ... bench:       1,234 ns/iter (+/- 56)\n", "bench.txt");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message(),
            "bench.txt: the format is ambiguous: it looks like libtest, criterion; name one "
            "with --adapter");
}

}  // namespace
}  // namespace perfledger::adapters
