// perfledger ingest PATH...: the collector verb.
#include <fmt/format.h>

#include <filesystem>

#include "base/json_writer.h"
#include "cli/history.h"
#include "cli/shell.h"
#include "core/epoch.h"
#include "core/limits.h"
#include "service/batch.h"
#include "service/collect.h"
#include "service/plan.h"
#include "store/collector.h"

namespace perfledger::cli {
namespace {

struct IngestOptions {
  std::vector<std::string> paths;
  std::string history_dir;
  std::string quarantine_dir;
  std::string format = "table";
  std::string plan, repo = ".", branch;
  std::string suite;  // a suite file every run must match
};

// The history files first (a rebuild after the store was lost, or already present): they are
// the durable copy, so any refusal of theirs stops the ingest before the new artifacts.
base::Result<store::IngestStats> IngestHistory(store::Store& store, env::Env* env,
                                               const std::string& dir) {
  if (!env->IsDirectory(dir)) return store::IngestStats{};  // a new history
  ASSIGN_OR_RETURN(std::vector<std::string> files, env->ListFiles(dir, ".jsonl"));
  if (files.empty()) return store::IngestStats{};
  service::LoadedArtifacts loaded = service::LoadArtifacts(env, files);
  if (!loaded.errors.empty()) {
    return loaded.errors.front().WithPrefix("history file refused; nothing was ingested");
  }
  auto stats = store::Collect(store, std::move(loaded.runs));
  if (!stats.ok()) return stats.status().WithPrefix("history file refused; nothing was ingested");
  return stats;
}

// A refused file, copied to DIR with a DIR/<name>.reason beside it (one line), so it can be
// looked at, fixed and ingested again. Files of the same name from other folders get a
// numbered name; the same file quarantined again replaces its copy.
base::Status WriteQuarantined(env::Env* env, const std::string& dir,
                              const service::QuarantinedFile& q) {
  RETURN_IF_ERROR(env->CreateDirectories(dir));
  const std::string name = std::filesystem::path(q.path).filename().string();
  auto text = env->ReadFile(q.path, core::kMaxBatchFileBytes);
  std::string target = fmt::format("{}/{}", dir, name);
  for (int n = 2; text.ok() && env->Exists(target); ++n) {
    auto existing = env->ReadFile(target, core::kMaxBatchFileBytes);
    if (existing.ok() && *existing == *text) break;
    target = fmt::format("{}/{}.{}", dir, n, name);
  }
  if (text.ok()) RETURN_IF_ERROR(env->WriteFileAtomic(target, *text));
  return env->WriteFileAtomic(target + ".reason", q.reason.message() + "\n");
}

void PrintSummary(const IngestOptions& opt, Shell* shell, int64_t artifacts,
                  const store::IngestStats& stats, const store::IngestStats& history,
                  const std::vector<service::QuarantinedFile>& quarantined) {
  if (opt.format == "json") {
    std::string q = "[";
    for (const auto& f : quarantined) {
      if (q.size() > 1) q += ',';
      q += "{\"path\":";
      base::AppendJsonString(q, f.path);
      q += ",\"reason\":";
      base::AppendJsonString(q, f.reason.message());
      q += '}';
    }
    q += ']';
    fmt::print(
        "{{\"artifacts\":{},\"ingested\":{},\"already_present\":{},\"samples\":{},"
        "\"history_ingested\":{},\"quarantined\":{}}}\n",
        artifacts, stats.ingested, stats.already_present, stats.samples, history.ingested, q);
    return;
  }
  if (history.ingested > 0) {
    fmt::print("rebuilt {} run{} from the history in {}\n", history.ingested,
               history.ingested == 1 ? "" : "s", opt.history_dir);
  }
  fmt::print("ingested {} run{} ({} samples), {} already present, from {} artifact{} into {}\n",
             stats.ingested, stats.ingested == 1 ? "" : "s", stats.samples, stats.already_present,
             artifacts, artifacts == 1 ? "" : "s", shell->db);
}

void RunIngest(const IngestOptions& opt, Shell* shell) {
  env::Env* env = env::Env::Default();
  if (opt.paths.empty() && opt.history_dir.empty()) {
    return shell->UsageError("expected artifact files or directories, or --history DIR");
  }
  std::vector<std::string> paths;
  if (!opt.paths.empty()) {
    auto expanded = service::ExpandArtifactPaths(env, opt.paths);
    if (!expanded.ok()) return shell->Fail(expanded.status());
    paths = std::move(*expanded);
  }
  const bool quarantine = !opt.quarantine_dir.empty();
  // Without --quarantine, everything is validated before the store is even opened: a bad file
  // writes nothing.
  service::LoadedArtifacts loaded;
  if (!quarantine) {
    loaded = service::LoadArtifacts(env, paths);
    if (!loaded.errors.empty()) {
      for (const auto& e : loaded.errors) shell->Fail(e);
      return;
    }
  }
  // Comparability is decided before data enters: with --suite, every run must match what the
  // suite file declares for its platform (revision, definitions, epoch).
  service::RunCheck check;
  if (!opt.suite.empty()) {
    auto suite_check = service::SuiteFileCheck(opt.suite);
    if (!suite_check.ok()) return shell->Fail(suite_check.status());
    check = std::move(*suite_check);
    bool refused = false;
    for (const auto& r : loaded.runs) {
      if (base::Status s = check(r.run); !s.ok()) {
        shell->Fail(s.WithPrefix(r.source));
        refused = true;
      }
    }
    if (refused) return;
  }
  std::string plan_text;
  if (!opt.plan.empty()) {
    auto text = env->ReadFile(opt.plan, core::kMaxConfigFileBytes);
    if (!text.ok()) return shell->Fail(text.status());
    plan_text = std::move(*text);
  }
  auto store = shell->OpenStore(/*create=*/true);
  if (!store.ok()) return shell->Fail(store.status());
  store::IngestStats history;
  if (!opt.history_dir.empty()) {
    auto rebuilt = IngestHistory(**store, env, opt.history_dir);
    if (!rebuilt.ok()) return shell->Fail(rebuilt.status());
    history = *rebuilt;
  }
  // The plan first: a bad one stops here with nothing written. Recording it again on a retry
  // is a no-op, as is ingesting the same runs again.
  if (!opt.plan.empty()) {
    base::Status s = service::RecordPlanJson(**store, plan_text, opt.plan, {opt.repo, opt.branch});
    if (!s.ok()) return shell->Fail(s);
  }
  int64_t artifacts = 0;
  store::IngestStats stats;
  std::vector<service::QuarantinedFile> quarantined;
  if (quarantine) {
    auto collected = service::CollectQuarantining(**store, env, paths, check);
    if (!collected.ok()) return shell->Fail(collected.status());
    artifacts = collected->artifacts;
    stats = collected->stats;
    quarantined = std::move(collected->quarantined);
    for (const auto& q : quarantined) {
      if (auto s = WriteQuarantined(env, opt.quarantine_dir, q); !s.ok()) return shell->Fail(s);
    }
  } else if (!loaded.runs.empty()) {
    artifacts = static_cast<int64_t>(loaded.runs.size());
    auto collected = store::Collect(**store, std::move(loaded.runs));
    if (!collected.ok()) return shell->Fail(collected.status());
    stats = *collected;
  }
  if (!opt.history_dir.empty()) {
    auto files = WriteHistory(**store, {}, opt.history_dir, env);
    if (!files.ok()) return shell->Fail(files.status());
  }
  PrintSummary(opt, shell, artifacts, stats, history, quarantined);
  if (!quarantined.empty()) {
    for (const auto& q : quarantined) shell->Fail(q.reason.WithPrefix("quarantined " + q.path));
    shell->Fail(base::IoError(
        fmt::format("quarantined {} artifact{} in {} (the other runs were ingested): fix them "
                    "and ingest them again",
                    quarantined.size(), quarantined.size() == 1 ? "" : "s", opt.quarantine_dir)));
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
  cmd->add_option("paths", opt->paths, "Artifact files and directories");
  cmd->add_option("--history", opt->history_dir,
                  "History files: ingest DIR/*.jsonl first (rebuilds a lost store; already "
                  "present runs are skipped), then rewrite DIR/<platform>.jsonl from the store");
  cmd->add_option("--quarantine", opt->quarantine_dir,
                  "Ingest every artifact file the store accepts; copy each refused one "
                  "(invalid, conflicting, another epoch) to DIR with a .reason file; exit 1 "
                  "when any was");
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
