#include "service/handout.h"

#include <fmt/format.h>

#include <set>
#include <utility>

#include "service/documents.h"

namespace perfledger::service {

namespace {

constexpr size_t kMaxName = 200;

base::Status CheckName(std::string_view what, const std::string& name) {
  if (name.empty() || name.size() > kMaxName) {
    return base::InvalidInput(
        fmt::format("{}: expected a name of 1 to {} characters, got {} characters", what, kMaxName,
                    name.size()));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return base::InvalidInput(fmt::format("{}: expected no control characters", what));
    }
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::optional<store::JobHandout>> ClaimJob(store::Store& store,
                                                        const std::string& platform,
                                                        const std::string& agent,
                                                        base::Timestamp now,
                                                        const HandoutPolicy& policy) {
  RETURN_IF_ERROR(CheckName("platform", platform));
  RETURN_IF_ERROR(CheckName("agent", agent));
  store::ClaimRequest request;
  request.platform = platform;
  request.agent = agent;
  request.now = now;
  request.lease_nanos = policy.lease_nanos;
  request.max_attempts = policy.max_attempts;
  return store.ClaimJob(request);
}

base::Result<store::JobHandout> RenewJob(store::Store& store, int64_t id, const std::string& agent,
                                         base::Timestamp now, const HandoutPolicy& policy) {
  RETURN_IF_ERROR(CheckName("agent", agent));
  return store.RenewJobLease(id, agent, now, policy.lease_nanos);
}

base::Result<store::JobHandout> CompleteJob(store::Store& store, int64_t id,
                                            const std::string& agent, const std::string& run_id,
                                            base::Timestamp now, const HandoutPolicy& policy) {
  RETURN_IF_ERROR(CheckName("agent", agent));
  if (run_id.empty()) return base::InvalidInput("run_id: expected the id of the uploaded run");
  // The job must be the agent's before its run is looked at: a job someone else holds is a
  // conflict whatever the run.
  ASSIGN_OR_RETURN(std::vector<store::JobHandout> jobs, store.ListJobHandouts(std::nullopt));
  const store::JobHandout* job = nullptr;
  for (const auto& j : jobs) {
    if (j.id == id) job = &j;
  }
  if (job == nullptr) return base::NotFound(fmt::format("no job with id {}", id));
  store::RunFilter filter;
  filter.run_id = run_id;
  ASSIGN_OR_RETURN(std::vector<store::RunSummary> runs, store.ListRuns(filter));
  if (runs.empty()) {
    return base::Conflict(fmt::format(
        "run {} is not stored: upload it (POST /api/v1/projects/{{project}}/runs) before "
        "completing job {}",
        run_id, id));
  }
  const store::RunSummary& run = runs.front();
  if (run.sha != job->sha || run.platform != job->platform) {
    return base::Conflict(
        fmt::format("run {} measured commit {} on {}, but job {} is commit {} on {}", run_id,
                    run.sha, run.platform, id, job->sha, job->platform));
  }
  return store.FinishJob(id, agent, run_id, "", now, policy.max_attempts);
}

base::Result<store::JobHandout> FailJob(store::Store& store, int64_t id, const std::string& agent,
                                        const std::string& log, base::Timestamp now,
                                        const HandoutPolicy& policy) {
  RETURN_IF_ERROR(CheckName("agent", agent));
  std::string tail = log.size() > kMaxLogTail ? log.substr(log.size() - kMaxLogTail) : log;
  return store.FinishJob(id, agent, std::nullopt, tail, now, policy.max_attempts);
}

base::Result<QueueView> QueueOf(store::Store& store, const std::optional<std::string>& platform,
                                base::Timestamp now) {
  QueueView view;
  view.now = now;
  ASSIGN_OR_RETURN(view.jobs, store.ListJobHandouts(platform));
  ASSIGN_OR_RETURN(std::vector<store::RunPoint> runs,
                   store.ListRunPoints({}, /*with_benchmarks=*/false));
  std::set<std::pair<std::string, std::string>> measured;
  for (const auto& r : runs) measured.emplace(r.sha, r.platform);
  for (auto& j : view.jobs) {
    // A queued job measured by a run another way (a CI job, an upload by hand) is done.
    if (j.state == core::JobState::kQueued && measured.contains({j.sha, j.platform})) {
      j.state = core::JobState::kDone;
    }
  }
  ASSIGN_OR_RETURN(view.agents, store.ListAgents());
  if (platform) {
    std::erase_if(view.agents, [&](const auto& a) { return a.platform != *platform; });
  }
  return view;
}

void WriteJobHandout(base::JsonWriter& w, const store::JobHandout& j) {
  w.BeginObject();
  w.Key("id").Int(j.id);
  w.Key("sha").String(j.sha);
  w.Key("platform").String(j.platform);
  w.Key("reason").String(j.reason);
  w.Key("reason_detail").String(j.reason_detail);
  WriteCommitRange(w, j.range_from, j.sha, j.range_count);
  w.Key("priority").Int(j.priority);
  w.Key("state").String(core::JobStateName(j.state));
  w.Key("attempt").Int(j.attempt);
  w.Key("agent");
  WriteOptional(w, j.agent);
  w.Key("claimed_at");
  WriteOptional(w, j.claimed_at);
  w.Key("lease_expires_at");
  WriteOptional(w, j.lease_expires_at);
  w.Key("finished_at");
  WriteOptional(w, j.finished_at);
  w.Key("run_id");
  WriteOptional(w, j.run_id);
  w.Key("log_tail");
  WriteOptional(w, j.log_tail);
  w.Key("plan_id").Int(j.plan_id);
  w.Key("planned_at").String(base::FormatRfc3339(j.planned_at));
  w.EndObject();
}

std::string JobHandoutJson(const store::JobHandout& job) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("job");
  WriteJobHandout(w, job);
  w.EndObject();
  return w.Take();
}

std::string QueueJson(const QueueView& view) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("now").String(base::FormatRfc3339(view.now));
  w.Key("jobs").BeginArray();
  for (const auto& j : view.jobs) WriteJobHandout(w, j);
  w.EndArray();
  w.Key("agents").BeginArray();
  for (const auto& a : view.agents) {
    w.BeginObject();
    w.Key("name").String(a.name);
    w.Key("platform").String(a.platform);
    w.Key("last_seen").String(base::FormatRfc3339(a.last_seen));
    w.Key("job");
    WriteOptional(w, a.job);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace perfledger::service
