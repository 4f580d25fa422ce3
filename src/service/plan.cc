#include "service/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/json_writer.h"
#include "schedule/commit_source.h"
#include "service/jobs.h"

namespace perfledger::service {

using schedule::BranchCommit;
using schedule::BranchHistory;
using schedule::Job;
using schedule::MakePlan;
using schedule::PlannerInput;
using schedule::PlatformState;
using schedule::ReadBranch;
using schedule::ReadOptions;
using schedule::ResolveCommit;
using schedule::Skip;

std::map<std::string, PlatformState> StateFromStore(const std::vector<store::RunSummary>& runs,
                                                    const store::ScheduleState& schedule) {
  std::map<std::string, PlatformState> state;
  for (const store::RunSummary& r : runs) state[r.platform].measured.insert(r.sha);
  for (const store::JobRecord& j : schedule.jobs) {
    auto it = state.find(j.platform);
    const bool measured = it != state.end() && it->second.measured.contains(j.sha);
    const core::JobState job_state = JobStateOf(j, measured);
    // A job an agent runs is still queued for the planner; one that failed its last attempt is
    // accounted for (on the dashboard's Queue page) and not planned again.
    if (job_state == core::JobState::kQueued || job_state == core::JobState::kRunning) {
      state[j.platform].queued.insert(j.sha);
    } else if (job_state == core::JobState::kFailed) {
      state[j.platform].skipped.insert(j.sha);
    }
  }
  for (const store::SkipRecord& k : schedule.skips) state[k.platform].skipped.insert(k.sha);
  return state;
}

std::vector<std::string> KnownPlatforms(const std::vector<store::RunSummary>& runs,
                                        const store::ScheduleState& schedule) {
  std::set<std::string> names;
  for (const auto& r : runs) names.insert(r.platform);
  for (const auto& j : schedule.jobs) names.insert(j.platform);
  return {names.begin(), names.end()};
}

std::optional<std::string> WorkingRepository(const std::string& dir) {
  auto commit = schedule::DescribeCommit(dir);
  if (!commit.ok() || commit->repo_root.empty()) return std::nullopt;
  return commit->repo_root;
}

base::Result<PlanOutcome> FetchAndPlan(store::Store& store, const PlanRequest& request,
                                       bool* fetched) {
  ASSIGN_OR_RETURN(*fetched, schedule::FetchBranch(request.repo, request.branch));
  PlanRequest recorded = request;
  recorded.record = true;
  return PlanBranch(&store, recorded);
}

namespace {

// One attempt of PlanBranch: reads the store's state, plans, records (refused as stale when
// another planner recorded in between).
base::Result<PlanOutcome> PlanOnce(store::Store* store, const PlanRequest& request, PlannerInput in,
                                   const std::string& branch) {
  std::vector<store::RunSummary> runs;
  store::ScheduleState schedule;
  if (store != nullptr) {
    ASSIGN_OR_RETURN(runs, store->ListRuns({}));
    ASSIGN_OR_RETURN(schedule, store->LoadSchedule());
  }
  in.state = StateFromStore(runs, schedule);
  in.first_plan = !schedule.head;  // no plan recorded yet: see PlannerInput::first_plan
  in.platforms = request.platforms;
  if (in.platforms.empty()) in.platforms = KnownPlatforms(runs, schedule);
  if (in.platforms.empty()) {
    return base::InvalidInput(
        "no platforms to plan for: the store has no runs or jobs yet; name them with "
        "--platform (e.g. --platform linux-x86_64 --platform macos-arm64)");
  }
  // Only the platforms planned for count towards the queue.
  std::map<std::string, PlatformState> planned_state;
  for (const auto& p : in.platforms) {
    auto it = in.state.find(p);
    if (it != in.state.end()) planned_state.insert(*it);
  }
  in.queue_depth = request.queue_depth.value_or(QueueDepth(planned_state));
  // Open regression alerts on the platforms planned for are bisected.
  if (store != nullptr) {
    store::AlertFilter open;
    open.status = core::AlertStatus::kOpen;
    open.kind = core::AlertKind::kRegression;
    ASSIGN_OR_RETURN(std::vector<store::AlertRecord> alerts, store->ListAlerts(open));
    for (store::AlertRecord& a : alerts) {
      if (std::find(in.platforms.begin(), in.platforms.end(), a.platform) == in.platforms.end()) {
        continue;
      }
      in.bisect.push_back({std::move(a.platform), std::move(a.range_from), std::move(a.range_to),
                           a.id, fmt::format("{} {}", a.benchmark, a.metric)});
    }
  }
  PlanOutcome out;
  ASSIGN_OR_RETURN(out.plan, MakePlan(in));
  out.off_branch = OffBranch(in);
  for (auto it = out.off_branch.begin(); it != out.off_branch.end();) {
    if (std::find(in.platforms.begin(), in.platforms.end(), it->first) == in.platforms.end()) {
      it = out.off_branch.erase(it);
    } else {
      ++it;
    }
  }
  out.branch = branch;
  out.platforms = in.platforms;
  out.commit_count = static_cast<int64_t>(in.commits.size());
  if (!in.commits.empty()) out.head = in.commits.back().sha;

  if (request.record) {
    if (store == nullptr) return base::Internal("--record needs a store");
    store::PlanRecord rec;
    rec.now = out.plan.now;
    rec.branch = out.branch;
    rec.head = out.head;
    rec.queue_depth = out.plan.queue_depth;
    rec.degradation = std::string(DegradationName(out.plan.degradation));
    rec.window_nanos = out.plan.window_nanos;
    // A plan another planner records meanwhile makes this one stale.
    rec.after_plan = schedule.plan_id;
    rec.commits.reserve(in.commits.size());
    for (const BranchCommit& c : in.commits) {
      store::CommitRecord r;
      r.sha = c.sha;
      if (!c.parents.empty()) r.first_parent = c.parents.front();
      r.parent_count = static_cast<int>(c.parents.size());
      r.time = c.time;
      r.subject = c.subject;
      rec.commits.push_back(std::move(r));
    }
    for (const Job& j : out.plan.jobs) {
      for (const std::string& p : j.platforms) {
        rec.jobs.push_back({0,
                            j.sha,
                            p,
                            j.reason,
                            j.reason_detail,
                            j.commit_range.from,
                            j.commit_range.count,
                            j.priority,
                            core::JobState::kQueued,
                            {}});
      }
    }
    for (const Skip& k : out.plan.skips) {
      for (const std::string& p : k.platforms) {
        rec.skips.push_back({0, k.sha, p, k.reason, k.queue_depth, k.superseded_by, {}});
      }
    }
    RETURN_IF_ERROR(store->RecordPlan(rec));
  }
  return out;
}

}  // namespace

base::Result<PlanOutcome> PlanBranch(store::Store* store, const PlanRequest& request) {
  ReadOptions read;
  read.branch = request.branch;
  ASSIGN_OR_RETURN(BranchHistory history, ReadBranch(request.repo, read));

  PlannerInput in;
  in.now = request.now;
  in.policy = request.policy;
  for (const std::string& rev : request.manual) {
    ASSIGN_OR_RETURN(std::string sha, ResolveCommit(request.repo, rev));
    in.manual.push_back(std::move(sha));
  }
  in.commits = std::move(history.commits);
  // Several planners on one store (two servers, a server and a CLI): one that recorded while
  // this one planned makes this plan stale; plan again from what it recorded, so the same
  // commit and platform is never queued twice.
  constexpr int kAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    auto out = PlanOnce(store, request, in, history.branch);
    if (out.ok() || !store::IsStaleSchedule(out.status()) || attempt == kAttempts) return out;
  }
}

