#include "analysis/index.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "analysis/downsample.h"

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

namespace {

// One group of an IndexState: what Finish computed, kept per commit and benchmark.
struct StateGroup {
  std::string unit;
  core::Direction direction = core::Direction::kLower;
  std::unordered_map<std::string, int> benchmark_ids;
  std::vector<std::string> benchmarks;
  std::vector<Commit> commits;
  std::unordered_map<std::string, int32_t> commit_of;  // by sha
  std::vector<int32_t> order;                          // commits in store order
  int32_t base = -1;                                   // -1: no commit
  bool epoch_base = false;                             // the base is the epoch's first complete run
  std::optional<std::string> wanted;                   // the epoch base `bases` named when computed
  int most = 0;                                        // the most benchmarks any commit measured
  std::string base_source;
  std::vector<double> at_base;  // by benchmark id: the median at the base; 0 if not measured
  std::vector<int> measured;    // by commit: benchmarks measured
  std::vector<double> log_sum;  // by commit: sum of log(median / median at the base)
  std::vector<int> n;           // by commit: benchmarks in log_sum
};

// Store order: commit time (unknown last), then run_id.
bool CommitBefore(const Commit& a, const Commit& b) {
  return std::make_tuple(!a.time.has_value(), a.time.value_or(base::Timestamp{}), a.run_id) <
         std::make_tuple(!b.time.has_value(), b.time.value_or(base::Timestamp{}), b.run_id);
}

std::optional<std::string> WantedBase(const GroupKey& key, const EpochBases& bases) {
  if (!key.epoch) return std::nullopt;
  auto it = bases.find({key.platform, *key.epoch});
  if (it == bases.end()) return std::nullopt;
  return it->second;
}

// A changed commit's points in one group, as AddChanged collects them.
struct PendingCommit {
  std::string run_id;
  std::optional<base::Timestamp> time;
  std::vector<std::pair<std::string, double>> values;  // benchmark, median; the last one wins
};

struct PendingGroup {
  std::string unit;
  std::map<std::string, PendingCommit> commits;  // by sha
};

}  // namespace

struct IndexState::Groups {
  std::map<GroupKey, StateGroup> by_key;
  std::map<GroupKey, PendingGroup> pending;
  bool pending_new_group = false;
};

IndexState::IndexState() : groups_(std::make_unique<Groups>()) {}
IndexState::~IndexState() = default;
IndexState::IndexState(IndexState&&) noexcept = default;
IndexState& IndexState::operator=(IndexState&&) noexcept = default;

void IndexState::Merge(IndexState&& other) {
  for (auto& [key, g] : other.groups_->by_key) groups_->by_key.insert_or_assign(key, std::move(g));
}

