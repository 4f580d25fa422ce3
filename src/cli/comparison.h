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

namespace perfledger::cli {

struct ComparedRun {
  core::Run run;
  std::string source;  // the file, or "commit <sha> in <db>"
};

// `what` is an artifact file, else a commit (a sha, a prefix of at least 4 hex digits, or a
// ref of the git repository `repo`) with a run in the store (opened into *store on first use):
// the newest run of that commit, on `platform` when given. One-line errors name `what`.
base::Result<ComparedRun> LoadComparedRun(const std::string& what, const std::string& platform,
                                          const std::string& repo, Shell* shell,
                                          std::unique_ptr<store::Store>* store);

// The run-to-run noise of head's series, learned from the stored runs of head's project,
// platform, suite epoch and environment class (analysis::HistoryNoiseOf over the series of
// those runs). Head's own run never counts, even when it is stored; the base run may.
struct NoiseHistory {
  analysis::NoiseByMetric noise;  // the series with enough history (at least 5 runs)
  int runs = 0;                   // the stored runs it was learned from
  // For people: "12 stored runs of linux (epoch 2, CI) in perf.db", or why there is none.
  std::string description;
};

// Feed it every stored run of head's platform (Store::ForEachRun order), then Finish.
class NoiseHistoryBuilder {
 public:
  explicit NoiseHistoryBuilder(const core::Run& head);
  void Add(const core::Run& run);
  NoiseHistory Finish(const std::string& db);

 private:
  const core::Run& head_;
  analysis::SeriesBuilder series_;
  int runs_ = 0;
};

// The history of head's series in `store`.
base::Result<NoiseHistory> LoadNoiseHistory(const core::Run& head, store::Store& store,
                                            const std::string& db);

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
