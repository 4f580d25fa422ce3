// The SQLite back end's job hand-out (store.h "Job hand-out"; migration 13): agents claim
// queued jobs under a lease, renew it, and finish them. Each call is one write transaction
// (BEGIN IMMEDIATE), so concurrent claims are serialised and never get the same job. Each
// moves the "jobs" mark that ScheduleMark adds to the newest plan's id.

#include <fmt/format.h>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

// The columns ReadJob reads, from the first (`j` is jobs, `p` plans).
constexpr std::string_view kHandoutColumns =
    "j.id, j.plan_id, j.sha, j.platform, j.reason, j.reason_detail, j.range_from, "
    "j.range_count, j.priority, j.state, j.attempt, j.agent, j.claimed_at, j.lease_expires_at, "
    "j.finished_at, j.run_id, j.log_tail, p.planned_at";

std::optional<base::Timestamp> OptTime(const Stmt& q, int c) {
  if (q.IsNull(c)) return std::nullopt;
  return base::Timestamp{q.Int(c)};
}

Result<JobHandout> ReadJob(const Stmt& q, const std::string& path) {
  JobHandout j;
  j.id = q.Int(0);
  j.plan_id = q.Int(1);
  j.sha = q.Text(2);
  j.platform = q.Text(3);
  j.reason = q.Text(4);
  j.reason_detail = q.Text(5);
  j.range_from = q.OptText(6);
  j.range_count = q.Int(7);
  j.priority = static_cast<int>(q.Int(8));
  const std::string state = q.Text(9);
  auto parsed = core::ParseJobState(state);
  if (!parsed) {
    return base::Internal(fmt::format("{}: job {} has the unknown state '{}'", path, j.id, state));
  }
  j.state = *parsed;
  j.attempt = static_cast<int>(q.Int(10));
  j.agent = q.OptText(11);
  j.claimed_at = OptTime(q, 12);
  j.lease_expires_at = OptTime(q, 13);
  j.finished_at = OptTime(q, 14);
  j.run_id = q.OptText(15);
  j.log_tail = q.OptText(16);
  j.planned_at = base::Timestamp{q.Int(17)};
  return j;
}

const std::string& HandoutById() {
  static const std::string sql = fmt::format(
      "SELECT {} FROM jobs j JOIN plans p ON p.id = j.plan_id WHERE j.id = ?1", kHandoutColumns);
  return sql;
}

const std::string& HandoutList() {
  static const std::string sql = fmt::format(
      "SELECT {} FROM jobs j JOIN plans p ON p.id = j.plan_id WHERE j.state != 'superseded' AND "
      "(?1 IS NULL OR j.platform = ?1) ORDER BY j.plan_id DESC, j.id",
      kHandoutColumns);
  return sql;
}

}  // namespace

Result<JobHandout> SqliteStore::ReadHandout(int64_t id) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared(HandoutById()));
  q->Bind(1, id);
  const int rc = q->Step();
  if (rc != SQLITE_ROW) {
    q->Reset();
    if (rc == SQLITE_DONE) return base::NotFound(fmt::format("no job with id {}", id));
    return Error(rc, "read a job");
  }
  auto out = ReadJob(*q, path_);
  q->Reset();
  return out;
}

Status SqliteStore::RefuseNotHeld(int64_t id, const std::string& agent) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT state, agent FROM jobs WHERE id = ?1"));
  q->Bind(1, id);
  const int rc = q->Step();
  if (rc != SQLITE_ROW) {
    q->Reset();
    if (rc == SQLITE_DONE) return base::NotFound(fmt::format("no job with id {}", id));
    return Error(rc, "look up a job");
  }
  const std::string state = q->Text(0);
  const std::optional<std::string> holder = q->OptText(1);
  q->Reset();
  return JobNotHeld(id, agent, state, holder);
}

Status SqliteStore::NoteAgent(const std::string& agent, const std::string& platform,
                              base::Timestamp now, std::optional<int64_t> job) {
  // An agent seen without a job keeps the one it last held: ListAgents shows it while the
  // agent still holds it.
  ASSIGN_OR_RETURN(Stmt * seen,
                   Prepared("INSERT INTO agents (name, platform, last_seen, job) "
                            "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
                            "platform = excluded.platform, last_seen = excluded.last_seen, "
                            "job = ifnull(excluded.job, job)"));
  seen->Bind(1, agent);
  seen->Bind(2, platform);
  seen->Bind(3, now.unix_nanos);
  seen->BindOptional(4, job);
  RETURN_IF_ERROR(StepDone(seen, "note an agent as seen"));
  ASSIGN_OR_RETURN(Stmt * mark, Prepared("INSERT INTO marks (name, value) VALUES ('jobs', 1) "
                                         "ON CONFLICT (name) DO UPDATE SET value = value + 1"));
  return StepDone(mark, "move the hand-out mark");
}

