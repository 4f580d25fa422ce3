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
  // (benchmark id, median) as added; Finish sorts them by benchmark name, the last of a
  // benchmark winning.
  std::vector<std::pair<int, double>> medians;
};

struct Group {
  std::string unit;
  core::Direction direction = core::Direction::kLower;
  std::unordered_map<std::string, int> benchmark_ids;
  std::vector<std::string> benchmarks;
  std::unordered_map<std::string, size_t> commit_of;  // by sha
  std::vector<int32_t> commit_of_id;                  // by PointRun::commit; -1: none yet
  std::vector<Commit> commits;
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
  for (const core::PointMedian& p : points) {
    const core::PointRun& run = runs[static_cast<size_t>(p.run)];
    const auto id = static_cast<size_t>(run.commit);
    if (id >= g.commit_of_id.size()) g.commit_of_id.resize(std::max(id + 1, runs.size()), -1);
    int32_t& c = g.commit_of_id[id];
    if (c < 0) {
      c = static_cast<int32_t>(g.commits.size());
      g.commits.push_back({run.sha, run.run_id, run.commit_time, {}});
    }
    g.commits[static_cast<size_t>(c)].medians.emplace_back(benchmark, p.median);
  }
}

void IndexBuilder::Add(const Series& s) {
  auto [group, benchmark] = GroupOf(groups_->by_key, s);
  if (group == nullptr) return;
  Group& g = *group;
  const int b_id = benchmark;
  for (const SeriesPoint& p : s.points) {
    auto [c, new_commit] = g.commit_of.try_emplace(p.sha, g.commits.size());
    if (new_commit) g.commits.push_back({p.sha, p.run_id, p.commit_time, {}});
    g.commits[c->second].medians.emplace_back(b_id, p.median);
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
    for (Commit& c : g.commits) {
      for (auto& [id, median] : c.medians) id = rank[id];
      std::stable_sort(c.medians.begin(), c.medians.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      size_t kept = 0;
      for (size_t i = 0; i < c.medians.size(); ++i) {
        if (kept > 0 && c.medians[kept - 1].first == c.medians[i].first) {
          c.medians[kept - 1] = c.medians[i];  // the last of a benchmark wins
        } else {
          c.medians[kept++] = c.medians[i];
        }
      }
      c.medians.resize(kept);
    }
    std::vector<const Commit*> commits;
    commits.reserve(g.commits.size());
    for (const Commit& c : g.commits) commits.push_back(&c);
    // Commit time (unknown last), then run_id: the store's order.
    std::sort(commits.begin(), commits.end(), [](const Commit* a, const Commit* b) {
      return std::make_tuple(!a->time.has_value(), a->time.value_or(base::Timestamp{}), a->run_id) <
             std::make_tuple(!b->time.has_value(), b->time.value_or(base::Timestamp{}), b->run_id);
    });
    if (commits.empty()) continue;
    size_t base = commits.size();
    if (key.epoch) {
      if (auto it = bases.find({key.platform, *key.epoch}); it != bases.end()) {
        for (size_t i = 0; i < commits.size(); ++i) {
          if (commits[i]->sha == it->second) base = i;
        }
        if (base < commits.size()) {
          index.base_source = fmt::format("first complete run of epoch {}", *key.epoch);
        }
      }
    }
    if (base == commits.size()) {
      size_t most = 0;
      for (const Commit* c : commits) most = std::max(most, c->medians.size());
      for (size_t i = 0; i < commits.size() && base == commits.size(); ++i) {
        if (commits[i]->medians.size() == most) base = i;
      }
      index.base_source =
          fmt::format("first run measuring all {} benchmark{}", most, most == 1 ? "" : "s");
    }
    const Commit& b = *commits[base];
    index.base_sha = b.sha;
    index.base_benchmarks = static_cast<int>(b.medians.size());
    std::vector<double> at_base(order.size(), 0);  // 0: not measured at the base
    for (const auto& [r, median] : b.medians) at_base[r] = median;
    for (size_t i = base; i < commits.size(); ++i) {
      const Commit& c = *commits[i];
      double log_sum = 0;
      int n = 0;
      for (const auto& [r, median] : c.medians) {
        if (at_base[r] <= 0 || median <= 0) continue;
        log_sum += std::log(median / at_base[r]);
        ++n;
      }
      if (n == 0) continue;
      index.points.push_back({c.sha, c.run_id, c.time, std::exp(log_sum / n), n});
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