namespace {

struct LoadedHistory {
  std::string branch, head;
  std::string history;   // "repository", "plan" or "runs"
  bool planned = false;  // the store has a recorded plan
  std::vector<analysis::BranchPoint> points;
  std::vector<std::string> subjects;             // per point
  std::optional<store::ScheduleState> schedule;  // when read for the history: not read twice
};

// The recorded schedule: the one LoadHistory read, else read now.
base::Result<store::ScheduleState> ScheduleOf(store::Store& store, LoadedHistory& h) {
  if (h.schedule) return std::move(*h.schedule);
  return store.LoadSchedule();
}

base::Result<LoadedHistory> LoadHistory(store::Store& store, const HistorySource& source) {
  LoadedHistory out;
  ASSIGN_OR_RETURN(store::ScheduleState st, store.LoadSchedule());
  out.planned = st.head.has_value();
  if (!source.repo.empty()) {
    ReadOptions read;
    read.branch = source.branch;
    ASSIGN_OR_RETURN(BranchHistory h, ReadBranch(source.repo, read));
    out.branch = h.branch;
    out.history = "repository";
    out.points.reserve(h.commits.size());
    for (auto& c : h.commits) {
      out.points.push_back({std::move(c.sha), c.time});
      out.subjects.push_back(std::move(c.subject));
    }
  } else if (st.head) {
    ASSIGN_OR_RETURN(auto recorded, store.RecordedHistory(*st.head));
    out.branch = *st.branch;
    out.history = "plan";
    out.points.reserve(recorded.size());
    for (auto& c : recorded) {
      out.points.push_back({std::move(c.sha), c.time});
      out.subjects.push_back(std::move(c.subject));
    }
  } else {
    // No repository and no plan recorded: the commits the runs measured, in commit time order,
    // with the commits their ranges stand for counted between them.
    ASSIGN_OR_RETURN(auto runs, store.ListRunPoints({}, /*with_benchmarks=*/false));
    std::map<std::string, base::Timestamp> times;
    std::vector<analysis::RangeRef> ranges;
    ranges.reserve(runs.size());
    for (auto& r : runs) {
      const base::Timestamp t = r.commit_time.value_or(r.started_at);
      auto [it, added] = times.emplace(r.sha, t);
      if (!added && t < it->second) it->second = t;
      ranges.push_back({std::move(r.range_from), std::move(r.sha), r.range_count});
    }
    std::vector<analysis::BranchPoint> points;
    points.reserve(times.size());
    for (auto& [sha, t] : times) points.push_back({sha, t});
    out.points = analysis::BranchFromRanges(std::move(points), ranges);
    out.subjects.assign(out.points.size(), "");
    out.history = "runs";
  }
  out.schedule = std::move(st);
  if (!out.points.empty()) out.head = out.points.back().sha;
  return out;
}

// The index of a revision in the branch: a full sha, a unique prefix, or (with a repository)
// anything git resolves.
base::Result<size_t> Locate(const LoadedHistory& h, const HistorySource& source,
                            const std::string& rev) {
  std::string sha = rev;
  if (!source.repo.empty()) {
    ASSIGN_OR_RETURN(sha, ResolveCommit(source.repo, rev));
  }
  std::optional<size_t> found;
  for (size_t i = 0; i < h.points.size(); ++i) {
    if (h.points[i].sha.starts_with(sha)) {
      if (found) return base::InvalidInput(fmt::format("--range: '{}' is ambiguous", rev));
      found = i;
    }
  }
  if (!found) {
    return base::InvalidInput(fmt::format("--range: '{}' is not a commit of {}", rev, h.branch));
  }
  return *found;
}

}  // namespace

