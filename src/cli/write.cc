// perfledger write: make an artifact from values measured elsewhere (no runner involved).
#include <fmt/format.h>

#include <charconv>
#include <map>

#include "base/json_writer.h"
#include "base/strings.h"
#include "base/uuid.h"
#include "cli/run_metadata.h"
#include "cli/shell.h"
#include "core/artifact.h"
#include "env/env.h"
#include "service/artifacts.h"

namespace perfledger::cli {
namespace {

struct WriteOptions {
  std::string project, commit, platform, branch, commit_time, subject;
  std::string range_from;
  int64_t range_count = 1;
  std::string reason = "manual", reason_detail;
  std::string suite;
  int64_t suite_revision = -1;
  std::string run_id, started_at, finished_at;
  std::vector<std::string> env, samples, errors;
  std::string out_dir;
};

base::Status Bad(std::string message) { return base::InvalidInput(std::move(message)); }

base::Result<double> ParseNumber(std::string_view text, std::string_view flag) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return Bad(fmt::format("{}: expected a number, got {}", flag, base::Quote(text)));
  }
  return v;
}

base::Result<base::Timestamp> ParseTimeFlag(const std::string& text, std::string_view flag) {
  auto t = base::ParseRfc3339(text);
  if (!t.ok()) return Bad(fmt::format("{}: {}", flag, t.status().message()));
  return *t;
}

base::Result<core::Run> BuildRun(const WriteOptions& opt) {
  core::Run run;
  run.run_id = opt.run_id.empty() ? base::NewUuidV4() : opt.run_id;
  run.project = opt.project;
  run.commit.sha = opt.commit;
  if (!opt.branch.empty()) run.commit.branch = opt.branch;
  if (!opt.subject.empty()) run.commit.subject = opt.subject;
  if (!opt.commit_time.empty()) {
    ASSIGN_OR_RETURN(run.commit.time, ParseTimeFlag(opt.commit_time, "--commit-time"));
  }
  if (!opt.range_from.empty()) run.commit_range.from = opt.range_from;
  run.commit_range.to = opt.commit;
  run.commit_range.count = opt.range_count;
  auto reason = core::ParseReason(opt.reason);
  if (!reason) {
    return Bad(fmt::format("--reason: expected one of {}, got {}", core::ReasonList(),
                           base::Quote(opt.reason)));
  }
  run.reason = *reason;
  if (!opt.reason_detail.empty()) run.reason_detail = opt.reason_detail;
  run.platform = opt.platform;
  if (!opt.suite.empty()) {
    run.suite = core::SuiteRef{
        opt.suite, opt.suite_revision < 0 ? 0 : opt.suite_revision, {}, std::nullopt};
  }

  run.environment = service::ThisMachine();
  core::Environment& e = run.environment;
  for (const auto& kv : opt.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Bad(fmt::format("--env: expected KEY=VALUE, got {}", base::Quote(kv)));
    }
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "ci") {
      if (value != "true" && value != "false") {
        return Bad(fmt::format("--env ci: expected true or false, got {}", base::Quote(value)));
      }
      e.ci = value == "true";
    } else if (key == "cores" || key == "memory_bytes") {
      int64_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size() || n < 0) {
        return Bad(fmt::format("--env {}: expected a non-negative integer, got {}", key,
                               base::Quote(value)));
      }
      (key == "cores" ? e.cores : e.memory_bytes) = n;
    } else if (key == "provider") {
      e.provider = value;
    } else if (key == "runner") {
      e.runner = value;
    } else if (key == "os") {
      e.os = value;
    } else if (key == "kernel") {
      e.kernel = value;
    } else if (key == "arch") {
      e.arch = value;
    } else if (key == "cpu") {
      e.cpu = value;
    } else if (key == "fingerprint") {
      e.fingerprint = value;
    } else {
      std::string json;
      base::AppendJsonString(json, value);
      e.extra_json[key] = json;
    }
  }
  if (e.fingerprint.empty()) e.fingerprint = core::ComputeFingerprint(e);

  const base::Timestamp now = env::Env::Default()->Now();
  run.started_at = now;
  run.finished_at = now;
  if (!opt.started_at.empty()) {
    ASSIGN_OR_RETURN(run.started_at, ParseTimeFlag(opt.started_at, "--started-at"));
  }
  if (!opt.finished_at.empty()) {
    ASSIGN_OR_RETURN(run.finished_at, ParseTimeFlag(opt.finished_at, "--finished-at"));
  }

  std::map<std::string, core::BenchmarkResult> benchmarks;
  for (const auto& spec : opt.samples) {
    // BENCH:METRIC:UNIT=v1,v2,...; the benchmark name may itself hold ':'.
    auto eq = spec.rfind('=');
    std::string head = eq == std::string::npos ? spec : spec.substr(0, eq);
    auto c2 = head.rfind(':');
    auto c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : head.rfind(':', c2 - 1);
    if (eq == std::string::npos || c1 == std::string::npos || c1 == 0) {
      return Bad(
          fmt::format("--sample: expected BENCHMARK:METRIC:UNIT=V1,V2,... such as "
                      "\"parse/small:wall_time:ns=1200,1180\", got {}",
                      base::Quote(spec)));
    }
    core::Metric m;
    m.name = head.substr(c1 + 1, c2 - c1 - 1);
    m.unit = head.substr(c2 + 1);
    m.direction = core::DefaultDirection(m.name);
    for (const auto& v : base::Split(std::string_view(spec).substr(eq + 1), ',')) {
      ASSIGN_OR_RETURN(double x, ParseNumber(v, "--sample"));
      m.samples.push_back(x);
    }
    auto& b = benchmarks[head.substr(0, c1)];
    b.metrics.push_back(std::move(m));
  }
  for (const auto& spec : opt.errors) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Bad(fmt::format("--error: expected BENCHMARK=MESSAGE, got {}", base::Quote(spec)));
    }
    benchmarks[spec.substr(0, eq)].error = spec.substr(eq + 1);
  }
  for (auto& [name, b] : benchmarks) {
    b.name = name;
    run.benchmarks.push_back(std::move(b));
  }
  return run;
}

