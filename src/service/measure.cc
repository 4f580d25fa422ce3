#include "service/measure.h"

#include <fmt/format.h>

#include <algorithm>

#include "adapters/adapters.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "core/epoch.h"
#include "runner/environment.h"
#include "runner/suite.h"

namespace perfledger::service {
namespace {

// Which mechanism produced each timed metric (the run's environment "metric_sources").
constexpr std::string_view kTimeSources =
    R"j("wall_time":"clock_gettime(CLOCK_MONOTONIC)","user_time":"wait4 rusage",)j"
    R"j("system_time":"wait4 rusage","max_rss":"wait4 rusage")j";

std::string HarnessSources(const std::string& adapter) {
  return fmt::format(R"j({{"*":"the harness's own measurements ({} adapter)"}})j", adapter);
}

}  // namespace

base::Result<SuiteMeasurement> MeasureSuite(const SuiteMeasureRequest& request,
                                            const MeasureProgress& progress) {
  env::Env* env = env::Env::Default();
  ASSIGN_OR_RETURN(runner::Suite suite, runner::LoadSuite(request.suite_file));
  SuiteMeasurement out;
  ASSIGN_OR_RETURN(out.run, NewRun(request.metadata));
  core::Run& run = out.run;
  run.suite = suite.DeclarationFor(run.platform);
  run.reason_detail = fmt::format("suite {} revision {}, epoch {} of {}", suite.name,
                                  suite.revision, run.suite->epoch->number, run.platform);
  if (auto s = core::CheckEnvironmentClass(run); !s.ok()) out.warning = s.message();
  runner::SuiteRunOptions options{run.platform, request.only, request.fail_fast, "valgrind"};
  run.started_at = env->Now();
  env::Executor* executor =
      request.executor != nullptr ? request.executor : env::Executor::Default();
  ASSIGN_OR_RETURN(out.result, runner::RunSuite(suite, options, *executor, progress));
  run.finished_at = env->Now();
  run.benchmarks = std::move(out.result.benchmarks);
  out.result.benchmarks.clear();
  std::string sources = "{" + std::string(kTimeSources);
  if (out.result.measured_instructions) {
    sources += fmt::format(R"j(,"instructions":"{}")j",
                           runner::InstructionSource(runner::CommandBenchOptions{}));
  }
  // A harness's metrics are its own measurements, read by an adapter.
  for (const auto& [entry, adapter] : out.result.harness_adapters) {
    std::string key;
    base::AppendJsonString(key, entry + "/*");
    sources += fmt::format(R"j(,{}:"the harness's own measurements ({} adapter)")j", key, adapter);
  }
  run.environment.extra_json["metric_sources"] = sources + "}";
  return out;
}

base::Status CheckAdapterName(const std::string& adapter) {
  if (adapter == "auto") return base::Status::Ok();
  return adapters::Find(adapter).status();
}

base::Result<HarnessMeasurement> MeasureHarness(const HarnessMeasureRequest& request) {
  env::Env* env = env::Env::Default();
  env::ProcessSpec spec;
  spec.argv = request.command;
  if (request.timeout_nanos > 0) spec.timeout_nanos = request.timeout_nanos;
  HarnessMeasurement out;
  ASSIGN_OR_RETURN(out.run, NewRun(request.metadata));
  core::Run& run = out.run;
  run.started_at = env->Now();
  out.adapter = request.adapter;
  ASSIGN_OR_RETURN(std::vector<core::BenchmarkResult> results,
                   runner::RunHarness(spec, request.adapter, "", request.name,
                                      *env::Executor::Default(), &out.adapter));
  run.finished_at = env->Now();
  const std::string failed_name = request.name.empty() ? "harness" : request.name;
  if (results.size() == 1 && results[0].name == failed_name && results[0].error) {
    out.failure = *results[0].error;
    return out;
  }
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  run.benchmarks = std::move(results);
  run.reason_detail = fmt::format("{} harness: {}", out.adapter, base::Join(request.command, " "));
  run.environment.extra_json["metric_sources"] = HarnessSources(out.adapter);
  return out;
}

base::Result<CommandMeasurement> MeasureCommand(const runner::CommandBenchOptions& bench,
                                                const RunMetadata& metadata,
                                                const MeasureProgress& progress) {
  env::Env* env = env::Env::Default();
  CommandMeasurement out;
  ASSIGN_OR_RETURN(out.run, NewRun(metadata));
  core::Run& run = out.run;
  run.started_at = env->Now();
  ASSIGN_OR_RETURN(out.result, runner::BenchmarkCommand(bench, *env::Executor::Default(),
                                                        [&](const runner::RunProgress& p) {
                                                          if (progress) progress(bench.name, p);
                                                        }));
  run.finished_at = env->Now();
  run.benchmarks.push_back(out.result);
  std::string sources = "{" + std::string(kTimeSources);
  if (bench.measure_instructions) {
    sources += fmt::format(R"j(,"instructions":"{}")j", runner::InstructionSource(bench));
  }
  run.environment.extra_json["metric_sources"] = sources + "}";
  return out;
}

bool CalibrationReport::failed() const {
  return std::any_of(results.begin(), results.end(),
                     [](const runner::Calibration& c) { return c.Failed(); });
}

base::Result<CalibrationReport> CalibrateSuite(const CalibrateRequest& request,
                                               const MeasureProgress& progress) {
  ASSIGN_OR_RETURN(runner::Suite suite, runner::LoadSuite(request.suite_file));
  for (const auto& name : request.only) {
    if (suite.Find(name) == nullptr) {
      return base::InvalidInput(
          fmt::format("--benchmark {}: {} has no such benchmark", name, request.suite_file));
    }
  }
  CalibrationReport report;
  report.suite = suite.name;
  report.source = request.suite_file;
  report.revision = suite.revision;
  report.host = env::ReadHostInfo();
  report.platform = request.platform.empty() ? runner::HostPlatform(report.host) : request.platform;
  report.epoch = suite.PlatformOf(report.platform).epoch;
  report.has_platform_section = suite.platforms.contains(report.platform);
  runner::CalibrateOptions options;
  options.platform = report.platform;
  options.runs = request.runs;
  options.target_precision = request.target_precision;
  for (const auto& b : suite.benchmarks) {
    if (!request.only.empty() &&
        std::find(request.only.begin(), request.only.end(), b.name) == request.only.end()) {
      continue;
    }
    report.results.push_back(runner::CalibrateBenchmark(
        suite, b, options, *env::Executor::Default(), [&](const runner::RunProgress& r) {
          if (progress) progress(b.name, r);
        }));
  }
  return report;
}

}  // namespace perfledger::service
