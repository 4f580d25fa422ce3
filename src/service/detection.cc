#include "service/detection.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analysis/coverage.h"
#include "schedule/commit_source.h"

namespace perfledger::service {

using schedule::BranchHistory;
using schedule::ReadBranch;

namespace {

bool Worse(core::Direction direction, double change) {
  return direction == core::Direction::kLower ? change > 0 : change < 0;
}

}  // namespace

bool IsRegression(const analysis::DetectedChange& c) {
  return c.kind == analysis::ChangeKind::kRegression ||
         (c.kind == analysis::ChangeKind::kDrift && Worse(c.direction, c.change));
}

bool IsRegression(const store::AlertRecord& a) {
  return a.kind == core::AlertKind::kRegression ||
         (a.kind == core::AlertKind::kDrift &&
          Worse(a.direction.value_or(core::Direction::kLower), a.change));
}

bool IsImprovement(const store::AlertRecord& a) {
  return a.kind == core::AlertKind::kImprovement ||
         (a.kind == core::AlertKind::kDrift && !IsRegression(a));
}

int DetectReport::regressions() const {
  return static_cast<int>(
      std::count_if(changes.begin(), changes.end(), [](const auto& c) { return IsRegression(c); }));
}

int DetectReport::open_regressions() const {
  int n = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    const bool open = i >= status.size() || status[i] == core::AlertStatus::kOpen;
    if (IsRegression(changes[i]) && open) ++n;
  }
  return n;
}

namespace {

// Positions of the branch's commits, oldest first, for counting commits in a range: the
// repository's branch when given, else the history the last recorded plan saw, else none.
base::Result<CommitOrder> HistoryOrder(store::Store& store, const HistorySource& source) {
  CommitOrder out;
  if (!source.repo.empty()) {
    ASSIGN_OR_RETURN(BranchHistory history, ReadBranch(source.repo, {source.branch, true}));
    for (size_t i = 0; i < history.commits.size(); ++i) out.position[history.commits[i].sha] = i;
    out.counts_commits = true;
    out.source = "repository";
    return out;
  }
  ASSIGN_OR_RETURN(store::ScheduleState state, store.LoadSchedule());
  if (!state.head) return out;
  ASSIGN_OR_RETURN(auto recorded, store.RecordedHistory(*state.head));
  if (recorded.empty()) return out;
  for (size_t i = 0; i < recorded.size(); ++i) out.position[recorded[i].sha] = i;
  out.counts_commits = true;
  out.source = "plan";
  return out;
}

store::AlertRecord AlertOf(const analysis::DetectedChange& c, base::Timestamp now) {
  store::AlertRecord a;
  a.project = c.key.project;
  a.platform = c.key.platform;
  a.benchmark = c.key.benchmark;
  a.metric = c.key.metric;
  a.unit = c.unit;
  a.epoch = c.key.epoch;
  a.range_from = c.from;
  a.range_to = c.to;
  a.range_count = c.count.value_or(0);
  a.before_median = c.before_median;
  a.after_median = c.after_median;
  a.change = c.change;
  a.confidence = c.confidence;
  a.noise = c.noise;
  a.kind = c.kind;
  a.direction = c.direction;
  if (c.kind == analysis::ChangeKind::kDrift) {
    a.first = c.first;
    a.rate = c.rate;
  } else if (c.kind == analysis::ChangeKind::kNoise) {
    a.spread_ratio = c.spread_ratio;
  }
  a.created_at = a.updated_at = now;
  return a;
}

// Per change, the kept alert it is, as MatchAlert decides among the alerts of its series.
std::vector<analysis::AlertMatch> MatchChanges(
    const std::vector<analysis::DetectedChange>& changes,
    const std::vector<std::shared_ptr<const analysis::Series>>& series_of_change,
    const std::vector<store::AlertRecord>& kept) {
  std::vector<analysis::AlertMatch> out;
  out.reserve(changes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    const analysis::Series& s = *series_of_change[i];
    const std::string& project = s.key.project;
    std::vector<analysis::KnownAlert> known;
    for (const store::AlertRecord& a : kept) {
      // An alert recorded without its project (before detection went per project) still
      // matches, so it is narrowed rather than raised again.
      if ((!a.project.empty() && a.project != project) || a.platform != s.key.platform ||
          a.benchmark != s.key.benchmark || a.metric != s.key.metric || a.epoch != s.key.epoch) {
        continue;
      }
      known.push_back({a.id, s.key, a.range_from, a.range_to, a.kind});
    }
    out.push_back(analysis::MatchAlert(s, changes[i], known));
  }
  return out;
}

// Each change's status: that of the kept alert it matched, open for a new one.
std::vector<core::AlertStatus> StatusOfMatches(const std::vector<analysis::AlertMatch>& matches,
                                               const std::vector<store::AlertRecord>& kept) {
  std::unordered_map<int64_t, core::AlertStatus> by_id;
  for (const store::AlertRecord& a : kept) by_id.emplace(a.id, a.status);
  std::vector<core::AlertStatus> out(matches.size(), core::AlertStatus::kOpen);
  for (size_t i = 0; i < matches.size(); ++i) {
    if (matches[i].action == analysis::AlertMatch::Action::kNew) continue;
    if (auto it = by_id.find(matches[i].alert_id); it != by_id.end()) out[i] = it->second;
  }
  return out;
}

// Analyses series on a second thread while the store reads the next ones (reading a series and
// analysing it take about as long: `detect --record` on bench/run_scale_bench.sh's big store),
// and gives the results back in the order the series were added. Without a second thread (it
// could not start) it analyses each series as it is added.
class Analyser {
 public:
  struct Result {
    analysis::SeriesKey key;
    analysis::SeriesDetection detection;
    std::shared_ptr<const analysis::Series> series;  // kept only when it changed
  };

