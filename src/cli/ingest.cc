// perfledger ingest PATH...: the collector verb.
#include <fmt/format.h>

#include "cli/history.h"
#include "cli/shell.h"
#include "core/epoch.h"
#include "core/limits.h"
#include "service/batch.h"
#include "service/plan.h"
#include "store/collector.h"

namespace perfledger::cli {
namespace {

struct IngestOptions {
  std::vector<std::string> paths;
  std::string history_dir;
  std::string format = "table";
  std::string plan, repo = ".", branch;
  std::string suite;  // a suite file every run must match
};

void RunIngest(const IngestOptions& opt, Shell* shell) {
  env::Env* env = env::Env::Default();
  auto paths = service::ExpandArtifactPaths(env, opt.paths);
  if (!paths.ok()) return shell->Fail(paths.status());
  // Validate everything before the store is even opened: a bad file writes nothing.
  service::LoadedArtifacts loaded = service::LoadArtifacts(env, *paths);
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) shell->Fail(e);
    return;
  }
  // Comparability is decided before data enters: with --suite, every run must match what the
  // suite file declares for its platform (revision, definitions, epoch).
  if (!opt.suite.empty()) {
    auto refused = service::CheckAgainstSuiteFile(loaded.runs, opt.suite);
    if (!refused.ok()) return shell->Fail(refused.status());
    for (const base::Status& s : *refused) shell->Fail(s);
    if (!refused->empty()) return;
  }
  const size_t artifacts = loaded.runs.size();
  std::string plan_text;
  if (!opt.plan.empty()) {
    auto text = env->ReadFile(opt.plan, core::kMaxConfigFileBytes);
    if (!text.ok()) return shell->Fail(text.status());
    plan_text = std::move(*text);
  }
  auto store = shell->OpenStore(/*create=*/true);
  if (!store.ok()) return shell->Fail(store.status());
  // The plan first: a bad one stops here with nothing written. Recording it again on a retry
  // is a no-op, as is ingesting the same runs again.
  if (!opt.plan.empty()) {
    base::Status s = service::RecordPlanJson(**store, plan_text, opt.plan, {opt.repo, opt.branch});
    if (!s.ok()) return shell->Fail(s);
  }
  auto stats = store::Collect(**store, std::move(loaded.runs));
  if (!stats.ok()) return shell->Fail(stats.status());
  if (!opt.history_dir.empty()) {
    auto files = WriteHistory(**store, {}, opt.history_dir, env);
    if (!files.ok()) return shell->Fail(files.status());
  }
  if (opt.format == "json") {
    fmt::print("{{\"artifacts\":{},\"ingested\":{},\"already_present\":{},\"samples\":{}}}\n",
               artifacts, stats->ingested, stats->already_present, stats->samples);
  } else {
    fmt::print("ingested {} run{} ({} samples), {} already present, from {} artifact{} into {}\n",
               stats->ingested, stats->ingested == 1 ? "" : "s", stats->samples,
               stats->already_present, artifacts, artifacts == 1 ? "" : "s", shell->db);
  }
}

}  // namespace

void AddIngestVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<IngestOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ingest", "Validate result artifacts and store all of them in one transaction, or none");
  cmd->footer(
      "Directories stand for every *.json file below them; a *.jsonl file holds one artifact\n"
      "a line (export's output, history files). The same run_id with the same content is\n"
      "skipped as already present; with other content the whole batch is refused.\n"
      "A run from a suite must match its epoch: the revision, benchmark definitions and epoch\n"
      "settings first stored for that platform, and with --suite FILE what the file declares;\n"
      "a local run never enters a CI epoch.\n\n"
      "Example:\n"
      "  perfledger ingest --db perf.db artifacts/\n"
      "  perfledger ingest benchmark-results-*-x86-64-linux.json --history perf-history/\n"
      "  perfledger ingest --db rebuilt.db perf-history/*.jsonl\n"
      "  perfledger ingest results/ --plan plan.json --repo .   # a CI collect job\n"
      "  perfledger ingest --suite perfledger.toml results/");
  cmd->add_option("paths", opt->paths, "Artifact files and directories")->required();
  cmd->add_option("--history", opt->history_dir,
                  "After ingesting, rewrite DIR/<platform>.jsonl from the store");
  cmd->add_option("--plan", opt->plan,
                  "Also record this plan (`perfledger plan --format json` output from a job "
                  "whose store is not kept): its jobs, skips and branch history");
  cmd->add_option("--repo", opt->repo, "With --plan: the git repository (default .)");
  cmd->add_option("--branch", opt->branch, "With --plan: the branch (default: its HEAD)");
  cmd->add_option("--suite", opt->suite,
                  "Refuse runs that do not match this suite file's revision and epochs");
  cmd->add_option("--format", opt->format, "Summary as a line (table) or JSON")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, shell] { RunIngest(*opt, shell); });
}

}  // namespace perfledger::cli
