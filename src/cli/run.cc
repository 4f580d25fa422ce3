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
#include "service/measure.h"

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
  // Suites and harnesses.
  std::string suite_file, adapter;
  std::vector<std::string> only;
  bool fail_fast = false;
  // The sampling options given on the command line (a suite's sampling is its epoch's).
  std::vector<CLI::Option*> sampling_options;
  std::string GivenSampling() const {
    for (const CLI::Option* o : sampling_options) {
      if (o->count() > 0) return o->get_name();
    }
    return "";
  }
};

// "51.317 ms", "812.4 ns": three decimals in the largest unit under which the value is >= 1.
std::string Millis(double nanos) {
  const base::ScaledTime t = base::ScaleNanos(nanos);
  if (t.unit == std::string_view("ns")) return fmt::format("{:.1f} ns", nanos);
  return fmt::format("{:.3f} {}", t.value, t.unit);
}

void PrintProgress(const std::string& name, const runner::RunProgress& p) {
  fmt::print(stderr, "\r\033[K{}: run {}/{}  median {}  ±{:.1f}%  ~{:.0f} s left", name, p.run,
             p.planned, Millis(p.median_nanos),
             std::isfinite(p.relative_width) ? p.relative_width * 50 : 100.0,
             static_cast<double>(p.eta_nanos) / 1e9);
}

// The one-line summary on stderr when stdout is a file or a pipe (it carries the artifact).
void PrintSummaryLine(const core::BenchmarkResult& b) {
  for (const auto& m : b.metrics) {
    if (m.name != "wall_time" || m.samples.empty() || m.unit != "ns") continue;
    std::vector<double> v = m.samples;
    std::sort(v.begin(), v.end());
    fmt::print(stderr, "{}: {} runs, median {}, min {}, max {}\n", b.name, v.size(),
               Millis(v[v.size() / 2]), Millis(v.front()), Millis(v.back()));
  }
}

struct SampleStats {
  size_t n = 0;
  double mean = 0, stddev = 0, median = 0, min = 0, max = 0;
};

// Fewer than two samples: stddev 0. The median of an even count is the mean of the middle two.
SampleStats Describe(std::vector<double> v) {
  SampleStats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  if (v.size() > 1) {
    double squares = 0;
    for (double x : v) squares += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(v.size() - 1));
  }
  return s;
}

const core::Metric* FindMetric(const core::BenchmarkResult& b, std::string_view name) {
  for (const auto& m : b.metrics) {
    if (m.name == name && !m.samples.empty()) return &m;
  }
  return nullptr;
}

// "1.7 MiB", "812 KiB".
std::string Bytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", bytes / (1 << 30));
  if (bytes >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", bytes / (1 << 20));
  if (bytes >= 1024.0) return fmt::format("{:.0f} KiB", bytes / 1024);
  return fmt::format("{:.0f} B", bytes);
}

std::string Value(double v, const std::string& unit) {
  if (unit == "ns") return Millis(v);
  if (unit == "bytes") return Bytes(v);
  return fmt::format("{:.6g} {}", v, unit);
}

// On a terminal, like hyperfine:
//   Benchmark: sleep 0.02
//     Time (mean ± σ):     20.512 ms ±  0.214 ms    [User: 0.612 ms, System: 0.402 ms]
//     Time (median):       20.497 ms
//     Range (min … max):   20.105 ms … 21.034 ms    24 runs
//     Peak RSS (median):   1.7 MiB
// A harness's metrics other than wall time get a median line each.
void PrintTerminalSummary(const core::BenchmarkResult& b) {
  fmt::print("Benchmark: {}\n", b.name);
  if (b.error) {
    fmt::print("  failed: {}\n", *b.error);
    return;
  }
  if (const core::Metric* wall = FindMetric(b, "wall_time");
      wall != nullptr && wall->unit == "ns") {
    const SampleStats t = Describe(wall->samples);
    std::string cpu;
    const core::Metric* user = FindMetric(b, "user_time");
    const core::Metric* sys = FindMetric(b, "system_time");
    if (user != nullptr && sys != nullptr) {
      cpu = fmt::format("    [User: {}, System: {}]", Millis(Describe(user->samples).mean),
                        Millis(Describe(sys->samples).mean));
    }
    fmt::print("  Time (mean ± σ):     {:>10} ± {:>10}{}\n", Millis(t.mean), Millis(t.stddev), cpu);
    fmt::print("  Time (median):       {:>10}\n", Millis(t.median));
    fmt::print("  Range (min … max):   {:>10} … {:>10}    {} run{}\n", Millis(t.min), Millis(t.max),
               t.n, t.n == 1 ? "" : "s");
  }
  for (const auto& m : b.metrics) {
    if (m.samples.empty() || m.name == "wall_time" || m.name == "user_time" ||
        m.name == "system_time") {
      continue;
    }
    const std::string label = m.name == "max_rss" ? "Peak RSS" : m.name;
    fmt::print("  {:<21}{}\n", label + " (median):", Value(Describe(m.samples).median, m.unit));
  }
}

