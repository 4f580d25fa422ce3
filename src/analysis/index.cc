#include "analysis/index.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace perfledger::analysis {

namespace {

struct GroupKey {
  std::string platform;
  std::optional<int64_t> epoch;
  bool ci;
  std::string metric;
  auto operator<=>(const GroupKey&) const = default;
};

struct Commit {
  std::string sha, run_id;
  std::optional<base::Timestamp> time;
};

// One series' points as added: its commits and medians. Kept per series rather than per
// commit, so a point costs 12 bytes and nothing grows by doubling.
struct Chunk {
  int benchmark = 0;
  std::vector<int32_t> commits;
  std::vector<double> medians;
};

struct Group {
  std::string unit;
  core::Direction direction = core::Direction::kLower;
  std::unordered_map<std::string, int> benchmark_ids;
  std::vector<std::string> benchmarks;
  std::unordered_map<std::string, int32_t> commit_of;  // by sha
  std::vector<int32_t> commit_of_id;                   // by PointRun::commit; -1: none yet
  std::vector<Commit> commits;
  std::vector<Chunk> chunks;  // in the order added
};

}  // namespace

struct IndexBuilder::Groups {
  std::map<GroupKey, Group> by_key;
};

IndexBuilder::IndexBuilder() : groups_(std::make_unique<Groups>()) {}
IndexBuilder::~IndexBuilder() = default;
IndexBuilder::IndexBuilder(IndexBuilder&&) noexcept = default;
IndexBuilder& IndexBuilder::operator=(IndexBuilder&&) noexcept = default;

namespace {

// The group a series adds to and its benchmark's id there; null when its unit is not the
// group's (another quantity under the same name).
std::pair<Group*, int> GroupOf(std::map<GroupKey, Group>& by_key, const Series& s) {
  auto [it, added] =
      by_key.try_emplace(GroupKey{s.key.platform, s.key.epoch, s.key.ci, s.key.metric});
  Group& g = it->second;
  if (added) {
    g.unit = s.unit;
    g.direction = s.direction;
  }
  if (s.unit != g.unit) return {nullptr, 0};
  auto [b, new_benchmark] =
      g.benchmark_ids.try_emplace(s.key.benchmark, static_cast<int>(g.benchmarks.size()));
  if (new_benchmark) g.benchmarks.push_back(s.key.benchmark);
  return {&g, b->second};
}

}  // namespace

void IndexBuilder::Add(const Series& head, std::span<const core::PointMedian> points,
                       const std::vector<core::PointRun>& runs) {
  auto [group, benchmark] = GroupOf(groups_->by_key, head);
  if (group == nullptr) return;
  Group& g = *group;
  Chunk& chunk = g.chunks.emplace_back();
  chunk.benchmark = benchmark;
  chunk.commits.reserve(points.size());
  chunk.medians.reserve(points.size());
  for (const core::PointMedian& p : points) {
    const core::PointRun& run = runs[static_cast<size_t>(p.run)];
    const auto id = static_cast<size_t>(run.commit);
    if (id >= g.commit_of_id.size()) g.commit_of_id.resize(std::max(id + 1, runs.size()), -1);
    int32_t& c = g.commit_of_id[id];
    if (c < 0) {
      c = static_cast<int32_t>(g.commits.size());
      g.commits.push_back({run.sha, run.run_id, run.commit_time});
    }
    chunk.commits.push_back(c);
    chunk.medians.push_back(p.median);
  }
}

void IndexBuilder::Add(const Series& s) {
  auto [group, benchmark] = GroupOf(groups_->by_key, s);
  if (group == nullptr) return;
  Group& g = *group;
  Chunk& chunk = g.chunks.emplace_back();
  chunk.benchmark = benchmark;
  chunk.commits.reserve(s.points.size());
  chunk.medians.reserve(s.points.size());
  for (const SeriesPoint& p : s.points) {
    auto [c, new_commit] = g.commit_of.try_emplace(p.sha, static_cast<int32_t>(g.commits.size()));
    if (new_commit) g.commits.push_back({p.sha, p.run_id, p.commit_time});
    chunk.commits.push_back(c->second);
    chunk.medians.push_back(p.median);
  }
}

