// What `compare`, `check` and the server's compare endpoint share over a store: finding a
// commit's run, and the run-to-run noise of its series learned from the stored history.
#pragma once

#include <functional>
#include <string>

#include "analysis/compare.h"
#include "analysis/series.h"
#include "base/status.h"
#include "core/run.h"
#include "store/store.h"

namespace perfledger::service {

// True for 4 to 40 hex digits: what may be a sha or a prefix of one.
bool LooksLikeSha(const std::string& s);

// The newest run of the commit whose sha starts with `sha_prefix` (lower case), on `platform`
// when not empty. Messages name `what` (what the user typed) and `where` (the store):
// kNotFound "abc123: no run of this commit on linux in perf.db"; kInvalidInput when the prefix
// starts several commits' shas, or the commit has runs on several platforms and none is given.
base::Result<core::Run> FindRunOfCommit(store::Store& store, const std::string& what,
                                        const std::string& sha_prefix, const std::string& platform,
                                        const std::string& where);

// The run-to-run noise of head's series, learned from the stored series of head's project,
// platform, suite epoch and environment class (analysis::RunToRunNoise of each series'
// medians). Head's own run never counts, even when it is stored (a point it is pooled into is
// left out); the base run may.
struct NoiseHistory {
  // Every series with at least 3 points that vary; CompareRuns weighs each by its degrees of
  // freedom, alone or pooled with the suite's (analysis::ModerateNoise).
  analysis::NoiseByMetric noise;
  int runs = 0;  // the stored runs it was learned from (with a point in them)
  // For people: "12 stored runs of linux (epoch 2, CI) in perf.db", or why there is none.
  std::string description;
};

// How much of each series the history noise is learned from: its newest points, this many
// (ten days of a run every 15 minutes). The noise of the machine as it is now; and reading
// every point of every series of a year's store took `compare` 10 s.
inline constexpr int64_t kNoiseHistoryPoints = 1000;

// The history of head's series in `store` (`db` names it in the description): each series'
// newest `window` points, head's own run left out.
base::Result<NoiseHistory> LoadNoiseHistory(const core::Run& head, store::Store& store,
                                            const std::string& db,
                                            int64_t window = kNoiseHistoryPoints);

// One side of a comparison: the run and where it came from ("commit abc123 in perf.db", or
// the artifact file).
struct ComparedRun {
  core::Run run;
  std::string source;
};

// A sha or a prefix of at least 4 hex digits (`what`, as the user typed it) with a run in
// `store` (`where` names it): the newest run of that commit, on `platform` when not empty.
base::Result<ComparedRun> RunOfCommit(store::Store& store, const std::string& what,
                                      const std::string& platform, const std::string& where);

// Opens the store on first use (the CLI opens it only when a side is not a file).
using StoreOpener = std::function<base::Result<store::Store*>()>;

// `what` is an artifact file, else a commit (a sha, a prefix of at least 4 hex digits, or a
// ref of the git repository `repo`) with a run in the store: the newest run of that commit,
// on `platform` when not empty. One-line errors name `what`.
base::Result<ComparedRun> LoadComparedRun(const std::string& what, const std::string& platform,
                                          const std::string& repo, const std::string& where,
                                          const StoreOpener& open_store);

struct CompareRequest {
  analysis::CompareOptions options;
  // Runs of different environments (fingerprint or platform) are compared as advisory;
  // without this they are refused.
  bool allow_cross_environment = true;
  // How the edge spells its parameters, for messages: "alpha" or "--alpha".
  std::string alpha_name = "alpha", metric_name = "metric";
  std::string refusal_hint;  // appended when cross-environment runs are refused
};

struct CompareOutcome {
  analysis::Comparison comparison;
  // Different environments: no verdict is a regression.
  bool advisory = false;
};

// kInvalidInput naming request.alpha_name when alpha is out of range: cheap, so an edge can
// refuse a bad request before it loads any run.
base::Status CheckCompareRequest(const CompareRequest& request);

// Compares head with base (checking the request first); a series' noise comes from `history` where
// it has enough, else from the two runs' samples. kInvalidInput for a bad alpha, refused
// environments, or no benchmark and metric in common.
base::Result<CompareOutcome> CompareRunsOf(const core::Run& base, const core::Run& head,
                                           const CompareRequest& request,
                                           const NoiseHistory& history);

// What `check` compares head with: the run of the commit git ancestry gives it
// (schedule::ChooseBaseline over `repo`, `base_branch`), the newest of that commit on head's
// platform, environment and suite epoch; and the history of head's series.
struct BaselineRequest {
  std::string repo = ".", base_branch;
  bool history = true;  // false: the noise comes from the two runs (--no-history)
  std::string where;    // names the store in sources and descriptions
};

struct Baseline {
  ComparedRun base;
  std::string reason;  // why this commit ("merge-base with main", ...)
  NoiseHistory history;
};

base::Result<Baseline> BaselineOf(store::Store& store, const core::Run& head,
                                  const BaselineRequest& request);

}  // namespace perfledger::service
