// What `compare`, `check` and the server's compare endpoint share over a store: finding a
// commit's run, and the run-to-run noise of its series learned from the stored history.
#pragma once

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

// The history of head's series in `store` (`db` names it in the description).
base::Result<NoiseHistory> LoadNoiseHistory(const core::Run& head, store::Store& store,
                                            const std::string& db);

}  // namespace perfledger::service
