#include "service/jobs.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "base/json_writer.h"
#include "service/documents.h"

namespace perfledger::service {

core::JobState JobStateOf(const store::JobRecord& job, bool measured) {
  return measured ? core::JobState::kDone : job.state;
}

base::Result<JobsView> JobsOf(store::Store& store, const JobsRequest& request) {
  ASSIGN_OR_RETURN(store::ScheduleState schedule, store.LoadSchedule());
  ASSIGN_OR_RETURN(std::vector<store::RunSummary> runs, store.ListRuns({}));
  std::set<std::pair<std::string, std::string>> measured;
  for (const auto& r : runs) measured.emplace(r.sha, r.platform);
  JobsView view;
  view.branch = schedule.branch;
  view.head = schedule.head;
  view.last_plan = schedule.last_plan;
  for (auto it = schedule.jobs.rbegin(); it != schedule.jobs.rend(); ++it) {
    const core::JobState state = JobStateOf(*it, measured.contains({it->sha, it->platform}));
    if (request.platform && it->platform != *request.platform) continue;
    if (request.state && state != *request.state) continue;
    view.jobs.push_back({std::move(*it), state});
  }
  return view;
}

std::string JobsJson(const JobsView& view) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("branch");
  WriteOptional(w, view.branch);
  w.Key("head");
  WriteOptional(w, view.head);
  w.Key("last_plan");
  WriteOptional(w, view.last_plan);
  w.Key("jobs").BeginArray();
  for (const auto& [j, state] : view.jobs) {
    w.BeginObject();
    w.Key("plan_id").Int(j.plan_id);
    w.Key("sha").String(j.sha);
    w.Key("platform").String(j.platform);
    w.Key("reason").String(j.reason);
    w.Key("reason_detail").String(j.reason_detail);
    WriteCommitRange(w, j.range_from, j.sha, j.range_count);
    w.Key("priority").Int(j.priority);
    w.Key("state").String(core::JobStateName(state));
    w.Key("planned_at").String(base::FormatRfc3339(j.planned_at));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

base::Result<SkipsView> SkipsOf(store::Store& store, const SkipsRequest& request) {
  ASSIGN_OR_RETURN(store::ScheduleState schedule, store.LoadSchedule());
  std::vector<store::SkipRecord*> skips;
  for (auto& k : schedule.skips) {
    if (!request.platform || k.platform == *request.platform) skips.push_back(&k);
  }
  std::stable_sort(skips.begin(), skips.end(),
                   [](const auto* a, const auto* b) { return a->plan_id > b->plan_id; });
  SkipsView view;
  view.total = static_cast<int64_t>(skips.size());
  for (size_t i = 0; i < skips.size() && static_cast<int64_t>(i) < request.limit; ++i) {
    view.skips.push_back(std::move(*skips[i]));
  }
  return view;
}

std::string SkipsJson(const SkipsView& view) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("total").Int(view.total);
  w.Key("skips").BeginArray();
  for (const auto& k : view.skips) {
    w.BeginObject();
    w.Key("sha").String(k.sha);
    w.Key("platform").String(k.platform);
    w.Key("reason").String(k.reason);
    w.Key("queue_depth").Int(k.queue_depth);
    w.Key("superseded_by");
    WriteOptional(w, k.superseded_by);
    w.Key("plan_id").Int(k.plan_id);
    w.Key("planned_at").String(base::FormatRfc3339(k.planned_at));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace perfledger::service