  explicit Analyser(const analysis::SeriesDetectOptions& options) : options_(options) {
    try {
      worker_ = std::thread([this] { Work(); });
    } catch (const std::system_error&) {
      // analysed inline
    }
  }
  ~Analyser() { Stop(); }

  // Takes `series`, leaving in its place one analysed before when there is one: a store that
  // fills its series in place (Store::ForEachSeries) then reuses that one's strings instead of
  // allocating every point's anew.
  void Add(analysis::Series&& series) {
    const size_t seq = added_++;
    if (!worker_.joinable()) {
      (void)Analyse(seq, series);  // left in place unless kept: the store refills it
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return queue_.size() < kAhead; });
    queue_.emplace_back(seq, std::move(series));
    if (!spares_.empty()) {
      series = std::move(spares_.back());
      spares_.pop_back();
    }
    ready_.notify_one();
  }

  // Every series added, analysed, in the order added.
  std::vector<Result> Finish() && {
    Stop();
    std::sort(done_.begin(), done_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Result> out;
    out.reserve(done_.size());
    for (auto& [seq, result] : done_) out.push_back(std::move(result));
    return out;
  }

 private:
  // Series read but not yet analysed, at most: a year's series is megabytes.
  static constexpr size_t kAhead = 2;

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    ready_.notify_one();
    if (worker_.joinable()) worker_.join();
  }

  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      ready_.wait(lock, [&] { return !queue_.empty() || stop_; });
      if (queue_.empty()) return;  // stopped, and every series added is analysed
      auto [seq, series] = std::move(queue_.front());
      queue_.pop_front();
      room_.notify_one();
      lock.unlock();
      const bool kept = Analyse(seq, series);
      lock.lock();
      if (!kept && spares_.size() < kAhead) spares_.push_back(std::move(series));
    }
  }

  // Analyses `series`, moving it out to keep it when it changed; true then.
  bool Analyse(size_t seq, analysis::Series& series) {
    Result r;
    r.detection = analysis::DetectInSeries(series, options_);
    r.key = series.key;
    const bool kept = !r.detection.changes.empty();
    if (kept) r.series = std::make_shared<const analysis::Series>(std::move(series));
    std::lock_guard<std::mutex> lock(done_mu_);
    done_.emplace_back(seq, std::move(r));
    return kept;
  }

  const analysis::SeriesDetectOptions& options_;
  size_t added_ = 0;  // the adding thread's
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::pair<size_t, analysis::Series>> queue_;
  std::vector<analysis::Series> spares_;  // analysed, for Add to hand back
  bool stop_ = false;
  std::mutex done_mu_;
  std::vector<std::pair<size_t, Result>> done_;
  std::thread worker_;  // last: started once the rest is set
};

}  // namespace