Result<std::optional<JobHandout>> SqliteStore::ClaimJob(const ClaimRequest& request) {
  std::optional<JobHandout> out;
  auto body = [&]() -> Status {
    const int64_t now = request.now.unix_nanos;
    // Leases that ran out go back to the queue, or fail on their last attempt keeping the
    // log of the attempt before; whatever the platform, so no claim waits for its own.
    ASSIGN_OR_RETURN(
        Stmt * expire,
        Prepared("UPDATE jobs SET state = CASE WHEN attempt >= ?2 THEN 'failed' ELSE 'queued' "
                 "END, lease_expires_at = NULL, finished_at = CASE WHEN attempt >= ?2 THEN ?1 "
                 "ELSE finished_at END WHERE state = 'running' AND lease_expires_at < ?1"));
    expire->Bind(1, now);
    expire->Bind(2, int64_t{request.max_attempts});
    RETURN_IF_ERROR(StepDone(expire, "expire job leases"));

    ASSIGN_OR_RETURN(
        Stmt * next,
        Prepared("SELECT j.id FROM jobs j WHERE j.platform = ?1 AND j.state = 'queued' AND "
                 "NOT EXISTS (SELECT 1 FROM runs r WHERE r.commit_sha = j.sha AND "
                 "r.platform = j.platform) ORDER BY j.priority DESC, j.plan_id, j.id LIMIT 1"));
    next->Bind(1, request.platform);
    const int rc = next->Step();
    const std::optional<int64_t> id =
        rc == SQLITE_ROW ? std::optional<int64_t>(next->Int(0)) : std::nullopt;
    next->Reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "find a queued job");
    if (id) {
      ASSIGN_OR_RETURN(Stmt * claim,
                       Prepared("UPDATE jobs SET state = 'running', attempt = attempt + 1, "
                                "agent = ?2, claimed_at = ?3, lease_expires_at = ?4 "
                                "WHERE id = ?1"));
      claim->Bind(1, *id);
      claim->Bind(2, request.agent);
      claim->Bind(3, now);
      claim->Bind(4, now + request.lease_nanos);
      RETURN_IF_ERROR(StepDone(claim, "claim a job"));
      ASSIGN_OR_RETURN(out, ReadHandout(*id));
    }
    return NoteAgent(request.agent, request.platform, request.now, id);
  };
  RETURN_IF_ERROR(InTransaction(/*write=*/true, body));
  return out;
}

Result<JobHandout> SqliteStore::RenewJobLease(int64_t id, const std::string& agent,
                                              base::Timestamp now, int64_t lease_nanos) {
  JobHandout out;
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * renew, Prepared("UPDATE jobs SET lease_expires_at = ?3 "
                                            "WHERE id = ?1 AND agent = ?2 AND state = 'running'"));
    renew->Bind(1, id);
    renew->Bind(2, agent);
    renew->Bind(3, now.unix_nanos + lease_nanos);
    RETURN_IF_ERROR(StepDone(renew, "renew a job's lease"));
    if (sqlite3_changes(db_) == 0) return RefuseNotHeld(id, agent);
    ASSIGN_OR_RETURN(out, ReadHandout(id));
    return NoteAgent(agent, out.platform, now, id);
  };
  RETURN_IF_ERROR(InTransaction(/*write=*/true, body));
  return out;
}

Result<JobHandout> SqliteStore::FinishJob(int64_t id, const std::string& agent,
                                          const std::optional<std::string>& run_id,
                                          const std::string& log_tail, base::Timestamp now,
                                          int max_attempts) {
  JobHandout out;
  auto body = [&]() -> Status {
    // Done with a run; otherwise a failed attempt: queued again with its log (the agent kept
    // as the last holder), or failed on the last attempt.
    ASSIGN_OR_RETURN(
        Stmt * finish,
        Prepared("UPDATE jobs SET "
                 "state = CASE WHEN ?3 IS NOT NULL THEN 'done' "
                 "WHEN attempt >= ?6 THEN 'failed' ELSE 'queued' END, "
                 "run_id = ?3, log_tail = CASE WHEN ?3 IS NULL THEN ?4 ELSE log_tail END, "
                 "lease_expires_at = NULL, "
                 "finished_at = CASE WHEN ?3 IS NOT NULL OR attempt >= ?6 THEN ?5 END "
                 "WHERE id = ?1 AND agent = ?2 AND state = 'running'"));
    finish->Bind(1, id);
    finish->Bind(2, agent);
    finish->BindOptional(3, run_id);
    finish->Bind(4, log_tail);
    finish->Bind(5, now.unix_nanos);
    finish->Bind(6, int64_t{max_attempts});
    RETURN_IF_ERROR(StepDone(finish, "finish a job"));
    if (sqlite3_changes(db_) == 0) return RefuseNotHeld(id, agent);
    ASSIGN_OR_RETURN(out, ReadHandout(id));
    return NoteAgent(agent, out.platform, now, std::nullopt);
  };
  RETURN_IF_ERROR(InTransaction(/*write=*/true, body));
  return out;
}

Result<std::vector<JobHandout>> SqliteStore::ListJobHandouts(
    const std::optional<std::string>& platform) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared(HandoutList()));
  q->BindOptional(1, platform);
  std::vector<JobHandout> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    auto job = ReadJob(*q, path_);
    if (!job.ok()) {
      q->Reset();
      return job.status();
    }
    out.push_back(std::move(*job));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list jobs");
  return out;
}

Result<std::vector<AgentRecord>> SqliteStore::ListAgents() {
  // The job an agent last claimed or renewed, while it still holds it.
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT a.name, a.platform, a.last_seen, j.id FROM agents a "
                                      "LEFT JOIN jobs j ON j.id = a.job AND j.agent = a.name AND "
                                      "j.state = 'running' ORDER BY a.name"));
  std::vector<AgentRecord> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    AgentRecord a;
    a.name = q->Text(0);
    a.platform = q->Text(1);
    a.last_seen = base::Timestamp{q->Int(2)};
    if (!q->IsNull(3)) a.job = q->Int(3);
    out.push_back(std::move(a));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list agents");
  return out;
}

}  // namespace perfledger::store
