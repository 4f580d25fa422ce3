// The PostgreSQL back end's job hand-out (pg_store.h; store.h "Job hand-out"), as
// sqlite_jobs.cc with the same results. Hand-out does not take the writers' advisory lock
// (InWrite): a claim must not wait behind an ingest of thousands of runs. Each call is one
// READ COMMITTED transaction instead; a claim locks the job it takes with FOR UPDATE SKIP
// LOCKED, so concurrent claims never get the same job and never wait for each other's, and the
// expiry of leases skips the jobs another transaction is claiming or finishing. Every
// transaction locks job rows first, then the agent's row, then the "jobs" mark, so none waits
// in a cycle.

#include <fmt/format.h>

#include "store/pg_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

const std::string_view kPgJobColumns =
    "j.id, j.plan_id, j.sha, j.platform, j.reason, j.reason_detail, j.range_from, "
    "j.range_count, j.priority, j.state, j.attempt, j.agent, j.claimed_at, j.lease_expires_at, "
    "j.finished_at, j.run_id, j.log_tail, p.planned_at";

Result<JobHandout> PgReadJob(const PgRow& row, const std::string& where) {
  JobHandout j;
  j.id = PgToInt(row, 0);
  j.plan_id = PgToInt(row, 1);
  j.sha = PgToText(row, 2);
  j.platform = PgToText(row, 3);
  j.reason = PgToText(row, 4);
  j.reason_detail = PgToText(row, 5);
  j.range_from = PgToOptText(row, 6);
  j.range_count = PgToInt(row, 7);
  j.priority = static_cast<int>(PgToInt(row, 8));
  const std::string state = PgToText(row, 9);
  auto parsed = core::ParseJobState(state);
  if (!parsed) {
    return base::Internal(fmt::format("{}: job {} has the unknown state '{}'", where, j.id, state));
  }
  j.state = *parsed;
  j.attempt = static_cast<int>(PgToInt(row, 10));
  j.agent = PgToOptText(row, 11);
  j.claimed_at = PgToOptTime(row, 12);
  j.lease_expires_at = PgToOptTime(row, 13);
  j.finished_at = PgToOptTime(row, 14);
  j.run_id = PgToOptText(row, 15);
  j.log_tail = PgToOptText(row, 16);
  j.planned_at = base::Timestamp{PgToInt(row, 17)};
  return j;
}

Status PgStore::InJobTransaction(const std::function<Status()>& body) {
  if (in_transaction_) return body();
  RETURN_IF_ERROR(conn_->Exec("BEGIN ISOLATION LEVEL READ COMMITTED", "start a hand-out"));
  in_transaction_ = true;
  Status s = body();
  if (s.ok()) s = conn_->Exec("COMMIT", "commit a hand-out");
  if (!s.ok()) (void)conn_->Exec("ROLLBACK", "roll back a hand-out");
  in_transaction_ = false;
  return s;
}

Status PgStore::RefuseNotHeld(int64_t id, const std::string& agent) {
  ASSIGN_OR_RETURN(PgRows r, Q("SELECT state, agent FROM jobs WHERE id = $1::bigint", {PgInt(id)},
                               "look up a job"));
  if (r.rows.empty()) return base::NotFound(fmt::format("no job with id {}", id));
  return JobNotHeld(id, agent, PgToText(r.rows[0], 0), PgToOptText(r.rows[0], 1));
}

Status PgStore::NoteAgent(const std::string& agent, const std::string& platform,
                          base::Timestamp now, std::optional<int64_t> job) {
  // An agent seen without a job keeps the one it last held: ListAgents shows it while the
  // agent still holds it. The mark last: every hand-out waits for it, holding nothing else
  // another waits for.
  return Q("WITH seen AS (INSERT INTO agents (name, platform, last_seen, job) "
           "VALUES ($1, $2, $3::bigint, $4::bigint) ON CONFLICT (name) DO UPDATE SET "
           "platform = excluded.platform, last_seen = excluded.last_seen, "
           "job = coalesce(excluded.job, agents.job)) "
           "INSERT INTO marks (name, value) VALUES ('jobs', 1) "
           "ON CONFLICT (name) DO UPDATE SET value = marks.value + 1",
           {PgText(agent), PgText(platform), PgInt(now.unix_nanos), PgOptInt(job)},
           "note an agent as seen")
      .status();
}

Result<std::optional<JobHandout>> PgStore::ClaimJob(const ClaimRequest& request) {
  std::optional<JobHandout> out;
  auto body = [&]() -> Status {
    const int64_t now = request.now.unix_nanos;
    // Leases that ran out go back to the queue, or fail on their last attempt keeping the
    // log of the attempt before; whatever the platform, so no claim waits for its own. A job
    // another transaction holds is left to it (claimed, renewed or finished there).
    RETURN_IF_ERROR(
        Q("UPDATE jobs SET state = CASE WHEN attempt >= $2::integer THEN 'failed' ELSE 'queued' "
          "END, lease_expires_at = NULL, finished_at = CASE WHEN attempt >= $2::integer THEN "
          "$1::bigint ELSE finished_at END WHERE id IN (SELECT id FROM jobs WHERE state = "
          "'running' AND lease_expires_at < $1::bigint FOR UPDATE SKIP LOCKED)",
          {PgInt(now), PgInt(request.max_attempts)}, "expire job leases")
            .status());
    // The next queued job, locked as it is read; one another claim locked is skipped, and one
    // changed since this statement's snapshot is read again and left when no longer queued.
    ASSIGN_OR_RETURN(
        PgRows claimed,
        Q(fmt::format(
              "UPDATE jobs AS j SET state = 'running', attempt = j.attempt + 1, agent = $2, "
              "claimed_at = $3::bigint, lease_expires_at = $4::bigint FROM plans p "
              "WHERE p.id = j.plan_id AND j.id = (SELECT q.id FROM jobs q WHERE q.platform = $1 "
              "AND q.state = 'queued' AND NOT EXISTS (SELECT 1 FROM runs r WHERE "
              "r.commit_sha = q.sha AND r.platform = q.platform) "
              "ORDER BY q.priority DESC, q.plan_id, q.id LIMIT 1 FOR UPDATE OF q SKIP LOCKED) "
              "RETURNING {}",
              kPgJobColumns),
          {PgText(request.platform), PgText(request.agent), PgInt(now),
           PgInt(now + request.lease_nanos)},
          "claim a job"));
    std::optional<int64_t> id;
    if (!claimed.rows.empty()) {
      ASSIGN_OR_RETURN(out, PgReadJob(claimed.rows[0], conn_->where()));
      id = out->id;
    }
    return NoteAgent(request.agent, request.platform, request.now, id);
  };
  RETURN_IF_ERROR(InJobTransaction(body));
  return out;
}

