// perfledger plan: decide which commits to benchmark on which platforms.
#include "service/plan.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>

#include "base/strings.h"
#include "base/time.h"
#include "cli/schedule_options.h"
#include "cli/shell.h"

namespace perfledger::cli {
namespace {

struct PlanOptions {
  std::string repo = ".", branch, now, format = "table";
  bool repo_given = false;  // --repo on the command line (else the working directory's)
  std::vector<std::string> platforms, manual;
  std::optional<int> queue_depth;
  PolicyOptions policy;
  bool record = false;
};

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

void PrintJson(const service::PlanOutcome& o, const schedule::Policy& policy, bool recorded) {
  fmt::print("{}\n", service::PlanJson(o, policy, recorded));
}

void PrintTable(const service::PlanOutcome& o, bool recorded) {
  const schedule::Plan& p = o.plan;
  fmt::print("plan for {} at {} ({} commits), now {}\n", o.branch, Short(o.head), o.commit_count,
             base::FormatRfc3339(p.now));
  fmt::print("window {}, queue depth {}, degradation {}\n", base::FormatDuration(p.window_nanos),
             p.queue_depth, schedule::DegradationName(p.degradation));
  if (p.jobs.empty()) {
    fmt::print("no jobs\n");
  } else {
    size_t pw = 9;
    for (const auto& j : p.jobs) pw = std::max(pw, base::Join(j.platforms, ",").size());
    fmt::print("{:<12}  {:<{}}  {:<8}  {:>3}  {:<29}  {}\n", "COMMIT", "PLATFORMS", pw, "REASON",
               "PRI", "RANGE", "DETAIL");
    for (const auto& j : p.jobs) {
      std::string range =
          fmt::format("{}..{} ({})", j.commit_range.from ? Short(*j.commit_range.from) : "start",
                      Short(j.commit_range.to), j.commit_range.count);
      fmt::print("{:<12}  {:<{}}  {:<8}  {:>3}  {:<29}  {}\n", Short(j.sha),
                 base::Join(j.platforms, ","), pw, j.reason, j.priority, range, j.reason_detail);
    }
  }
  std::map<std::string, int64_t> by_reason;
  for (const auto& k : p.skips) by_reason[k.reason] += 1;
  if (!p.skips.empty()) {
    std::vector<std::string> parts;
    for (const auto& [reason, n] : by_reason) parts.push_back(fmt::format("{} {}", n, reason));
    fmt::print("skipped: {} commit{} ({})\n", p.skips.size(), p.skips.size() == 1 ? "" : "s",
               base::Join(parts, ", "));
  }
  for (const auto& [platform, shas] : p.pending) {
    fmt::print(
        "pending on {}: {} commit{} (window still open, or waiting for the next "
        "commit the sampling picks)\n",
        platform, shas.size(), shas.size() == 1 ? "" : "s");
  }
  for (const auto& b : p.unplanned_bisect) {
    fmt::print("bisect on {}: {}\n", b.request.platform, b.detail);
  }
  for (const auto& [platform, shas] : o.off_branch) {
    fmt::print("not on the branch any more (force-push?) on {}: {}\n", platform,
               base::Join(std::vector<std::string>(shas.begin(),
                                                   shas.begin() + std::min<size_t>(shas.size(), 5)),
                          ", ") +
                   (shas.size() > 5 ? fmt::format(" and {} more", shas.size() - 5) : ""));
  }
  if (recorded) fmt::print("recorded: the next plan and `perfledger coverage` see these jobs\n");
}

void RunPlan(PlanOptions opt, Shell* shell) {
  if (!opt.repo_given) {
    // The repository the working directory is in (searched upward), as coverage and detect.
    std::optional<std::string> here = service::WorkingRepository();
    if (!here) {
      std::error_code ec;
      const std::filesystem::path cwd = std::filesystem::current_path(ec);
      return shell->UsageError(fmt::format(
          "the working directory ({}) is not a git repository: run plan in one, or pass --repo "
          "PATH",
          ec ? opt.repo : cwd.string()));
    }
    opt.repo = *here;
  }
  service::PlanRequest req;
  req.repo = opt.repo;
  req.branch = opt.branch;
  req.platforms = opt.platforms;
  req.manual = opt.manual;
  req.record = opt.record;
  for (const auto& p : opt.platforms) {
    if (p.empty()) return shell->UsageError("--platform: a platform name may not be empty");
  }
  if (opt.queue_depth && *opt.queue_depth < 0) {
    return shell->UsageError("--queue-depth: must be 0 or more");
  }
  req.queue_depth = opt.queue_depth;
  auto now = NowOption(opt.now);
  if (!now.ok()) return shell->Fail(now.status());
  req.now = *now;
  auto policy = opt.policy.Resolve((std::filesystem::path(opt.repo) / "perfledger.toml").string());
  if (!policy.ok()) return shell->Fail(policy.status());
  req.policy = *policy;

  std::unique_ptr<store::Store> store;
  auto opened = shell->OpenStore(/*create=*/opt.record);
  if (opened.ok()) {
    store = std::move(*opened);
  } else if (opened.status().code() != base::StatusCode::kNotFound) {
    return shell->Fail(opened.status());
  }
  auto outcome = service::PlanBranch(store.get(), req);
  if (!outcome.ok()) return shell->Fail(outcome.status());
  if (opt.format == "json") {
    PrintJson(*outcome, req.policy, opt.record);
  } else {
    PrintTable(*outcome, opt.record);
  }
}

}  // namespace

void AddPlanVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<PlanOptions>();
  CLI::App* cmd =
      app.add_subcommand("plan", "Decide which commits to benchmark on which platforms");
  cmd->footer(
      "Reads the branch (first-parent history) with libgit2 and what the store holds per\n"
      "platform: runs, queued jobs, skips. In each closed window the newest commit is planned and\n"
      "stands for the commits since the last one measured or planned (its commit_range); the\n"
      "others are skipped with a reason. The policy comes from --config, else\n"
      "<repo>/perfledger.toml when present, else the defaults; flags override it.\n\n"
      "Every open regression alert whose range still holds unmeasured commits gets a bisect job\n"
      "(priority 3, never dropped by degradation) at the middle of its range on its platform;\n"
      "`perfledger detect --record` narrows the range with the result, until it is one commit.\n\n"
      "JSON: now, window_minutes, queue_depth, degradation (none|widened|reset), jobs [{sha,\n"
      "platforms, reason, reason_detail, commit_range {from, to, count}, priority}], skips [{sha,\n"
      "platforms, reason, queue_depth, superseded_by}], pending, unplanned_bisect [{alert_id,\n"
      "platform, from, to, status (converged|queued|measured|planned|off-branch|bad-range|\n"
      "not-planned), sha, commits, detail}], off_branch, and matrix.include (one entry per sha x\n"
      "platform) for a CI job matrix.\n\n"
      "Example:\n"
      "  perfledger plan --branch main --platform linux-x86_64 --platform macos-arm64 \\\n"
      "      --format json --record");
  CLI::Option* repo = cmd->add_option(
      "--repo", opt->repo, "Path of the git repository (default: the working directory)");
  cmd->add_option("--branch", opt->branch, "Branch to plan for (default: the repository's HEAD)");
  cmd->add_option("--platform", opt->platforms,
                  "A platform to plan for; repeat for several (default: those the store knows)");
  cmd->add_option("--now", opt->now, "Plan as of this RFC 3339 time (default: the clock)");
  cmd->add_option("--queue-depth", opt->queue_depth,
                  "Jobs waiting in CI (default: the store's queued jobs that have not run)");
  cmd->add_option("--manual", opt->manual,
                  "A commit to benchmark whatever the queue; repeat for several");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("--record", opt->record,
                "Store the jobs (as queued) and skips so the next plan sees them");
  opt->policy.AddTo(cmd);
  cmd->callback([opt, shell, repo] {
    opt->repo_given = repo->count() > 0;
    RunPlan(*opt, shell);
  });
}

}  // namespace perfledger::cli