base::Result<DetectReport> DetectInStore(store::Store& store, const DetectRequest& request) {
  // A series belongs to one project (its key says which), so two projects' benchmarks of the
  // same name never share a series and every alert names its project.
  store::SeriesQuery query;
  query.project = request.runs.project;
  query.platform = request.runs.platform ? request.runs.platform : request.series.platform;
  query.benchmark_glob = request.series.benchmark_glob;
  query.metrics = request.series.metrics;
  query.medians_only = true;  // what detection and alert matching look at
  DetectReport report;
  // The mark this pass covers is read before the series, so a run stored meanwhile is read
  // again by the next pass rather than never.
  int64_t mark = 0;
  if (request.record) {
    ASSIGN_OR_RETURN(mark, store.ChangeMark());
    if (!request.all) {
      ASSIGN_OR_RETURN(report.since_mark, store.ReadMark(std::string(kDetectMark)));
    }
    if (report.since_mark) {
      query.changed_after = *report.since_mark;
      query.last_points = kIncrementalWindow;
    }
  }
  // Streamed: a series is kept past its analysis only when it changed (its alert is matched
  // against it below), so memory follows the changes found, not the history.
  std::vector<std::shared_ptr<const analysis::Series>> series_of_change;
  Analyser analyser(request.options);
  RETURN_IF_ERROR(store.ForEachSeries(query, [&](analysis::Series&& s) -> base::Status {
    analyser.Add(std::move(s));
    return base::Status::Ok();
  }));
  for (Analyser::Result& r : std::move(analyser).Finish()) {
    analysis::SeriesDetection& d = r.detection;
    if (!d.skipped.empty()) {
      report.skipped.push_back({std::move(r.key), std::move(d.skipped)});
      continue;
    }
    ++report.series;
    for (auto& c : d.changes) {
      report.changes.push_back(std::move(c));
      series_of_change.push_back(r.series);
    }
  }

  // Count the commits of ranges the runs do not account for in the branch history.
  if (std::any_of(report.changes.begin(), report.changes.end(),
                  [](const auto& c) { return !c.count.has_value(); })) {
    ASSIGN_OR_RETURN(CommitOrder order, HistoryOrder(store, request.history));
    const auto& positions = order.position;
    for (auto& c : report.changes) {
      if (c.count) continue;
      auto from = positions.find(c.from), to = positions.find(c.to);
      if (from != positions.end() && to != positions.end() && to->second > from->second) {
        c.count = to->second - from->second;
      }
    }
  }
  report.status.assign(report.changes.size(), core::AlertStatus::kOpen);
  if (!request.record) {
    // Not recorded, a change is still looked up among the kept alerts: one that is an
    // acknowledged, resolved or false-positive alert is not open.
    if (!report.changes.empty()) {
      ASSIGN_OR_RETURN(std::vector<store::AlertRecord> kept, store.ListAlerts({}));
      report.status = StatusOfMatches(MatchChanges(report.changes, series_of_change, kept), kept);
    }
    return report;
  }
  if (report.changes.empty()) {
    RETURN_IF_ERROR(store.WriteMark(std::string(kDetectMark), mark));
    return report;
  }

  // Matched against the stored alerts inside the store's write transaction: two detections
  // at once (parallel CI jobs) would otherwise both find no alert and both insert one.
  std::vector<size_t> insert_of_change;
  auto decide = [&](const std::vector<store::AlertRecord>& kept,
                    std::vector<store::AlertRecord>* inserts,
                    std::vector<store::AlertRecord>* narrowed) -> base::Status {
    inserts->clear();
    narrowed->clear();
    insert_of_change.assign(report.changes.size(), SIZE_MAX);
    report.recorded.assign(report.changes.size(), "existing");
    report.alert_ids.assign(report.changes.size(), 0);
    std::set<int64_t> narrowed_ids;
    const std::vector<analysis::AlertMatch> matches =
        MatchChanges(report.changes, series_of_change, kept);
    report.status = StatusOfMatches(matches, kept);
    for (size_t i = 0; i < report.changes.size(); ++i) {
      const analysis::DetectedChange& c = report.changes[i];
      const analysis::AlertMatch& m = matches[i];
      switch (m.action) {
        case analysis::AlertMatch::Action::kNew:
          report.recorded[i] = "new";
          insert_of_change[i] = inserts->size();
          inserts->push_back(AlertOf(c, request.now));
          break;
        case analysis::AlertMatch::Action::kNarrow: {
          report.alert_ids[i] = m.alert_id;
          if (!narrowed_ids.insert(m.alert_id).second) break;  // narrowed once per call
          report.recorded[i] = "narrowed";
          narrowed->push_back(AlertOf(c, request.now));
          store::AlertRecord& n = narrowed->back();
          n.id = m.alert_id;
          // A change of another kind narrowing the alert (a step inside a kept drift) leaves
          // what the alert's own kind carries.
          auto it = std::find_if(kept.begin(), kept.end(),
                                 [&](const store::AlertRecord& a) { return a.id == m.alert_id; });
          if (it != kept.end() && it->kind != c.kind) {
            n.first = it->first;
            n.rate = it->rate;
            n.spread_ratio = it->spread_ratio;
          }
          break;
        }
        case analysis::AlertMatch::Action::kExisting:
          report.alert_ids[i] = m.alert_id;
          break;
      }
    }
    return base::Status::Ok();
  };
  std::vector<store::AlertRecord> inserts;
  RETURN_IF_ERROR(store.RecordAlertsAtomically(decide, &inserts));
  RETURN_IF_ERROR(store.WriteMark(std::string(kDetectMark), mark));
  for (size_t i = 0; i < report.changes.size(); ++i) {
    if (insert_of_change[i] != SIZE_MAX) report.alert_ids[i] = inserts[insert_of_change[i]].id;
  }
  return report;
}

