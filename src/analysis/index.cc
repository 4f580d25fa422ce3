#include "analysis/index.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

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
  std::map<std::string, double> medians;  // by benchmark
};

}  // namespace

std::vector<IndexSeries> ComputeIndex(const std::vector<Series>& series, const EpochBases& bases) {
  std::map<GroupKey, std::vector<const Series*>> groups;
  for (const Series& s : series) {
    groups[{s.key.platform, s.key.epoch, s.key.ci, s.key.metric}].push_back(&s);
  }
  std::vector<IndexSeries> out;
  for (const auto& [key, members] : groups) {
    IndexSeries index;
    index.platform = key.platform;
    index.epoch = key.epoch;
    index.ci = key.ci;
    index.metric = key.metric;
    index.unit = members.front()->unit;
    index.direction = members.front()->direction;
    std::map<std::string, Commit> by_sha;
    for (const Series* s : members) {
      if (s->unit != index.unit) continue;  // another quantity under the same name
      for (const SeriesPoint& p : s->points) {
        Commit& c = by_sha[p.sha];
        if (c.sha.empty()) {
          c.sha = p.sha;
          c.run_id = p.run_id;
          c.time = p.commit_time;
        }
        c.medians[s->key.benchmark] = p.median;
      }
    }
    std::vector<Commit*> commits;
    for (auto& [sha, c] : by_sha) commits.push_back(&c);
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
    for (size_t i = base; i < commits.size(); ++i) {
      const Commit& c = *commits[i];
      double log_sum = 0;
      int n = 0;
      for (const auto& [name, median] : c.medians) {
        auto it = b.medians.find(name);
        if (it == b.medians.end() || it->second <= 0 || median <= 0) continue;
        log_sum += std::log(median / it->second);
        ++n;
      }
      if (n == 0) continue;
      index.points.push_back({c.sha, c.run_id, c.time, std::exp(log_sum / n), n});
    }
    out.push_back(std::move(index));
  }
  return out;
}

}  // namespace perfledger::analysis
