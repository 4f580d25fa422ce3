#include "service/index.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

namespace perfledger::service {

namespace {

base::Result<analysis::EpochBases> BasesOf(store::Store& store, const store::RunFilter& runs) {
  analysis::EpochBases bases;
  ASSIGN_OR_RETURN(auto epochs, store.ListEpochs(runs));
  for (const store::EpochInfo& e : epochs) {
    if (e.first_complete_sha) bases[{e.platform, e.number}] = *e.first_complete_sha;
  }
  return bases;
}

store::SeriesQuery QueryOf(const IndexRequest& request) {
  store::SeriesQuery query;
  query.project = request.runs.project;
  query.platform = request.runs.platform;
  query.metrics = request.metrics;
  return query;
}

// The index state of one platform's series (a run has one platform, so each run is read
// once): only that platform's medians are held.
base::Result<analysis::IndexState> PlatformStateOf(store::Store& store, const IndexRequest& request,
                                                   const std::string& platform,
                                                   const analysis::EpochBases& bases) {
  store::SeriesQuery query = QueryOf(request);
  query.platform = platform;
  // Streamed: each series gives its commits' medians to the builder and is dropped; the store
  // reads only each point's run and median.
  analysis::IndexBuilder builder;
  RETURN_IF_ERROR(store.ForEachSeriesMedians(
      query, [&](const analysis::Series& head, std::span<const core::PointMedian> points,
                 const std::vector<core::PointRun>& runs) {
        if (request.cancelled && request.cancelled()) return base::Internal("cancelled");
        builder.Add(head, points, runs);
        return base::Status::Ok();
      }));
  return std::move(builder).FinishState(bases);
}

base::Result<analysis::IndexState> StateOf(store::Store& store, const IndexRequest& request,
                                           const analysis::EpochBases& bases) {
  std::vector<std::string> platforms;
  if (request.runs.platform) {
    platforms.push_back(*request.runs.platform);
  } else {
    ASSIGN_OR_RETURN(platforms, store.Platforms());
  }
  // Each platform's state, merged in platform order (the indexes come out platform first).
  std::vector<std::optional<base::Result<analysis::IndexState>>> states(platforms.size());
  std::atomic<size_t> next{0};
  auto work = [&](store::Store& on) {
    for (size_t i; (i = next.fetch_add(1)) < platforms.size();) {
      states[i] = PlatformStateOf(on, request, platforms[i], bases);
      if (!states[i]->ok()) next = platforms.size();  // the first error ends the read
    }
  };
  std::shared_ptr<store::Store> other;
  if (platforms.size() > 1 && request.another_store) {
    if (auto got = request.another_store(); got.ok() && *got) other = std::move(*got);
  }
  std::optional<std::thread> helper;
  if (other) {
    try {
      helper.emplace([&] { work(*other); });
    } catch (const std::system_error&) {
      // No thread to be had: this one reads every platform.
    }
  }
  work(store);
  if (helper) helper->join();
  analysis::IndexState state;
  for (auto& s : states) {
    if (!s) continue;  // not read: another platform's error ended the read
    if (!s->ok()) return s->status();
  }
  for (auto& s : states) {
    if (s) state.Merge(std::move(**s));
  }
  return state;
}

}  // namespace

base::Result<std::vector<analysis::IndexSeries>> IndexOf(store::Store& store,
                                                         const IndexRequest& request) {
  ASSIGN_OR_RETURN(analysis::EpochBases bases, BasesOf(store, request.runs));
  ASSIGN_OR_RETURN(analysis::IndexState state, StateOf(store, request, bases));
  return state.Indexes();
}

IndexCache::IndexCache(IndexRequest request, std::optional<std::string> checkpoint)
    : request_(std::move(request)), checkpoint_(std::move(checkpoint)) {}

void IndexCache::WriteCheckpoint(store::Store& store) {
  // Best effort: a store that cannot take it now (busy, read-only) is asked again later.
  if (!checkpoint_ || !mark_) return;
  if (store.WriteCheckpoint(*checkpoint_, *mark_, state_.Serialize()).ok()) {
    checkpoint_mark_ = *mark_;
    ++counts_.checkpoints_written;
  }
}
IndexCache::~IndexCache() = default;

IndexCache::Counts IndexCache::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

base::Result<IndexCache::Current> IndexCache::Get(store::Store& store,
                                                  const std::function<bool()>& cancelled,
                                                  std::optional<size_t> max_points) {
  std::lock_guard<std::mutex> lock(mu_);
  IndexRequest request = request_;
  request.cancelled = cancelled;
  // The answer at mark_.
  auto current = [&]() -> Current {
    return Current{*mark_, std::make_shared<const std::vector<analysis::IndexSeries>>(
                               state_.Indexes(max_points))};
  };
  ASSIGN_OR_RETURN(const int64_t mark, store.ChangeMark());
  if (mark_ && *mark_ >= mark) {
    ++counts_.unchanged;
    return current();
  }
  if (!mark_ && checkpoint_) {
    // A first call: from the state kept in the store, when there is one this code can read.
    ASSIGN_OR_RETURN(std::optional<store::Store::Checkpoint> kept,
                     store.ReadCheckpoint(*checkpoint_));
    if (kept && kept->mark <= mark) {
      if (auto state = analysis::IndexState::Parse(kept->data)) {
        state_ = std::move(*state);
        mark_ = kept->mark;
        checkpoint_mark_ = kept->mark;
        ++counts_.from_checkpoint;
        if (*mark_ == mark) return current();
      }
    }
  }
  if (mark_ && mark - *mark_ <= kMaxRunsToUpdate) {
    // Only the commits that received runs since: their points in every series.
    auto read = store.ForEachMedianAtChangedCommits(
        QueryOf(request), *mark_,
        [&](const analysis::Series& head, std::span<const core::PointMedian> points,
            const std::vector<core::PointRun>& runs) {
          state_.AddChanged(head, points, runs);
          return base::Status::Ok();
        });
    if (!read.ok()) {
      mark_.reset();  // what was collected is dropped with the state, read afresh next time
      state_ = analysis::IndexState();
      return read.status();
    }
    // The epochs' bases as the state has them, unless what changed could move one (reading
    // every epoch's runs costs more than the rest of an update).
    analysis::EpochBases bases = state_.Bases();
    if (state_.ChangedMayMoveBases()) {
      ++counts_.epochs_read;
      auto fresh = BasesOf(store, request.runs);
      if (!fresh.ok()) {
        mark_.reset();
        state_ = analysis::IndexState();
        return fresh.status();
      }
      bases = std::move(*fresh);
    }
    if (*read && state_.ApplyChanged(bases)) {
      ++counts_.updated;
      mark_ = **read;
      if (*mark_ - checkpoint_mark_ >= kCheckpointEveryRuns) WriteCheckpoint(store);
      return current();
    }
  }
  // The first call, or a change that moves a base: everything, from a mark read before it
  // (runs stored during the read are read again next time, which changes nothing).
  ++counts_.epochs_read;
  ASSIGN_OR_RETURN(analysis::EpochBases bases, BasesOf(store, request.runs));
  ASSIGN_OR_RETURN(analysis::IndexState state, StateOf(store, request, bases));
  ++counts_.rebuilt;
  state_ = std::move(state);
  mark_ = mark;
  WriteCheckpoint(store);
  return current();
}

}  // namespace perfledger::service
