// perfledger run -- CMD ARGS...: benchmark a command and write one artifact.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "base/strings.h"
#include "base/time.h"
#include "cli/run_metadata.h"
#include "cli/shell.h"
#include "core/artifact.h"
#include "env/env.h"
#include "runner/command_bench.h"

namespace perfledger::cli {
namespace {

struct RunOptions {
  RunMetadataOptions metadata;
  std::string out_dir, name, max_time = "10s", timeout, measure = "wall,cpu,rss";
  int warmup = 1;
  std::optional<int> runs;
  int min_runs = 10, max_runs = 1000;
  double target_precision = 1.0;  // percent
  bool ignore_failure = false;
  int instruction_runs = 3;
  std::vector<std::string> command;
};

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

std::string Millis(double nanos) { return fmt::format("{:.3f} ms", nanos / 1e6); }

void RunRun(const RunOptions& opt, Shell* shell) {
  if (opt.command.empty()) return shell->UsageError("no command: perfledger run [OPTIONS] -- CMD");
  runner::CommandBenchOptions bench;
  bench.name = opt.name.empty() ? JoinArgs(opt.command) : opt.name;
  bench.process.argv = opt.command;
  bench.warmup = opt.warmup;
  bench.runs = opt.runs;
  bench.min_runs = opt.min_runs;
  bench.max_runs = opt.max_runs;
  bench.target_precision = opt.target_precision / 100;
  bench.ignore_failure = opt.ignore_failure;
  bench.instruction_runs = opt.instruction_runs;
  if (opt.instruction_runs < 1) return shell->UsageError("--instruction-runs: must be at least 1");
  auto max_time = base::ParseDuration(opt.max_time);
  if (!max_time.ok()) return shell->Fail(max_time.status().WithPrefix("--max-time"));
  bench.max_time_nanos = *max_time;
  if (!opt.timeout.empty()) {
    auto timeout = base::ParseDuration(opt.timeout);
    if (!timeout.ok() || *timeout <= 0) {
      return shell->UsageError("--timeout: expected a duration like 30s, got '" + opt.timeout +
                               "'");
    }
    bench.process.timeout_nanos = *timeout;
  }
  bool wall = false;
  bench.measure_cpu = bench.measure_rss = false;
  for (const std::string& m : base::Split(opt.measure, ',')) {
    if (m == "wall") {
      wall = true;
    } else if (m == "cpu") {
      bench.measure_cpu = true;
    } else if (m == "rss") {
      bench.measure_rss = true;
    } else if (m == "instructions") {
      bench.measure_instructions = true;
    } else {
      return shell->UsageError("--measure: expected a list of wall, cpu, rss, instructions; got '" +
                               m + "'");
    }
  }
  if (!wall) return shell->UsageError("--measure: wall is always measured; include it");

  auto run = opt.metadata.NewRun();
  if (!run.ok()) return shell->Fail(run.status());
  const bool terminal = ::isatty(2) == 1;
  auto progress = [&](const runner::RunProgress& p) {
    if (!terminal) return;
    fmt::print(stderr, "\r\033[K{}: run {}/{}  median {}  ±{:.1f}%  ~{:.0f} s left", bench.name,
               p.run, p.planned, Millis(p.median_nanos),
               std::isfinite(p.relative_width) ? p.relative_width * 50 : 100.0,
               static_cast<double>(p.eta_nanos) / 1e9);
  };
  const auto now = [] {
    return base::Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()};
  };
  run->started_at = now();
  auto result = runner::BenchmarkCommand(bench, *env::Executor::Default(), progress);
  if (terminal) fmt::print(stderr, "\r\033[K");
  if (!result.ok()) return shell->Fail(result.status());
  run->finished_at = now();
  run->benchmarks.push_back(*result);
  // Which mechanism produced each metric.
  std::string sources =
      R"j({"wall_time":"clock_gettime(CLOCK_MONOTONIC)","user_time":"wait4 rusage",)j"
      R"j("system_time":"wait4 rusage","max_rss":"wait4 rusage")j";
  if (bench.measure_instructions) sources += R"j(,"instructions":"valgrind cachegrind (Ir)")j";
  run->environment.extra_json["metric_sources"] = sources + "}";
  auto path = EmitArtifact(*run, opt.out_dir, "perfledger run");
  if (!path.ok()) return shell->Fail(path.status());
  if (!path->empty()) fmt::print(stderr, "wrote {}\n", *path);
  if (result->error) {
    fmt::print(stderr, "error: {}: {}\n", bench.name, *result->error);
    shell->exit_code = kExitError;
    return;
  }
  for (const auto& m : result->metrics) {
    if (m.name != "wall_time") continue;
    std::vector<double> v = m.samples;
    std::sort(v.begin(), v.end());
    fmt::print(stderr, "{}: {} runs, median {}, min {}, max {}\n", bench.name, v.size(),
               Millis(v[v.size() / 2]), Millis(v.front()), Millis(v.back()));
  }
}

}  // namespace

void AddRunVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Benchmark a command and write one artifact");
  cmd->footer(
      "Runs CMD directly (no shell) in its own process group: warm-up runs, then measured runs,\n"
      "either --runs N or adaptively: after --min-runs, stop once the median's 95% confidence\n"
      "interval is within --target-precision percent, or --max-time of measuring is spent.\n"
      "Measures wall time (monotonic clock), user and system CPU time and peak RSS (wait4).\n"
      "A run that exits non-zero, is killed or exceeds --timeout makes the benchmark a\n"
      "structured failure in the artifact (exit status 1) unless --ignore-failure.\n\n"
      "Example:\n"
      "  perfledger run --platform x86-64-linux --name parse/large --out results/ \\\n"
      "      -- ./build/parser testdata/large.json");
  opt->metadata.AddTo(cmd);
  cmd->add_option("--out", opt->out_dir, "Directory for the artifact (default: stdout)");
  cmd->add_option("--name", opt->name, "Benchmark name (default: the command line)");
  cmd->add_option("--warmup", opt->warmup, "Unmeasured runs first (default 1)");
  auto* runs = cmd->add_option("--runs", opt->runs, "Exactly this many measured runs");
  cmd->add_option("--min-runs", opt->min_runs, "Adaptive: at least (default 10)")->excludes(runs);
  cmd->add_option("--max-runs", opt->max_runs, "Adaptive: at most (default 1000)")->excludes(runs);
  cmd->add_option("--max-time", opt->max_time, "Adaptive: time budget (default 10s)")
      ->excludes(runs);
  cmd->add_option("--target-precision", opt->target_precision,
                  "Adaptive: CI width of the median in percent (default 1)")
      ->excludes(runs);
  cmd->add_option("--timeout", opt->timeout, "Kill a run (and its process group) after this");
  cmd->add_option("--measure", opt->measure,
                  "Comma-separated: wall,cpu,rss,instructions (default wall,cpu,rss); "
                  "instructions runs the command under valgrind's cachegrind");
  cmd->add_option("--instruction-runs", opt->instruction_runs,
                  "With instructions: runs under valgrind (default 3)");
  cmd->add_flag("--ignore-failure", opt->ignore_failure, "Measure runs that exit non-zero");
  cmd->add_option("command", opt->command, "The command and its arguments, after --")->required();
  cmd->callback([opt, shell] { RunRun(*opt, shell); });
}

}  // namespace perfledger::cli
