// Harness adapters: one file per harness output format, turning what a benchmark harness
// printed into benchmark results (DESIGN.md, "adapters" layer). Pure functions over text; no
// I/O. Third-party parsers (simdjson, pugixml) stay inside the .cc files.
//
// Every parser:
//   - returns the benchmarks in the order the harness reported them, each name unique (the
//     caller sorts them for the artifact); metrics sorted by name;
//   - keeps raw samples where the format has them, and otherwise a core::Summary (n and mean
//     at least) — never invented samples;
//   - names metrics wall_time, cpu_time, user_time, system_time (units as the harness gave
//     them: ns, us, ms, s) and keeps other measurements under their own names (bytes_per_op,
//     allocs_per_op, user counters, ...);
//   - fails with kInvalidInput and one line naming `source`, the place (JSON pointer, line or
//     line:column, XML element path) and what was expected:
//       "bench.json: /benchmarks/3/real_time: expected a number, got \"fast\"".
//   - An input with no benchmark results at all is an error ("no benchmark results").
//   - What it returns passes core::ValidateBenchmarks: a result the artifact would refuse (a
//     custom unit beyond the length limit, a name that is not UTF-8) fails the parse, naming
//     `source` and the benchmark, so `perfledger run` records that harness as failed instead
//     of writing no artifact at all.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/run.h"

namespace perfledger::adapters {

using Parsed = base::Result<std::vector<core::BenchmarkResult>>;

// Google Benchmark --benchmark_format=json / --benchmark_out: repetitions become samples of
// one benchmark named by run_name; aggregate rows (_mean, _median, _stddev, _cv, BigO, RMS)
// are dropped; real_time -> wall_time and cpu_time as separate metrics in time_unit; user
// counters kept (unit "count"; bytes_per_second and items_per_second "bytes/s" and "items/s",
// higher is better); an errored or skipped benchmark (error_occurred, skipped) is a
// structured failure. Versions without run_type (before 1.5) are grouped by name.
Parsed ParseGoogleBenchmark(std::string_view text, const std::string& source);
// hyperfine --export-json: every run's time a sample of wall_time (s), user_time and
// system_time from "user"/"system" as summaries unless per-run values exist; the command (or
// its --command-name) is the benchmark name; a non-zero exit code in exit_codes is a failure.
Parsed ParseHyperfine(std::string_view text, const std::string& source);
// Catch2 XML reporter (v2 and v3): each <BenchmarkResults> -> wall_time in ns as a summary
// (n = samples, mean, stddev, lower/upper = the mean's confidence interval; Catch2's XML has
// no raw samples), named "<test case>/<benchmark>"; <failed> is a structured failure.
Parsed ParseCatch2(std::string_view text, const std::string& source);
// `go test -bench` text (with -count N: N samples): every "value unit" pair is a metric:
// ns/op -> wall_time (ns), B/op -> bytes_per_op (bytes), allocs/op -> allocs_per_op (count),
// MB/s -> throughput (MB/s), custom units by name.
Parsed ParseGo(std::string_view text, const std::string& source);
// pytest-benchmark --benchmark-json: raw data ("data") when saved with
// --benchmark-save-data, else the stats as a summary; seconds.
Parsed ParsePytestBenchmark(std::string_view text, const std::string& source);
// Rust libtest `cargo bench` text: "test name ... bench: 1,234 ns/iter (+/- 56)": a summary.
Parsed ParseLibtest(std::string_view text, const std::string& source);
// Rust criterion's bencher output format (--output-format bencher): a summary like libtest.
Parsed ParseCriterion(std::string_view text, const std::string& source);
// JMH -rf json: primaryMetric rawData as samples (every fork x iteration), unit from
// scoreUnit; secondary metrics by name.
Parsed ParseJmh(std::string_view text, const std::string& source);
// BenchmarkDotNet JSON full exporter: Measurements of IterationStage "Result" (or
// Statistics.OriginalValues) as samples of wall_time in ns per operation; GC stats kept.
Parsed ParseBenchmarkDotNet(std::string_view text, const std::string& source);

// Format detection for --adapter auto: true when `text` looks like this adapter's format.
// Cheap checks on the first bytes and distinctive keys; never a full parse.
bool LooksLikeGoogleBenchmark(std::string_view text);
bool LooksLikeHyperfine(std::string_view text);
bool LooksLikeCatch2(std::string_view text);
bool LooksLikeGo(std::string_view text);
bool LooksLikePytestBenchmark(std::string_view text);
bool LooksLikeLibtest(std::string_view text);
bool LooksLikeCriterion(std::string_view text);
bool LooksLikeJmh(std::string_view text);
bool LooksLikeBenchmarkDotNet(std::string_view text);

struct Adapter {
  std::string_view name;  // as --adapter takes it
  std::string_view description;
  Parsed (*parse)(std::string_view text, const std::string& source);
  bool (*looks_like)(std::string_view text);
};

// Every adapter, in the order `--help` lists them.
std::span<const Adapter> All();

// The adapter called `name`; for an unknown name kInvalidInput listing the known ones.
base::Result<const Adapter*> Find(std::string_view name);

// --adapter auto: the one adapter whose format `text` looks like. None or several is
// kInvalidInput saying what the input looked like and which adapters matched.
base::Result<const Adapter*> Detect(std::string_view text, const std::string& source);

}  // namespace perfledger::adapters
