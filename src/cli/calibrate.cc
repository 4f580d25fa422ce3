// perfledger calibrate --suite FILE: measure each benchmark's noise on this machine and propose
// the sample counts for this platform's epoch, as a TOML snippet for the suite file.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/parameters.h"
#include "cli/run_metadata.h"
#include "cli/shell.h"
#include "env/host.h"
#include "runner/command_bench.h"
#include "runner/stats.h"
#include "runner/suite.h"

namespace perfledger::cli {
namespace {

struct CalibrateOptions {
  std::string suite_file, platform, format = "toml";
  std::vector<std::string> only;
  int runs = 20;
  double target_precision = 0;  // percent; 0: each benchmark's own (default 1%)
};

struct Calibration {
  std::string name;
  std::string skipped;  // why it was not calibrated
  double median = 0, mad_relative = 0, width = 0, target = 0;
  int runs = 0, proposed = 0;
};

std::string Duration(double nanos) {
  if (nanos >= 1e9) return fmt::format("{:.3g} s", nanos / 1e9);
  if (nanos >= 1e6) return fmt::format("{:.3g} ms", nanos / 1e6);
  if (nanos >= 1e3) return fmt::format("{:.3g} us", nanos / 1e3);
  return fmt::format("{:.3g} ns", nanos);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The runs that bring the median's 95% interval to `target` (relative width): it narrows about
// as 1/sqrt(n), so n' = n (width / target)^2, at least 6 (the fewest with a finite interval).
int ProposedRuns(int runs, double width, double target) {
  const double n = std::ceil(runs * (width / target) * (width / target));
  return static_cast<int>(std::clamp(n, 6.0, 10000.0));
}

Calibration Calibrate(const runner::Suite& suite, const runner::SuiteBenchmark& b,
                      const CalibrateOptions& opt, const std::string& platform) {
  Calibration c;
  c.name = b.name;
  if (b.is_harness()) {
    c.skipped = "a harness samples by its own flags (e.g. --benchmark_repetitions)";
    return c;
  }
  const runner::Sampling s = suite.SamplingFor(b, platform);
  const runner::PlatformDeclaration p = suite.PlatformOf(platform);
  c.target = opt.target_precision > 0 ? opt.target_precision / 100 : s.target_precision;
  env::Executor* executor = env::Executor::Default();
  env::ProcessSpec spec;
  spec.argv = p.wrapper;
  spec.argv.insert(spec.argv.end(), b.command.begin(), b.command.end());
  spec.cwd = b.cwd;
  spec.set_env = b.env;
  spec.set_env.insert(spec.set_env.end(), p.env.begin(), p.env.end());
  spec.timeout_nanos = s.timeout_nanos;
  if (!b.setup.empty()) {
    env::ProcessSpec setup = spec;
    setup.argv = p.wrapper;
    setup.argv.insert(setup.argv.end(), b.setup.begin(), b.setup.end());
    auto r = executor->Run(setup);
    if (!r.ok() || !r->ok()) {
      c.skipped = "setup failed: " + (r.ok() ? r->Describe() : r.status().message());
      return c;
    }
  }
  runner::CommandBenchOptions bench;
  bench.name = b.name;
  bench.process = spec;
  if (!b.prepare.empty()) {
    bench.prepare = spec;
    bench.prepare->argv = p.wrapper;
    bench.prepare->argv.insert(bench.prepare->argv.end(), b.prepare.begin(), b.prepare.end());
  }
  bench.warmup = s.warmup;
  bench.runs = opt.runs;
  bench.measure_cpu = bench.measure_rss = false;
  const bool terminal = ::isatty(2) == 1;
  auto result = runner::BenchmarkCommand(bench, *executor, [&](const runner::RunProgress& r) {
    if (terminal) fmt::print(stderr, "\r\033[Kcalibrating {}: run {}/{}", b.name, r.run, r.planned);
  });
  if (terminal) fmt::print(stderr, "\r\033[K");
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
  const runner::MedianInterval ci = runner::MedianConfidence(wall);
  c.runs = static_cast<int>(wall.size());
  c.median = ci.median;
  c.width = ci.relative_width;
  std::vector<double> deviations;
  for (double v : wall) deviations.push_back(std::abs(v - ci.median));
  c.mad_relative = ci.median > 0 ? Median(deviations) / ci.median : 0;
  if (!std::isfinite(c.width)) {
    c.skipped = "no finite interval (a zero median?)";
    return c;
  }
  c.proposed = ProposedRuns(c.runs, c.width, c.target);
  return c;
}

std::string TomlKey(const std::string& name) {
  nlohmann::json quoted = name;
  return quoted.dump();
}

void RunCalibrate(const CalibrateOptions& opt, Shell* shell) {
  if (opt.runs < 6) {
    return shell->UsageError("--runs: at least 6 (fewer give the median no finite interval)");
  }
  if (auto s = analysis::CheckRuns(opt.runs, "--runs", 6); !s.ok()) return shell->Fail(s);
  if (opt.target_precision < 0 || opt.target_precision > 100) {
    return shell->UsageError("--target-precision: a percentage above 0 and at most 100");
  }
  auto suite = runner::LoadSuite(opt.suite_file);
  if (!suite.ok()) return shell->Fail(suite.status());
  for (const auto& name : opt.only) {
    if (suite->Find(name) == nullptr) {
      return shell->UsageError(
          fmt::format("--benchmark {}: {} has no such benchmark", name, opt.suite_file));
    }
  }
  const env::HostInfo host = env::ReadHostInfo();
  const std::string platform = opt.platform.empty() ? HostPlatform(host) : opt.platform;
  std::vector<Calibration> results;
  for (const auto& b : suite->benchmarks) {
    if (!opt.only.empty() &&
        std::find(opt.only.begin(), opt.only.end(), b.name) == opt.only.end()) {
      continue;
    }
    results.push_back(Calibrate(*suite, b, opt, platform));
  }
  bool failed = false;
  for (const auto& c : results)
    failed |= c.skipped.starts_with("failed") || c.skipped.starts_with("setup failed");
  const runner::PlatformDeclaration declared = suite->PlatformOf(platform);
  const bool has_section = suite->platforms.contains(platform);
  if (opt.format == "json") {
    nlohmann::json out = {{"suite", suite->name}, {"revision", suite->revision},
                          {"platform", platform}, {"epoch", declared.epoch},
                          {"runs", opt.runs},     {"benchmarks", nlohmann::json::array()}};
    for (const auto& c : results) {
      nlohmann::json b = {{"name", c.name}};
      if (!c.skipped.empty()) {
        b["skipped"] = c.skipped;
      } else {
        b.update({{"median_ns", c.median},
                  {"mad_relative", c.mad_relative},
                  {"interval_relative_width", c.width},
                  {"target_precision", c.target * 100},
                  {"proposed_runs", c.proposed}});
      }
      out["benchmarks"].push_back(b);
    }
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("# perfledger calibrate: suite \"{}\" revision {} on {} ({}, {} cores, {})\n",
               suite->name, suite->revision, platform, host.cpu.empty() ? "unknown CPU" : host.cpu,
               host.cores, host.ci ? "CI" : "local");
    fmt::print(
        "# {} measured runs per benchmark; proposed runs bring the median's 95% interval\n"
        "# to the target width. Sampling is part of the epoch: paste this into {}\n",
        opt.runs, opt.suite_file);
    if (has_section) {
      fmt::print(
          "# (replacing any [platform.{}.benchmark] tables there) and raise epoch in\n"
          "# [platform.{}] from {} to {}.\n",
          platform, platform, declared.epoch, declared.epoch + 1);
    } else {
      fmt::print("# ({} has no [platform.{}] yet, so its runs were in epoch 1.)\n", opt.suite_file,
                 platform);
      fmt::print("\n[platform.{}]\nepoch = 2\n", platform);
    }
    for (const auto& c : results) {
      if (!c.skipped.empty()) {
        fmt::print("\n# {}: not calibrated: {}\n", c.name, c.skipped);
        continue;
      }
      fmt::print(
          "\n[platform.{}.benchmark.{}]\nruns = {}  # median {}, spread (MAD) {:.2f}%, "
          "interval {:.2f}% at {} runs, target {:.2g}%\n",
          platform, TomlKey(c.name), c.proposed, Duration(c.median), c.mad_relative * 100,
          c.width * 100, c.runs, c.target * 100);
    }
  }
  if (failed) {
    for (const auto& c : results) {
      if (c.skipped.starts_with("failed") || c.skipped.starts_with("setup failed")) {
        fmt::print(stderr, "error: {}: {}\n", c.name, c.skipped);
      }
    }
    shell->exit_code = kExitError;
  }
}

}  // namespace

void AddCalibrateVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Measure each suite benchmark's noise here and propose its sample count");
  cmd->footer(
      "Runs every command benchmark of the suite --runs times (after its warm-up runs) on this\n"
      "machine, measures the spread of its wall time, and proposes the runs that bring the\n"
      "median's 95% confidence interval within the target precision (the benchmark's\n"
      "target_precision, default 1%, or --target-precision). The proposal is a TOML snippet\n"
      "for the platform's section of the suite file; changing sampling starts a new epoch.\n"
      "Harness benchmarks sample by their own flags and are listed, not calibrated.\n\n"
      "Example:\n"
      "  perfledger calibrate --suite perfledger.toml --platform x86-64-linux --runs 30 \\\n"
      "      >> perfledger.toml   # then raise the platform's epoch");
  cmd->add_option("--suite", opt->suite_file, "The suite file")->required();
  cmd->add_option("--runs", opt->runs, "Measured runs per benchmark (default 20)");
  cmd->add_option("--platform", opt->platform, "Platform label (default: this machine's arch-os)");
  cmd->add_option("--benchmark", opt->only, "Only this benchmark (repeatable)");
  cmd->add_option("--target-precision", opt->target_precision,
                  "Interval width in percent (default: each benchmark's, else 1)");
  cmd->add_option("--format", opt->format, "toml (a snippet for the suite file) or json")
      ->check(CLI::IsMember({"toml", "json"}));
  cmd->callback([opt, shell] { RunCalibrate(*opt, shell); });
}

}  // namespace perfledger::cli
