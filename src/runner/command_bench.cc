#include "runner/command_bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "analysis/stats.h"
#include "env/env.h"

namespace perfledger::runner {

base::Result<int64_t> ParseCachegrindSummary(std::string_view text, const std::string& source) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (line.starts_with("summary:")) {
      line.remove_prefix(8);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      int64_t ir = 0;
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), ir);
      if (ec != std::errc() || ir < 0) break;
      return ir;
    }
    at = end + 1;
  }
  return base::Internal(
      fmt::format("{}: no instruction count (a \"summary:\" line) in "
                  "cachegrind's output",
                  source));
}

namespace {

bool UsePerf(const CommandBenchOptions& options) {
  using Counter = CommandBenchOptions::Counter;
  return options.instruction_counter == Counter::kPerf ||
         (options.instruction_counter == Counter::kAuto && env::PerfInstructionsAvailable());
}

// One run under cachegrind; its instruction count.
base::Result<int64_t> CountInstructions(const CommandBenchOptions& options, env::Executor& executor,
                                        int index, std::string* failure) {
  static int sequence = 0;
  const std::string out =
      fmt::format("/tmp/perfledger-cachegrind-{}-{}.out", ::getpid(), ++sequence);
  env::ProcessSpec spec = options.process;
  spec.argv = {options.valgrind,
               "--tool=cachegrind",
               "--cache-sim=no",
               "--quiet",
               "--cachegrind-out-file=" + out,
               "--"};
  spec.argv.insert(spec.argv.end(), options.process.argv.begin(), options.process.argv.end());
  if (spec.timeout_nanos) *spec.timeout_nanos *= 100;  // valgrind runs many times slower
  auto r = executor.Run(spec);
  env::Env* env = env::Env::Default();
  if (!r.ok()) {
    if (r.status().message().starts_with("cannot start '" + options.valgrind + "'")) {
      if (options.instruction_counter == CommandBenchOptions::Counter::kAuto) {
        // Where the kernel gives no counter (a VM, not Linux) valgrind was the only way left.
        return base::InvalidInput(fmt::format(
            "--measure instructions: neither perf_event_open nor valgrind is available here (no "
            "instruction counter from the kernel; {}): install valgrind, or measure without "
            "instructions",
            r.status().message()));
      }
      return base::InvalidInput(
          "--measure instructions: needs valgrind (apt-get install valgrind): " +
          r.status().message());
    }
    return r.status();
  }
  if (r->timed_out || r->signal != 0 || (r->exit_code != 0 && !options.ignore_failure)) {
    (void)env->RemoveFile(out);
    *failure = fmt::format("instruction-count run {}: {}", index, r->Describe());
    return int64_t{0};
  }
  auto text = env->ReadFile(out);
  (void)env->RemoveFile(out);
  if (!text.ok()) return text.status();
  return ParseCachegrindSummary(*text, out);
}

}  // namespace

std::string InstructionSource(const CommandBenchOptions& options) {
  return UsePerf(options) ? "perf_event_open (instructions:u)" : "valgrind cachegrind (Ir)";
}