std::string AlertGroup::Summary() const {
  std::vector<std::string> parts;
  auto add = [&](int n, std::string_view verb) {
    if (n > 0) parts.push_back(fmt::format("{} {} benchmark{}", verb, n, n == 1 ? "" : "s"));
  };
  // Drifts are among the regressions and improvements: how many of those were gradual.
  auto gradually = [&](int n) {
    if (n > 0) parts.back() += fmt::format(" ({} gradually)", n);
  };
  add(regressions, "regressed");
  if (regressions > 0) gradually(drift_regressions);
  add(improvements, "improved");
  if (improvements > 0) gradually(drift_improvements);
  if (environment > 0) {
    parts.push_back(fmt::format("moved {} benchmark{} with an environment change", environment,
                                environment == 1 ? "" : "s"));
  }
  if (noise > 0) {
    parts.push_back(
        fmt::format("changed the spread of {} benchmark{}", noise, noise == 1 ? "" : "s"));
  }
  for (const auto& [kind, n] : kinds) {  // a kind this file does not name: by its name
    if (core::ParseAlertKind(kind)) continue;
    add(n, "showed " + kind + " on");
  }
  std::string where;
  for (size_t i = 0; i < platforms.size(); ++i) {
    where += (i == 0 ? "" : i + 1 == platforms.size() ? " and " : ", ") + platforms[i];
  }
  std::string what;
  for (size_t i = 0; i < parts.size(); ++i) {
    what += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  }
  return fmt::format("this range {} on {}", what, where);
}

