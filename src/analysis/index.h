// The headline index (DESIGN.md "index"): per platform and epoch, for every measured commit,
// the geometric mean over the suite's benchmarks of median / median at the epoch's base run
// (its first complete run). 1.00 is where the epoch started; 1.05 is 5% more of the metric
// (slower, for times). Only series of one epoch and environment class are combined, so an
// index never mixes machines or settings. Pure functions over series (series.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/series.h"

namespace perfledger::analysis {

struct IndexPoint {
  std::string sha, run_id;
  std::optional<base::Timestamp> commit_time;
  double value = 0;    // the geometric mean of the ratios
  int benchmarks = 0;  // benchmarks in the mean: those measured both here and at the base
  bool operator==(const IndexPoint&) const = default;
};

struct IndexSeries {
  std::string platform, metric, unit;
  std::optional<int64_t> epoch;
  bool ci = false;
  core::Direction direction = core::Direction::kLower;
  std::string base_sha;
  std::string base_source;         // "first complete run of epoch 2", "first run measuring all 12"
  int base_benchmarks = 0;         // benchmarks measured at the base
  std::vector<IndexPoint> points;  // oldest first, from the base on
  // Set when `points` is a display-resolution choice of them (IndexState::Indexes):
  // how many there are in all.
  std::optional<int64_t> points_total;
  bool operator==(const IndexSeries&) const = default;
};

// Where each epoch starts: its first complete run's commit, by (platform, epoch number), as
// Store::ListEpochs reports it.
using EpochBases = std::map<std::pair<std::string, int64_t>, std::string>;

// One index per (platform, epoch, environment class, metric). The base is the epoch's first
// complete run when `bases` has it and the series hold it; otherwise (runs without an epoch,
// or no complete run yet) the first commit that measured as many of the group's benchmarks as
// any commit did. Commits before the base are not indexed.
std::vector<IndexSeries> ComputeIndex(const std::vector<Series>& series, const EpochBases& bases);

class IndexState;

// ComputeIndex over series given one at a time (in the same order), keeping only each point's
// commit and median: a store's series are streamed through it without holding them.
class IndexBuilder {
 public:
  IndexBuilder();
  ~IndexBuilder();
  IndexBuilder(IndexBuilder&&) noexcept;
  IndexBuilder& operator=(IndexBuilder&&) noexcept;

  void Add(const Series& series);
  // The same series as a store's lean read gives it (Store::ForEachSeriesMedians): `head`'s
  // key, unit and direction, its points' runs and medians. `runs` are those of one read; a
  // builder takes series of one read only, by one Add or the other.
  void Add(const Series& head, std::span<const core::PointMedian> points,
           const std::vector<core::PointRun>& runs);
  std::vector<IndexSeries> Finish(const EpochBases& bases) &&;
  // The same index, kept as an IndexState that new points can bring up to date.
  IndexState FinishState(const EpochBases& bases) &&;

 private:
  struct Groups;
  std::unique_ptr<Groups> groups_;
};

// The index between changes to the store: per group its base, each benchmark's median at the
// base and each commit's sum of log ratios (a few numbers per commit and benchmark, not the
// points). New points at some commits update only those commits' values, summed in the same
// order as a full computation, so an updated state gives the same index as one built afresh
// from every series, to the bit (index_test.cc checks it).
class IndexState {
 public:
  IndexState();
  ~IndexState();
  IndexState(IndexState&&) noexcept;
  IndexState& operator=(IndexState&&) noexcept;

  // Takes `other`'s groups (built from series of other platforms).
  void Merge(IndexState&& other);

  // Every point at each commit that changed, in every series of that commit's platform, as a
  // store gives them (Store::ForEachMedianAtChangedCommits): added series by series in the
  // order of a full read, then applied at once.
  void AddChanged(const Series& head, std::span<const core::PointMedian> points,
                  const std::vector<core::PointRun>& runs);
  // Applies what AddChanged collected. False when it cannot be applied in place and the index
  // must be built afresh: it moves a base (the base commit's medians changed, an epoch's first
  // complete run arrived, a commit measured more benchmarks than the fallback base), starts a
  // group, or changes the run a commit's point sits at. The state is unchanged then.
  bool ApplyChanged(const EpochBases& bases);

  // The index; with `max_points`, at most that many points per line, chosen so the line looks
  // the same (DownsampleLine: each bucket's extremes, the line's first and last point), with
  // points_total set on the lines it thinned. Only the points kept are made.
  std::vector<IndexSeries> Indexes(std::optional<size_t> max_points = std::nullopt) const;

  // The epochs' bases the state was computed with (their first complete runs).
  EpochBases Bases() const;
  // Whether the changes AddChanged collected could move an epoch's base: a commit in a group
  // whose epoch has no complete run yet (or whose base is not one of its commits), at or
  // before the base, or without a commit time. When false, Bases() is what ApplyChanged
  // needs and the store's epochs need not be read.
  bool ChangedMayMoveBases() const;

  // The state as bytes (a checkpoint a store keeps, Store::WriteCheckpoint) and back. Parse
  // checks every size and id, and returns nullopt for bytes it did not write (another
  // format, truncated, corrupt): the caller then computes the index afresh.
  std::string Serialize() const;
  static std::optional<IndexState> Parse(std::string_view bytes);

 private:
  friend class IndexBuilder;
  struct Groups;
  std::unique_ptr<Groups> groups_;
};

}  // namespace perfledger::analysis