Result<JobHandout> PgStore::RenewJobLease(int64_t id, const std::string& agent, base::Timestamp now,
                                          int64_t lease_nanos) {
  JobHandout out;
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(
        PgRows renewed,
        Q(fmt::format("UPDATE jobs AS j SET lease_expires_at = $3::bigint FROM plans p "
                      "WHERE p.id = j.plan_id AND j.id = $1::bigint AND j.agent = $2 AND "
                      "j.state = 'running' RETURNING {}",
                      kPgJobColumns),
          {PgInt(id), PgText(agent), PgInt(now.unix_nanos + lease_nanos)}, "renew a job's lease"));
    if (renewed.rows.empty()) return RefuseNotHeld(id, agent);
    ASSIGN_OR_RETURN(out, PgReadJob(renewed.rows[0], conn_->where()));
    return NoteAgent(agent, out.platform, now, id);
  };
  RETURN_IF_ERROR(InJobTransaction(body));
  return out;
}

Result<JobHandout> PgStore::FinishJob(int64_t id, const std::string& agent,
                                      const std::optional<std::string>& run_id,
                                      const std::string& log_tail, base::Timestamp now,
                                      int max_attempts) {
  JobHandout out;
  auto body = [&]() -> Status {
    // Done with a run; otherwise a failed attempt: queued again with its log (the agent kept
    // as the last holder), or failed on the last attempt.
    ASSIGN_OR_RETURN(
        PgRows finished,
        Q(fmt::format(
              "UPDATE jobs AS j SET "
              "state = CASE WHEN $3::text IS NOT NULL THEN 'done' "
              "WHEN j.attempt >= $6::integer THEN 'failed' ELSE 'queued' END, "
              "run_id = $3::text, "
              "log_tail = CASE WHEN $3::text IS NULL THEN $4::text ELSE j.log_tail END, "
              "lease_expires_at = NULL, "
              "finished_at = CASE WHEN $3::text IS NOT NULL OR j.attempt >= $6::integer "
              "THEN $5::bigint END "
              "FROM plans p WHERE p.id = j.plan_id AND j.id = $1::bigint AND j.agent = $2 AND "
              "j.state = 'running' RETURNING {}",
              kPgJobColumns),
          {PgInt(id), PgText(agent), PgOptText(run_id), PgText(log_tail), PgInt(now.unix_nanos),
           PgInt(max_attempts)},
          "finish a job"));
    if (finished.rows.empty()) return RefuseNotHeld(id, agent);
    ASSIGN_OR_RETURN(out, PgReadJob(finished.rows[0], conn_->where()));
    return NoteAgent(agent, out.platform, now, std::nullopt);
  };
  RETURN_IF_ERROR(InJobTransaction(body));
  return out;
}

Result<std::vector<JobHandout>> PgStore::ListJobHandouts(
    const std::optional<std::string>& platform) {
  ASSIGN_OR_RETURN(PgRows r, Q(fmt::format("SELECT {} FROM jobs j JOIN plans p ON p.id = j.plan_id "
                                           "WHERE j.state <> 'superseded' AND "
                                           "($1::text IS NULL OR j.platform = $1::text) "
                                           "ORDER BY j.plan_id DESC, j.id",
                                           kPgJobColumns),
                               {PgOptText(platform)}, "list jobs"));
  std::vector<JobHandout> out;
  out.reserve(r.rows.size());
  for (const PgRow& row : r.rows) {
    ASSIGN_OR_RETURN(JobHandout j, PgReadJob(row, conn_->where()));
    out.push_back(std::move(j));
  }
  return out;
}

Result<std::vector<AgentRecord>> PgStore::ListAgents() {
  // The job an agent last claimed or renewed, while it still holds it.
  ASSIGN_OR_RETURN(PgRows r, Q("SELECT a.name, a.platform, a.last_seen, j.id FROM agents a "
                               "LEFT JOIN jobs j ON j.id = a.job AND j.agent = a.name AND "
                               "j.state = 'running' ORDER BY a.name",
                               {}, "list agents"));
  std::vector<AgentRecord> out;
  out.reserve(r.rows.size());
  for (const PgRow& row : r.rows) {
    AgentRecord a;
    a.name = PgToText(row, 0);
    a.platform = PgToText(row, 1);
    a.last_seen = base::Timestamp{PgToInt(row, 2)};
    a.job = PgToOptInt(row, 3);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace perfledger::store
