// perfledger ingest PATH...: the collector verb.
#include <fmt/format.h>

#include "cli/artifact_files.h"
#include "cli/history.h"
#include "cli/shell.h"
#include "store/collector.h"

namespace perfledger::cli {
namespace {

struct IngestOptions {
  std::vector<std::string> paths;
  std::string history_dir;
  std::string format = "table";
};

void RunIngest(const IngestOptions& opt, Shell* shell) {
  env::Env* env = env::Env::Default();
  auto paths = ExpandArtifactPaths(env, opt.paths);
  if (!paths.ok()) return shell->Fail(paths.status());
  // Validate everything before the store is even opened: a bad file writes nothing.
  LoadedArtifacts loaded = LoadArtifacts(env, *paths);
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) shell->Fail(e);
    return;
  }
  const size_t artifacts = loaded.runs.size();
  auto store = shell->OpenStore(/*create=*/true);
  if (!store.ok()) return shell->Fail(store.status());
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
      "skipped as already present; with other content the whole batch is refused.\n\n"
      "Example:\n"
      "  perfledger ingest --db perf.db artifacts/\n"
      "  perfledger ingest benchmark-results-*-x86-64-linux.json --history perf-history/\n"
      "  perfledger ingest --db rebuilt.db perf-history/*.jsonl");
  cmd->add_option("paths", opt->paths, "Artifact files and directories")->required();
  cmd->add_option("--history", opt->history_dir,
                  "After ingesting, rewrite DIR/<platform>.jsonl from the store");
  cmd->add_option("--format", opt->format, "Summary as a line (table) or JSON")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, shell] { RunIngest(*opt, shell); });
}

}  // namespace perfledger::cli
