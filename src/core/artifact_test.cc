#include "core/artifact.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace perfledger::core {
namespace {

using nlohmann::json;

constexpr char kSha[] = "1111111111111111111111111111111111111111";
constexpr char kPrev[] = "2222222222222222222222222222222222222222";

json Example() {
  return json::parse(R"({
    "version": 2,
    "run_id": "0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3a",
    "project": "gruel",
    "commit": {"sha": "1111111111111111111111111111111111111111", "branch": "trunk",
               "time": "2026-11-22T10:04:00Z", "subject": "Speed up the parser"},
    "commit_range": {"from": "2222222222222222222222222222222222222222",
                     "to": "1111111111111111111111111111111111111111", "count": 7},
    "reason": "schedule",
    "reason_detail": "latest commit of window 10:00-10:15",
    "platform": "x86-64-linux",
    "suite": {"name": "compiler", "revision": 3},
    "environment": {"ci": true, "provider": "github-actions", "runner": "ubuntu-24.04",
                    "os": "linux", "kernel": "6.8.0", "arch": "x86_64",
                    "cpu": "AMD EPYC 7763", "cores": 4, "memory_bytes": 16777216000,
                    "fingerprint": "f00d"},
    "started_at": "2026-11-22T10:15:03Z",
    "finished_at": "2026-11-22T10:16:41Z",
    "benchmarks": [
      {"name": "compile/large", "error": "exit status 101", "metrics": {}},
      {"name": "compile/hello",
       "metrics": {"wall_time": {"unit": "ns", "samples": [1830211, 1829001, 1840533]},
                   "instructions": {"unit": "count", "samples": [5120331, 5120331, 5120331]},
                   "max_rss": {"unit": "bytes", "samples": [10485760, 10485760, 10489856]}}}
    ]
  })");
}

// Reads `doc` and returns the error message, or "" when it was accepted.
std::string Error(const json& doc) {
  auto r = ReadArtifact(doc.dump(), "a.json");
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput);
  return r.status().message();
}