// Where the artifact and the summaries go: with --out, to the file; else JSON to stdout when it
// is a file or a pipe, and nothing (a summary instead) when it is a terminal.
struct Output {
  bool terminal = ::isatty(STDOUT_FILENO) == 1;
  bool write_artifact = true;
  explicit Output(const std::string& out_dir) { write_artifact = !out_dir.empty() || !terminal; }
  void Summarize(const core::BenchmarkResult& b) const {
    if (terminal) {
      PrintTerminalSummary(b);
    } else {
      PrintSummaryLine(b);
    }
  }
  // Says once, on a terminal without --out, that no artifact was written.
  void NoteNoArtifact() const {
    if (!write_artifact) {
      fmt::print(stderr,
                 "note: no artifact written (stdout is a terminal): pass --out DIR, or pipe "
                 "stdout, to keep one\n");
    }
  }
};

// perfledger run --suite FILE: every (or each --benchmark) benchmark of the suite, one artifact.
void RunSuiteFile(const RunOptions& opt, Shell* shell) {
  if (!opt.command.empty()) {
    return shell->UsageError("--suite runs the suite file's benchmarks; give no command after --");
  }
  if (!opt.adapter.empty()) {
    return shell->UsageError("--adapter: a suite names each harness's adapter in the file");
  }
  if (!opt.name.empty()) return shell->UsageError("--name: suite benchmarks are named in the file");
  if (std::string given = opt.GivenSampling(); !given.empty()) {
    return shell->UsageError(given +
                             ": with --suite, sampling comes from the suite file (it is part of "
                             "the platform's epoch)");
  }
  if (!opt.timeout.empty()) {
    return shell->UsageError("--timeout: with --suite, timeouts come from the suite file");
  }
  service::SuiteMeasureRequest request;
  request.suite_file = opt.suite_file;
  request.only = opt.only;
  request.fail_fast = opt.fail_fast;
  request.metadata = opt.metadata.Metadata(*shell);
  const bool terminal = ::isatty(2) == 1;
  auto measured =
      service::MeasureSuite(request, [&](const std::string& name, const runner::RunProgress& p) {
        if (terminal) PrintProgress(name, p);
      });
  if (terminal) fmt::print(stderr, "\r\033[K");
  if (!measured.ok()) return shell->Fail(measured.status());
  if (measured->warning) {
    fmt::print(stderr, "warning: {}; perfledger ingest will refuse this run\n", *measured->warning);
  }
  const core::Run* run = &measured->run;
  const runner::SuiteRunResult* result = &measured->result;
  if (result->stopped || (opt.fail_fast && !result->failed.empty())) {
    for (const auto& b : run->benchmarks) {
      if (b.error) fmt::print(stderr, "error: {}: {}\n", b.name, *b.error);
    }
    fmt::print(stderr,
               "error: stopped at the first failing benchmark (--fail-fast); no artifact "
               "written\n");
    shell->exit_code = kExitError;
    return;
  }
  const Output output(opt.out_dir);
  std::string path;
  if (output.write_artifact) {
    auto written = EmitArtifact(*run, opt.out_dir, "perfledger run --suite " + opt.suite_file);
    if (!written.ok()) return shell->Fail(written.status());
    path = *written;
  }
  for (const auto& b : run->benchmarks) {
    if (b.error) {
      fmt::print(stderr, "error: {}: {}\n", b.name, *b.error);
    } else {
      output.Summarize(b);
    }
  }
  if (!path.empty()) fmt::print(stderr, "wrote {}\n", path);
  output.NoteNoArtifact();
  if (!result->failed.empty()) {
    fmt::print(stderr, "{} of the suite's benchmarks failed; the run is partial\n",
               result->failed.size());
    shell->exit_code = kExitError;
  }
}

