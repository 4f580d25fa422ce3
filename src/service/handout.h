// Job hand-out (DESIGN.md "serve": the server hands out jobs to agents): the use cases behind
// POST /api/v1/projects/{p}/jobs/claim, .../heartbeat, .../complete, .../fail and the Queue
// page. The rules live here: how long a lease holds, how many attempts a job gets, what a
// completed job must have stored, what an agent may send; the store makes each step atomic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "base/time.h"
#include "store/store.h"

namespace perfledger::service {

struct HandoutPolicy {
  // A claim holds this long without a heartbeat; agents renew every third of it.
  int64_t lease_nanos = 5LL * 60 * 1'000'000'000;
  // A job whose agent failed or vanished this many times fails for good (with its log).
  int max_attempts = 3;
};

// The largest log tail kept of a failed attempt: the end of what the agent sent.
inline constexpr size_t kMaxLogTail = 16 * 1024;

// Hands `agent` the next job of `platform` (none when nothing waits); expired leases go back
// to the queue first. kInvalidInput for an empty or overlong platform or agent name.
base::Result<std::optional<store::JobHandout>> ClaimJob(store::Store& store,
                                                        const std::string& platform,
                                                        const std::string& agent,
                                                        base::Timestamp now,
                                                        const HandoutPolicy& policy = {});

// Renews the lease `agent` holds on job `id` (kConflict when it no longer holds it).
base::Result<store::JobHandout> RenewJob(store::Store& store, int64_t id, const std::string& agent,
                                         base::Timestamp now, const HandoutPolicy& policy = {});

// Marks job `id` done with `run_id`: the run must be stored, of the job's commit and platform
// (kConflict naming what differs otherwise), and `agent` must hold the job.
base::Result<store::JobHandout> CompleteJob(store::Store& store, int64_t id,
                                            const std::string& agent, const std::string& run_id,
                                            base::Timestamp now, const HandoutPolicy& policy = {});

// Records a failed attempt of job `id` with the end of `log` (kMaxLogTail bytes): queued
// again, or failed after the last attempt.
base::Result<store::JobHandout> FailJob(store::Store& store, int64_t id, const std::string& agent,
                                        const std::string& log, base::Timestamp now,
                                        const HandoutPolicy& policy = {});

// The Queue page: every job not superseded (waiting, running, done, failed) of `platform`
// when given, newest plan first, with its state as the runs tell it (a queued job whose commit
// a run measured is done), and the agents seen.
struct QueueView {
  std::vector<store::JobHandout> jobs;
  std::vector<store::AgentRecord> agents;
  base::Timestamp now;
};
base::Result<QueueView> QueueOf(store::Store& store, const std::optional<std::string>& platform,
                                base::Timestamp now);

// {"id", "sha", "platform", "reason", "reason_detail", "commit_range", "priority", "state",
// "attempt", "agent", "claimed_at", "lease_expires_at", "finished_at", "run_id", "log_tail",
// "planned_at"}: what the claim answer and the Queue page show of a job.
void WriteJobHandout(base::JsonWriter& w, const store::JobHandout& job);
// {"job": {...}}
std::string JobHandoutJson(const store::JobHandout& job);
// {"now", "jobs": [...], "agents": [{"name", "platform", "last_seen", "job"}]}
std::string QueueJson(const QueueView& view);

}  // namespace perfledger::service
