#include <fmt/format.h>

#include <cstdlib>

#include "cli/shell.h"

namespace perfledger::cli {

int Main(int argc, char** argv) {
  Shell shell;
  CLI::App app{"perfledger: continuous benchmarking for fast-moving repositories", "perfledger"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "perfledger 0.1.0");
  if (const char* db = std::getenv("PERFLEDGER_DB"); db != nullptr && *db != '\0') {
    shell.db = db;
  }
  app.add_option("--db", shell.db,
                 "Store: a SQLite file, or a PostgreSQL database as postgresql://USER@HOST:PORT/DB "
                 "(default: $PERFLEDGER_DB, else ./perfledger.db)")
      ->capture_default_str();
  app.footer(
      "Example:\n"
      "  perfledger ingest artifacts/ && perfledger runs\n"
      "Run 'perfledger VERB --help' for a verb's options.");
  AddIngestVerb(app, &shell);
  AddExportVerb(app, &shell);
  AddRunsVerb(app, &shell);
  AddEpochsVerb(app, &shell);
  AddValidateVerb(app, &shell);
  AddWriteVerb(app, &shell);
  AddPlanVerb(app, &shell);
  AddCoverageVerb(app, &shell);
  AddGapsVerb(app, &shell);
  AddSimulateVerb(app, &shell);
  AddRunVerb(app, &shell);
  AddConvertVerb(app, &shell);
  AddCalibrateVerb(app, &shell);
  AddCompareVerb(app, &shell);
  AddCheckVerb(app, &shell);
  AddDetectVerb(app, &shell);
  AddAlertsVerb(app, &shell);
  AddIndexVerb(app, &shell);
  AddTokenVerb(app, &shell);
  AddServeVerb(app, &shell);
  AddPublishVerb(app, &shell);
  AddAgentVerb(app, &shell);
  AddMigrateStoreVerb(app, &shell);
  AddInitVerb(app, &shell);
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    fmt::print(stderr, "Run 'perfledger --help' or 'perfledger VERB --help' for usage.\n");
    return kExitBadInput;
  }
  return shell.exit_code;
}

}  // namespace perfledger::cli
