// perfledger calibrate --suite FILE: measure each benchmark's noise on this machine and propose
// the sample counts for this platform's epoch, as a TOML snippet for the suite file.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "analysis/parameters.h"
#include "base/time.h"
#include "cli/shell.h"
#include "service/measure.h"

namespace perfledger::cli {
namespace {

struct CalibrateOptions {
  std::string suite_file, platform, format = "toml";
  std::vector<std::string> only;
  int runs = 20;
  double target_precision = 0;  // percent; 0: each benchmark's own (default 1%)
};

std::string Duration(double nanos) {
  const base::ScaledTime t = base::ScaleNanos(nanos);
  return fmt::format("{:.3g} {}", t.value, t.unit);
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
  service::CalibrateRequest request;
  request.suite_file = opt.suite_file;
  request.platform = opt.platform;
  request.only = opt.only;
  request.runs = opt.runs;
  request.target_precision = opt.target_precision / 100;
  const bool terminal = ::isatty(2) == 1;
  auto report =
      service::CalibrateSuite(request, [&](const std::string& name, const runner::RunProgress& r) {
        if (terminal)
          fmt::print(stderr, "\r\033[Kcalibrating {}: run {}/{}", name, r.run, r.planned);
      });
  if (terminal) fmt::print(stderr, "\r\033[K");
  if (!report.ok()) return shell->Fail(report.status());
  const std::vector<runner::Calibration>& results = report->results;
  const std::string& platform = report->platform;
  const env::HostInfo& host = report->host;
  const bool failed = report->failed();
  const bool has_section = report->has_platform_section;
  const int64_t epoch = report->epoch;
  if (opt.format == "json") {
    nlohmann::json out = {{"suite", report->suite}, {"revision", report->revision},
                          {"platform", platform},   {"epoch", epoch},
                          {"runs", opt.runs},       {"benchmarks", nlohmann::json::array()}};
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
               report->suite, report->revision, platform,
               host.cpu.empty() ? "unknown CPU" : host.cpu, host.cores, host.ci ? "CI" : "local");
    fmt::print(
        "# {} measured runs per benchmark; proposed runs bring the median's 95% interval\n"
        "# to the target width. Sampling is part of the epoch: paste this into {}\n",
        opt.runs, opt.suite_file);
    if (has_section) {
      fmt::print(
          "# (replacing any [platform.{}.benchmark] tables there) and raise epoch in\n"
          "# [platform.{}] from {} to {}.\n",
          platform, platform, epoch, epoch + 1);
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
      if (c.Failed()) {
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
