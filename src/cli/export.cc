// perfledger export: every stored run as a canonical artifact, one a line.
#include <fmt/format.h>

#include <cstdio>

#include "cli/history.h"
#include "cli/shell.h"
#include "core/artifact.h"

namespace perfledger::cli {
namespace {

struct ExportOptions {
  RunFilterOptions filter;
  std::string history_dir;
};

void RunExport(const ExportOptions& opt, Shell* shell) {
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  const store::RunFilter filter = opt.filter.Filter();
  if (!opt.history_dir.empty()) {
    auto files = WriteHistory(**store, filter, opt.history_dir, env::Env::Default());
    if (!files.ok()) return shell->Fail(files.status());
    fmt::print(stderr, "wrote {} history file{} to {}\n", *files, *files == 1 ? "" : "s",
               opt.history_dir);
    return;
  }
  std::string buffer;
  auto status = (*store)->ForEachRun(filter, [&](const core::Run& run) {
    buffer += core::WriteArtifact(run);
    buffer += '\n';
    if (buffer.size() > (1 << 20)) {
      std::fwrite(buffer.data(), 1, buffer.size(), stdout);
      buffer.clear();
    }
    return base::Status::Ok();
  });
  std::fwrite(buffer.data(), 1, buffer.size(), stdout);
  if (!status.ok()) return shell->Fail(status);
  if (std::fflush(stdout) != 0) {
    return shell->Fail(base::IoError("cannot write to standard output"));
  }
}

}  // namespace

void AddExportVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Print every stored run as an artifact (JSON Lines), or write history files");
  cmd->footer(
      "Runs come ordered by commit time, then run id. Ingesting the output into an empty\n"
      "store and exporting again gives the same lines.\n\n"
      "Example:\n"
      "  perfledger export --platform x86-64-linux > x86.jsonl\n"
      "  perfledger export --history perf-history/   # perf-history/<platform>.jsonl");
  opt->filter.AddTo(cmd);
  cmd->add_option("--history", opt->history_dir,
                  "Write DIR/<platform>.jsonl (one file per platform) instead of stdout");
  cmd->callback([opt, shell] { RunExport(*opt, shell); });
}

}  // namespace perfledger::cli
