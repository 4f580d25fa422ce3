// The history importers on the real files under tests/data/imports/ (their SOURCE.md says where
// each came from) and on the bad inputs a user can give them.
#include "adapters/history_import.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace perfledger::adapters {
namespace {

std::string Fixture(const std::string& path) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/tests/data/imports/" + path,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path << " (set PERFLEDGER_SOURCE_DIR)";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const core::BenchmarkResult* Find(const ImportedRun& run, const std::string& name) {
  for (const auto& b : run.benchmarks) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

TEST(GithubActionBenchmarkImport, CargoKeepsCommitsTimesUnitsAndTheRangeVerbatim) {
  auto runs = ParseGithubActionBenchmark(Fixture("github-action-benchmark/hyper-cargo.data.js"),
                                         "hyper.data.js");
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 3u);
  const ImportedRun& first = runs->front();
  EXPECT_EQ(first.commit, "0fd7d3c3635fa5a6d2d9e9e9471ae43ca3f09cad");
  EXPECT_EQ(first.project, "hyperium/hyper");
  EXPECT_EQ(first.subject, "fixup benchmark output.txt");
  // "2020-11-16T14:31:59-08:00"
  EXPECT_EQ(base::FormatRfc3339(*first.commit_time), "2020-11-16T22:31:59Z");
  EXPECT_EQ(first.started_at.unix_nanos, int64_t{1605566086676} * 1'000'000);
  ASSERT_EQ(first.benchmarks.size(), 1u);
  const core::BenchmarkResult& b = first.benchmarks[0];
  EXPECT_EQ(b.name, "connect/http_connector");
  ASSERT_EQ(b.metrics.size(), 1u);
  EXPECT_EQ(b.metrics[0].name, "wall_time");
  EXPECT_EQ(b.metrics[0].unit, "ns");
  EXPECT_EQ(b.metrics[0].direction, core::Direction::kLower);
  ASSERT_TRUE(b.metrics[0].summary);
  EXPECT_EQ(b.metrics[0].summary->mean, 39056);
  EXPECT_EQ(b.metrics[0].summary->n, 1);
  // libtest's "± 8021" is a max - min spread, not an interval: kept as the source wrote it.
  EXPECT_FALSE(b.metrics[0].summary->lower);
  EXPECT_NE(first.details_json.find("\"range\":[\"± 8021\"]"), std::string::npos)
      << first.details_json;
  EXPECT_NE(first.details_json.find("\"unit\":\"ns/iter\""), std::string::npos);
  EXPECT_NE(first.details_json.find("\"connect\":\"cargo\""), std::string::npos);
}

TEST(GithubActionBenchmarkImport, PytestIterationsPerSecondAreHigherIsBetter) {
  auto runs = ParseGithubActionBenchmark(
      Fixture("github-action-benchmark/safetensors-pytest.data.js"), "safetensors.data.js");
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 2u);
  const auto* b = Find(runs->front(), "Benchmark/benches/test_flax.py::test_flax_flax_load");
  ASSERT_NE(b, nullptr);
  const core::Metric& m = b->metrics[0];
  EXPECT_EQ(m.name, "throughput");
  EXPECT_EQ(m.unit, "iter/sec");
  EXPECT_EQ(m.direction, core::Direction::kHigher);
  ASSERT_TRUE(m.summary);
  EXPECT_DOUBLE_EQ(m.summary->mean, 1.1761837679361133);
  EXPECT_EQ(m.summary->n, 5);  // "rounds: 5"
  EXPECT_NE(runs->front().details_json.find("stddev: 0.06050114010900778"), std::string::npos);
}

