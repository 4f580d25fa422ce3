// Running a suite file's benchmarks on this machine: setup once, prepare before each run,
// command benchmarks timed by BenchmarkCommand, harnesses run once and converted by their
// adapter. A benchmark that fails becomes a structured failure (the run is partial) unless
// fail_fast, which stops at the first one.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/run.h"
#include "env/process.h"
#include "runner/command_bench.h"
#include "runner/suite.h"

namespace perfledger::runner {

// Runs a harness once (its timeout from `spec`) and converts what it wrote (stdout, or the
// file `output_file` when not empty) with the adapter named `adapter` ("auto" detects it).
// Results are named "<prefix>/<harness name>" when prefix is not empty; the adapter's name
// (the detected one for "auto") goes to `adapter_used` when given. A harness that fails
// or whose output does not parse gives one structured failure named `prefix` (or "harness"),
// with the exit status and the last line of its stderr, or the parse error. An unknown adapter
// or a program that cannot be started is kInvalidInput.
base::Result<std::vector<core::BenchmarkResult>> RunHarness(
    env::ProcessSpec spec, const std::string& adapter, const std::string& output_file,
    const std::string& prefix, env::Executor& executor, std::string* adapter_used = nullptr);

// The process of `argv` (a benchmark's command, setup, prepare or harness) as the suite declares
// it on a platform: behind the platform's wrapper, in the benchmark's directory, with the
// benchmark's and the platform's environment variables and the sampling's timeout; stderr
// captured (for a failure's message).
env::ProcessSpec ProcessSpecFor(const std::vector<std::string>& argv, const SuiteBenchmark& b,
                                const PlatformDeclaration& p, const Sampling& s);

// A command benchmark as the suite declares it on a platform: its process (stderr discarded),
// its prepare step and its warm-up runs. The caller sets how many runs to measure.
CommandBenchOptions CommandBenchFor(const SuiteBenchmark& b, const PlatformDeclaration& p,
                                    const Sampling& s);

struct SuiteRunOptions {
  std::string platform;
  std::vector<std::string> only;  // benchmark names to run; empty: all
  bool fail_fast = false;
  std::string valgrind = "valgrind";
};

struct SuiteRunResult {
  std::vector<core::BenchmarkResult> benchmarks;  // sorted by name
  std::vector<std::string> failed;                // names of failed benchmarks, in run order
  bool stopped = false;                           // fail_fast stopped before the end
  bool measured_instructions = false;
  // Harness entries that ran and the adapter that read each one's output.
  std::vector<std::pair<std::string, std::string>> harness_adapters;
};

using SuiteProgress = std::function<void(const std::string& benchmark, const RunProgress&)>;

// Unknown names in `only` are kInvalidInput listing the suite's benchmarks.
base::Result<SuiteRunResult> RunSuite(const Suite& suite, const SuiteRunOptions& options,
                                      env::Executor& executor, const SuiteProgress& progress = {});

}  // namespace perfledger::runner