base::Result<CommitOrder> AlertCommitOrder(store::Store& store,
                                           const std::vector<store::AlertRecord>& alerts,
                                           const HistorySource& source) {
  CommitOrder order;
  std::set<std::pair<std::string, std::string>> ranges;
  std::set<std::string> projects;
  for (const store::AlertRecord& a : alerts) {
    ranges.emplace(a.range_from, a.range_to);
    projects.insert(a.project);
  }
  if (ranges.size() < 2) return order;  // nothing to order
  // The first source that places every range, else the one that places the most: a working
  // repository the alerts are not of places none of them.
  size_t best = 0;
  auto consider = [&](CommitOrder o) {
    size_t n = 0;
    for (const auto& [from, to] : ranges) {
      auto f = o.position.find(from), t = o.position.find(to);
      if (f != o.position.end() && t != o.position.end() && f->second < t->second) ++n;
    }
    if (n > best) {
      best = n;
      order = std::move(o);
    }
    return best == ranges.size();
  };
  if (!source.repo.empty()) {
    ASSIGN_OR_RETURN(CommitOrder repository, HistoryOrder(store, source));
    if (consider(std::move(repository))) return order;
  }
  ASSIGN_OR_RETURN(CommitOrder plan, HistoryOrder(store, {}));
  if (consider(std::move(plan))) return order;
  // No branch history: the measured commits by commit time, the commits their runs' ranges
  // stand for between them. A run without a commit time places nothing (its start time would
  // put a bisection run of an old commit at the end).
  store::RunFilter filter;
  if (projects.size() == 1 && !projects.begin()->empty()) filter.project = *projects.begin();
  ASSIGN_OR_RETURN(auto runs, store.ListRunPoints(filter, /*with_benchmarks=*/false));
  std::map<std::string, base::Timestamp> times;
  std::vector<analysis::RangeRef> refs;
  refs.reserve(runs.size());
  for (auto& r : runs) {
    if (!r.commit_time) continue;
    auto [it, added] = times.emplace(r.sha, *r.commit_time);
    if (!added && *r.commit_time < it->second) it->second = *r.commit_time;
    refs.push_back({std::move(r.range_from), std::move(r.sha), r.range_count});
  }
  std::vector<analysis::BranchPoint> points;
  points.reserve(times.size());
  for (auto& [sha, t] : times) points.push_back({sha, t});
  CommitOrder by_time;
  int64_t position = 0;
  for (const analysis::BranchPoint& p : analysis::BranchFromRanges(std::move(points), refs)) {
    position += 1 + p.unlisted_before;
    by_time.position[p.sha] = position;
  }
  by_time.source = "runs";
  consider(std::move(by_time));
  return order;
}