TEST(GithubActionBenchmarkImport, BenchmarkJsRelativeRangeBecomesAnInterval) {
  auto runs = ParseGithubActionBenchmark(
      Fixture("github-action-benchmark/blaze-benchmarkjs.data.js"), "blaze.data.js");
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  const auto* b = Find(runs->front(), "Bindings (linux/nodejs)/E2E_Parse_JSON_ui5_manifest");
  ASSERT_NE(b, nullptr);
  const core::Metric& m = b->metrics[0];
  EXPECT_EQ(m.unit, "ops/sec");
  EXPECT_EQ(m.direction, core::Direction::kHigher);
  EXPECT_EQ(m.summary->n, 95);  // "95 samples"
  EXPECT_DOUBLE_EQ(*m.summary->lower, 800 * (1 - 0.0095));
  EXPECT_DOUBLE_EQ(*m.summary->upper, 800 * (1 + 0.0095));
}

TEST(GithubActionBenchmarkImport, CustomSmallerIsBetterIsLowerIsBetter) {
  auto runs = ParseGithubActionBenchmark(
      Fixture("github-action-benchmark/azure-storage-fuse-custom-smaller.data.js"), "fuse.data.js");
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 1u);
  const auto* b = Find(runs->front(), "Benchmark/rand_read_128_thread");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->metrics[0].name, "wall_time");
  EXPECT_EQ(b->metrics[0].unit, "ms");  // "milliseconds"
  EXPECT_EQ(b->metrics[0].direction, core::Direction::kLower);
}

TEST(GithubActionBenchmarkImport, CustomBiggerIsBetterWinsOverTheUnit) {
  // Shaped as speedy-js/benchmarks publishes it: customBiggerIsBetter with a time-like unit,
  // and the same bench name twice in one entry (two measurements of one commit).
  const std::string text = R"(window.BENCHMARK_DATA = {"entries": {"B": [{
      "commit": {"id": "0AFF75F7F04E84CECC06529A5DA3591CA5045786", "message": "test",
                 "timestamp": "2022-02-10T23:29:29+08:00"},
      "date": 1644507077457, "tool": "customBiggerIsBetter",
      "benches": [{"name": "build", "value": 5.3, "unit": "s/ops"},
                  {"name": "build", "value": 3.7, "unit": "s/ops"}]}]}};
)";
  auto runs = ParseGithubActionBenchmark(text, "data.js");
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  const ImportedRun& run = runs->front();
  EXPECT_EQ(run.commit, "0aff75f7f04e84cecc06529a5da3591ca5045786");
  EXPECT_EQ(run.project, "");  // no repoUrl
  const core::Metric& m = run.benchmarks.at(0).metrics.at(0);
  EXPECT_EQ(m.direction, core::Direction::kHigher);
  EXPECT_EQ(m.samples, (std::vector<double>{5.3, 3.7}));
}

TEST(GithubActionBenchmarkImport, EntriesOfOneCommitInTwoSuitesAreOneRun) {
  const std::string text = R"({"entries": {
      "a": [{"commit": {"id": "2f2ceb24265a7e63601cf1ffde7d586cd666a783"}, "date": 2000,
             "tool": "go", "benches": [{"name": "x", "value": 1, "unit": "ns/op"}]}],
      "b": [{"commit": {"id": "2f2ceb24265a7e63601cf1ffde7d586cd666a783"}, "date": 1000,
             "tool": "go", "benches": [{"name": "x", "value": 2, "unit": "ns/op"}]}]}})";
  auto runs = ParseGithubActionBenchmark(text, "data.json");
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().benchmarks.size(), 2u);
  EXPECT_EQ(runs->front().started_at.unix_nanos, 1000 * 1'000'000);
  EXPECT_EQ(runs->front().finished_at.unix_nanos, 2000 * 1'000'000);
}

TEST(GithubActionBenchmarkImport, ShortCommitIdIsRefusedWithItsPointer) {
  const std::string text = R"(window.BENCHMARK_DATA = {"entries": {"Benchmark": [
      {"commit": {"id": "0fd7d3c"}, "date": 1605566086676, "tool": "cargo",
       "benches": [{"name": "x", "value": 1, "unit": "ns/iter"}]}]}})";
  auto runs = ParseGithubActionBenchmark(text, "data.js");
  ASSERT_FALSE(runs.ok());
  EXPECT_EQ(runs.status().message(),
            "data.js: /entries/Benchmark/0/commit/id: expected a full 40-hex commit sha, got a "
            "string (\"0fd7d3c\"): import needs full commit ids to place each result in history");
}