IndexState IndexBuilder::FinishState(const EpochBases& bases) && {
  IndexState state;
  for (auto& entry : groups_->by_key) {
    const GroupKey& key = entry.first;
    Group& g = entry.second;  // a plain reference: lambdas below capture it (clang 14)
    StateGroup& s = state.groups_->by_key[key];
    s.unit = g.unit;
    s.direction = g.direction;
    s.wanted = WantedBase(key, bases);
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
    std::sort(commits.begin(), commits.end(),
              [&](int32_t x, int32_t y) { return CommitBefore(g.commits[x], g.commits[y]); });
    s.benchmark_ids = std::move(g.benchmark_ids);
    s.benchmarks = std::move(g.benchmarks);
    s.at_base.assign(s.benchmarks.size(), 0);
    if (commits.empty()) continue;
    size_t base = commits.size();
    if (s.wanted) {
      for (size_t i = 0; i < commits.size(); ++i) {
        if (g.commits[commits[i]].sha == *s.wanted) base = i;
      }
      if (base < commits.size()) {
        s.epoch_base = true;
        s.base_source = fmt::format("first complete run of epoch {}", *key.epoch);
      }
    }
    for (int32_t c : commits) s.most = std::max(s.most, measured[c]);
    if (base == commits.size()) {
      for (size_t i = 0; i < commits.size() && base == commits.size(); ++i) {
        if (measured[commits[i]] == s.most) base = i;
      }
      s.base_source =
          fmt::format("first run measuring all {} benchmark{}", s.most, s.most == 1 ? "" : "s");
    }
    const int32_t b = commits[base];
    // Sums of log(median / median at the base), benchmark by benchmark in name order, so each
    // commit's sum adds in the same order as a commit-by-commit loop would (and as
    // IndexState::ApplyChanged does).
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
      s.at_base[static_cast<size_t>(order[r])] = at_base;
      for (int32_t c : touched) {
        const double median = value[c];
        if (median <= 0) continue;
        log_sum[c] += std::log(median / at_base);
        ++n[c];
      }
    }
    s.base = b;
    s.commits = std::move(g.commits);
    s.commit_of.reserve(s.commits.size());
    for (size_t i = 0; i < s.commits.size(); ++i) {
      s.commit_of.emplace(s.commits[i].sha, static_cast<int32_t>(i));
    }
    s.order = std::move(commits);
    s.measured = std::move(measured);
    s.log_sum = std::move(log_sum);
    s.n = std::move(n);
  }
  groups_->by_key.clear();
  return state;
}

std::vector<IndexSeries> IndexBuilder::Finish(const EpochBases& bases) && {
  return std::move(*this).FinishState(bases).Indexes();
}

std::vector<IndexSeries> IndexState::Indexes(std::optional<size_t> max_points) const {
  std::vector<IndexSeries> out;
  std::vector<int32_t> shown;
  std::vector<int64_t> xs;
  std::vector<double> ys;
  for (const auto& entry : groups_->by_key) {
    // Named references, not a structured binding: clang 14 (the fuzz build) cannot capture a
    // binding in the lambdas below.
    const auto& key = entry.first;
    const auto& s = entry.second;
    if (s.base < 0) continue;
    IndexSeries index;
    index.platform = key.platform;
    index.epoch = key.epoch;
    index.ci = key.ci;
    index.metric = key.metric;
    index.unit = s.unit;
    index.direction = s.direction;
    index.base_sha = s.commits[s.base].sha;
    index.base_source = s.base_source;
    index.base_benchmarks = s.measured[s.base];
    shown.clear();
    for (auto it = std::find(s.order.begin(), s.order.end(), s.base); it != s.order.end(); ++it) {
      if (s.n[*it] != 0) shown.push_back(*it);
    }
    auto value = [&](int32_t c) { return std::exp(s.log_sum[c] / s.n[c]); };
    auto point = [&](int32_t c) {
      const Commit& commit = s.commits[c];
      return IndexPoint{commit.sha, commit.run_id, commit.time, value(c), s.n[c]};
    };
    if (max_points && shown.size() > *max_points) {
      // An index line has no alerts or fingerprint changes: its times and values are all the
      // choice needs.
      xs.clear();
      ys.clear();
      for (int32_t c : shown) {
        if (const auto& time = s.commits[c].time) xs.push_back(time->unix_nanos);
        ys.push_back(value(c));
      }
      if (xs.size() != ys.size()) xs.clear();  // a commit without a time: by index
      const std::vector<size_t> kept = DownsampleValues(xs, ys, *max_points);
      index.points.reserve(kept.size());
      for (size_t k : kept) index.points.push_back(point(shown[k]));
      index.points_total = static_cast<int64_t>(shown.size());
    } else {
      index.points.reserve(shown.size());
      for (int32_t c : shown) index.points.push_back(point(c));
    }
    out.push_back(std::move(index));
  }
  return out;
}

EpochBases IndexState::Bases() const {
  EpochBases bases;
  for (const auto& [key, s] : groups_->by_key) {
    if (key.epoch && s.wanted) bases[{key.platform, *key.epoch}] = *s.wanted;
  }
  return bases;
}