void RunWrite(WriteOptions opt, Shell* shell) {
  opt.platform = ResolvePlatformName(opt.platform, "--platform", *shell);
  auto run = BuildRun(opt);
  if (!run.ok()) return shell->Fail(run.status());
  auto path = EmitArtifact(*run, opt.out_dir, "perfledger write");
  if (!path.ok()) return shell->Fail(path.status());
  if (!path->empty()) fmt::print("{}\n", *path);
}

}  // namespace

void AddWriteVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<WriteOptions>();
  CLI::App* cmd = app.add_subcommand(
      "write", "Write a result artifact from values measured elsewhere (no runner)");
  cmd->footer(
      "The environment is read from this machine; --env KEY=VALUE overrides or adds fields.\n"
      "Without --out the artifact goes to stdout; with it, to\n"
      "DIR/benchmark-results-{sha}-{platform}.json (the path is printed).\n\n"
      "Example:\n"
      "  perfledger write --project gruel --platform x86-64-linux --commit $(git rev-parse "
      "HEAD) \\\n"
      "    --reason push --sample 'parse/small:wall_time:ns=1200,1180,1210' --out results/");
  cmd->add_option("--project", opt->project, "Project name")->required();
  cmd->add_option("--commit", opt->commit, "Commit sha (40 hex digits)")->required();
  cmd->add_option("--platform", opt->platform,
                  "Platform label, arch-os: x86-64-linux, aarch64-macos")
      ->required();
  cmd->add_option("--branch", opt->branch, "Branch of the commit");
  cmd->add_option("--commit-time", opt->commit_time, "Commit time, RFC 3339");
  cmd->add_option("--subject", opt->subject, "Commit subject");
  cmd->add_option("--range-from", opt->range_from,
                  "Previous measured commit: the run stands for (FROM, commit]");
  cmd->add_option("--range-count", opt->range_count, "Commits the run stands for")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--reason", opt->reason, "Why the run happened: " + core::ReasonList());
  cmd->add_option("--reason-detail", opt->reason_detail, "Free text on the reason");
  cmd->add_option("--suite", opt->suite, "Suite name");
  cmd->add_option("--suite-revision", opt->suite_revision, "Suite revision")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--run-id", opt->run_id, "Run id (UUID); a new one by default");
  cmd->add_option("--started-at", opt->started_at, "Start time, RFC 3339; now by default");
  cmd->add_option("--finished-at", opt->finished_at, "End time, RFC 3339; now by default");
  cmd->add_option("--env", opt->env, "Environment field KEY=VALUE (repeatable)");
  cmd->add_option("--sample", opt->samples,
                  "BENCHMARK:METRIC:UNIT=V1,V2,... raw samples (repeatable)");
  cmd->add_option("--error", opt->errors, "BENCHMARK=MESSAGE: a failed benchmark (repeatable)");
  cmd->add_option("--out", opt->out_dir, "Directory to write the artifact file into");
  cmd->callback([opt, shell] { RunWrite(*opt, shell); });
}

}  // namespace perfledger::cli
