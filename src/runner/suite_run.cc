#include "runner/suite_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "adapters/adapters.h"
#include "base/strings.h"
#include "core/limits.h"
#include "env/env.h"

namespace perfledger::runner {
namespace {

std::string LastLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  size_t nl = text.rfind('\n');
  if (nl != std::string_view::npos) text.remove_prefix(nl + 1);
  if (text.size() > 200) text = text.substr(0, 200);
  return std::string(text);
}

core::BenchmarkResult Failure(std::string name, std::string error) {
  core::BenchmarkResult b;
  b.name = std::move(name);
  b.error = std::move(error);
  return b;
}

std::string Describe(const env::ProcessResult& r) {
  std::string out = r.Describe();
  std::string last = LastLine(r.err);
  if (!last.empty()) out += ": " + last;
  return out;
}

}  // namespace

env::ProcessSpec ProcessSpecFor(const std::vector<std::string>& argv, const SuiteBenchmark& b,
                                const PlatformDeclaration& p, const Sampling& s) {
  env::ProcessSpec spec;
  spec.argv = p.wrapper;
  spec.argv.insert(spec.argv.end(), argv.begin(), argv.end());
  spec.cwd = b.cwd;
  spec.set_env = b.env;
  spec.set_env.insert(spec.set_env.end(), p.env.begin(), p.env.end());
  spec.timeout_nanos = s.timeout_nanos;
  spec.stderr_mode = env::Output::kCapture;
  return spec;
}

CommandBenchOptions CommandBenchFor(const SuiteBenchmark& b, const PlatformDeclaration& p,
                                    const Sampling& s) {
  CommandBenchOptions bench;
  bench.name = b.name;
  bench.process = ProcessSpecFor(b.command, b, p, s);
  bench.process.stderr_mode = env::Output::kDiscard;
  if (!b.prepare.empty()) bench.prepare = ProcessSpecFor(b.prepare, b, p, s);
  bench.warmup = s.warmup;
  return bench;
}

base::Result<std::vector<core::BenchmarkResult>> RunHarness(
    env::ProcessSpec spec, const std::string& adapter_name, const std::string& output_file,
    const std::string& prefix, env::Executor& executor, std::string* adapter_used) {
  const adapters::Adapter* adapter = nullptr;
  if (adapter_name != "auto") {
    ASSIGN_OR_RETURN(adapter, adapters::Find(adapter_name));
  }
  const std::string name = prefix.empty() ? "harness" : prefix;
  spec.stdout_mode = output_file.empty() ? env::Output::kCapture : env::Output::kDiscard;
  spec.stderr_mode = env::Output::kCapture;
  ASSIGN_OR_RETURN(env::ProcessResult r, executor.Run(spec));
  if (!r.ok()) return std::vector{Failure(name, "harness: " + Describe(r))};
  std::string text = std::move(r.out);
  std::string source = fmt::format("{} output", spec.argv.empty() ? "harness" : spec.argv[0]);
  if (!output_file.empty()) {
    std::string path = output_file;
    if (!path.starts_with('/') && !spec.cwd.empty()) path = spec.cwd + "/" + path;
    auto read = env::Env::Default()->ReadFile(path, core::kMaxHarnessOutputBytes);
    if (!read.ok()) {
      return std::vector{Failure(
          name, fmt::format("harness output {}: {}", output_file, read.status().message()))};
    }
    text = std::move(*read);
    source = output_file;
  }
  if (adapter == nullptr) {
    auto detected = adapters::Detect(text, source);
    if (!detected.ok()) return std::vector{Failure(name, detected.status().message())};
    adapter = *detected;
  }
  if (adapter_used != nullptr) *adapter_used = adapter->name;
  auto parsed = adapter->parse(text, source);
  if (!parsed.ok()) {
    return std::vector{
        Failure(name, fmt::format("{}: {}", adapter->name, parsed.status().message()))};
  }
  std::vector<core::BenchmarkResult> out = std::move(*parsed);
  if (!prefix.empty()) {
    for (auto& b : out) b.name = prefix + "/" + b.name;
  }
  return out;
}