base::Result<CoverageReport> CoverageOf(store::Store& store, const CoverageRequest& request) {
  ASSIGN_OR_RETURN(LoadedHistory h, LoadHistory(store, request.source));
  size_t first = 0, last = h.points.size();
  if (request.range) {
    const std::string& r = *request.range;
    const size_t dots = r.find("..");
    if (dots == std::string::npos || dots == 0 || dots + 2 >= r.size()) {
      return base::InvalidInput(fmt::format("--range: expected A..B, got '{}'", r));
    }
    ASSIGN_OR_RETURN(size_t a, Locate(h, request.source, r.substr(0, dots)));
    ASSIGN_OR_RETURN(size_t b, Locate(h, request.source, r.substr(dots + 2)));
    if (b < a) {
      return base::InvalidInput(
          fmt::format("--range: {} is older than {}", r.substr(dots + 2), r.substr(0, dots)));
    }
    first = a + 1;
    last = b + 1;
  } else if (request.since) {
    while (first < last && h.points[first].time < *request.since) ++first;
  }

  std::map<std::string, analysis::PlatformRecords> records;
  {
    // Each run's commit and range, moved into the records; the runs are freed before the
    // schedule is read (a year of runs is tens of megabytes).
    ASSIGN_OR_RETURN(auto runs, store.ListRunPoints({}, /*with_benchmarks=*/false));
    for (auto& r : runs) {
      auto& rec = records[r.platform];
      rec.measured.insert(r.sha);
      rec.ranges.push_back({std::move(r.range_from), std::move(r.sha), r.range_count});
    }
  }
  ASSIGN_OR_RETURN(store::ScheduleState schedule, ScheduleOf(store, h));
  for (const auto& j : schedule.jobs) {
    auto& rec = records[j.platform];
    if (j.state == core::JobState::kQueued || j.state == core::JobState::kRunning) {
      rec.ranges.push_back({j.range_from, j.sha, j.range_count});
    } else if (j.state == core::JobState::kFailed && !rec.measured.contains(j.sha)) {
      // Its agent runs failed max_attempts times: accounted for, with the reason to look at.
      rec.skipped.emplace(j.sha, "job-failed");
    }
  }
  for (const auto& k : schedule.skips) records[k.platform].skipped[k.sha] = k.reason;
  if (request.platform) {
    auto it = records.find(*request.platform);
    analysis::PlatformRecords only = it == records.end() ? analysis::PlatformRecords{} : it->second;
    records.clear();
    records.emplace(*request.platform, std::move(only));
  }
  CoverageReport out;
  out.branch = h.branch;
  out.head = h.head;
  out.history = h.history;
  out.planned = h.planned;
  out.rows = analysis::Coverage(h.points, first, last, records, h.planned);
  for (size_t i = first; i < last && i < h.points.size(); ++i) {
    store::CommitRecord c;
    c.sha = h.points[i].sha;
    c.time = h.points[i].time;
    c.subject = h.subjects[i];
    out.commits.push_back(std::move(c));
  }
  return out;
}

