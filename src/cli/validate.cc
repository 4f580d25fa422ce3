// perfledger validate PATH...: check artifacts without storing them.
#include <fmt/format.h>

#include "cli/shell.h"
#include "service/batch.h"

namespace perfledger::cli {
namespace {

void RunValidate(const std::vector<std::string>& args, Shell* shell) {
  env::Env* env = env::Env::Default();
  auto paths = service::ExpandArtifactPaths(env, args);
  if (!paths.ok()) return shell->Fail(paths.status());
  service::LoadedArtifacts loaded = service::LoadArtifacts(env, *paths);
  for (const auto& e : loaded.errors) shell->Fail(e);
  if (loaded.errors.empty()) {
    fmt::print("{} artifact{} valid\n", loaded.runs.size(), loaded.runs.size() == 1 ? "" : "s");
  }
}

}  // namespace

void AddValidateVerb(CLI::App& app, Shell* shell) {
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check result artifacts against the artifact schema without storing them");
  cmd->footer(
      "Prints one line per invalid file (file, JSON pointer, what was expected) and exits 2.\n\n"
      "Example:\n"
      "  perfledger validate benchmark-results-*.json");
  cmd->add_option("paths", *paths, "Artifact files and directories")->required();
  cmd->callback([paths, shell] { RunValidate(*paths, shell); });
}

}  // namespace perfledger::cli
