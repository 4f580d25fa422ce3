// Suite files (perfledger.toml): the declared benchmarks of a suite, its revision, and per
// platform its epoch (DESIGN.md "suite revision", "epoch").
//
//   [suite]
//   name = "demo"
//   revision = 3            # bump when what a benchmark *is* changes
//   runs = 10               # sampling defaults: warmup, runs | min_runs, max_runs, max_time,
//                           # target_precision; timeout, measure, instruction_runs
//   [[benchmark]]
//   name = "sort/1e6"
//   command = ["./build/sorter", "1000000"]   # argv; a string runs through /bin/sh -c
//   prepare = "rm -f out.txt"                 # before each run, not timed
//   setup = ["make", "sorter"]                # once, not timed
//   cwd = "."                                 # relative to the suite file
//   env = { LC_ALL = "C" }
//   measure = ["wall", "cpu", "rss", "instructions"]
//   [[benchmark]]
//   name = "micro"                            # results become "micro/<harness name>"
//   harness = ["./build/micro", "--benchmark_format=json"]
//   adapter = "google-benchmark"              # or "auto"; output = "file" if not stdout
//   [platform.x86-64-linux]
//   epoch = 2                                 # raise it when anything below changes
//   environment = "ci"                        # ci | local | any
//   wrapper = ["taskset", "-c", "1"]          # invocation prefix
//   runs = 30
//   [platform.x86-64-linux.benchmark."sort/1e6"]
//   runs = 50
//
// The file may also hold [schedule] (read by the scheduler). Every error is one line:
// "perfledger.toml:12: [[benchmark]] \"sort\" runs: expected ..., got ...".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "core/run.h"

namespace perfledger::runner {

// Sampling settings as one level of the file gives them; unset fields fall through to the
// level below (platform benchmark > platform > benchmark > [suite] > built-in defaults).
struct SamplingLayer {
  std::optional<int> warmup, runs, min_runs, max_runs, instruction_runs;
  std::optional<int64_t> max_time_nanos, timeout_nanos;
  std::optional<double> target_precision;  // relative (1% = 0.01)
};

// The effective sampling of one benchmark on one platform.
struct Sampling {
  int warmup = 1;
  std::optional<int> runs;  // fixed count; else adaptive
  int min_runs = 10, max_runs = 1000;
  int64_t max_time_nanos = 10LL * 1'000'000'000;
  double target_precision = 0.01;
  std::optional<int64_t> timeout_nanos;
  int instruction_runs = 3;
};

using EnvVars = std::vector<std::pair<std::string, std::string>>;

struct SuiteBenchmark {
  std::string name;
  int line = 0;                      // where its [[benchmark]] starts
  std::vector<std::string> command;  // a command benchmark's argv ...
  std::vector<std::string> harness;  // ... or a harness's argv, converted by `adapter`
  std::string adapter = "auto";      // with harness
  std::string output;                // with harness: the file it writes (else its stdout)
  std::vector<std::string> prepare;  // before each run, not timed (empty: none)
  std::vector<std::string> setup;    // once before the benchmark, not timed
  std::string cwd;                   // absolute, resolved against the suite file's directory
  EnvVars env;
  bool measure_cpu = true, measure_rss = true, measure_instructions = false;
  SamplingLayer sampling;
  bool is_harness() const { return !harness.empty(); }
};

struct PlatformDeclaration {
  int64_t epoch = 1;
  std::string environment = "any";   // ci | local | any
  std::vector<std::string> wrapper;  // prepended to every command and harness
  EnvVars env;
  SamplingLayer sampling;
  std::map<std::string, SamplingLayer> benchmarks;
  int line = 0;
};

struct Suite {
  std::string source;  // the file, for messages
  std::string dir;     // its directory: relative cwds start here
  std::string name;
  int64_t revision = 0;
  SamplingLayer defaults;
  std::vector<SuiteBenchmark> benchmarks;  // in file order, names unique
  std::map<std::string, PlatformDeclaration> platforms;

  const SuiteBenchmark* Find(std::string_view name) const;
  // The declaration for `platform`; epoch 1 with the defaults when it has no section.
  PlatformDeclaration PlatformOf(const std::string& platform) const;
  Sampling SamplingFor(const SuiteBenchmark& b, const std::string& platform) const;
  // A hash of what the benchmark is: command or harness, adapter, output, prepare, setup,
  // working directory (as written), environment and metrics. Not sampling, not the platform.
  std::string DefinitionHash(const SuiteBenchmark& b) const;
  // What runs of this suite on `platform` must match: name, revision, every benchmark's
  // definition hash and the epoch (number and settings: environment class, wrapper, platform
  // environment, each benchmark's effective sampling).
  core::SuiteRef DeclarationFor(const std::string& platform) const;
};

// Parses a suite file's text; `source` names it in messages and its directory anchors
// relative working directories.
base::Result<Suite> ParseSuite(std::string_view text, const std::string& source);

// Reads and parses the file at `path`.
base::Result<Suite> LoadSuite(const std::string& path);

}  // namespace perfledger::runner