// perfledger run --adapter NAME -- CMD: run a harness once and convert its output.
void RunAdapter(const RunOptions& opt, Shell* shell) {
  if (opt.command.empty()) {
    return shell->UsageError("no command: perfledger run --adapter NAME [OPTIONS] -- CMD");
  }
  if (std::string given = opt.GivenSampling(); !given.empty()) {
    return shell->UsageError(given +
                             ": with --adapter the harness samples by its own flags (e.g. "
                             "--benchmark_repetitions)");
  }
  if (auto s = service::CheckAdapterName(opt.adapter); !s.ok()) {
    return shell->UsageError(s.message());
  }
  service::HarnessMeasureRequest request;
  request.command = opt.command;
  request.adapter = opt.adapter;
  request.name = opt.name;
  request.metadata = opt.metadata.Metadata(*shell);
  if (!opt.timeout.empty()) {
    auto timeout = base::ParseDuration(opt.timeout);
    if (!timeout.ok() || *timeout <= 0) {
      return shell->UsageError("--timeout: expected a duration like 30s, got '" + opt.timeout +
                               "'");
    }
    request.timeout_nanos = *timeout;
  }
  auto measured = service::MeasureHarness(request);
  if (!measured.ok()) return shell->Fail(measured.status());
  if (measured->failure) {
    fmt::print(stderr, "error: {}: {}\n", base::Join(opt.command, " "), *measured->failure);
    shell->exit_code = kExitError;
    return;
  }
  const core::Run* run = &measured->run;
  const Output output(opt.out_dir);
  std::string path;
  if (output.write_artifact) {
    auto written = EmitArtifact(*run, opt.out_dir, "perfledger run --adapter " + opt.adapter);
    if (!written.ok()) return shell->Fail(written.status());
    path = *written;
  }
  int failures = 0;
  for (const auto& b : run->benchmarks) {
    if (b.error) {
      ++failures;
      fmt::print(stderr, "error: {}: {}\n", b.name, *b.error);
    } else if (output.terminal) {
      PrintTerminalSummary(b);
    }
  }
  if (!path.empty()) {
    fmt::print(stderr, "wrote {} ({} benchmark{})\n", path, run->benchmarks.size(),
               run->benchmarks.size() == 1 ? "" : "s");
  }
  output.NoteNoArtifact();
  if (failures > 0) shell->exit_code = kExitError;
}

