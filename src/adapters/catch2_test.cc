#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/adapters.h"
#include "base/strings.h"

namespace perfledger::adapters {
namespace {

using core::BenchmarkResult;
using core::Direction;
using core::Metric;
using core::Summary;

std::string Fixture(const std::string& name) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  const std::string path = std::string(root ? root : ".") + "/tests/data/harness/catch2/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Parses a fixture with its file name as the source.
Parsed ParseFixture(const std::string& name) { return ParseCatch2(Fixture(name), name); }

std::vector<std::string> Names(const std::vector<BenchmarkResult>& results) {
  std::vector<std::string> names;
  for (const auto& b : results) names.push_back(b.name);
  return names;
}

// A summary as text, for comparisons whose failures are readable; every number is printed
// exactly (FormatNumber round-trips).
std::string Show(const Summary& s) {
  auto opt = [](const std::optional<double>& v) {
    return v ? base::FormatNumber(*v) : std::string("-");
  };
  return "n=" + std::to_string(s.n) + " mean=" + base::FormatNumber(s.mean) +
         " stddev=" + opt(s.stddev) + " median=" + opt(s.median) + " min=" + opt(s.min) +
         " max=" + opt(s.max) + " lower=" + opt(s.lower) + " upper=" + opt(s.upper);
}

std::string ErrorOf(const Parsed& parsed) {
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), base::StatusCode::kInvalidInput);
  return parsed.status().message();
}

// The one metric of a benchmark with results: wall_time in ns as a summary.
const Summary& WallTime(const BenchmarkResult& b) {
  static const Summary kNone;
  EXPECT_FALSE(b.error) << b.name << ": " << *b.error;
  EXPECT_EQ(b.metrics.size(), 1u) << b.name;
  if (b.metrics.size() != 1 || !b.metrics[0].summary) return kNone;
  const Metric& m = b.metrics[0];
  EXPECT_EQ(m.name, "wall_time");
  EXPECT_EQ(m.unit, "ns");
  EXPECT_EQ(m.direction, Direction::kLower);
  EXPECT_TRUE(m.samples.empty()) << "Catch2 reports no raw samples; none may be invented";
  return *m.summary;
}

// What tests/harness/catch2_sample.cc reports with --benchmark-samples 10.
void CheckSampleProgram(const std::vector<BenchmarkResult>& results) {
  ASSERT_EQ(Names(results),
            (std::vector<std::string>{"vector sum/sum 64", "vector sum/copy", "string/build/copy",
                                      "string/build/append", "broken/throws"}));
  for (size_t i = 0; i < 4; ++i) {
    const Summary& s = WallTime(results[i]);
    EXPECT_EQ(s.n, 10) << results[i].name;
    EXPECT_GT(s.mean, 0) << results[i].name;
    ASSERT_TRUE(s.stddev && s.lower && s.upper) << results[i].name;
    EXPECT_LE(*s.lower, s.mean) << results[i].name;
    EXPECT_GE(*s.upper, s.mean) << results[i].name;
    EXPECT_GE(*s.stddev, 0) << results[i].name;
    EXPECT_FALSE(s.median || s.min || s.max) << "Catch2 reports none of these";
  }
  EXPECT_EQ(results[4].error, "no input");
  EXPECT_TRUE(results[4].metrics.empty());
}

