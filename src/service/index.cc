#include "service/index.h"

#include <algorithm>
#include <utility>

#include "analysis/downsample.h"

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

base::Result<analysis::IndexState> StateOf(store::Store& store, const IndexRequest& request,
                                           const analysis::EpochBases& bases) {
  // One platform at a time (a run has one platform, so each run is read once): only that
  // platform's medians are held, and the indexes come out in the same order (platform first).
  std::vector<std::string> platforms;
  if (request.runs.platform) {
    platforms.push_back(*request.runs.platform);
  } else {
    ASSIGN_OR_RETURN(platforms, store.Platforms());
  }
  analysis::IndexState state;
  for (const std::string& platform : platforms) {
    store::SeriesQuery query = QueryOf(request);
    query.platform = platform;
    // Streamed: each series gives its commits' medians to the builder and is dropped; the
    // store reads only each point's run and median.
    analysis::IndexBuilder builder;
    RETURN_IF_ERROR(store.ForEachSeriesMedians(
        query, [&](const analysis::Series& head, std::span<const core::PointMedian> points,
                   const std::vector<core::PointRun>& runs) {
          if (request.cancelled && request.cancelled()) return base::Internal("cancelled");
          builder.Add(head, points, runs);
          return base::Status::Ok();
        }));
    state.Merge(std::move(builder).FinishState(bases));
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

std::vector<analysis::IndexSeries> IndexAtResolution(
    const std::vector<analysis::IndexSeries>& index, int64_t max_points) {
  std::vector<analysis::IndexSeries> out;
  out.reserve(index.size());
  std::vector<analysis::PlotPoint> plot;
  for (const analysis::IndexSeries& line : index) {
    if (static_cast<int64_t>(line.points.size()) <= max_points) {
      out.push_back(line);
      continue;
    }
    plot.clear();
    for (const analysis::IndexPoint& p : line.points) {
      analysis::PlotPoint q;
      if (p.commit_time) q.x = p.commit_time->unix_nanos;
      q.y = p.value;
      q.sha = p.sha;
      plot.push_back(q);
    }
    const std::vector<size_t> kept =
        analysis::DownsampleLine(plot, {}, static_cast<size_t>(std::max<int64_t>(max_points, 0)));
    analysis::IndexSeries thin;
    thin.platform = line.platform;
    thin.metric = line.metric;
    thin.unit = line.unit;
    thin.epoch = line.epoch;
    thin.ci = line.ci;
    thin.direction = line.direction;
    thin.base_sha = line.base_sha;
    thin.base_source = line.base_source;
    thin.base_benchmarks = line.base_benchmarks;
    thin.points.reserve(kept.size());
    for (size_t k : kept) thin.points.push_back(line.points[k]);
    thin.points_total = static_cast<int64_t>(line.points.size());
    out.push_back(std::move(thin));
  }
  return out;
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
                                                  const std::function<bool()>& cancelled) {
  std::lock_guard<std::mutex> lock(mu_);
  IndexRequest request = request_;
  request.cancelled = cancelled;
  ASSIGN_OR_RETURN(const int64_t mark, store.ChangeMark());
  if (mark_ && *mark_ == mark) {
    ++counts_.unchanged;
    return Current{mark, index_};
  }
  ASSIGN_OR_RETURN(analysis::EpochBases bases, BasesOf(store, request.runs));
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
        if (mark_ == mark) {
          index_ = std::make_shared<const std::vector<analysis::IndexSeries>>(state_.Indexes());
          return Current{*mark_, index_};
        }
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
      index_.reset();
      return read.status();
    }
    if (*read && state_.ApplyChanged(bases)) {
      ++counts_.updated;
      mark_ = **read;
      index_ = std::make_shared<const std::vector<analysis::IndexSeries>>(state_.Indexes());
      if (*mark_ - checkpoint_mark_ >= kCheckpointEveryRuns) WriteCheckpoint(store);
      return Current{*mark_, index_};
    }
  }
  // The first call, or a change that moves a base: everything, from a mark read before it
  // (runs stored during the read are read again next time, which changes nothing).
  ASSIGN_OR_RETURN(analysis::IndexState state, StateOf(store, request, bases));
  ++counts_.rebuilt;
  state_ = std::move(state);
  mark_ = mark;
  index_ = std::make_shared<const std::vector<analysis::IndexSeries>>(state_.Indexes());
  WriteCheckpoint(store);
  return Current{*mark_, index_};
}

}  // namespace perfledger::service