TEST(GithubActionBenchmarkImport, BadInputNamesTheLineOrPointer) {
  auto not_js = ParseGithubActionBenchmark("var x = 1;\n{}", "data.js");
  ASSERT_FALSE(not_js.ok());
  EXPECT_NE(not_js.status().message().find("data.js:1: expected `window.BENCHMARK_DATA = {`"),
            std::string::npos)
      << not_js.status().message();

  auto truncated =
      ParseGithubActionBenchmark("window.BENCHMARK_DATA = {\n  \"entries\": {", "d.js");
  ASSERT_FALSE(truncated.ok());
  EXPECT_TRUE(truncated.status().message().starts_with("d.js:2:")) << truncated.status().message();

  auto bad_value = ParseGithubActionBenchmark(
      R"({"entries": {"S": [{"commit": {"id": "2f2ceb24265a7e63601cf1ffde7d586cd666a783"},
          "date": 1, "tool": "go", "benches": [{"name": "x", "value": "fast", "unit": "ns"}]}]}})",
      "d.js");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.status().message(),
            "d.js: /entries/S/0/benches/0/value: expected a finite number, got a string "
            "(\"fast\")");
}

TEST(AsvImport, Version2ResultKeepsStatsParamsAndUnits) {
  auto benchmarks = ParseAsvBenchmarks(Fixture("asv/results/benchmarks.json"), "benchmarks.json");
  ASSERT_TRUE(benchmarks.ok()) << benchmarks.status().message();
  EXPECT_EQ(benchmarks->at("benchmark_datacatalog.TimeDataCatalog.time_load").unit, "seconds");
  auto run = ParseAsvResult(
      Fixture("asv/results/github-actions/0064ded5-virtualenv-py3.11-kedro-datasets[pandas].json"),
      "0064ded5.json", *benchmarks);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->commit, "0064ded569f184aa02e6ec55ff5ed63c7312f744");
  EXPECT_EQ(run->platform, "github-actions");
  EXPECT_EQ(run->commit_time->unix_nanos, int64_t{1774616625000} * 1'000'000);
  EXPECT_EQ(run->started_at.unix_nanos, int64_t{1774616875717} * 1'000'000);
  EXPECT_EQ(run->environment.extra_json.at("asv_env_name"),
            "\"virtualenv-py3.11-kedro-datasets[pandas]\"");
  // 3 plain timings + 3 runner combinations of a timing + 3 of a peakmem benchmark.
  ASSERT_EQ(run->benchmarks.size(), 9u);
  const auto* load = Find(*run, "benchmark_datacatalog.TimeDataCatalog.time_load");
  ASSERT_NE(load, nullptr);
  const core::Metric& m = load->metrics[0];
  EXPECT_EQ(m.name, "wall_time");
  EXPECT_EQ(m.unit, "s");
  ASSERT_TRUE(m.summary);
  EXPECT_EQ(m.summary->n, 10);
  EXPECT_DOUBLE_EQ(*m.summary->median, 1.76807474000001);
  EXPECT_DOUBLE_EQ(*m.summary->lower, 1.7505);
  EXPECT_DOUBLE_EQ(*m.summary->upper, 1.9356);
  const auto* parallel =
      Find(*run, "benchmark_runner.RunnerTimeSuite.time_compute_bound_runner/ParallelRunner");
  ASSERT_NE(parallel, nullptr);
  EXPECT_DOUBLE_EQ(*parallel->metrics[0].summary->median, 3.0616537989999983);
  EXPECT_EQ(parallel->metrics[0].summary->n, 6);
  // Not in the trimmed benchmarks.json: its unit comes from the peakmem_ prefix.
  const auto* mem = Find(*run, "benchmark_runner.RunnerMemorySuite.peakmem_runners/ThreadRunner");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->metrics[0].name, "max_rss");
  EXPECT_EQ(mem->metrics[0].unit, "bytes");
  EXPECT_EQ(mem->metrics[0].samples, (std::vector<double>{88727552}));
  EXPECT_NE(run->details_json.find("\"q_25\":1.7602"), std::string::npos) << run->details_json;
}

