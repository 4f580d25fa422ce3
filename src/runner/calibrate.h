// Calibration (`perfledger calibrate`): measure a suite benchmark's noise on this machine and
// propose the runs that bring its median's 95% interval within a target precision. The
// proposal is for the platform's next epoch (sampling is part of an epoch).
#pragma once

#include <functional>
#include <string>

#include "env/process.h"
#include "runner/command_bench.h"
#include "runner/suite.h"

namespace perfledger::runner {

struct Calibration {
  std::string name;
  // Why it was not calibrated: a harness benchmark (samples by its own flags), or "failed: "
  // / "setup failed: " with the reason. Empty when calibrated.
  std::string skipped;
  double median = 0;        // wall time, ns
  double mad_relative = 0;  // the median absolute deviation over the median
  double width = 0;         // the median's 95% interval, relative
  double target = 0;        // the precision aimed at, relative
  int runs = 0;             // measured
  int proposed = 0;         // proposed runs
  bool Failed() const {
    return skipped.starts_with("failed") || skipped.starts_with("setup failed");
  }
};

// The runs that bring the median's 95% interval to `target` (relative width): it narrows about
// as 1/sqrt(n), so n' = n (width / target)^2, at least 6 (the fewest with a finite interval),
// at most 10,000.
int ProposedRuns(int runs, double width, double target);

struct CalibrateOptions {
  std::string platform;
  int runs = 20;                // measured runs (at least 6)
  double target_precision = 0;  // relative; 0: the benchmark's own (default 1%)
};

// Runs `b` (its setup first) options.runs times after its warm-up, as the suite declares it on
// the platform, and proposes its runs. Never fails: a failure is in Calibration::skipped.
Calibration CalibrateBenchmark(const Suite& suite, const SuiteBenchmark& b,
                               const CalibrateOptions& options, env::Executor& executor,
                               const std::function<void(const RunProgress&)>& progress = {});

}  // namespace perfledger::runner
