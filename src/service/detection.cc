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
#include <unordered_map>
#include <utility>
#include <vector>

#include "schedule/commit_source.h"

namespace perfledger::service {

using schedule::BranchHistory;
using schedule::ReadBranch;

int DetectReport::regressions() const {
  return static_cast<int>(std::count_if(changes.begin(), changes.end(), [](const auto& c) {
    return c.kind == analysis::ChangeKind::kRegression;
  }));
}

namespace {

// Positions of the branch's commits, oldest first, for counting commits in a range.
base::Result<std::unordered_map<std::string, int64_t>> BranchPositions(
    store::Store& store, const HistorySource& source) {
  std::unordered_map<std::string, int64_t> out;
  if (!source.repo.empty()) {
    ASSIGN_OR_RETURN(BranchHistory history, ReadBranch(source.repo, {source.branch, true}));
    for (size_t i = 0; i < history.commits.size(); ++i) out[history.commits[i].sha] = i;
    return out;
  }
  ASSIGN_OR_RETURN(store::ScheduleState state, store.LoadSchedule());
  if (!state.head) return out;
  ASSIGN_OR_RETURN(auto recorded, store.RecordedHistory(*state.head));
  for (size_t i = 0; i < recorded.size(); ++i) out[recorded[i].sha] = i;
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
  a.created_at = a.updated_at = now;
  return a;
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
    ASSIGN_OR_RETURN(auto positions, BranchPositions(store, request.history));
    for (auto& c : report.changes) {
      if (c.count) continue;
      auto from = positions.find(c.from), to = positions.find(c.to);
      if (from != positions.end() && to != positions.end() && to->second > from->second) {
        c.count = to->second - from->second;
      }
    }
  }
  if (!request.record) return report;
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
    for (size_t i = 0; i < report.changes.size(); ++i) {
      const analysis::DetectedChange& c = report.changes[i];
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
      analysis::AlertMatch m = analysis::MatchAlert(s, c, known);
      switch (m.action) {
        case analysis::AlertMatch::Action::kNew:
          report.recorded[i] = "new";
          insert_of_change[i] = inserts->size();
          inserts->push_back(AlertOf(c, request.now));
          break;
        case analysis::AlertMatch::Action::kNarrow:
          report.alert_ids[i] = m.alert_id;
          if (!narrowed_ids.insert(m.alert_id).second) break;  // narrowed once per call
          report.recorded[i] = "narrowed";
          narrowed->push_back(AlertOf(c, request.now));
          narrowed->back().id = m.alert_id;
          break;
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
  add(regressions, "regressed");
  add(improvements, "improved");
  if (environment > 0) {
    parts.push_back(fmt::format("moved {} benchmark{} with an environment change", environment,
                                environment == 1 ? "" : "s"));
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

std::vector<AlertGroup> GroupAlerts(const std::vector<store::AlertRecord>& alerts) {
  std::map<std::pair<std::string, std::string>, AlertGroup> groups;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> platforms;
  for (const store::AlertRecord& a : alerts) {
    auto key = std::make_pair(a.range_from, a.range_to);
    AlertGroup& g = groups[key];
    g.range_from = a.range_from;
    g.range_to = a.range_to;
    g.range_count = std::max(g.range_count, a.range_count);
    platforms[key].insert(a.platform);
    switch (a.kind) {
      case core::AlertKind::kRegression:
        ++g.regressions;
        break;
      case core::AlertKind::kImprovement:
        ++g.improvements;
        break;
      case core::AlertKind::kEnvironment:
        ++g.environment;
        break;
    }
    g.alert_ids.push_back(a.id);
  }
  std::vector<AlertGroup> out;
  for (auto& [key, g] : groups) {
    g.platforms.assign(platforms[key].begin(), platforms[key].end());
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const AlertGroup& a, const AlertGroup& b) {
    return a.alert_ids.back() > b.alert_ids.back();
  });
  return out;
}

}  // namespace perfledger::service