bool GapsReport::stalled() const {
  return std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.stalled; });
}

struct GapsInputs {
  LoadedHistory history;
  std::map<std::string, std::vector<analysis::RunBenchmarks>> by_platform;
  std::vector<std::string> platforms;
  std::set<std::string> expected;
};

base::Result<std::shared_ptr<const GapsInputs>> LoadGapsInputs(store::Store& store,
                                                               const HistorySource& source) {
  auto in = std::make_shared<GapsInputs>();
  ASSIGN_OR_RETURN(in->history, LoadHistory(store, source));
  ASSIGN_OR_RETURN(auto runs, store.ListRunPoints({}));
  ASSIGN_OR_RETURN(store::ScheduleState schedule, ScheduleOf(store, in->history));
  std::set<std::string> platforms;
  for (auto& r : runs) {
    platforms.insert(r.platform);
    analysis::RunBenchmarks b;
    b.sha = r.sha;
    if (r.suite) {
      b.suite = r.suite->name;
      b.suite_revision = r.suite->revision;
    }
    b.ok = std::move(r.ok_benchmarks);  // shared: runs of one set are looked at once
    b.failed = std::move(r.failed_benchmarks);
    in->by_platform[r.platform].push_back(std::move(b));
  }
  for (const auto& j : schedule.jobs) platforms.insert(j.platform);
  in->platforms.assign(platforms.begin(), platforms.end());
  in->expected = analysis::ExpectedBenchmarks(in->history.points, in->by_platform);
  in->history.schedule.reset();  // not needed past this point
  return std::shared_ptr<const GapsInputs>(std::move(in));
}

