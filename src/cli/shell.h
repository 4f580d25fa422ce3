// Shell: what every verb shares: the global options, the one place that prints "error: ..."
// and turns a Status into an exit code, and opening the store chosen by --db.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "base/status.h"
#include "store/store.h"

namespace perfledger::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitFound = 3;  // a regression or stall found

struct Shell {
  // --db, else $PERFLEDGER_DB, else ./perfledger.db.
  std::string db = "perfledger.db";
  int exit_code = kExitOk;

  // Prints "error: <message>" on stderr and records the exit code for the status.
  void Fail(const base::Status& status);
  // Prints "error: <message>" and records exit code 2 (bad usage).
  void UsageError(const std::string& message);

  // Opens the store; reading verbs pass create=false so a mistyped path is an error.
  base::Result<std::unique_ptr<store::Store>> OpenStore(bool create) const;
  // The same for a store named otherwise than by --db (migrate-store's --from and --to).
  static base::Result<std::unique_ptr<store::Store>> OpenStoreAt(const std::string& location,
                                                                 bool create);
};

// --platform and --project, shared by the verbs that read runs.
struct RunFilterOptions {
  std::string platform, project;
  void AddTo(CLI::App* cmd);
  store::RunFilter Filter() const;
};

// A percentage flag ("10%", or "2.5" meaning 2.5%) as a fraction: 0.10, 0.025. Above 0 (or
// at least 0 with allow_zero) and at most 1000%; otherwise kInvalidInput naming the flag:
// "--threshold: expected a percentage like 10% or 2.5, got 'lots'".
base::Result<double> ParsePercentFlag(const std::string& flag, const std::string& text,
                                      bool allow_zero = false);

// Each verb registers itself as a subcommand; its callback sets shell->exit_code.
void AddIngestVerb(CLI::App& app, Shell* shell);
void AddExportVerb(CLI::App& app, Shell* shell);
void AddRunsVerb(CLI::App& app, Shell* shell);
void AddEpochsVerb(CLI::App& app, Shell* shell);
void AddValidateVerb(CLI::App& app, Shell* shell);
void AddWriteVerb(CLI::App& app, Shell* shell);
void AddInitVerb(CLI::App& app, Shell* shell);
void AddPlanVerb(CLI::App& app, Shell* shell);
void AddCoverageVerb(CLI::App& app, Shell* shell);
void AddGapsVerb(CLI::App& app, Shell* shell);
void AddSimulateVerb(CLI::App& app, Shell* shell);
void AddRunVerb(CLI::App& app, Shell* shell);
void AddConvertVerb(CLI::App& app, Shell* shell);
void AddImportVerb(CLI::App& app, Shell* shell);
void AddCalibrateVerb(CLI::App& app, Shell* shell);
void AddCompareVerb(CLI::App& app, Shell* shell);
void AddCheckVerb(CLI::App& app, Shell* shell);
void AddDetectVerb(CLI::App& app, Shell* shell);
void AddAlertsVerb(CLI::App& app, Shell* shell);
void AddIndexVerb(CLI::App& app, Shell* shell);
void AddTokenVerb(CLI::App& app, Shell* shell);
void AddServeVerb(CLI::App& app, Shell* shell);
void AddAgentVerb(CLI::App& app, Shell* shell);
void AddMigrateStoreVerb(CLI::App& app, Shell* shell);
void AddPublishVerb(CLI::App& app, Shell* shell);

// Parses the command line and runs the verb; returns the process exit code.
int Main(int argc, char** argv);

}  // namespace perfledger::cli