base::Result<core::BenchmarkResult> BenchmarkCommand(
    const CommandBenchOptions& options, env::Executor& executor,
    const std::function<void(const RunProgress&)>& progress) {
  // Counts a user sets, bounded so that nothing overflows and no run is planned to last years.
  constexpr int kMaxRuns = 1'000'000;
  if (options.runs && (*options.runs < 1 || *options.runs > kMaxRuns)) {
    return base::InvalidInput(fmt::format("--runs: expected a whole number from 1 to {}, got {}",
                                          kMaxRuns, *options.runs));
  }
  if (!options.runs && (options.min_runs < 1 || options.max_runs < options.min_runs ||
                        options.max_runs > kMaxRuns)) {
    return base::InvalidInput(
        fmt::format("--min-runs and --max-runs: expected 1 <= min <= max <= {}", kMaxRuns));
  }
  if (options.warmup < 0 || options.warmup > kMaxRuns) {
    return base::InvalidInput(fmt::format("--warmup: expected 0 to {}", kMaxRuns));
  }
  if (!(options.target_precision > 0 && options.target_precision <= 1)) {
    return base::InvalidInput(
        "--target-precision: expected a percentage above 0 and at most 100, like 1");
  }
  core::BenchmarkResult result;
  result.name = options.name;
  auto failed = [&](std::string_view stage, int index, const env::ProcessResult& r) {
    result.error = fmt::format("{} run {}: {}", stage, index, r.Describe());
    result.metrics.clear();
    return result;
  };
  auto fails = [&](const env::ProcessResult& r) {
    return r.timed_out || r.signal != 0 || (r.exit_code != 0 && !options.ignore_failure);
  };
  // The prepare command before a run; false (and `result` a failure) when it failed.
  auto prepare = [&](std::string_view stage, int index) -> base::Result<bool> {
    if (!options.prepare) return true;
    ASSIGN_OR_RETURN(env::ProcessResult r, executor.Run(*options.prepare));
    if (r.ok()) return true;
    result.error = fmt::format("prepare before {} run {}: {}", stage, index, r.Describe());
    result.metrics.clear();
    return false;
  };
  for (int i = 1; i <= options.warmup; ++i) {
    ASSIGN_OR_RETURN(bool prepared, prepare("warm-up", i));
    if (!prepared) return result;
    ASSIGN_OR_RETURN(env::ProcessResult r, executor.Run(options.process));
    if (fails(r)) return failed("warm-up", i, r);
  }
  const bool perf = options.measure_instructions && UsePerf(options);
  env::ProcessSpec measured_spec = options.process;
  measured_spec.count_instructions = perf;
  std::vector<double> wall, user, system, rss, instructions;
  const int planned = options.runs.value_or(options.max_runs);
  int64_t measured_nanos = 0;
  for (int i = 1; i <= planned; ++i) {
    ASSIGN_OR_RETURN(bool prepared, prepare("measured", i));
    if (!prepared) return result;
    ASSIGN_OR_RETURN(env::ProcessResult r, executor.Run(measured_spec));
    if (fails(r)) return failed("measured", i, r);
    if (perf) {
      if (!r.instructions) {
        return base::Internal(fmt::format("measured run {}: perf_event_open gave no count", i));
      }
      instructions.push_back(static_cast<double>(*r.instructions));
    }
    wall.push_back(static_cast<double>(r.wall_nanos));
    user.push_back(static_cast<double>(r.user_nanos));
    system.push_back(static_cast<double>(r.system_nanos));
    rss.push_back(static_cast<double>(r.max_rss_bytes));
    measured_nanos += r.wall_nanos;
    const analysis::MedianInterval ci = analysis::MedianConfidence(wall);
    bool stop = false;
    int64_t eta = 0;
    if (!options.runs) {
      const bool precise = i >= options.min_runs && ci.relative_width <= options.target_precision;
      const bool spent = i >= options.min_runs && measured_nanos >= options.max_time_nanos;
      stop = precise || spent;
      // Runs needed: the interval narrows about as 1/sqrt(n).
      const int64_t per_run = measured_nanos / i;
      double needed = options.min_runs;
      if (std::isfinite(ci.relative_width) && options.target_precision > 0) {
        const double ratio = ci.relative_width / options.target_precision;
        needed = std::max(needed, i * ratio * ratio);
      }
      needed = std::min<double>(needed, planned);
      eta = static_cast<int64_t>(std::max(0.0, needed - i) * static_cast<double>(per_run));
      eta = std::min<int64_t>(eta, options.max_time_nanos - measured_nanos);
      eta = std::max<int64_t>(eta, per_run * std::max(0, options.min_runs - i));
    } else {
      eta = measured_nanos / i * (planned - i);
    }
    if (progress) {
      progress({i, planned, ci.median, ci.relative_width, std::max<int64_t>(0, eta)});
    }
    if (stop) break;
  }
  auto metric = [](std::string name, std::string unit, std::vector<double> samples) {
    core::Metric m;
    m.name = std::move(name);
    m.unit = std::move(unit);
    m.direction = core::Direction::kLower;
    m.samples = std::move(samples);
    return m;
  };
  if (options.measure_rss) result.metrics.push_back(metric("max_rss", "bytes", std::move(rss)));
  if (options.measure_cpu) {
    result.metrics.push_back(metric("system_time", "ns", std::move(system)));
    result.metrics.push_back(metric("user_time", "ns", std::move(user)));
  }
  result.metrics.push_back(metric("wall_time", "ns", std::move(wall)));
  if (perf) {
    result.metrics.push_back(metric("instructions", "count", std::move(instructions)));
  } else if (options.measure_instructions) {
    if (options.instruction_runs < 1) {
      return base::InvalidInput("--instruction-runs: must be at least 1");
    }
    std::vector<double> counts;
    for (int i = 1; i <= options.instruction_runs; ++i) {
      ASSIGN_OR_RETURN(bool prepared, prepare("instruction-count", i));
      if (!prepared) return result;
      std::string failure;
      ASSIGN_OR_RETURN(int64_t ir, CountInstructions(options, executor, i, &failure));
      if (!failure.empty()) {
        result.error = failure;
        result.metrics.clear();
        return result;
      }
      counts.push_back(static_cast<double>(ir));
    }
    result.metrics.push_back(metric("instructions", "count", std::move(counts)));
  }
  std::sort(result.metrics.begin(), result.metrics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return result;
}

}  // namespace perfledger::runner