TEST(AsvImport, Version1ResultsAndFailures) {
  const std::string text = R"({"commit_hash": "0026bee989ecb2789a9ca54fd8cb97140c9c04e8",
      "date": 1395237277000, "env_name": "conda-py3.5", "python": "3.5",
      "params": {"machine": "ant", "arch": "x86_64", "num_cpu": "8"},
      "ended_at": {"m.time_read": 1466567736000},
      "results": {"m.time_read": 0.3083797759999998, "m.time_broken": null,
                  "m.track_size": {"params": [["1", "2"]], "result": [10, 20]}}})";
  auto run = ParseAsvResult(text, "r.json", {});
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->platform, "ant");
  EXPECT_EQ(run->environment.cores, 8);
  ASSERT_EQ(run->benchmarks.size(), 4u);
  EXPECT_TRUE(Find(*run, "m.time_broken")->error);
  EXPECT_EQ(Find(*run, "m.time_read")->metrics[0].samples,
            (std::vector<double>{0.3083797759999998}));
  EXPECT_EQ(Find(*run, "m.track_size/2")->metrics[0].samples, (std::vector<double>{20}));
  EXPECT_EQ(run->finished_at.unix_nanos, int64_t{1466567736000} * 1'000'000);
}

TEST(AsvImport, AbbreviatedCommitIsRefused) {
  auto run = ParseAsvResult(R"({"commit_hash": "0026bee9", "results": {}})", "r.json", {});
  ASSERT_FALSE(run.ok());
  EXPECT_TRUE(run.status().message().starts_with(
      "r.json: /commit_hash: expected a full 40-hex commit sha, got a string (\"0026bee9\")"))
      << run.status().message();
}

TEST(AsvImport, WrongNumberOfParamResultsNamesTheBenchmark) {
  auto run = ParseAsvResult(R"({"commit_hash": "0026bee989ecb2789a9ca54fd8cb97140c9c04e8",
      "result_columns": ["result", "params"],
      "results": {"a.time_x": [[1.0], [["1", "2"]]]}})",
                            "r.json", {});
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().message(),
            "r.json: /results/a.time_x: expected 2 results (one per parameter combination), got 1");
}

TEST(BencherImport, LatencyWithBoundsAndCustomMeasures) {
  auto latency =
      ParseBencherMetricFormat(Fixture("bencher/report_latency.json"), "report_latency.json");
  ASSERT_TRUE(latency.ok()) << latency.status().message();
  ASSERT_EQ(latency->size(), 3u);
  const core::Metric& m = latency->at(0).metrics.at(0);
  EXPECT_EQ(latency->at(0).name, "tests::benchmark_a");
  EXPECT_EQ(m.name, "latency");
  EXPECT_EQ(m.unit, "ns");
  EXPECT_EQ(m.summary->mean, 3247.0);
  EXPECT_EQ(m.summary->lower, 1044.0);
  EXPECT_EQ(m.summary->upper, 1044.0);

  auto dhat = ParseBencherMetricFormat(Fixture("bencher/report_dhat.json"), "report_dhat.json");
  ASSERT_TRUE(dhat.ok()) << dhat.status().message();
  ASSERT_EQ(dhat->at(0).metrics.size(), 6u);
  EXPECT_EQ(dhat->at(0).metrics.at(3).name, "Max Bytes");
  EXPECT_EQ(dhat->at(0).metrics.at(3).unit, "unknown");
  EXPECT_EQ(dhat->at(0).metrics.at(3).summary->mean, 9);
}

TEST(BencherImport, BadMeasureNamesItsPointer) {
  auto bad = ParseBencherMetricFormat(R"({"b": {"latency": {"lower_value": 1}}})", "bmf.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "bmf.json: /b/latency/value: missing (expected a number)");
}

}  // namespace
}  // namespace perfledger::adapters