void RunRun(const RunOptions& opt, Shell* shell) {
  if (!opt.suite_file.empty()) return RunSuiteFile(opt, shell);
  if (!opt.adapter.empty()) return RunAdapter(opt, shell);
  if (!opt.only.empty()) return shell->UsageError("--benchmark: needs --suite FILE");
  if (opt.fail_fast) return shell->UsageError("--fail-fast: needs --suite FILE");
  if (opt.command.empty()) return shell->UsageError("no command: perfledger run [OPTIONS] -- CMD");
  runner::CommandBenchOptions bench;
  bench.name = opt.name.empty() ? base::Join(opt.command, " ") : opt.name;
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
  // Wall time is always measured: "--measure instructions" means wall and instructions.
  bench.measure_cpu = bench.measure_rss = false;
  for (const std::string& m : base::Split(opt.measure, ',')) {
    if (m == "wall") {
      continue;
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

  const bool terminal = ::isatty(2) == 1;
  auto measured =
      service::MeasureCommand(bench, opt.metadata.Metadata(*shell),
                              [&](const std::string& name, const runner::RunProgress& p) {
                                if (terminal) PrintProgress(name, p);
                              });
  if (terminal) fmt::print(stderr, "\r\033[K");
  if (!measured.ok()) return shell->Fail(measured.status());
  const core::Run* run = &measured->run;
  const core::BenchmarkResult* result = &measured->result;
  const Output output(opt.out_dir);
  if (output.write_artifact) {
    auto path = EmitArtifact(*run, opt.out_dir, "perfledger run");
    if (!path.ok()) return shell->Fail(path.status());
    if (!path->empty()) fmt::print(stderr, "wrote {}\n", *path);
  }
  if (result->error) {
    fmt::print(stderr, "error: {}: {}\n", bench.name, *result->error);
    shell->exit_code = kExitError;
    return;
  }
  output.Summarize(*result);
  output.NoteNoArtifact();
}

}  // namespace

void AddRunVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<RunOptions>();
  CLI::App* cmd =
      app.add_subcommand("run", "Benchmark a command, a harness or a suite; write one artifact");
  cmd->footer(
      "Three ways to run:\n"
      "  -- CMD ARGS...        time CMD (no shell) in its own process group: warm-up runs, then\n"
      "                        --runs N, or adaptively: after --min-runs, stop once the median's\n"
      "                        95% confidence interval is within --target-precision percent, or\n"
      "                        --max-time of measuring is spent.\n"
      "  --adapter NAME -- CMD run a benchmark harness once and convert its output (adapters as\n"
      "                        in `perfledger convert --help`, or auto).\n"
      "  --suite FILE          run the suite file's benchmarks (or each --benchmark NAME) with\n"
      "                        the sampling of this platform's epoch; the artifact carries the\n"
      "                        suite revision and epoch, which ingest checks.\n"
      "Measures wall time (monotonic clock), user and system CPU time and peak RSS (wait4) of\n"
      "the command alone;\n"
      "--measure instructions counts instructions (deterministic) with perf_event_open where\n"
      "the kernel has the counter, else under valgrind's cachegrind (--instruction-runs).\n"
      "A run that exits non-zero, is killed or exceeds --timeout makes the benchmark a\n"
      "structured failure in the artifact and the exit status 1 (unless --ignore-failure);\n"
      "with --suite --fail-fast the first failure stops the suite and no artifact is written.\n"
      "Without --out the artifact goes to stdout when it is a file or a pipe; on a terminal a\n"
      "summary (mean ± σ, median, min … max, user and system time) is printed instead.\n"
      "Outside a git repository the commit is unknown (ingest refuses such an artifact: pass\n"
      "--commit SHA) and the project is the directory's name; a note says so.\n\n"
      "Examples:\n"
      "  perfledger run -- sleep 0.1\n"
      "  perfledger run --platform x86-64-linux --name parse/large --out results/ \\\n"
      "      -- ./build/parser testdata/large.json\n"
      "  perfledger run --adapter google-benchmark --out results/ \\\n"
      "      -- ./build/micro --benchmark_format=json --benchmark_repetitions=10\n"
      "  perfledger run --suite perfledger.toml --platform x86-64-linux --out results/");
  opt->metadata.AddTo(cmd, /*with_suite_name=*/false);
  cmd->add_option("--out", opt->out_dir,
                  "Directory for the artifact (default: stdout when it is a file or a pipe; on "
                  "a terminal, a summary and no artifact)");
  cmd->add_option("--name", opt->name,
                  "Benchmark name (default: the command line); with --adapter, a prefix");
  cmd->add_option("--suite", opt->suite_file, "Run the benchmarks of this suite file");
  cmd->add_option("--benchmark", opt->only, "With --suite: only this benchmark (repeatable)");
  cmd->add_flag("--fail-fast", opt->fail_fast,
                "With --suite: stop at the first failing benchmark, write no artifact");
  cmd->add_option("--adapter", opt->adapter, "Run CMD as a harness and convert its output");
  auto* warmup = cmd->add_option("--warmup", opt->warmup, "Unmeasured runs first (default 1)");
  auto* runs = cmd->add_option("--runs", opt->runs, "Exactly this many measured runs");
  auto* min_runs = cmd->add_option("--min-runs", opt->min_runs, "Adaptive: at least (default 10)")
                       ->excludes(runs);
  auto* max_runs = cmd->add_option("--max-runs", opt->max_runs, "Adaptive: at most (default 1000)")
                       ->excludes(runs);
  auto* max_time =
      cmd->add_option("--max-time", opt->max_time, "Adaptive: time budget (default 10s)")
          ->excludes(runs);
  auto* precision = cmd->add_option("--target-precision", opt->target_precision,
                                    "Adaptive: CI width of the median in percent (default 1)")
                        ->excludes(runs);
  cmd->add_option("--timeout", opt->timeout, "Kill a run (and its process group) after this");
  auto* measure = cmd->add_option("--measure", opt->measure,
                                  "Comma-separated: wall,cpu,rss,instructions (default "
                                  "wall,cpu,rss; wall is always measured); instructions: "
                                  "perf_event_open, else valgrind");
  auto* instruction_runs = cmd->add_option("--instruction-runs", opt->instruction_runs,
                                           "With instructions: runs under valgrind (default 3)");
  auto* ignore =
      cmd->add_flag("--ignore-failure", opt->ignore_failure, "Measure runs that exit non-zero");
  opt->sampling_options = {warmup,    runs,    min_runs,         max_runs, max_time,
                           precision, measure, instruction_runs, ignore};
  cmd->add_option("command", opt->command, "The command and its arguments, after --");
  cmd->callback([opt, shell] { RunRun(*opt, shell); });
}

}  // namespace perfledger::cli
