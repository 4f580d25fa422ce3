// Group commit for uploads: concurrent callers of Collect share one write transaction instead
// of contending for the store's write lock one by one. Each request stays atomic on its own:
// if the shared transaction fails, every request of the group is written on its own, so a bad
// artifact fails only its own request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/status.h"
#include "store/collector.h"
#include "store/store.h"

namespace perfledger::store {

// Thread-safe; one per process (or per store path). A caller queues its request; one caller
// at a time is the leader: it takes the waiting requests (up to `max_group`; a request that
// shares a run_id with one already taken waits for the next round), writes them all in one
// Store::Ingest on its own connection, hands each request its own result and gives up
// leadership; a waiting caller whose request is not yet done becomes the next leader.
class GroupCommitter {
 public:
  // Opens the connection every leader writes with. SQLite empties a connection's page cache
  // whenever another connection has written, so when leaders wrote each with its own thread's
  // connection every group began by reading the series' pages again; one writer keeps them.
  using Opener = std::function<base::Result<std::unique_ptr<Store>>()>;

  // When the writer cannot be opened, leaders write with their own connections and the next
  // leader after `writer_retry` tries to open it again.
  explicit GroupCommitter(size_t max_group = 64, Opener open_writer = nullptr,
                          std::chrono::milliseconds writer_retry = std::chrono::seconds(10))
      : max_group_(max_group < 1 ? 1 : max_group),
        open_writer_(std::move(open_writer)),
        writer_retry_(writer_retry) {}
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // What store::Collect(store, runs) returns (the same stats and error messages), written
  // together with the requests of other threads. `store` is this thread's connection; it is
  // used only while this call leads a group.
  base::Result<IngestStats> Collect(Store& store, std::vector<SourcedRun> runs);

  // How many groups were committed, how many requests they held, how many wait now (for tests
  // and metrics).
  struct Counters {
    int64_t groups = 0;
    int64_t requests = 0;
    int64_t fallbacks = 0;     // groups whose shared transaction failed
    int64_t waiting = 0;       // requests queued now, not yet taken by a leader
    int64_t writer_opens = 0;  // attempts to open the writer connection
  };
  Counters counters() const;

 private:
  struct Request {
    PreparedBatch batch;
    std::optional<base::Result<IngestStats>> result;  // set by the leader; then done
  };

  // Takes the next group out of queue_ (mu_ held).
  std::vector<Request*> TakeGroup();
  void TakeGroupInto(std::vector<Request*>& group);
  // Writes `group` and sets every request's result (mu_ not held). Throws nothing.
  void CommitGroup(Store& store, const std::vector<Request*>& group);

  // The connection to write with: the writer (opened on first use) or else `own`.
  Store& WriterOr(Store& own);

  const size_t max_group_;
  const Opener open_writer_;
  const std::chrono::milliseconds writer_retry_;
  std::unique_ptr<Store> writer_;  // used only by the leader
  // When opening the writer last failed: until writer_retry_ later, leaders use their own.
  std::optional<std::chrono::steady_clock::time_point> writer_failed_at_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;  // waiting, not yet taken, oldest first
  bool leading_ = false;        // a leader is committing a group
  Counters counters_;
};

}  // namespace perfledger::store
