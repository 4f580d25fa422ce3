// perfledger import --from TOOL SOURCE: another tool's history as artifacts, one per commit and
// platform, for `perfledger ingest`.
#include <fmt/format.h>

#include <filesystem>

#include "cli/shell.h"
#include "core/artifact.h"
#include "env/env.h"
#include "service/imports.h"

namespace perfledger::cli {
namespace {

struct ImportOptions {
  service::ImportRequest request;
  std::string out_dir;
};

std::string FormatList() {
  std::string out;
  for (const auto& [name, description] : service::ImportFormats()) {
    out += fmt::format("  {:<24} {}\n", name, description);
  }
  return out;
}

// Every artifact is made and checked before the first is written: bad input writes nothing.
base::Status Write(const std::vector<core::Run>& runs, const std::string& out_dir) {
  if (out_dir.empty()) {
    std::string lines;
    for (const core::Run& run : runs) lines += core::WriteArtifact(run) + "\n";
    fmt::print("{}", lines);
    return base::Status::Ok();
  }
  env::Env* env = env::Env::Default();
  RETURN_IF_ERROR(env->CreateDirectories(out_dir));
  for (const core::Run& run : runs) {
    const std::string path =
        (std::filesystem::path(out_dir) / core::ArtifactFileName(run)).string();
    RETURN_IF_ERROR(env->WriteFileAtomic(path, core::WriteArtifact(run) + "\n"));
  }
  return base::Status::Ok();
}

void RunImport(const ImportOptions& opt, Shell* shell) {
  auto runs = service::ImportHistory(opt.request);
  if (!runs.ok()) return shell->Fail(runs.status());
  if (base::Status s = Write(*runs, opt.out_dir); !s.ok()) return shell->Fail(s);
  size_t results = 0;
  for (const core::Run& run : *runs) results += run.benchmarks.size();
  fmt::print(stderr, "imported {} run{} ({} benchmark results) from {}{}\n", runs->size(),
             runs->size() == 1 ? "" : "s", results, opt.request.source,
             opt.out_dir.empty() ? "" : " into " + opt.out_dir);
}

}  // namespace

void AddImportVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Turn another tool's benchmark history into artifacts for ingest");
  cmd->footer(
      "Sources (--from NAME):\n" + FormatList() +
      "\nOne artifact per commit and platform, benchmark-results-{sha}-{platform}.json, with\n"
      "the source's commits, dates, units, directions and every value it kept; reason\n"
      "backfill. Run ids are derived from the source, project, commit and platform, so\n"
      "importing again gives the same artifacts and ingesting them again changes nothing.\n"
      "The platform is --platform, else the source's machine name (asv); the project\n"
      "--project, else the source's (data.js's repoUrl). Commits must be full 40-hex shas.\n\n"
      "Examples:\n"
      "  git show gh-pages:dev/bench/data.js > data.js\n"
      "  perfledger import --from github-action-benchmark --platform x86-64-linux \\\n"
      "      --out imported/ data.js && perfledger ingest imported/\n"
      "  perfledger import --from asv --project numpy --out imported/ .asv/results\n"
      "  perfledger import --from bencher --project gruel --platform x86-64-linux \\\n"
      "      --commit $(git rev-parse HEAD) --date 2026-11-22T10:04:00Z bmf.json > runs.jsonl");
  cmd->add_option("source", opt->request.source, "data.js, asv's results directory, or a BMF file")
      ->required();
  cmd->add_option("--from", opt->request.from,
                  "The source's format: github-action-benchmark, asv or bencher")
      ->required();
  cmd->add_option("--platform", opt->request.platform,
                  "Platform of the imported runs (default: the source's machine name)");
  cmd->add_option("--project", opt->request.project,
                  "Project of the imported runs (default: the source's)");
  cmd->add_option("--commit", opt->request.commit, "bencher: the full sha the BMF file measured");
  cmd->add_option("--date", opt->request.date,
                  "bencher: when it ran, RFC 3339 (default: the file's modification time)");
  cmd->add_option("--asv-env", opt->request.asv_env,
                  "asv: import only the results of this environment (env_name)");
  cmd->add_option("--out", opt->out_dir,
                  "Directory for the artifacts (default: JSON Lines on stdout)");
  cmd->callback([opt, shell] { RunImport(*opt, shell); });
}

}  // namespace perfledger::cli