GapsReport GapsFrom(const GapsInputs& in, const GapsRequest& request) {
  GapsReport out;
  out.branch = in.history.branch;
  out.head = in.history.head;
  out.history = in.history.history;
  out.expected = in.expected;
  out.rows = analysis::Gaps(in.history.points, in.by_platform, in.platforms, out.expected,
                            request.now, request.bounds);
  return out;
}

base::Result<GapsReport> GapsOf(store::Store& store, const GapsRequest& request) {
  ASSIGN_OR_RETURN(auto in, LoadGapsInputs(store, request.source));
  return GapsFrom(*in, request);
}

namespace {

using nlohmann::json;

class PlanJsonReader {
 public:
  explicit PlanJsonReader(const std::string& source) : source_(source) {}

  base::Status Error(const std::string& pointer, std::string_view expected) const {
    return base::InvalidInput(fmt::format("{}: {}: expected {}", source_, pointer, expected));
  }
  base::Result<const json*> Field(const json& obj, const std::string& pointer,
                                  const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) return Error(pointer + "/" + key, "a value (missing)");
    return &*it;
  }
  base::Result<std::string> String(const json& obj, const std::string& pointer,
                                   const char* key) const {
    ASSIGN_OR_RETURN(const json* v, Field(obj, pointer, key));
    if (!v->is_string()) return Error(pointer + "/" + key, "a string");
    return v->get<std::string>();
  }
  base::Result<std::optional<std::string>> OptString(const json& obj, const std::string& pointer,
                                                     const char* key) const {
    ASSIGN_OR_RETURN(const json* v, Field(obj, pointer, key));
    if (v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) return Error(pointer + "/" + key, "a string or null");
    return std::optional<std::string>(v->get<std::string>());
  }
  base::Result<int64_t> Int(const json& obj, const std::string& pointer, const char* key) const {
    ASSIGN_OR_RETURN(const json* v, Field(obj, pointer, key));
    if (!v->is_number_integer() || v->get<int64_t>() < 0) {
      return Error(pointer + "/" + key, "a whole number, 0 or more");
    }
    return v->get<int64_t>();
  }
  base::Result<std::vector<std::string>> Strings(const json& obj, const std::string& pointer,
                                                 const char* key) const {
    ASSIGN_OR_RETURN(const json* v, Field(obj, pointer, key));
    if (!v->is_array() || v->empty()) return Error(pointer + "/" + key, "a non-empty array");
    std::vector<std::string> out;
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) return Error(fmt::format("{}/{}/{}", pointer, key, i), "a string");
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  base::Result<const json*> Array(const json& obj, const char* key) const {
    ASSIGN_OR_RETURN(const json* v, Field(obj, "", key));
    if (!v->is_array()) return Error(std::string("/") + key, "an array");
    return v;
  }

 private:
  const std::string& source_;
};

}  // namespace

