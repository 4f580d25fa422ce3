// Measuring on this machine (`perfledger run`, `perfledger calibrate`): a suite file's
// benchmarks, a harness run once and converted, one command timed; and calibration. Each
// makes a run (service::NewRun) with its measurements, times and metric sources; the verb
// writes it (EmitArtifact) and reports.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/run.h"
#include "env/host.h"
#include "env/process.h"
#include "runner/calibrate.h"
#include "runner/command_bench.h"
#include "runner/suite_run.h"
#include "service/artifacts.h"

namespace perfledger::service {

// Progress of one benchmark's timed runs (a terminal's status line).
using MeasureProgress = std::function<void(const std::string& name, const runner::RunProgress&)>;

struct SuiteMeasureRequest {
  std::string suite_file;
  std::vector<std::string> only;  // benchmark names; empty: all
  bool fail_fast = false;
  RunMetadata metadata;
  env::Executor* executor = nullptr;  // runs the benchmarks; null: the real one
};

struct SuiteMeasurement {
  core::Run run;  // with the suite's declaration for the platform and every benchmark's result
  runner::SuiteRunResult result;
  // Set when the run's environment does not fit its epoch's class: ingest will refuse it.
  std::optional<std::string> warning;
};

// Loads the suite file and runs its benchmarks as it declares them on the run's platform.
base::Result<SuiteMeasurement> MeasureSuite(const SuiteMeasureRequest& request,
                                            const MeasureProgress& progress = {});

struct HarnessMeasureRequest {
  std::vector<std::string> command;
  std::string adapter = "auto";  // or an adapter's name
  std::string name;              // a prefix for the harness's benchmark names
  int64_t timeout_nanos = 0;     // 0: none
  RunMetadata metadata;
};

struct HarnessMeasurement {
  core::Run run;
  std::string adapter;                 // the one used (the detected one for "auto")
  std::optional<std::string> failure;  // the harness failed and produced nothing
};

// Runs the harness once and converts its output; benchmarks sorted by name.
base::Result<HarnessMeasurement> MeasureHarness(const HarnessMeasureRequest& request);

// An unknown adapter name is kInvalidInput naming the known ones ("auto" is fine).
base::Status CheckAdapterName(const std::string& adapter);

struct CommandMeasurement {
  core::Run run;  // one benchmark: the command's
  core::BenchmarkResult result;
};

// Times the command as `bench` says (runs, precision, what to measure).
base::Result<CommandMeasurement> MeasureCommand(const runner::CommandBenchOptions& bench,
                                                const RunMetadata& metadata,
                                                const MeasureProgress& progress = {});

struct CalibrateRequest {
  std::string suite_file;
  std::string platform;           // empty: this machine's
  std::vector<std::string> only;  // benchmark names; empty: all
  int runs = 20;                  // at least 6
  double target_precision = 0;    // relative; 0: each benchmark's own
};

struct CalibrationReport {
  std::string suite, source;
  int64_t revision = 0;
  std::string platform;
  int64_t epoch = 1;  // the platform's epoch now
  bool has_platform_section = false;
  env::HostInfo host;
  std::vector<runner::Calibration> results;
  bool failed() const;
};

// Calibrates the suite's benchmarks (runner::CalibrateBenchmark) on this machine. A --benchmark
// name the suite does not have is kInvalidInput.
base::Result<CalibrationReport> CalibrateSuite(const CalibrateRequest& request,
                                               const MeasureProgress& progress = {});

}  // namespace perfledger::service
