// perfledger simulate: what a scheduling policy does to the queue, latency and coverage.
#include <fmt/format.h>

#include <filesystem>

#include "base/json_writer.h"
#include "base/strings.h"
#include "base/time.h"
#include "cli/schedule_options.h"
#include "cli/shell.h"
#include "schedule/commit_source.h"
#include "schedule/simulator.h"

namespace perfledger::cli {
namespace {

struct SimulateOptions {
  std::string repo, branch, rate = "60/h", duration = "24h", bench_time = "90s";
  std::string execution = "parallel", format = "table";
  std::vector<std::string> bursts;
  int platforms = 3;
  double jitter = 0.3, merge_fraction = 0, tagged_fraction = 0;
  uint64_t seed = 1;
  PolicyOptions policy;
};

// "60/h", "2/min", "500/d" -> commits per hour.
base::Result<double> ParseRate(std::string_view flag, const std::string& text) {
  const size_t slash = text.find('/');
  auto bad = [&] {
    return base::InvalidInput(
        fmt::format("{}: expected a rate like 60/h, 2/min or 500/d, got '{}'", flag, text));
  };
  if (slash == std::string::npos) return bad();
  double count = 0;
  try {
    size_t used = 0;
    count = std::stod(text.substr(0, slash), &used);
    if (used != slash || !(count >= 0) || count > 1e6) return bad();
  } catch (const std::exception&) {
    return bad();
  }
  const std::string unit = text.substr(slash + 1);
  if (unit == "h") return count;
  if (unit == "min" || unit == "m") return count * 60;
  if (unit == "d") return count / 24;
  return bad();
}

// "9h:1h:240/h": from 9 hours in, for 1 hour, 240 commits an hour.
base::Result<schedule::Burst> ParseBurst(const std::string& text) {
  auto parts = base::Split(text, ':');
  auto bad = [&](std::string_view why) {
    return base::InvalidInput(fmt::format(
        "--bursts: expected START:DURATION:RATE like 9h:1h:240/h, got '{}' ({})", text, why));
  };
  if (parts.size() != 3) return bad("three parts separated by ':'");
  schedule::Burst b;
  auto start = base::ParseDuration(parts[0]);
  if (!start.ok()) return bad("bad start");
  auto length = base::ParseDuration(parts[1]);
  if (!length.ok() || *length <= 0) return bad("bad duration");
  auto rate = ParseRate("--bursts", std::string(parts[2]));
  if (!rate.ok()) return bad("bad rate");
  b.start_nanos = *start;
  b.duration_nanos = *length;
  b.rate_per_hour = *rate;
  return b;
}

base::Result<int64_t> DurationFlag(std::string_view flag, const std::string& text) {
  auto d = base::ParseDuration(text);
  if (!d.ok()) return d.status().WithPrefix(flag);
  if (*d <= 0) return base::InvalidInput(fmt::format("{}: must be longer than zero", flag));
  return *d;
}

void PrintJson(const schedule::SimulationConfig& c, const schedule::SimulationResult& r) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("commits").Int(r.commits);
  w.Key("simulated_hours").Number(static_cast<double>(r.simulated_nanos) / 3600e9);
  w.Key("platforms").Int(c.platforms);
  w.Key("execution")
      .String(c.execution == schedule::Execution::kParallel ? "parallel" : "sequential");
  w.Key("sampling").String(schedule::SamplingName(c.policy.sampling));
  w.Key("window_minutes").Number(Minutes(c.policy.window_nanos));
  w.Key("bench_time_s").Number(static_cast<double>(c.bench_nanos) / 1e9);
  w.Key("plans").Int(r.plans);
  w.Key("max_queue_depth").Int(r.max_queue_depth);
  w.Key("p95_queue_depth").Int(r.p95_queue_depth);
  w.Key("final_queue_depth").Int(r.final_queue_depth);
  w.Key("mean_latency_s").Number(r.mean_latency_s);
  w.Key("p95_latency_s").Number(r.p95_latency_s);
  w.Key("uncovered_commits").Int(r.uncovered_commits);
  w.Key("coverage_measured").Number(r.coverage_measured);
  w.Key("coverage_represented").Number(r.coverage_represented);
  w.Key("skips_by_reason").BeginObject();
  for (const auto& [reason, count] : r.skips_by_reason) w.Key(reason).Int(count);
  w.EndObject();
  w.Key("jobs_run").Int(r.jobs_run);
  w.Key("queue_depth_series").BeginObject();
  w.Key("step_seconds").Int(r.series_step_nanos / 1'000'000'000);
  w.Key("max").BeginArray();
  for (int d : r.queue_series) w.Int(d);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  fmt::print("{}\n", w.str());
}

void PrintTable(const schedule::SimulationConfig& c, const schedule::SimulationResult& r) {
  std::string sampling(schedule::SamplingName(c.policy.sampling));
  if (c.policy.sampling == schedule::Sampling::kLatestInWindow ||
      c.policy.sampling == schedule::Sampling::kTagged) {
    sampling += " (window " + base::FormatDuration(c.policy.window_nanos) + ")";
  }
  fmt::print("{} commits over {:.1f} h, {} platform{} ({}), {}, bench {} +-{:.0f}%\n", r.commits,
             static_cast<double>(r.simulated_nanos) / 3600e9, c.platforms,
             c.platforms == 1 ? "" : "s",
             c.execution == schedule::Execution::kParallel ? "parallel" : "sequential", sampling,
             base::FormatDuration(c.bench_nanos), c.bench_jitter * 100);
  fmt::print("queue depth      max {}, p95 {}, at the end {}\n", r.max_queue_depth,
             r.p95_queue_depth, r.final_queue_depth);
  fmt::print(
      "latency          mean {:.0f} s, p95 {:.0f} s (commit to a result on every platform)\n",
      r.mean_latency_s, r.p95_latency_s);
  fmt::print(
      "coverage         measured {:.1f}%, represented {:.1f}%, {} commit{} without a result\n",
      r.coverage_measured * 100, r.coverage_represented * 100, r.uncovered_commits,
      r.uncovered_commits == 1 ? "" : "s");
  std::string skips;
  for (const auto& [reason, count] : r.skips_by_reason) {
    skips += fmt::format("{}{} {}", skips.empty() ? "" : ", ", count, reason);
  }
  fmt::print("jobs run         {} (sha x platform), plans {}, skips {}\n", r.jobs_run, r.plans,
             skips.empty() ? "none" : skips);
  // Queue depth over time in at most 48 columns.
  const size_t cols = std::min<size_t>(48, r.queue_series.size());
  if (cols == 0) return;
  std::vector<int> binned(cols, 0);
  for (size_t i = 0; i < r.queue_series.size(); ++i) {
    size_t b = i * cols / r.queue_series.size();
    binned[b] = std::max(binned[b], r.queue_series[i]);
  }
  std::string line;
  for (int d : binned) line += fmt::format("{} ", d);
  fmt::print("queue over time  {}(max per {})\n", line,
             base::FormatDuration((r.simulated_nanos / static_cast<int64_t>(cols)) /
                                  60'000'000'000 * 60'000'000'000));
}

void RunSimulate(const SimulateOptions& opt, Shell* shell) {
  schedule::SimulationConfig c;
  auto policy = opt.policy.Resolve(
      opt.repo.empty() ? "" : (std::filesystem::path(opt.repo) / "perfledger.toml").string());
  if (!policy.ok()) return shell->Fail(policy.status());
  c.policy = *policy;
  if (!opt.repo.empty()) {
    schedule::ReadOptions read;
    read.branch = opt.branch;
    auto h = schedule::ReadBranch(opt.repo, read);
    if (!h.ok()) return shell->Fail(h.status());
    if (h->commits.empty()) return shell->UsageError(opt.repo + ": the branch has no commits");
    c.history = std::move(h->commits);
  } else {
    auto rate = ParseRate("--rate", opt.rate);
    if (!rate.ok()) return shell->Fail(rate.status());
    c.rate_per_hour = *rate;
    auto d = DurationFlag("--duration", opt.duration);
    if (!d.ok()) return shell->Fail(d.status());
    if (*d > 5LL * 366 * 24 * 3600 * 1'000'000'000) {
      return shell->UsageError("--duration: at most 5 years");
    }
    c.duration_nanos = *d;
    for (const std::string& spec : opt.bursts) {
      for (std::string_view one : base::Split(spec, ',')) {
        auto b = ParseBurst(std::string(one));
        if (!b.ok()) return shell->Fail(b.status());
        c.bursts.push_back(*b);
      }
    }
  }
  auto bench = DurationFlag("--bench-time", opt.bench_time);
  if (!bench.ok()) return shell->Fail(bench.status());
  c.bench_nanos = *bench;
  c.bench_jitter = opt.jitter;
  c.platforms = opt.platforms;
  c.execution = opt.execution == "sequential" ? schedule::Execution::kSequential
                                              : schedule::Execution::kParallel;
  c.seed = opt.seed;
  if (opt.merge_fraction < 0 || opt.merge_fraction > 1 || opt.tagged_fraction < 0 ||
      opt.tagged_fraction > 1) {
    return shell->UsageError("--merge-fraction and --tagged-fraction: expected 0 to 1");
  }
  c.merge_fraction = opt.merge_fraction;
  c.tagged_fraction = opt.tagged_fraction;
  auto result = schedule::Simulate(c);
  if (!result.ok()) return shell->Fail(result.status());
  if (opt.format == "json") {
    PrintJson(c, *result);
  } else {
    PrintTable(c, *result);
  }
}

}  // namespace

void AddSimulateVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Simulate a scheduling policy: queue depth, latency and coverage");
  cmd->footer(
      "Drives the real planner with commit arrivals (Poisson at --rate with optional --bursts,\n"
      "or the real commit times of --repo) and platform jobs of --bench-time each. The plan runs\n"
      "on every push and on a 15-minute cron, as in the generated CI workflow.\n\n"
      "JSON: max_queue_depth, p95_queue_depth, mean_latency_s, p95_latency_s, coverage_measured,\n"
      "coverage_represented, skips_by_reason, jobs_run, queue_depth_series {step_seconds, max},\n"
      "and the inputs.\n\n"
      "Examples:\n"
      "  # every commit, three platforms one after another: the queue never drains\n"
      "  perfledger simulate --rate 60/h --duration 24h --platforms 3 --bench-time 90s \\\n"
      "      --execution sequential --sampling every-commit --degrade-widen-above 0 \\\n"
      "      --degrade-reset-above 0\n"
      "  # the default policy on your own history\n"
      "  perfledger simulate --repo . --platforms 3 --bench-time 2m --execution parallel");
  auto* repo = cmd->add_option("--repo", opt->repo, "Replay the commit times of this repository");
  cmd->add_option("--branch", opt->branch, "With --repo: the branch (default: its HEAD)");
  cmd->add_option("--rate", opt->rate, "Commit arrival rate, e.g. 60/h (default 60/h)")
      ->excludes(repo);
  cmd->add_option("--duration", opt->duration, "Simulated time, e.g. 24h or 365d (default 24h)")
      ->excludes(repo);
  cmd->add_option("--bursts", opt->bursts,
                  "START:DURATION:RATE, e.g. 9h:1h:240/h; repeat or separate with commas")
      ->excludes(repo);
  cmd->add_option("--platforms", opt->platforms, "Number of platforms (default 3)")
      ->capture_default_str();
  cmd->add_option("--bench-time", opt->bench_time, "One platform job's duration (default 90s)");
  cmd->add_option("--bench-time-jitter", opt->jitter,
                  "Durations vary uniformly by this fraction (default 0.3)");
  cmd->add_option("--execution", opt->execution, "parallel (default) or sequential platforms")
      ->check(CLI::IsMember({"parallel", "sequential"}));
  cmd->add_option("--merge-fraction", opt->merge_fraction,
                  "Share of generated commits that are merges (for merges-only)");
  cmd->add_option("--tagged-fraction", opt->tagged_fraction,
                  "Share of generated commits with the marker (for tagged)");
  cmd->add_option("--seed", opt->seed, "Random seed (default 1): same seed, same result");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  opt->policy.AddTo(cmd);
  cmd->callback([opt, shell] { RunSimulate(*opt, shell); });
}

}  // namespace perfledger::cli