base::Status RecordPlanJson(store::Store& store, std::string_view json_text,
                            const std::string& source_name, const HistorySource& history) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    return base::InvalidInput(
        fmt::format("{}: not JSON (byte {}): expected the output of `perfledger plan "
                    "--format json`",
                    source_name, e.byte));
  }
  PlanJsonReader r(source_name);
  if (!doc.is_object()) return r.Error("(root)", "an object");
  store::PlanRecord rec;
  ASSIGN_OR_RETURN(std::string now_text, r.String(doc, "", "now"));
  auto now = base::ParseRfc3339(now_text);
  if (!now.ok()) return now.status().WithPrefix(source_name + ": /now");
  rec.now = *now;
  ASSIGN_OR_RETURN(rec.branch, r.String(doc, "", "branch"));
  ASSIGN_OR_RETURN(rec.head, r.String(doc, "", "head"));
  ASSIGN_OR_RETURN(int64_t depth, r.Int(doc, "", "queue_depth"));
  rec.queue_depth = static_cast<int>(depth);
  ASSIGN_OR_RETURN(rec.degradation, r.String(doc, "", "degradation"));
  ASSIGN_OR_RETURN(const json* minutes, r.Field(doc, "", "window_minutes"));
  if (!minutes->is_number() || minutes->get<double>() <= 0) {
    return r.Error("/window_minutes", "a number above 0");
  }
  rec.window_nanos = static_cast<int64_t>(minutes->get<double>() * 60e9);
  ASSIGN_OR_RETURN(const json* jobs, r.Array(doc, "jobs"));
  for (size_t i = 0; i < jobs->size(); ++i) {
    const std::string at = fmt::format("/jobs/{}", i);
    const json& j = (*jobs)[i];
    if (!j.is_object()) return r.Error(at, "an object");
    store::JobRecord job;
    ASSIGN_OR_RETURN(job.sha, r.String(j, at, "sha"));
    ASSIGN_OR_RETURN(job.reason, r.String(j, at, "reason"));
    if (!core::ParseReason(job.reason)) return r.Error(at + "/reason", core::ReasonList());
    ASSIGN_OR_RETURN(job.reason_detail, r.String(j, at, "reason_detail"));
    ASSIGN_OR_RETURN(int64_t priority, r.Int(j, at, "priority"));
    job.priority = static_cast<int>(priority);
    ASSIGN_OR_RETURN(const json* range, r.Field(j, at, "commit_range"));
    if (!range->is_object()) return r.Error(at + "/commit_range", "an object");
    ASSIGN_OR_RETURN(job.range_from, r.OptString(*range, at + "/commit_range", "from"));
    ASSIGN_OR_RETURN(job.range_count, r.Int(*range, at + "/commit_range", "count"));
    ASSIGN_OR_RETURN(auto platforms, r.Strings(j, at, "platforms"));
    for (auto& p : platforms) {
      job.platform = std::move(p);
      rec.jobs.push_back(job);
    }
  }
  ASSIGN_OR_RETURN(const json* skips, r.Array(doc, "skips"));
  for (size_t i = 0; i < skips->size(); ++i) {
    const std::string at = fmt::format("/skips/{}", i);
    const json& k = (*skips)[i];
    if (!k.is_object()) return r.Error(at, "an object");
    store::SkipRecord skip;
    ASSIGN_OR_RETURN(skip.sha, r.String(k, at, "sha"));
    ASSIGN_OR_RETURN(skip.reason, r.String(k, at, "reason"));
    ASSIGN_OR_RETURN(int64_t skip_depth, r.Int(k, at, "queue_depth"));
    skip.queue_depth = static_cast<int>(skip_depth);
    ASSIGN_OR_RETURN(skip.superseded_by, r.OptString(k, at, "superseded_by"));
    ASSIGN_OR_RETURN(auto platforms, r.Strings(k, at, "platforms"));
    for (auto& p : platforms) {
      skip.platform = std::move(p);
      rec.skips.push_back(skip);
    }
  }

  // The branch up to the plan's head, from the repository (it may have moved on since).
  ReadOptions read;
  read.branch = history.branch;
  ASSIGN_OR_RETURN(BranchHistory h, ReadBranch(history.repo, read));
  auto head = std::find_if(h.commits.begin(), h.commits.end(),
                           [&](const BranchCommit& c) { return c.sha == rec.head; });
  if (head == h.commits.end()) {
    return base::InvalidInput(fmt::format("{}: /head: {} is not on {} of {}", source_name, rec.head,
                                          h.branch, history.repo));
  }
  for (auto it = h.commits.begin(); it != std::next(head); ++it) {
    store::CommitRecord c;
    c.sha = std::move(it->sha);
    if (!it->parents.empty()) c.first_parent = it->parents.front();
    c.parent_count = static_cast<int>(it->parents.size());
    c.time = it->time;
    c.subject = std::move(it->subject);
    rec.commits.push_back(std::move(c));
  }
  return store.RecordPlan(rec);
}