bool IndexState::ChangedMayMoveBases() const {
  if (groups_->pending_new_group) return true;
  for (const auto& [key, p] : groups_->pending) {
    if (p.commits.empty() || !key.epoch) continue;
    auto it = groups_->by_key.find(key);
    if (it == groups_->by_key.end()) return true;
    const StateGroup& s = it->second;
    if (!s.wanted || !s.epoch_base || s.base < 0) return true;
    const Commit& base = s.commits[s.base];
    for (const auto& [sha, commit] : p.commits) {
      if (!commit.time || !CommitBefore(base, {sha, commit.run_id, commit.time})) return true;
    }
  }
  return false;
}

void IndexState::AddChanged(const Series& head, std::span<const core::PointMedian> points,
                            const std::vector<core::PointRun>& runs) {
  const GroupKey key{head.key.platform, head.key.epoch, head.key.ci, head.key.metric};
  auto g = groups_->by_key.find(key);
  std::string unit = g != groups_->by_key.end() ? g->second.unit : head.unit;
  if (g == groups_->by_key.end() && !points.empty()) groups_->pending_new_group = true;
  auto [p, added] = groups_->pending.try_emplace(key);
  if (added) p->second.unit = std::move(unit);
  PendingGroup& pending = p->second;
  if (head.unit != pending.unit) return;  // another quantity under the same name
  for (const core::PointMedian& point : points) {
    const core::PointRun& run = runs[static_cast<size_t>(point.run)];
    auto [c, new_commit] = pending.commits.try_emplace(run.sha);
    if (new_commit) {
      c->second.run_id = run.run_id;
      c->second.time = run.commit_time;
    }
    c->second.values.emplace_back(head.key.benchmark, point.median);
  }
}

namespace {

// A changed commit's benchmarks and medians, the last one added winning, in name order.
std::vector<std::pair<std::string, double>> ByName(
    const std::vector<std::pair<std::string, double>>& values) {
  std::map<std::string, double> last;
  for (const auto& [name, median] : values) last[name] = median;
  return {last.begin(), last.end()};
}

}  // namespace

bool IndexState::ApplyChanged(const EpochBases& bases) {
  std::map<GroupKey, PendingGroup> pending = std::move(groups_->pending);
  groups_->pending.clear();
  const bool new_group = std::exchange(groups_->pending_new_group, false);
  if (new_group) return false;
  // First every check, so that a change that cannot be applied leaves the state as it was.
  // An epoch's first complete run that moved (or arrived) moves that index's base.
  for (const auto& [key, s] : groups_->by_key) {
    if (WantedBase(key, bases) != s.wanted) return false;
  }
  for (const auto& [key, p] : pending) {
    if (p.commits.empty()) continue;
    auto it = groups_->by_key.find(key);
    if (it == groups_->by_key.end()) return false;
    const StateGroup& s = it->second;
    if (s.base < 0) return false;
    const Commit& base = s.commits[s.base];
    for (const auto& [sha, commit] : p.commits) {
      if (auto c = s.commit_of.find(sha); c != s.commit_of.end()) {
        if (c->second == s.base) return false;
        const Commit& known = s.commits[c->second];
        if (known.run_id != commit.run_id || known.time != commit.time) return false;
      }
      if (s.epoch_base) continue;
      if (s.wanted && sha == *s.wanted) return false;  // the epoch's base arrived
      const int measured = static_cast<int>(ByName(commit.values).size());
      if (measured > s.most) return false;
      if (measured == s.most && CommitBefore({sha, commit.run_id, commit.time}, base)) {
        return false;
      }
    }
  }
  for (auto& [key, p] : pending) {
    if (p.commits.empty()) continue;
    StateGroup& s = groups_->by_key.at(key);
    for (auto& [sha, commit] : p.commits) {
      auto [c, new_commit] = s.commit_of.try_emplace(sha, static_cast<int32_t>(s.commits.size()));
      const int32_t id = c->second;
      if (new_commit) {
        s.commits.push_back({sha, commit.run_id, commit.time});
        s.measured.push_back(0);
        s.log_sum.push_back(0);
        s.n.push_back(0);
        const auto at = std::upper_bound(
            s.order.begin(), s.order.end(), id,
            [&](int32_t x, int32_t y) { return CommitBefore(s.commits[x], s.commits[y]); });
        s.order.insert(at, id);
      }
      const auto values = ByName(commit.values);
      double log_sum = 0;
      int n = 0;
      for (const auto& [name, median] : values) {
        auto [b, new_benchmark] =
            s.benchmark_ids.try_emplace(name, static_cast<int>(s.benchmarks.size()));
        if (new_benchmark) {
          s.benchmarks.push_back(name);
          s.at_base.push_back(0);
        }
        const double at_base = s.at_base[static_cast<size_t>(b->second)];
        if (at_base <= 0 || median <= 0) continue;
        log_sum += std::log(median / at_base);
        ++n;
      }
      s.measured[id] = static_cast<int>(values.size());
      s.log_sum[id] = log_sum;
      s.n[id] = n;
    }
  }
  return true;
}

