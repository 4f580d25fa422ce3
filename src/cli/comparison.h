// What `compare` and `check` share: loading a side (an artifact file, or a commit's run in the
// store), the series' noise learned from the store's history, the comparison flags, and
// printing a comparison as a table, Markdown, JSON or JUnit.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "analysis/compare.h"
#include "analysis/series.h"
#include "base/status.h"
#include "cli/shell.h"
#include "core/run.h"
#include "service/comparison.h"

namespace perfledger::cli {

using service::ComparedRun;  // the file, or "commit <sha> in <db>"

// `what` is an artifact file, else a commit (a sha, a prefix of at least 4 hex digits, or a
// ref of the git repository `repo`) with a run in the store (opened into *store on first use):
// the newest run of that commit, on `platform` when given. One-line errors name `what`.
base::Result<ComparedRun> LoadComparedRun(const std::string& what, const std::string& platform,
                                          const std::string& repo, Shell* shell,
                                          std::unique_ptr<store::Store>* store);

using service::LoadNoiseHistory;
using service::NoiseHistory;

// --metric, --threshold, --alpha, --format, --allow-cross-environment, --no-history.
struct ComparisonFlags {
  std::vector<std::string> metrics;
  std::string threshold, format = "table";
  double alpha = 0.05;
  bool allow_cross_environment = false;
  bool no_history = false;
  void AddTo(CLI::App* cmd);
};

// Compares head with base and prints the result in flags.format; `baseline_reason` (when not
// empty) says why base was chosen; the noise of a series comes from `history` where it has
// enough, else from the two runs' samples. Every format says, per row, which noise set the
// minimum effect. Refuses runs of different environments unless --allow-cross-environment
// (then advisory). Sets the exit code: 3 on a regression.
void CompareAndPrint(const ComparedRun& base, const ComparedRun& head, const ComparisonFlags& flags,
                     const std::string& baseline_reason, const NoiseHistory& history, Shell* shell);

}  // namespace perfledger::cli