std::vector<AlertGroup> GroupAlerts(const std::vector<store::AlertRecord>& alerts,
                                    const CommitOrder& order) {
  // An alert's range as positions, when the order places both its ends (and the right way).
  struct Placed {
    size_t alert;
    int64_t from, to;
  };
  std::vector<Placed> placed;
  std::vector<std::vector<size_t>> members;  // per group, indices into `alerts`, in their order
  std::vector<std::optional<std::pair<int64_t, int64_t>>> likely;  // per group: the stab point
  std::map<std::pair<std::string, std::string>, size_t> by_ends;   // unplaced ranges' groups
  for (size_t i = 0; i < alerts.size(); ++i) {
    const store::AlertRecord& a = alerts[i];
    auto from = order.position.find(a.range_from), to = order.position.find(a.range_to);
    if (from != order.position.end() && to != order.position.end() && from->second < to->second) {
      placed.push_back({i, from->second, to->second});
      continue;
    }
    auto [it, fresh] = by_ends.try_emplace({a.range_from, a.range_to}, members.size());
    if (fresh) {
      members.emplace_back();
      likely.emplace_back();
    }
    members[it->second].push_back(i);
  }
  // The fewest groups of ranges that each share a commit: a minimum clique cover of the ranges'
  // interval graph, greedily by right end (F. Gavril, "Algorithms for minimum coloring, maximum
  // clique, minimum covering by cliques, and maximum independent set of a chordal graph", SIAM
  // J. Comput. 1(2), 1972): each group is the ranges holding the last commit of the first
  // range not yet grouped.
  std::sort(placed.begin(), placed.end(), [](const Placed& x, const Placed& y) {
    return std::tie(x.to, x.from, x.alert) < std::tie(y.to, y.from, y.alert);
  });
  std::multimap<int64_t, size_t> waiting;  // from -> index into `placed`, not yet grouped
  for (size_t k = 0; k < placed.size(); ++k) waiting.emplace(placed[k].from, k);
  std::vector<bool> grouped(placed.size(), false);
  for (size_t k = 0; k < placed.size(); ++k) {
    if (grouped[k]) continue;
    // Every range not grouped yet ends at or after this one's end: it holds that commit when
    // it starts before it.
    const int64_t point = placed[k].to;
    int64_t latest_from = placed[k].from;
    std::vector<size_t> group;
    for (auto it = waiting.begin(); it != waiting.end() && it->first < point;) {
      grouped[it->second] = true;
      group.push_back(placed[it->second].alert);
      latest_from = std::max(latest_from, it->first);
      it = waiting.erase(it);
    }
    std::sort(group.begin(), group.end());
    members.push_back(std::move(group));
    likely.emplace_back(std::make_pair(latest_from, point));
  }

  // A placed range end's position.
  auto pos = [&](const std::string& sha) { return order.position.at(sha); };
  std::vector<AlertGroup> out;
  out.reserve(members.size());
  for (size_t m = 0; m < members.size(); ++m) {
    AlertGroup g;
    std::set<std::string> platforms;
    const store::AlertRecord& first = alerts[members[m].front()];
    g.range_from = g.likely_from = first.range_from;
    g.range_to = g.likely_to = first.range_to;
    for (size_t i : members[m]) {
      const store::AlertRecord& a = alerts[i];
      if (likely[m]) {
        if (pos(a.range_from) < pos(g.range_from)) g.range_from = a.range_from;
        if (pos(a.range_to) > pos(g.range_to)) g.range_to = a.range_to;
        if (pos(a.range_from) == likely[m]->first) g.likely_from = a.range_from;
        if (pos(a.range_to) == likely[m]->second) g.likely_to = a.range_to;
      }
      platforms.insert(a.platform);
      if (IsRegression(a)) ++g.regressions;
      if (IsImprovement(a)) ++g.improvements;
      if (a.kind == core::AlertKind::kEnvironment) ++g.environment;
      if (a.kind == core::AlertKind::kDrift)
        ++(IsRegression(a) ? g.drift_regressions : g.drift_improvements);
      if (a.kind == core::AlertKind::kNoise) ++g.noise;
      ++g.kinds[std::string(core::AlertKindName(a.kind))];
      g.alert_ids.push_back(a.id);
    }
    // A range's count: as its alerts say when one of them has exactly this range, else from
    // branch positions, else unknown.
    auto count = [&](const std::string& from, const std::string& to) {
      int64_t n = 0;
      for (size_t i : members[m]) {
        if (alerts[i].range_from == from && alerts[i].range_to == to) {
          n = std::max(n, alerts[i].range_count);
        }
      }
      if (n == 0 && likely[m] && order.counts_commits) n = pos(to) - pos(from);
      return n;
    };
    g.range_count = count(g.range_from, g.range_to);
    g.likely_count = count(g.likely_from, g.likely_to);
    g.platforms.assign(platforms.begin(), platforms.end());
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const AlertGroup& a, const AlertGroup& b) {
    return *std::max_element(a.alert_ids.begin(), a.alert_ids.end()) >
           *std::max_element(b.alert_ids.begin(), b.alert_ids.end());
  });
  return out;
}

}  // namespace perfledger::service