TEST(ArtifactTest, ReadsTheDesignExample) {
  auto r = ReadArtifact(Example().dump(), "a.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->run_id, "0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3a");
  EXPECT_EQ(r->commit.sha, kSha);
  EXPECT_EQ(r->commit_range.from, std::optional<std::string>(kPrev));
  EXPECT_EQ(r->commit_range.count, 7);
  EXPECT_EQ(r->reason, Reason::kSchedule);
  EXPECT_EQ(r->environment.cores, 4);
  EXPECT_EQ(r->environment.fingerprint, "f00d");
  ASSERT_EQ(r->benchmarks.size(), 2u);
  // Sorted by name; metrics sorted by name.
  EXPECT_EQ(r->benchmarks[0].name, "compile/hello");
  EXPECT_EQ(r->benchmarks[0].metrics[0].name, "instructions");
  EXPECT_EQ(r->benchmarks[0].metrics[2].samples, (std::vector<double>{1830211, 1829001, 1840533}));
  EXPECT_EQ(r->benchmarks[1].error, std::optional<std::string>("exit status 101"));
  EXPECT_TRUE(r->partial());
  EXPECT_EQ(r->sample_count(), 9);
}

TEST(ArtifactTest, CanonicalFormIsAFixedPoint) {
  auto first = ReadArtifact(Example().dump(2), "a.json");
  ASSERT_TRUE(first.ok());
  std::string line = WriteArtifact(*first);
  auto second = ReadArtifact(line, "line");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(WriteArtifact(*second), line);
  EXPECT_EQ(ContentHash(*first), ContentHash(*second));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(ArtifactTest, IdentityIgnoresFormattingOrderAndUnknownFields) {
  json a = Example();
  json b = Example();
  std::swap(b["benchmarks"][0], b["benchmarks"][1]);
  b["extra_top_level"] = {1, 2};
  b["benchmarks"][0]["metrics"]["wall_time"]["note"] = "ignored";
  b["started_at"] = "2026-11-22T11:15:03+01:00";  // the same instant
  auto ra = ReadArtifact(a.dump(), "a");
  auto rb = ReadArtifact(b.dump(), "b");
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  EXPECT_EQ(ContentHash(*ra), ContentHash(*rb));
  b["benchmarks"][0]["metrics"]["wall_time"]["samples"][0] = 1830212;
  auto rc = ReadArtifact(b.dump(), "c");
  ASSERT_TRUE(rc.ok());
  EXPECT_NE(ContentHash(*ra), ContentHash(*rc));
}

TEST(ArtifactTest, UpgradesVersionOne) {
  json doc = Example();
  doc["version"] = 1;
  doc.erase("commit_range");
  doc.erase("reason");
  doc.erase("reason_detail");
  auto r = ReadArtifact(doc.dump(), "v1.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->reason, Reason::kBackfill);
  EXPECT_EQ(r->commit_range.to, kSha);
  EXPECT_EQ(r->commit_range.count, 1);
  EXPECT_FALSE(r->commit_range.from.has_value());
  EXPECT_NE(WriteArtifact(*r).find("\"version\":2"), std::string::npos);
}

TEST(ArtifactTest, ComputesAFingerprintWhenAbsent) {
  json doc = Example();
  doc["environment"].erase("fingerprint");
  auto a = ReadArtifact(doc.dump(), "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->environment.fingerprint.size(), 16u);
  doc["environment"]["cores"] = 8;
  auto b = ReadArtifact(doc.dump(), "b");
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->environment.fingerprint, b->environment.fingerprint);
}

TEST(ArtifactTest, KeepsUnknownEnvironmentFields) {
  json doc = Example();
  doc["environment"]["compiler"] = "gcc 12.2";
  doc["environment"]["labels"] = {"self-hosted", "quiet"};
  auto r = ReadArtifact(doc.dump(), "a");
  ASSERT_TRUE(r.ok());
  std::string line = WriteArtifact(*r);
  EXPECT_NE(line.find(R"("compiler":"gcc 12.2")"), std::string::npos);
  EXPECT_NE(line.find(R"("labels":["self-hosted","quiet"])"), std::string::npos);
}

TEST(ArtifactTest, AcceptsSummariesInsteadOfSamples) {
  json doc = Example();
  doc["benchmarks"][1]["metrics"]["wall_time"] = {
      {"unit", "ns"}, {"summary", {{"n", 100}, {"mean", 1.5e6}, {"stddev", 2e4}}}};
  auto r = ReadArtifact(doc.dump(), "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Metric& m = r->benchmarks[0].metrics[2];
  ASSERT_TRUE(m.summary.has_value());
  EXPECT_EQ(m.summary->n, 100);
  EXPECT_TRUE(m.samples.empty());
  auto again = ReadArtifact(WriteArtifact(*r), "line");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

TEST(ArtifactTest, DirectionDefaultsByMetricName) {
  json doc = Example();
  doc["benchmarks"][1]["metrics"]["throughput"] = {{"unit", "MB/s"}, {"samples", {10, 11}}};
  doc["benchmarks"][1]["metrics"]["custom"] = {
      {"unit", "x"}, {"samples", {-1, 2}}, {"direction", "higher"}};
  auto r = ReadArtifact(doc.dump(), "a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const auto& m : r->benchmarks[0].metrics) {
    if (m.name == "throughput" || m.name == "custom") {
      EXPECT_EQ(m.direction, Direction::kHigher) << m.name;
    } else {
      EXPECT_EQ(m.direction, Direction::kLower) << m.name;
    }
  }
}

// Each bad-input case of the issue: rejected with the pointer and what was expected.
struct BadCase {
  const char* name;
  std::function<void(json&)> mutate;
  const char* expected;  // the message, after "a.json: "
};

TEST(ArtifactTest, RejectsEachBadInputWithPointerAndExpectation) {
  const BadCase cases[] = {
      {"wrong version", [](json& d) { d["version"] = 3; },
       "/version: expected 2 (or 1, which is upgraded), got the number 3"},
      {"version as string", [](json& d) { d["version"] = "2"; },
       "/version: expected 2 (or 1, which is upgraded), got a string (\"2\")"},
      {"missing version", [](json& d) { d.erase("version"); },
       "/version: missing required field (expected 2)"},
      {"missing run_id", [](json& d) { d.erase("run_id"); },
       "/run_id: missing required field (expected a UUID)"},
      {"missing commit sha", [](json& d) { d["commit"].erase("sha"); },
       "/commit/sha: missing required field (expected 40 hexadecimal digits)"},
      {"missing environment", [](json& d) { d.erase("environment"); },
       "/environment: missing required field (expected an object describing the machine)"},
      {"missing reason", [](json& d) { d.erase("reason"); },
       "/reason: missing required field (expected one of push, schedule, manual, tagged, "
       "merge, bisect, backfill)"},
      {"short sha", [](json& d) { d["commit"]["sha"] = std::string(39, 'a'); },
       "/commit/sha: expected a commit sha of 40 hexadecimal digits, got a string "
       "(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\")"},
      {"negative time",
       [](json& d) { d["benchmarks"][1]["metrics"]["wall_time"]["samples"][1] = -5; },
       "/benchmarks/1/metrics/wall_time/samples/1: expected a non-negative time, got -5"},
      {"neither samples nor summary",
       [](json& d) { d["benchmarks"][1]["metrics"]["max_rss"].erase("samples"); },
       "/benchmarks/1/metrics/max_rss: expected \"samples\" (an array of numbers) or a "
       "\"summary\", got neither"},
      {"empty samples",
       [](json& d) { d["benchmarks"][1]["metrics"]["max_rss"]["samples"] = json::array(); },
       "/benchmarks/1/metrics/max_rss/samples: expected at least one sample, got an empty "
       "array"},
      {"duplicate benchmark", [](json& d) { d["benchmarks"][1]["name"] = "compile/large"; },
       "/benchmarks/1/name: duplicate benchmark name \"compile/large\" (also at index 0)"},
      {"string for a number",
       [](json& d) { d["benchmarks"][1]["metrics"]["wall_time"]["samples"][0] = "fast"; },
       "/benchmarks/1/metrics/wall_time/samples/0: expected a non-negative number, got a "
       "string (\"fast\")"},
      {"range not ending at commit", [](json& d) { d["commit_range"]["to"] = kPrev; },
       "/commit_range/to: expected the run's commit 1111111111111111111111111111111111111111 "
       "(the range ends at the run's commit), got "
       "\"2222222222222222222222222222222222222222\""},
      {"platform with a path", [](json& d) { d["platform"] = "../etc"; },
       "/platform: expected a platform label of letters, digits, '.', '_' and '-' such as "
       "\"x86-64-linux\", got a string (\"../etc\")"},
      {"bad time", [](json& d) { d["started_at"] = "yesterday"; },
       "/started_at: expected an RFC 3339 date-time such as \"2026-11-22T10:04:00Z\", got "
       "\"yesterday\""},
      {"root not an object", [](json& d) { d = json::array(); },
       "(document root): expected an object, got an array"},
  };
  for (const auto& c : cases) {
    json doc = Example();
    c.mutate(doc);
    EXPECT_EQ(Error(doc), std::string("a.json: ") + c.expected) << c.name;
  }
}

TEST(ArtifactTest, SyntaxErrorsGiveLineAndColumn) {
  auto r = ReadArtifact("{\n  \"version\": NaN\n}", "a.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "a.json:2:14: expected a finite number, got NaN (JSON has no NaN or Infinity)");
  auto word = ReadArtifact("{\"version\": 2,\n \"x\": nope}", "w.json");
  ASSERT_FALSE(word.ok());
  EXPECT_TRUE(word.status().message().starts_with("w.json:2:7: invalid JSON: unexpected \"nope\""))
      << word.status().message();
  auto t = ReadArtifact("{\"version\": 2, \"run_id\"", "t.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("truncated"), std::string::npos) << t.status().message();
  auto inf = ReadArtifact(R"({"version": 2, "x": [1, 1e999]})", "i.json");
  ASSERT_FALSE(inf.ok());
  EXPECT_EQ(inf.status().message(),
            "i.json:1:25: expected a finite number, got 1e999 (out of range)");
  EXPECT_FALSE(ReadArtifact("", "e.json").ok());
}

TEST(ArtifactTest, FileNameFollowsTheContract) {
  auto r = ReadArtifact(Example().dump(), "a.json");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ArtifactFileName(*r),
            "benchmark-results-1111111111111111111111111111111111111111-x86-64-linux.json");
}

}  // namespace
}  // namespace perfledger::core

namespace perfledger::core {
namespace {

// Regression: with a key twice, the first silently won (and another reader might take the
// second): the record depended on the reader.
TEST(ArtifactTest, DuplicateKeysAreAnErrorNamingThePointer) {
  std::string text = Example().dump();
  text.insert(text.size() - 1, R"(,"run_id":"0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3b")");
  auto r = ReadArtifact(text, "a.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "a.json: /run_id: duplicate key \"run_id\" in one object (which one counts would "
            "depend on the reader)");
  std::string nested = Example().dump();
  const size_t at = nested.find(R"("unit":"ns")");
  ASSERT_NE(at, std::string::npos);
  nested.insert(at, R"("unit":"ms",)");
  auto n = ReadArtifact(nested, "b.json");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("b.json: /benchmarks/1/metrics/wall_time/unit: duplicate"),
            std::string::npos)
      << n.status().message();
}

// Regression: an integer beyond 64 bits in a field perfledger ignores rejected the file with
// "invalid JSON: Problem while parsing a number" and no position.
TEST(ArtifactTest, AnOversizedIntegerIsNamedByLineAndColumn) {
  std::string text = Example().dump();
  text.insert(text.size() - 1, ",\n\"ignored\": 123456789012345678901234567890");
  auto r = ReadArtifact(text, "a.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a.json:2:12: a whole number too large to read exactly "
                                      "(123456789012..., 30 digits)"),
            std::string::npos)
      << r.status().message();
  // At the edges of 64 bits: what simdjson holds is read.
  for (const char* fits : {"18446744073709551615", "-9223372036854775808", "1e30"}) {
    std::string ok = Example().dump();
    ok.insert(ok.size() - 1, std::string(",\"ignored\": ") + fits);
    EXPECT_TRUE(ReadArtifact(ok, "ok.json").ok()) << fits;
  }
  for (const char* beyond : {"18446744073709551616", "-9223372036854775809"}) {
    std::string bad = Example().dump();
    bad.insert(bad.size() - 1, std::string(",\"ignored\": ") + beyond);
    auto b = ReadArtifact(bad, "b.json");
    ASSERT_FALSE(b.ok()) << beyond;
    EXPECT_NE(b.status().message().find("too large to read exactly"), std::string::npos)
        << b.status().message();
  }
}

TEST(ArtifactTest, ALoneSurrogateIsSaidToBeOne) {
  std::string text = Example().dump();
  const size_t at = text.find("\"gruel\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 1, "\\ud800x");
  auto r = ReadArtifact(text, "a.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a lone UTF-16 surrogate \\ud800"), std::string::npos)
      << r.status().message();
}

// Regression: a 10 MB benchmark name was accepted, and afterwards every ingest of a normal
// artifact into that store took 10.9 s instead of 0.02 s. Limits (core/limits.h) refuse it
// with the pointer.
TEST(ArtifactTest, OversizedNamesAndCountsAreRefusedWithThePointer) {
  struct Case {
    std::string name;
    std::function<void(json&)> mutate;
    std::string expected;
  };
  const Case cases[] = {
      {"long benchmark name",
       [](json& d) { d["benchmarks"][1]["name"] = std::string(10 << 20, 'x'); },
       "/benchmarks/1/name: expected a string of at most 65536 bytes"},
      {"long-ish benchmark name",
       [](json& d) { d["benchmarks"][1]["name"] = std::string(1025, 'x'); },
       "/benchmarks/1/name: expected at most 1024 bytes, got a string of 1025 bytes"},
      {"long unit",
       [](json& d) { d["benchmarks"][1]["metrics"]["wall_time"]["unit"] = std::string(33, 'n'); },
       "/benchmarks/1/metrics/wall_time/unit: expected at most 32 bytes"},
      {"long subject", [](json& d) { d["commit"]["subject"] = std::string(20000, 's'); },
       "/commit/subject: expected at most 16384 bytes"},
      {"long project", [](json& d) { d["project"] = std::string(2000, 'p'); },
       "/project: expected at most 1024 bytes"},
      {"too many samples",
       [](json& d) {
         d["benchmarks"][1]["metrics"]["wall_time"]["samples"] = std::vector<int>(1'000'001, 1);
       },
       "/benchmarks/1/metrics/wall_time/samples: expected at most 1000000"},
      {"too many metrics",
       [](json& d) {
         for (int i = 0; i < 70; ++i) {
           d["benchmarks"][1]["metrics"]["m" + std::to_string(i)] = {{"unit", "count"},
                                                                     {"samples", {1}}};
         }
       },
       "/benchmarks/1/metrics: expected at most 64 metrics"},
      {"long environment field", [](json& d) { d["environment"]["cpu"] = std::string(70000, 'c'); },
       "/environment/cpu: expected"},
      {"deep nesting",
       [](json& d) {
         json deep = 1;
         for (int i = 0; i < 100; ++i) deep = json::array({deep});
         d["environment"]["labels"] = deep;
       },
       "expected at most 64 levels of nesting"},
  };
  for (const auto& c : cases) {
    json doc = Example();
    c.mutate(doc);
    const std::string error = Error(doc);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.name << ": " << error.substr(0, 300);
    EXPECT_LT(error.size(), 400u) << c.name;  // the message quotes, never echoes, the input
  }
}

// Results made in memory (the adapters) are checked against what the reader requires; each
// refusal is also the reader's, so a run whose benchmarks pass writes a readable artifact.
TEST(ArtifactTest, ValidateBenchmarksRefusesWhatTheReaderRefuses) {
  auto benchmark = [] {
    BenchmarkResult b;
    b.name = "compile/hello";
    b.metrics.push_back({"wall_time", "ns", Direction::kLower, {1830211, 1829001}, {}});
    Summary s;
    s.n = 10;
    s.mean = 5;
    s.stddev = 1;
    b.metrics.push_back({"widgets", "count", Direction::kLower, {}, s});
    return b;
  };
  auto read_back = [](const std::vector<BenchmarkResult>& benchmarks) {
    auto run = ReadArtifact(Example().dump(), "a.json");
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    run->benchmarks = benchmarks;
    return ReadArtifact(WriteArtifact(*run), "b.json").ok();
  };
  EXPECT_TRUE(ValidateBenchmarks(std::vector{benchmark()}).ok());
  EXPECT_TRUE(read_back({benchmark()}));
  struct Case {
    std::string name;
    std::function<void(std::vector<BenchmarkResult>&)> mutate;
    std::string expected;
  };
  const Case cases[] = {
      {"empty name", [](auto& v) { v[0].name = ""; }, "benchmark \"\": the name is empty"},
      {"long name", [](auto& v) { v[0].name = std::string(1025, 'x'); },
       "is 1025 bytes long, more than the limit of 1024"},
      {"not UTF-8", [](auto& v) { v[0].name = "caf\xe9"; },
       // Messages show a byte that is not UTF-8 as U+FFFD, as JsonWriter writes it.
       "benchmark \"caf\xef\xbf\xbd\": the name \"caf\xef\xbf\xbd\" is not valid UTF-8"},
      {"long unit", [](auto& v) { v[0].metrics[0].unit = std::string(33, 'n'); },
       "benchmark \"compile/hello\": metric \"wall_time\": the unit "
       "\"nnnnnnnnnnnnnnnnnnnnnnnn\"... "
       "is 33 bytes long, more than the limit of 32"},
      {"empty unit", [](auto& v) { v[0].metrics[1].unit = ""; },
       "metric \"widgets\": the unit is empty"},
      {"negative time", [](auto& v) { v[0].metrics[0].samples[1] = -1; },
       "metric \"wall_time\": sample 2 is a negative time (-1)"},
      {"infinity", [](auto& v) { v[0].metrics[1].summary->mean = HUGE_VAL; },
       "metric \"widgets\": the summary's mean is not a finite number"},
      {"n zero", [](auto& v) { v[0].metrics[1].summary->n = 0; },
       "metric \"widgets\": the summary's n is 0, not positive"},
      {"nothing measured", [](auto& v) { v[0].metrics[1].summary.reset(); },
       "metric \"widgets\": has neither samples nor a summary"},
      {"no metric", [](auto& v) { v[0].metrics.clear(); }, "has no metric and no error"},
      {"twice", [](auto& v) { v.push_back(v[0]); }, "benchmark \"compile/hello\" appears twice"},
  };
  for (const auto& c : cases) {
    std::vector<BenchmarkResult> v = {benchmark()};
    c.mutate(v);
    const base::Status s = ValidateBenchmarks(v);
    EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput) << c.name;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << c.name << ": " << s.message();
    // The writer replaces bytes that are not UTF-8 (U+FFFD), so that artifact reads back.
    if (c.name != "not UTF-8") {
      EXPECT_FALSE(read_back(v)) << c.name;
    }
  }
}

}  // namespace
}  // namespace perfledger::core
