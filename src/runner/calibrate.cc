#include "runner/calibrate.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "analysis/stats.h"
#include "runner/suite_run.h"

namespace perfledger::runner {

int ProposedRuns(int runs, double width, double target) {
  const double n = std::ceil(runs * (width / target) * (width / target));
  return static_cast<int>(std::clamp(n, 6.0, 10000.0));
}

Calibration CalibrateBenchmark(const Suite& suite, const SuiteBenchmark& b,
                               const CalibrateOptions& options, env::Executor& executor,
                               const std::function<void(const RunProgress&)>& progress) {
  Calibration c;
  c.name = b.name;
  if (b.is_harness()) {
    c.skipped = "a harness samples by its own flags (e.g. --benchmark_repetitions)";
    return c;
  }
  const Sampling s = suite.SamplingFor(b, options.platform);
  const PlatformDeclaration p = suite.PlatformOf(options.platform);
  c.target = options.target_precision > 0 ? options.target_precision : s.target_precision;
  if (!b.setup.empty()) {
    auto r = executor.Run(ProcessSpecFor(b.setup, b, p, s));
    if (!r.ok() || !r->ok()) {
      c.skipped = "setup failed: " + (r.ok() ? r->Describe() : r.status().message());
      return c;
    }
  }
  CommandBenchOptions bench = CommandBenchFor(b, p, s);
  bench.runs = options.runs;
  bench.measure_cpu = bench.measure_rss = false;
  auto result = BenchmarkCommand(bench, executor, [&](const RunProgress& r) {
    if (progress) progress(r);
  });
  if (!result.ok()) {
    c.skipped = "failed: " + result.status().message();
    return c;
  }
  if (result->error) {
    c.skipped = "failed: " + *result->error;
    return c;
  }
  std::vector<double> wall;
  for (const auto& m : result->metrics) {
    if (m.name == "wall_time") wall = m.samples;
  }
  const analysis::MedianInterval ci = analysis::MedianConfidence(wall);
  c.runs = static_cast<int>(wall.size());
  c.median = ci.median;
  c.width = ci.relative_width;
  c.mad_relative = ci.median > 0 ? analysis::Mad(wall) / ci.median : 0;
  if (!std::isfinite(c.width)) {
    c.skipped = "no finite interval (a zero median?)";
    return c;
  }
  c.proposed = ProposedRuns(c.runs, c.width, c.target);
  return c;
}

}  // namespace perfledger::runner