base::Result<SuiteRunResult> RunSuite(const Suite& suite, const SuiteRunOptions& options,
                                      env::Executor& executor, const SuiteProgress& progress) {
  std::set<std::string> only(options.only.begin(), options.only.end());
  for (const auto& name : only) {
    if (suite.Find(name) == nullptr) {
      std::string known;
      for (const auto& b : suite.benchmarks) known += (known.empty() ? "" : ", ") + b.name;
      return base::InvalidInput(fmt::format("--benchmark {}: {} has no such benchmark (it has: {})",
                                            name, suite.source, known));
    }
  }
  const PlatformDeclaration platform = suite.PlatformOf(options.platform);
  SuiteRunResult result;
  std::set<std::string> seen;
  auto add = [&](core::BenchmarkResult b, const std::string& entry) -> base::Status {
    if (!seen.insert(b.name).second) {
      return base::InvalidInput(fmt::format(
          "{}: benchmark {} of [[benchmark]] \"{}\" has the same name as another result",
          suite.source, b.name, entry));
    }
    if (b.error && (result.failed.empty() || result.failed.back() != entry)) {
      result.failed.push_back(entry);
    }
    result.benchmarks.push_back(std::move(b));
    return base::Status::Ok();
  };
  for (const SuiteBenchmark& b : suite.benchmarks) {
    if (!only.empty() && !only.contains(b.name)) continue;
    if (options.fail_fast && !result.failed.empty()) {
      result.stopped = true;
      break;
    }
    const Sampling s = suite.SamplingFor(b, options.platform);
    if (!b.setup.empty()) {
      auto r = executor.Run(ProcessSpecFor(b.setup, b, platform, s));
      std::string error;
      if (!r.ok()) {
        error = "setup: " + r.status().message();
      } else if (!r->ok()) {
        error = "setup: " + Describe(*r);
      }
      if (!error.empty()) {
        RETURN_IF_ERROR(add(Failure(b.name, error), b.name));
        continue;
      }
    }
    if (b.is_harness()) {
      std::string adapter;
      auto results = RunHarness(ProcessSpecFor(b.harness, b, platform, s), b.adapter, b.output,
                                b.name, executor, &adapter);
      if (!adapter.empty()) result.harness_adapters.emplace_back(b.name, adapter);
      if (!results.ok()) {
        RETURN_IF_ERROR(add(Failure(b.name, results.status().message()), b.name));
        continue;
      }
      for (auto& r : *results) RETURN_IF_ERROR(add(std::move(r), b.name));
      continue;
    }
    CommandBenchOptions bench = CommandBenchFor(b, platform, s);
    bench.runs = s.runs;
    bench.min_runs = s.min_runs;
    bench.max_runs = s.max_runs;
    bench.max_time_nanos = s.max_time_nanos;
    bench.target_precision = s.target_precision;
    bench.measure_cpu = b.measure_cpu;
    bench.measure_rss = b.measure_rss;
    bench.measure_instructions = b.measure_instructions;
    bench.instruction_runs = s.instruction_runs;
    bench.valgrind = options.valgrind;
    result.measured_instructions |= b.measure_instructions;
    auto measured = BenchmarkCommand(bench, executor, [&](const RunProgress& p) {
      if (progress) progress(b.name, p);
    });
    if (!measured.ok()) {
      RETURN_IF_ERROR(add(Failure(b.name, measured.status().message()), b.name));
      continue;
    }
    RETURN_IF_ERROR(add(std::move(*measured), b.name));
  }
  std::sort(result.benchmarks.begin(), result.benchmarks.end(),
            [](const auto& x, const auto& y) { return x.name < y.name; });
  return result;
}

}  // namespace perfledger::runner
