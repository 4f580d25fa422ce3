// The headline index over a store (analysis/index.h): computed from every series' medians,
// or kept current between requests from the commits that received runs since.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "analysis/index.h"
#include "base/status.h"
#include "store/store.h"

namespace perfledger::service {

struct IndexRequest {
  store::RunFilter runs;
  std::vector<std::string> metrics;
  // Polled per series; when it returns true, IndexOf stops with kInternal "cancelled".
  // Called from two threads at once when `another_store` is given.
  std::function<bool()> cancelled;
  // Another connection to the same store (the server's pool): reading every series, platforms
  // are then read on it and on the caller's side by side, on two threads. None, or an error
  // from it: one connection reads them all.
  std::function<base::Result<std::shared_ptr<store::Store>>()> another_store;
};

base::Result<std::vector<analysis::IndexSeries>> IndexOf(store::Store& store,
                                                         const IndexRequest& request);

// One request's index kept between calls (the server's overview). The first call reads every
// series' medians; later ones read only the points at the commits that received runs since
// the last (Store::ForEachMedianAtChangedCommits) and update those commits' values, unless the
// change moves a base, when the index is read afresh. Thread-safe: one update at a time.
//
// With a checkpoint name, the state is also kept in the store (Store::WriteCheckpoint) after
// every full read and every kCheckpointEveryRuns runs after it, and a first call starts from
// the stored one: a restarted server then reads only what changed since, not every series.
class IndexCache {
 public:
  // More runs than this since the state's mark: every series is read again instead (one seek
  // per series and changed commit costs more than a full read beyond about this many).
  static constexpr int64_t kMaxRunsToUpdate = 5000;
  static constexpr int64_t kCheckpointEveryRuns = 1000;

  explicit IndexCache(IndexRequest request, std::optional<std::string> checkpoint = std::nullopt);
  ~IndexCache();

  struct Current {
    int64_t mark = 0;  // the store's change mark the index is current at
    std::shared_ptr<const std::vector<analysis::IndexSeries>> index;
  };
  // The index as of the store's current change mark; with `max_points`, at most that many
  // points per line (analysis::IndexState::Indexes), made from the state without the rest.
  // Made per call, not kept: the state is what is kept (a year's full index is tens of
  // megabytes beside it; the server keeps the JSON made from it instead).
  base::Result<Current> Get(store::Store& store, const std::function<bool()>& cancelled = {},
                            std::optional<size_t> max_points = std::nullopt);

  // How the calls so far were answered: read afresh, updated in place, or as they were.
  struct Counts {
    int64_t rebuilt = 0, updated = 0, unchanged = 0;
    int64_t from_checkpoint = 0;  // first calls that started from the stored state
    int64_t checkpoints_written = 0;
    int64_t epochs_read = 0;  // reads of the store's epochs (their bases)
  };
  Counts counts() const;

 private:
  void WriteCheckpoint(store::Store& store);

  IndexRequest request_;
  std::optional<std::string> checkpoint_;
  int64_t checkpoint_mark_ = -1;  // the mark of the state last written
  mutable std::mutex mu_;
  std::optional<int64_t> mark_;
  analysis::IndexState state_;
  Counts counts_;
};

}  // namespace perfledger::service