namespace {

void WriteJobJson(base::JsonWriter& w, const schedule::Job& j) {
  w.BeginObject();
  w.Key("sha").String(j.sha);
  w.Key("platforms").BeginArray();
  for (const auto& p : j.platforms) w.String(p);
  w.EndArray();
  w.Key("reason").String(j.reason);
  w.Key("reason_detail").String(j.reason_detail);
  w.Key("commit_range").BeginObject();
  w.Key("from");
  if (j.commit_range.from) {
    w.String(*j.commit_range.from);
  } else {
    w.Null();
  }
  w.Key("to").String(j.commit_range.to);
  w.Key("count").Int(j.commit_range.count);
  w.EndObject();
  w.Key("priority").Int(j.priority);
  w.EndObject();
}

}  // namespace

std::string PlanJson(const PlanOutcome& o, const schedule::Policy& policy, bool recorded) {
  const schedule::Plan& p = o.plan;
  base::JsonWriter w;
  w.BeginObject();
  w.Key("now").String(base::FormatRfc3339(p.now));
  w.Key("window_minutes").Number(static_cast<double>(p.window_nanos) / 60e9);
  w.Key("queue_depth").Int(p.queue_depth);
  w.Key("degradation").String(schedule::DegradationName(p.degradation));
  w.Key("branch").String(o.branch);
  w.Key("head").String(o.head);
  w.Key("sampling").String(schedule::SamplingName(policy.sampling));
  w.Key("platforms").BeginArray();
  for (const auto& pl : o.platforms) w.String(pl);
  w.EndArray();
  w.Key("recorded").Bool(recorded);
  w.Key("jobs").BeginArray();
  for (const auto& j : p.jobs) WriteJobJson(w, j);
  w.EndArray();
  w.Key("skips").BeginArray();
  for (const auto& k : p.skips) {
    w.BeginObject();
    w.Key("sha").String(k.sha);
    w.Key("platforms").BeginArray();
    for (const auto& pl : k.platforms) w.String(pl);
    w.EndArray();
    w.Key("reason").String(k.reason);
    w.Key("queue_depth").Int(k.queue_depth);
    w.Key("superseded_by");
    if (k.superseded_by) {
      w.String(*k.superseded_by);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("pending").BeginObject();
  for (const auto& [platform, shas] : p.pending) {
    w.Key(platform).BeginArray();
    for (const auto& s : shas) w.String(s);
    w.EndArray();
  }
  w.EndObject();
  // Bisect requests (open regression alerts) the plan adds no job for, and why.
  w.Key("unplanned_bisect").BeginArray();
  for (const auto& b : p.unplanned_bisect) {
    w.BeginObject();
    w.Key("alert_id").Int(b.request.alert_id);
    w.Key("platform").String(b.request.platform);
    w.Key("from").String(b.request.from);
    w.Key("to").String(b.request.to);
    w.Key("status").String(b.status);
    w.Key("sha");
    if (b.sha) {
      w.String(*b.sha);
    } else {
      w.Null();
    }
    w.Key("commits").Int(b.commits);
    w.Key("detail").String(b.detail);
    w.EndObject();
  }
  w.EndArray();
  w.Key("off_branch").BeginObject();
  for (const auto& [platform, shas] : o.off_branch) {
    w.Key(platform).BeginArray();
    for (const auto& s : shas) w.String(s);
    w.EndArray();
  }
  w.EndObject();
  // One entry per sha x platform: `strategy.matrix: ${{ fromJSON(...).matrix }}`.
  w.Key("matrix").BeginObject();
  w.Key("include").BeginArray();
  for (const auto& j : p.jobs) {
    for (const auto& pl : j.platforms) {
      w.BeginObject();
      w.Key("sha").String(j.sha);
      w.Key("platform").String(pl);
      w.Key("reason").String(j.reason);
      w.Key("priority").Int(j.priority);
      w.Key("commit_range_from");
      if (j.commit_range.from) {
        w.String(*j.commit_range.from);
      } else {
        w.Null();
      }
      w.Key("commit_range_count").Int(j.commit_range.count);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace perfledger::service
