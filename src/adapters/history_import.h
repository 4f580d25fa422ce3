// History imports: what other continuous-benchmarking tools keep of a project's past — a
// github-action-benchmark data.js, an asv results directory, a Bencher Metric Format file —
// read into runs, so a team can bring its history (`perfledger import`). Pure functions over
// text, like the harness adapters beside them (adapters.h); the service layer reads the files,
// gives each run its identity (run id, project, platform) and checks it as an artifact.
//
// Every parser:
//   - keeps every value the source has: raw values as samples where the source has several
//     measurements of one commit, a core::Summary where it has one value with its statistics,
//     and what has no place in a metric (github-action-benchmark's range and extra strings,
//     asv's quartiles) verbatim in the run's `details_json`;
//   - names each metric's unit and direction as the source means them (github-action-benchmark's
//     customBiggerIsBetter tool, and rates such as iter/sec or ops/sec, are higher-is-better);
//   - refuses a commit that is not a full 40-hex sha (the run could not be placed in history);
//   - fails with kInvalidInput and one line naming `source`, the JSON pointer (or line:column
//     for a syntax error) and what was expected, like the harness adapters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/run.h"

namespace perfledger::adapters {

// One commit's results on one machine as another tool stored them: a run without the
// identity perfledger gives it.
struct ImportedRun {
  std::string commit;  // 40 lower-case hex digits
  std::optional<base::Timestamp> commit_time;
  std::optional<std::string> subject;
  base::Timestamp started_at, finished_at;  // when the source says it was measured
  std::string platform;                     // the source's machine name; empty when it has none
  std::string project;                      // the source's project name; empty when it has none
  core::Environment environment;            // what the source says of the machine
  std::string details_json = "{}";          // a JSON object: what the source has beyond metrics
  std::string origin;                       // where it came from, for messages
  std::vector<core::BenchmarkResult> benchmarks;  // sorted by name
};

using ImportedRuns = base::Result<std::vector<ImportedRun>>;

// github-action-benchmark's data.js (`window.BENCHMARK_DATA = {...}`, or the same object as
// plain JSON): one run per commit, merging that commit's entries of every suite. Benchmarks are
// named "<suite>/<bench name>". A value with a unit of time per operation ("ns/iter", "s/op",
// "milliseconds") is wall_time, a rate ("ops/sec", "iter/sec", "MB/s") throughput, anything
// else "value" in the source's unit. One value of a commit is a summary (n from "rounds: N" or
// "N samples" in the extra text, else 1; a relative range "±0.32%" as lower/upper); several
// values of one benchmark for one commit (re-runs, `go test -count`) are its samples.
// Direction: the tool's when it says (customBiggerIsBetter, customSmallerIsBetter), else
// rates higher-is-better and everything else lower. Runs sorted by measurement time.
ImportedRuns ParseGithubActionBenchmark(std::string_view text, const std::string& source);

// What asv's results/benchmarks.json says of each benchmark.
struct AsvBenchmarkInfo {
  std::string type;  // "time", "peakmemory", "memory", "track"
  std::string unit;  // "seconds", "bytes", or a track benchmark's own unit
};
using AsvBenchmarks = std::map<std::string, AsvBenchmarkInfo, std::less<>>;
base::Result<AsvBenchmarks> ParseAsvBenchmarks(std::string_view text, const std::string& source);

// asv's results/<machine>/machine.json: the machine's name and description.
struct AsvMachine {
  std::string name;
  core::Environment environment;
};
base::Result<AsvMachine> ParseAsvMachine(std::string_view text, const std::string& source);

// One asv result file (results/<machine>/<hash>-<env>.json), format version 1 or 2. The
// platform is the machine name from its params; the environment carries asv's env_name and
// python. time_* benchmarks are wall_time in s, peakmem_* max_rss and mem_* memory in bytes,
// track_* "value" in benchmarks.json's unit; a parametrised benchmark is one benchmark per
// combination, "<name>/<p1>/<p2>". Raw samples where the file has them, else a summary of
// asv's result (its median; n = the repeat count; lower/upper its 99% interval); a benchmark
// whose result is null failed. The commit time is asv's "date".
base::Result<ImportedRun> ParseAsvResult(std::string_view text, const std::string& source,
                                         const AsvBenchmarks& benchmarks);

// A Bencher Metric Format document ({"<benchmark>": {"<measure>": {"value", "lower_value",
// "upper_value"}}}): one run's benchmarks (BMF has no commit, date or machine). Bencher's
// built-in measures get their units: latency ns, throughput ops/s (higher is better),
// file-size bytes, build-time s; other measures keep their name with the unit "unknown".
base::Result<std::vector<core::BenchmarkResult>> ParseBencherMetricFormat(
    std::string_view text, const std::string& source);

}  // namespace perfledger::adapters
