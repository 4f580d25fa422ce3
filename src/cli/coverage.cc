// perfledger coverage and perfledger gaps: is every commit accounted for, and is any platform
// falling behind?
#include <fmt/format.h>

#include <algorithm>

#include "base/json_writer.h"
#include "base/time.h"
#include "cli/schedule_options.h"
#include "cli/shell.h"
#include "service/documents.h"
#include "service/plan.h"

namespace perfledger::cli {
namespace {

struct HistoryOptions {
  std::string repo, branch;
  void AddTo(CLI::App* cmd) {
    cmd->add_option("--repo", repo,
                    "Read the branch from this git repository (default: the one the working "
                    "directory is in; outside one, the history the last recorded plan saw, "
                    "else the runs' commit ranges)");
    cmd->add_option("--branch", branch, "The repository's branch (default: its HEAD)");
  }
  service::HistorySource Source() const {
    if (!repo.empty()) return {repo, branch};
    return {service::WorkingRepository().value_or(""), branch};
  }
};

struct CoverageOptions {
  HistoryOptions history;
  std::string platform, since, range, format = "table";
};

std::string PercentText(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}%", *v * 100) : "-";
}

void RunCoverage(const CoverageOptions& opt, Shell* shell) {
  service::CoverageRequest req;
  req.source = opt.history.Source();
  if (!opt.platform.empty()) req.platform = opt.platform;
  if (!opt.range.empty()) req.range = opt.range;
  if (!opt.since.empty()) {
    auto t = base::ParseRfc3339(opt.since);
    if (!t.ok()) return shell->Fail(t.status().WithPrefix("--since"));
    req.since = *t;
  }
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  auto report = service::CoverageOf(**store, req);
  if (!report.ok()) return shell->Fail(report.status());
  if (opt.format == "json") {
    base::JsonWriter w;
    w.BeginArray();
    for (const auto& r : report->rows) service::WriteCoverageRow(w, r);
    w.EndArray();
    fmt::print("{}\n", w.str());
    return;
  }
  if (report->history == "runs") {
    fmt::print("coverage from the runs' commit ranges (no repository, no recorded plan) at {}\n",
               report->head.substr(0, 12));
  } else {
    fmt::print("coverage of {} at {}\n", report->branch, report->head.substr(0, 12));
  }
  size_t pw = 8;
  for (const auto& r : report->rows) pw = std::max(pw, r.platform.size());
  const bool unknown = !report->planned;  // the UNKNOWN column, instead of PENDING, UNACCOUNTED
  if (unknown) {
    fmt::print("{:<{}}  {:>7}  {:>8}  {:>11}  {:>7}  {:>7}  {:>9}  {:>12}  {}\n", "PLATFORM", pw,
               "COMMITS", "MEASURED", "REPRESENTED", "SKIPPED", "UNKNOWN", "%MEASURED",
               "%REPRESENTED", "SKIP REASONS");
  } else {
    fmt::print("{:<{}}  {:>7}  {:>8}  {:>11}  {:>7}  {:>7}  {:>11}  {:>9}  {:>12}  {}\n",
               "PLATFORM", pw, "COMMITS", "MEASURED", "REPRESENTED", "SKIPPED", "PENDING",
               "UNACCOUNTED", "%MEASURED", "%REPRESENTED", "SKIP REASONS");
  }
  for (const auto& r : report->rows) {
    std::string reasons;
    for (const auto& [reason, n] : r.skipped_by_reason) {
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", n, reason);
    }
    if (unknown) {
      fmt::print("{:<{}}  {:>7}  {:>8}  {:>11}  {:>7}  {:>7}  {:>9}  {:>12}  {}\n", r.platform, pw,
                 r.commits, r.measured, r.represented, r.skipped, r.unknown,
                 PercentText(r.coverage_measured), PercentText(r.coverage_represented),
                 reasons.empty() ? "-" : reasons);
    } else {
      fmt::print("{:<{}}  {:>7}  {:>8}  {:>11}  {:>7}  {:>7}  {:>11}  {:>9}  {:>12}  {}\n",
                 r.platform, pw, r.commits, r.measured, r.represented, r.skipped, r.pending,
                 r.unaccounted, PercentText(r.coverage_measured),
                 PercentText(r.coverage_represented), reasons.empty() ? "-" : reasons);
    }
  }
  if (unknown && std::any_of(report->rows.begin(), report->rows.end(),
                             [](const auto& r) { return r.unknown > 0; })) {
    fmt::print(
        "unknown: commits no run's range covers; with no plan recorded nothing says whether they "
        "were left out on purpose{}\n",
        report->history == "runs" ? " (pass --repo PATH to list the branch's commits)" : "");
  }
  for (const auto& r : report->rows) {
    if (r.unaccounted == 0) continue;
    fmt::print("{}: {} commit{} with no run, job or skip (first: {})\n", r.platform, r.unaccounted,
               r.unaccounted == 1 ? "" : "s", r.unaccounted_shas.front());
  }
}

struct GapsOptions {
  HistoryOptions history;
  int64_t max_commits = 5;
  std::string max_age, now, format = "table";
};

void RunGaps(const GapsOptions& opt, Shell* shell) {
  service::GapsRequest req;
  req.source = opt.history.Source();
  if (opt.max_commits < 0) return shell->UsageError("--max-commits: must be 0 or more");
  req.bounds.max_commits = opt.max_commits;
  if (!opt.max_age.empty()) {
    auto d = base::ParseDuration(opt.max_age);
    if (!d.ok()) return shell->Fail(d.status().WithPrefix("--max-age"));
    req.bounds.max_age_nanos = *d;
  }
  auto now = NowOption(opt.now);
  if (!now.ok()) return shell->Fail(now.status());
  req.now = *now;
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  auto report = service::GapsOf(**store, req);
  if (!report.ok()) return shell->Fail(report.status());
  if (opt.format == "json") {
    fmt::print("{}\n", service::GapsJson(*report));
  } else {
    fmt::print("gaps on {} at {}: {} expected benchmark{} per platform\n",
               report->history == "runs" ? "the runs' commit ranges" : report->branch,
               report->head.substr(0, 12), report->expected.size(),
               report->expected.size() == 1 ? "" : "s");
    size_t pw = 8;
    for (const auto& r : report->rows) pw = std::max(pw, r.platform.size());
    fmt::print("{:<{}}  {:<13}  {:>13}  {:>10}  {:<7}  {}\n", "PLATFORM", pw, "LAST COMPLETE",
               "COMMITS SINCE", "AGE", "STATUS", "DETAIL");
    for (const auto& r : report->rows) {
      std::string detail = r.why;
      if (!r.missing.empty()) {
        detail +=
            fmt::format("{}newest run lacks {} benchmark{} (first: {})", detail.empty() ? "" : "; ",
                        r.missing.size(), r.missing.size() == 1 ? "" : "s", r.missing.front());
      }
      fmt::print("{:<{}}  {:<13}  {:>13}  {:>10}  {:<7}  {}\n", r.platform, pw,
                 r.last_complete ? r.last_complete->substr(0, 12) : "none", r.commits_since,
                 base::FormatDuration(r.age_nanos / 1'000'000'000 * 1'000'000'000),
                 r.stalled ? "STALLED" : "ok", detail.empty() ? "-" : detail);
    }
  }
  if (report->stalled()) shell->exit_code = kExitFound;
}

}  // namespace

void AddCoverageVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<CoverageOptions>();
  CLI::App* cmd = app.add_subcommand("coverage", "How every commit of the branch is accounted for");
  cmd->footer(
      "Per platform, each commit is exactly one of: measured (a run measured it), represented\n"
      "(inside a run's or queued job's commit range), skipped (logged as left out, in no range),\n"
      "pending (newer than anything recorded: arrived after the last plan) or unaccounted (a\n"
      "hole: should be 0). skipped_by_reason counts every skip record, represented ones too.\n"
      "Before any plan is recorded, a commit in no run's range is unknown instead. The branch\n"
      "is read from --repo (default: the repository of the working directory), else the\n"
      "history the last recorded plan saw, else pieced together from the runs' commits and\n"
      "commit ranges (the commits between them counted, not listed).\n\n"
      "JSON fields: platform, commits, measured, represented, skipped, skipped_by_reason,\n"
      "pending, unaccounted, unaccounted_shas, coverage_measured, coverage_represented,\n"
      "unknown.\n\n"
      "Example:\n"
      "  perfledger coverage --since 2026-11-01T00:00:00Z --format json");
  cmd->add_option("--platform", opt->platform, "Only this platform");
  auto* since = cmd->add_option("--since", opt->since, "Commits from this RFC 3339 time on");
  cmd->add_option("--range", opt->range, "Commits after A up to B: A..B")->excludes(since);
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  opt->history.AddTo(cmd);
  cmd->callback([opt, shell] { RunCoverage(*opt, shell); });
}

void AddGapsVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<GapsOptions>();
  CLI::App* cmd =
      app.add_subcommand("gaps", "Platforms without a recent complete point (stall gate)");
  cmd->footer(
      "A point is complete when the run measured every expected benchmark (the suite's\n"
      "benchmarks, over all platforms), so a partial run or a platform falling behind is a gap.\n"
      "Exits 3 when a platform has more than --max-commits branch commits after its last\n"
      "complete point, or (with --max-age) when the oldest of them waited longer.\n\n"
      "The branch is read as coverage reads it (--repo, default: the working directory's\n"
      "repository; else the last recorded plan's history; else the runs' commit ranges).\n\n"
      "JSON: branch, head, history, expected_benchmarks, stalled, platforms [{platform,\n"
      "last_complete, commits_since, age_seconds, missing_benchmarks, stalled, why}].\n\n"
      "Example (a CI stall gate):\n"
      "  perfledger gaps --max-commits 5 --max-age 2h");
  cmd->add_option("--max-commits", opt->max_commits,
                  "Commits allowed after the last complete point (default 5)")
      ->capture_default_str();
  cmd->add_option("--max-age", opt->max_age,
                  "How long a commit may wait, e.g. 2h (default: no bound)");
  cmd->add_option("--now", opt->now, "Judge ages as of this RFC 3339 time (default: the clock)");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  opt->history.AddTo(cmd);
  cmd->callback([opt, shell] { RunGaps(*opt, shell); });
}

}  // namespace perfledger::cli