namespace {

// A checkpoint's bytes: a format line, then per group its fields in declaration order.
// Integers are 8 bytes little-endian (the machines perfledger runs on), strings a length and
// their bytes. Bump the format when IndexState or the index's rule changes.
constexpr std::string_view kFormat = "perfledger index state 1\n";

class Writer {
 public:
  void Int(int64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void Double(double v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void String(std::string_view v) {
    Int(static_cast<int64_t>(v.size()));
    out_.append(v);
  }
  void OptInt(const std::optional<int64_t>& v) {
    Int(v.has_value());
    if (v) Int(*v);
  }
  void OptString(const std::optional<std::string>& v) {
    Int(v.has_value());
    if (v) String(*v);
  }
  template <typename T>
  void Ints(const std::vector<T>& v) {
    Int(static_cast<int64_t>(v.size()));
    for (T x : v) Int(x);
  }
  std::string Take() { return std::move(out_); }
  void Raw(std::string_view v) { out_.append(v); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return ok_ && in_.empty(); }
  bool Skip(std::string_view prefix) {
    if (!in_.starts_with(prefix)) return ok_ = false;
    in_.remove_prefix(prefix.size());
    return true;
  }
  int64_t Int() { return Fixed<int64_t>(); }
  double Double() { return Fixed<double>(); }
  // A count of items of at least `min_bytes` each: no more than the bytes left could hold.
  size_t Count(size_t min_bytes) {
    const int64_t n = Int();
    if (!ok_ || n < 0 || static_cast<uint64_t>(n) > in_.size() / min_bytes) {
      ok_ = false;
      return 0;
    }
    return static_cast<size_t>(n);
  }
  std::string String() {
    const size_t n = Count(1);
    if (!ok_) return {};
    std::string v(in_.substr(0, n));
    in_.remove_prefix(n);
    return v;
  }
  std::optional<int64_t> OptInt() {
    if (Int() == 0) return std::nullopt;
    return Int();
  }
  std::optional<std::string> OptString() {
    if (Int() == 0) return std::nullopt;
    return String();
  }
  template <typename T>
  std::vector<T> Ints() {
    std::vector<T> v(Count(8));
    for (T& x : v) x = static_cast<T>(Int());
    return v;
  }

 private:
  template <typename T>
  T Fixed() {
    T v{};
    if (in_.size() < sizeof v) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return v;
  }

  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string IndexState::Serialize() const {
  Writer w;
  w.Raw(kFormat);
  w.Int(static_cast<int64_t>(groups_->by_key.size()));
  for (const auto& [key, s] : groups_->by_key) {
    w.String(key.platform);
    w.OptInt(key.epoch);
    w.Int(key.ci);
    w.String(key.metric);
    w.String(s.unit);
    w.Int(s.direction == core::Direction::kHigher);
    w.Int(static_cast<int64_t>(s.benchmarks.size()));
    for (size_t b = 0; b < s.benchmarks.size(); ++b) {
      w.String(s.benchmarks[b]);
      w.Double(s.at_base[b]);
    }
    w.Int(static_cast<int64_t>(s.commits.size()));
    for (size_t c = 0; c < s.commits.size(); ++c) {
      const Commit& commit = s.commits[c];
      w.String(commit.sha);
      w.String(commit.run_id);
      w.OptInt(commit.time ? std::optional<int64_t>(commit.time->unix_nanos) : std::nullopt);
      w.Int(s.measured[c]);
      w.Double(s.log_sum[c]);
      w.Int(s.n[c]);
    }
    w.Ints(s.order);
    w.Int(s.base);
    w.Int(s.epoch_base);
    w.OptString(s.wanted);
    w.Int(s.most);
    w.String(s.base_source);
  }
  return w.Take();
}

std::optional<IndexState> IndexState::Parse(std::string_view bytes) {
  Reader r(bytes);
  if (!r.Skip(kFormat)) return std::nullopt;
  IndexState state;
  const size_t groups = r.Count(8);
  for (size_t i = 0; i < groups && r.ok(); ++i) {
    GroupKey key;
    key.platform = r.String();
    key.epoch = r.OptInt();
    key.ci = r.Int() != 0;
    key.metric = r.String();
    StateGroup& s = state.groups_->by_key[key];
    s.unit = r.String();
    s.direction = r.Int() != 0 ? core::Direction::kHigher : core::Direction::kLower;
    const size_t benchmarks = r.Count(16);
    for (size_t b = 0; b < benchmarks && r.ok(); ++b) {
      s.benchmarks.push_back(r.String());
      s.at_base.push_back(r.Double());
      if (!s.benchmark_ids.try_emplace(s.benchmarks.back(), static_cast<int>(b)).second) {
        return std::nullopt;
      }
    }
    const size_t commits = r.Count(48);
    s.commits.reserve(commits);
    s.commit_of.reserve(commits);
    s.measured.reserve(commits);
    s.log_sum.reserve(commits);
    s.n.reserve(commits);
    for (size_t c = 0; c < commits && r.ok(); ++c) {
      Commit commit;
      commit.sha = r.String();
      commit.run_id = r.String();
      if (auto t = r.OptInt()) commit.time = base::Timestamp{*t};
      s.measured.push_back(static_cast<int>(r.Int()));
      s.log_sum.push_back(r.Double());
      s.n.push_back(static_cast<int>(r.Int()));
      if (!s.commit_of.try_emplace(commit.sha, static_cast<int32_t>(c)).second) return std::nullopt;
      s.commits.push_back(std::move(commit));
    }
    s.order = r.Ints<int32_t>();
    s.base = static_cast<int32_t>(r.Int());
    s.epoch_base = r.Int() != 0;
    s.wanted = r.OptString();
    s.most = static_cast<int>(r.Int());
    s.base_source = r.String();
    // Every id in range, and `order` a permutation of the commits.
    if (!r.ok() || s.order.size() != s.commits.size()) return std::nullopt;
    if (s.base < -1 || s.base >= static_cast<int64_t>(s.commits.size())) return std::nullopt;
    if (s.base < 0 && !s.commits.empty()) return std::nullopt;
    std::vector<bool> seen(s.commits.size(), false);
    for (int32_t c : s.order) {
      if (c < 0 || static_cast<size_t>(c) >= seen.size() || seen[c]) return std::nullopt;
      seen[c] = true;
    }
  }
  if (!r.AtEnd()) return std::nullopt;
  return state;
}

std::vector<IndexSeries> ComputeIndex(const std::vector<Series>& series, const EpochBases& bases) {
  IndexBuilder builder;
  for (const Series& s : series) builder.Add(s);
  return std::move(builder).Finish(bases);
}

}  // namespace perfledger::analysis
