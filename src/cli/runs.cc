// perfledger runs: list stored runs as a table or JSON.
#include <fmt/format.h>

#include "base/json_writer.h"
#include "base/time.h"
#include "cli/shell.h"
#include "service/documents.h"

namespace perfledger::cli {
namespace {

struct RunsOptions {
  RunFilterOptions filter;
  bool json = false;
  std::string format = "table";
};

void PrintJson(const std::vector<store::RunSummary>& runs) {
  base::JsonWriter w;
  w.BeginArray();
  for (const auto& r : runs) service::WriteRunSummary(w, r);
  w.EndArray();
  fmt::print("{}\n", w.str());
}

void PrintTable(const std::vector<store::RunSummary>& runs) {
  size_t platform_width = 8;
  for (const auto& r : runs) platform_width = std::max(platform_width, r.platform.size());
  fmt::print("{:<36}  {:<12}  {:<{}}  {:<8}  {:>10}  {:>8}  {:<8}  {}\n", "RUN", "COMMIT",
             "PLATFORM", platform_width, "REASON", "BENCHMARKS", "SAMPLES", "STATUS",
             "COMMIT TIME");
  for (const auto& r : runs) {
    fmt::print("{:<36}  {:<12}  {:<{}}  {:<8}  {:>10}  {:>8}  {:<8}  {}\n", r.run_id,
               r.sha.substr(0, 12), r.platform, platform_width, core::ReasonName(r.reason),
               r.benchmark_count, r.sample_count, r.partial ? "partial" : "complete",
               r.commit_time ? base::FormatRfc3339(*r.commit_time) : "-");
  }
  fmt::print("{} run{}\n", runs.size(), runs.size() == 1 ? "" : "s");
}

void RunRuns(const RunsOptions& opt, Shell* shell) {
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  const store::RunFilter filter = opt.filter.Filter();
  auto runs = (*store)->ListRuns(filter);
  if (!runs.ok()) return shell->Fail(runs.status());
  if (opt.json || opt.format == "json") {
    PrintJson(*runs);
  } else {
    PrintTable(*runs);
  }
}

}  // namespace

void AddRunsVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<RunsOptions>();
  CLI::App* cmd = app.add_subcommand("runs", "List stored runs");
  cmd->footer(
      "JSON fields: run_id, project, sha, platform, reason, benchmark_count, sample_count,\n"
      "status (complete or partial), commit_time, started_at.\n\n"
      "Example:\n"
      "  perfledger runs --platform x86-64-linux\n"
      "  perfledger runs --json | jq '.[] | select(.status == \"partial\")'");
  opt->filter.AddTo(cmd);
  cmd->add_flag("--json", opt->json, "JSON for scripts (same as --format json)");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, shell] { RunRuns(*opt, shell); });
}

}  // namespace perfledger::cli
