// Benchmarking a command, hyperfine-like: warm-up runs, then measured runs until a fixed count
// or, adaptively, until the median is known precisely enough or the time budget is spent.
// Each run is measured through env::Executor (a fake in tests gives exact timings).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/run.h"
#include "env/process.h"

namespace perfledger::runner {

struct CommandBenchOptions {
  std::string name;          // the benchmark's name in the artifact
  env::ProcessSpec process;  // what to run (its timeout applies to each run)
  // Run before each run (warm-up, measured, instruction count), not timed; its failure ends
  // the benchmark as a structured failure.
  std::optional<env::ProcessSpec> prepare;
  int warmup = 1;           // unmeasured runs first
  std::optional<int> runs;  // a fixed count; else adaptive:
  int min_runs = 10;
  int max_runs = 1000;
  int64_t max_time_nanos = 10LL * 1'000'000'000;  // measured runs stop once this is spent
  double target_precision = 0.01;  // stop when the median's 95% CI is this wide (relative)
  bool measure_cpu = true;         // user_time and system_time
  bool measure_rss = true;         // max_rss
  bool ignore_failure = false;     // a non-zero exit status is still a measurement
  // Instruction counts: with perf_event_open, of every measured run, where the kernel has the
  // counter (PerfInstructionsAvailable); elsewhere the command again under valgrind's
  // cachegrind, instruction_runs times (deterministic, so a few runs suffice; timings are
  // never taken from these runs, which are many times slower).
  bool measure_instructions = false;
  enum class Counter { kAuto, kPerf, kValgrind };
  Counter instruction_counter = Counter::kAuto;
  int instruction_runs = 3;
  std::string valgrind = "valgrind";
};

// Which mechanism counts instructions with these options, for the artifact's metric_sources:
// "perf_event_open (instructions:u)" or "valgrind cachegrind (Ir)".
std::string InstructionSource(const CommandBenchOptions& options);

// The instruction count ("summary: N" = Ir) of a cachegrind output file's text.
base::Result<int64_t> ParseCachegrindSummary(std::string_view text, const std::string& source);

struct RunProgress {
  int run = 0;      // measured runs done
  int planned = 0;  // the fixed count, or max_runs when adaptive
  double median_nanos = 0;
  double relative_width = 0;  // of the median's CI (infinite early on)
  int64_t eta_nanos = 0;      // a guess of the time left
};

// Returns the benchmark with wall_time (ns), user_time and system_time (ns) and max_rss
// (bytes), one sample per measured run, and `instructions` (count) per valgrind run. A run that
// fails (exit status, signal, timeout) ends the benchmark as a structured failure naming the run
// and what happened, unless ignore_failure (timeouts and signals always fail). A command that
// cannot be started is an error (kInvalidInput).
base::Result<core::BenchmarkResult> BenchmarkCommand(
    const CommandBenchOptions& options, env::Executor& executor,
    const std::function<void(const RunProgress&)>& progress = {});

}  // namespace perfledger::runner