std::vector<IndexSeries> IndexBuilder::Finish(const EpochBases& bases) && {
  std::vector<IndexSeries> out;
  for (auto& entry : groups_->by_key) {
    const GroupKey& key = entry.first;
    Group& g = entry.second;  // a plain reference: lambdas below capture it (clang 14)
    IndexSeries index;
    index.platform = key.platform;
    index.epoch = key.epoch;
    index.ci = key.ci;
    index.metric = key.metric;
    index.unit = g.unit;
    index.direction = g.direction;
    // Benchmarks by name: the order the geometric mean sums in.
    std::vector<int> order(g.benchmarks.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::sort(order.begin(), order.end(),
              [&](int a, int b) { return g.benchmarks[a] < g.benchmarks[b]; });
    std::vector<int> rank(order.size());
    for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int>(r);
    // Each benchmark's series in the order added: where one benchmark has several (two
    // projects' series in one group), the last one added wins at a commit.
    std::vector<std::vector<const Chunk*>> chunks_of(order.size());
    for (const Chunk& chunk : g.chunks) chunks_of[rank[chunk.benchmark]].push_back(&chunk);
    const size_t n_commits = g.commits.size();
    // Benchmarks measured at each commit.
    std::vector<int> measured(n_commits, 0);
    std::vector<int32_t> stamp(n_commits, -1);
    for (size_t r = 0; r < chunks_of.size(); ++r) {
      for (const Chunk* chunk : chunks_of[r]) {
        for (int32_t c : chunk->commits) {
          if (stamp[c] == static_cast<int32_t>(r)) continue;
          stamp[c] = static_cast<int32_t>(r);
          ++measured[c];
        }
      }
    }
    std::vector<int32_t> commits(n_commits);
    for (size_t i = 0; i < n_commits; ++i) commits[i] = static_cast<int32_t>(i);
    // Commit time (unknown last), then run_id: the store's order.
    std::sort(commits.begin(), commits.end(), [&](int32_t x, int32_t y) {
      const Commit& a = g.commits[x];
      const Commit& b = g.commits[y];
      return std::make_tuple(!a.time.has_value(), a.time.value_or(base::Timestamp{}), a.run_id) <
             std::make_tuple(!b.time.has_value(), b.time.value_or(base::Timestamp{}), b.run_id);
    });
    if (commits.empty()) continue;
    size_t base = commits.size();
    if (key.epoch) {
      if (auto it = bases.find({key.platform, *key.epoch}); it != bases.end()) {
        for (size_t i = 0; i < commits.size(); ++i) {
          if (g.commits[commits[i]].sha == it->second) base = i;
        }
        if (base < commits.size()) {
          index.base_source = fmt::format("first complete run of epoch {}", *key.epoch);
        }
      }
    }
    if (base == commits.size()) {
      int most = 0;
      for (int32_t c : commits) most = std::max(most, measured[c]);
      for (size_t i = 0; i < commits.size() && base == commits.size(); ++i) {
        if (measured[commits[i]] == most) base = i;
      }
      index.base_source =
          fmt::format("first run measuring all {} benchmark{}", most, most == 1 ? "" : "s");
    }
    const int32_t b = commits[base];
    index.base_sha = g.commits[b].sha;
    index.base_benchmarks = measured[b];
    // Sums of log(median / median at the base), benchmark by benchmark in name order, so each
    // commit's sum adds in the same order as a commit-by-commit loop would.
    std::vector<double> log_sum(n_commits, 0);
    std::vector<int> n(n_commits, 0);
    std::vector<double> value(n_commits, 0);
    std::fill(stamp.begin(), stamp.end(), -1);  // now: the benchmark that last set value[c]
    std::vector<int32_t> touched;
    for (size_t r = 0; r < chunks_of.size(); ++r) {
      touched.clear();
      for (const Chunk* chunk : chunks_of[r]) {
        for (size_t i = 0; i < chunk->commits.size(); ++i) {
          const int32_t c = chunk->commits[i];
          if (stamp[c] != static_cast<int32_t>(r)) {
            stamp[c] = static_cast<int32_t>(r);
            touched.push_back(c);
          }
          value[c] = chunk->medians[i];
        }
      }
      const double at_base = stamp[b] == static_cast<int32_t>(r) ? value[b] : 0;
      if (at_base <= 0) continue;  // not measured at the base
      for (int32_t c : touched) {
        const double median = value[c];
        if (median <= 0) continue;
        log_sum[c] += std::log(median / at_base);
        ++n[c];
      }
    }
    for (size_t i = base; i < commits.size(); ++i) {
      const int32_t c = commits[i];
      if (n[c] == 0) continue;
      const Commit& commit = g.commits[c];
      index.points.push_back(
          {commit.sha, commit.run_id, commit.time, std::exp(log_sum[c] / n[c]), n[c]});
    }
    out.push_back(std::move(index));
  }
  return out;
}

std::vector<IndexSeries> ComputeIndex(const std::vector<Series>& series, const EpochBases& bases) {
  IndexBuilder builder;
  for (const Series& s : series) builder.Add(s);
  return std::move(builder).Finish(bases);
}

}  // namespace perfledger::analysis