#ifdef CATCH2_SAMPLE
std::string RunHarness(const std::string& command, int* exit_status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(Catch2Test, RealHarnessOutput) {
  // Fewer resamples and a short warm-up keep the run near one second; Catch2 still spends
  // about half a second estimating the clock.
  int exit_status = -1;
  const std::string xml = RunHarness(std::string("'") + CATCH2_SAMPLE +
                                         "' -r xml --benchmark-samples 10 --benchmark-resamples "
                                         "1000 --benchmark-warmup-time 10",
                                     &exit_status);
  ASSERT_EQ(exit_status, 0) << xml;
  ASSERT_TRUE(LooksLikeCatch2(xml));
  const Parsed parsed = ParseCatch2(xml, "catch2_sample");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  CheckSampleProgram(*parsed);
}
#endif

TEST(Catch2Test, CommittedRealOutputOfVersion2) {
  const Parsed parsed = ParseFixture("catch2_sample_2.13.xml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  CheckSampleProgram(*parsed);
}

TEST(Catch2Test, NoAnalysisKeepsOnlyCountAndMean) {
  // --benchmark-no-analysis writes ci="0", the mean as its own bounds and a deviation of 0.
  const Parsed parsed = ParseFixture("catch2_sample_2.13_no_analysis.xml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(Names(*parsed), (std::vector<std::string>{"vector sum/sum 64", "vector sum/copy"}));
  Summary expected;
  expected.n = 10;
  expected.mean = 68.4666;
  EXPECT_EQ(Show(WallTime((*parsed)[0])), Show(expected));
}

TEST(Catch2Test, Version3WithSectionsAndFailures) {
  const Parsed parsed = ParseFixture("catch2_v3.xml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(Names(*parsed), (std::vector<std::string>{"decode/frame 4k", "decode/frame 4k, checked",
                                                      "encode/frame 4k", "encode/frame 64k",
                                                      "startup/cold start"}));
  Summary expected;
  expected.n = 100;
  expected.mean = 67412.3;
  expected.stddev = 2741.05;
  expected.lower = 66987.1;
  expected.upper = 68120.9;
  EXPECT_EQ(Show(WallTime((*parsed)[0])), Show(expected));
  EXPECT_EQ(WallTime((*parsed)[1]).mean, 71033.9);
  // The test case failed after this benchmark finished: its results stand.
  EXPECT_EQ(WallTime((*parsed)[2]).mean, 44501.6);
  EXPECT_EQ((*parsed)[3].error, "std::bad_alloc");
  EXPECT_TRUE((*parsed)[3].metrics.empty());
  // No results and a failed test case: a structured failure with the test case's message.
  EXPECT_EQ((*parsed)[4].error, "test case failed: SIGSEGV - Segmentation violation signal");
  EXPECT_TRUE((*parsed)[4].metrics.empty());
}

TEST(Catch2Test, DuplicateNamesWithinATestCaseAreAnError) {
  EXPECT_EQ(ErrorOf(ParseFixture("duplicate_names.xml")),
            "duplicate_names.xml:13: "
            "/Catch2TestRun/TestCase[@name='parse']/Section[@name='large']/"
            "BenchmarkResults[@name='run']: duplicate benchmark name \"parse/run\" (first at "
            "line 5); give the BENCHMARKs of one test case distinct names");
}

TEST(Catch2Test, StringWhereANumberMustBeNamesElementAndLine) {
  EXPECT_EQ(ErrorOf(ParseFixture("bad_number.xml")),
            "bad_number.xml:22: "
            "/Catch/Group/TestCase[@name='string/build']/BenchmarkResults[@name='copy']/mean: "
            "attribute \"value\": expected a finite number, got \"fast\"");
}

TEST(Catch2Test, TruncatedXml) {
  EXPECT_EQ(ErrorOf(ParseFixture("truncated.xml")),
            "truncated.xml:20:92: invalid XML: Error parsing element attribute at the end of the "
            "input (is the file truncated?)");
}

TEST(Catch2Test, BrokenXml) {
  EXPECT_EQ(ErrorOf(ParseFixture("broken.xml")),
            "broken.xml:10:9: invalid XML: Start-end tags mismatch");
}

TEST(Catch2Test, NoBenchmarksIsAnError) {
  EXPECT_EQ(ErrorOf(ParseFixture("no_benchmarks.xml")),
            "no_benchmarks.xml: no benchmark results (no <BenchmarkResults> element; Catch2 v2 "
            "runs BENCHMARKs only with CATCH_CONFIG_ENABLE_BENCHMARKING)");
  EXPECT_EQ(ErrorOf(ParseCatch2("", "out.xml")),
            "out.xml: no benchmark results (the input is empty)");
}

TEST(Catch2Test, OtherXmlIsAnError) {
  EXPECT_EQ(ErrorOf(ParseCatch2("<?xml version=\"1.0\"?>\n<testsuites>\n</testsuites>\n", "j.xml")),
            "j.xml:2: /testsuites: expected a Catch2 XML report (root element <Catch> or "
            "<Catch2TestRun>, written by -r xml)");
}

TEST(Catch2Test, BenchmarkErrorsNameElementAndLine) {
  auto parse = [](const std::string& bench) {
    return ErrorOf(ParseCatch2("<Catch name=\"t\">\n<Group name=\"t\">\n<TestCase name=\"tc\">\n" +
                                   bench +
                                   "\n<OverallResult success=\"true\"/>\n</TestCase>\n</Group>\n"
                                   "</Catch>\n",
                               "t.xml"));
  };
  EXPECT_EQ(parse("<BenchmarkResults name=\"b\" samples=\"3\"></BenchmarkResults>"),
            "t.xml:4: /Catch/Group/TestCase[@name='tc']/BenchmarkResults[@name='b']: missing "
            "<mean> (expected the benchmark's mean time in ns)");
  EXPECT_EQ(parse("<BenchmarkResults samples=\"3\"><mean value=\"1\"/></BenchmarkResults>"),
            "t.xml:4: /Catch/Group/TestCase[@name='tc']/BenchmarkResults: missing attribute "
            "\"name\" (the benchmark's name)");
  EXPECT_EQ(parse("<BenchmarkResults name=\"b\" samples=\"0\"><mean value=\"1\"/>"
                  "</BenchmarkResults>"),
            "t.xml:4: /Catch/Group/TestCase[@name='tc']/BenchmarkResults[@name='b']: attribute "
            "\"samples\": expected a positive integer, got \"0\"");
  EXPECT_EQ(parse("<BenchmarkResults name=\"b\"><mean value=\"1\"/></BenchmarkResults>"),
            "t.xml:4: /Catch/Group/TestCase[@name='tc']/BenchmarkResults[@name='b']: missing "
            "attribute \"samples\" (a positive integer)");
  EXPECT_EQ(parse("<BenchmarkResults name=\"b\" samples=\"3\">\n<mean value=\"-2\"/>"
                  "</BenchmarkResults>"),
            "t.xml:5: /Catch/Group/TestCase[@name='tc']/BenchmarkResults[@name='b']/mean: "
            "attribute \"value\": expected a non-negative time, got \"-2\"");
  EXPECT_EQ(parse("<BenchmarkResults name=\"b\" samples=\"3\">\n<mean value=\"nan\"/>"
                  "</BenchmarkResults>"),
            "t.xml:5: /Catch/Group/TestCase[@name='tc']/BenchmarkResults[@name='b']/mean: "
            "attribute \"value\": expected a finite number, got \"nan\"");
}

TEST(Catch2Test, LooksLike) {
  EXPECT_TRUE(LooksLikeCatch2(Fixture("catch2_sample_2.13.xml")));
  EXPECT_TRUE(LooksLikeCatch2(Fixture("catch2_v3.xml")));
  EXPECT_TRUE(LooksLikeCatch2(Fixture("truncated.xml")));
  EXPECT_TRUE(LooksLikeCatch2("\xEF\xBB\xBF<!-- report -->\n<Catch2TestRun name=\"x\">"));
  EXPECT_FALSE(LooksLikeCatch2(""));
  EXPECT_FALSE(LooksLikeCatch2("<?xml version=\"1.0\"?>\n<testsuites name=\"x\"/>"));
  EXPECT_FALSE(LooksLikeCatch2("<CatchAll/>"));
  EXPECT_FALSE(LooksLikeCatch2("{\"context\": {}, \"benchmarks\": []}"));
}

}  // namespace
}  // namespace perfledger::adapters
