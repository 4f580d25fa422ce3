// The SQLite back end's records all at once (store.h StoreRecords): read from one snapshot and
// written as they are, ids included, for `perfledger migrate-store`. Whether the records may
// be written is store/store.cc's; whether the store is empty of them is checked here, in the
// write transaction.

#include <fmt/format.h>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

std::optional<base::Timestamp> OptTime(const Stmt& q, int c) {
  if (q.IsNull(c)) return std::nullopt;
  return base::Timestamp{q.Int(c)};
}

void BindTime(Stmt& q, int i, const std::optional<base::Timestamp>& t) {
  if (t) {
    q.Bind(i, t->unix_nanos);
  } else {
    q.BindNull(i);
  }
}

}  // namespace

Result<StoreRecords> SqliteStore::ReadRecords() {
  // One deferred transaction: every read below sees the snapshot the first one started.
  RETURN_IF_ERROR(Begin(/*write=*/false));
  StoreRecords out;
  auto body = [&]() -> Status {
    int rc;
    ASSIGN_OR_RETURN(Stmt * plans, Prepared("SELECT id, planned_at, recorded_at, branch, head_sha, "
                                            "queue_depth, degradation, window_nanos FROM plans "
                                            "ORDER BY id"));
    while ((rc = plans->Step()) == SQLITE_ROW) {
      PlanRow p;
      p.id = plans->Int(0);
      p.planned_at = base::Timestamp{plans->Int(1)};
      p.recorded_at = base::Timestamp{plans->Int(2)};
      p.branch = plans->Text(3);
      p.head = plans->Text(4);
      p.queue_depth = static_cast<int>(plans->Int(5));
      p.degradation = plans->Text(6);
      p.window_nanos = plans->Int(7);
      out.plans.push_back(std::move(p));
    }
    plans->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read plans");

    ASSIGN_OR_RETURN(
        Stmt * jobs,
        Prepared("SELECT j.id, j.plan_id, j.sha, j.platform, j.reason, j.reason_detail, "
                 "j.range_from, j.range_count, j.priority, j.state, j.attempt, j.agent, "
                 "j.claimed_at, j.lease_expires_at, j.finished_at, j.run_id, j.log_tail, "
                 "p.planned_at FROM jobs j JOIN plans p ON p.id = j.plan_id ORDER BY j.id"));
    while ((rc = jobs->Step()) == SQLITE_ROW) {
      JobHandout j;
      j.id = jobs->Int(0);
      j.plan_id = jobs->Int(1);
      j.sha = jobs->Text(2);
      j.platform = jobs->Text(3);
      j.reason = jobs->Text(4);
      j.reason_detail = jobs->Text(5);
      j.range_from = jobs->OptText(6);
      j.range_count = jobs->Int(7);
      j.priority = static_cast<int>(jobs->Int(8));
      const std::string state = jobs->Text(9);
      const auto parsed = core::ParseJobState(state);
      if (!parsed) {
        jobs->Reset();
        return base::Internal(
            fmt::format("{}: job {} has the unknown state '{}'", path_, j.id, state));
      }
      j.state = *parsed;
      j.attempt = static_cast<int>(jobs->Int(10));
      j.agent = jobs->OptText(11);
      j.claimed_at = OptTime(*jobs, 12);
      j.lease_expires_at = OptTime(*jobs, 13);
      j.finished_at = OptTime(*jobs, 14);
      j.run_id = jobs->OptText(15);
      j.log_tail = jobs->OptText(16);
      j.planned_at = base::Timestamp{jobs->Int(17)};
      out.jobs.push_back(std::move(j));
    }
    jobs->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read jobs");

    ASSIGN_OR_RETURN(Stmt * agents, Prepared("SELECT name, platform, last_seen, job FROM agents "
                                             "ORDER BY name"));
    while ((rc = agents->Step()) == SQLITE_ROW) {
      AgentRecord a;
      a.name = agents->Text(0);
      a.platform = agents->Text(1);
      a.last_seen = base::Timestamp{agents->Int(2)};
      if (!agents->IsNull(3)) a.job = agents->Int(3);
      out.agents.push_back(std::move(a));
    }
    agents->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read agents");

    ASSIGN_OR_RETURN(Stmt * skips,
                     Prepared("SELECT s.plan_id, s.sha, s.platform, s.reason, s.queue_depth, "
                              "s.superseded_by, p.planned_at FROM skips s JOIN plans p ON "
                              "p.id = s.plan_id ORDER BY s.plan_id, s.sha, s.platform"));
    while ((rc = skips->Step()) == SQLITE_ROW) {
      SkipRecord k;
      k.plan_id = skips->Int(0);
      k.sha = skips->Text(1);
      k.platform = skips->Text(2);
      k.reason = skips->Text(3);
      k.queue_depth = static_cast<int>(skips->Int(4));
      k.superseded_by = skips->OptText(5);
      k.planned_at = base::Timestamp{skips->Int(6)};
      out.skips.push_back(std::move(k));
    }
    skips->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read skips");

    ASSIGN_OR_RETURN(Stmt * commits, Prepared("SELECT sha, first_parent, parent_count, "
                                              "commit_time, subject FROM commits ORDER BY sha"));
    while ((rc = commits->Step()) == SQLITE_ROW) {
      CommitRecord c;
      c.sha = commits->Text(0);
      c.first_parent = commits->OptText(1);
      c.parent_count = static_cast<int>(commits->Int(2));
      c.time = base::Timestamp{commits->Int(3)};
      c.subject = commits->Text(4);
      out.commits.push_back(std::move(c));
    }
    commits->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read recorded commits");

    ASSIGN_OR_RETURN(Stmt * marks, Prepared("SELECT name, value FROM marks ORDER BY name"));
    while ((rc = marks->Step()) == SQLITE_ROW) out.marks.emplace(marks->Text(0), marks->Int(1));
    marks->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read marks");

    ASSIGN_OR_RETURN(out.alerts, ListAlerts({}));
    ASSIGN_OR_RETURN(out.tokens, ListTokens(std::nullopt));
    return Status::Ok();
  };
  Status s = body();
  Rollback();
  if (!s.ok()) return s;
  return out;
}

Status SqliteStore::InsertRecords(const StoreRecords& records) {
  return InTransaction(/*write=*/true, [&]() -> Status {
    {
      ASSIGN_OR_RETURN(Stmt * held, Prepared("SELECT (SELECT count(*) FROM plans), "
                                             "(SELECT count(*) FROM alerts), "
                                             "(SELECT count(*) FROM tokens)"));
      const int rc = held->Step();
      const int64_t plans = held->Int(0), alerts = held->Int(1), tokens = held->Int(2);
      held->Reset();
      if (rc != SQLITE_ROW) return Error(rc, "count the stored records");
      if (plans + alerts + tokens > 0) return RecordsPresent(path_, plans, alerts, tokens);
    }

    ASSIGN_OR_RETURN(Stmt * commit, Prepared("INSERT INTO commits (sha, first_parent, "
                                             "parent_count, commit_time, subject) "
                                             "VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const CommitRecord& c : records.commits) {
      commit->Reset();
      commit->Bind(1, c.sha);
      commit->BindOptional(2, c.first_parent);
      commit->Bind(3, int64_t{c.parent_count});
      commit->Bind(4, c.time.unix_nanos);
      commit->Bind(5, c.subject);
      RETURN_IF_ERROR(StepDone(commit, "copy a commit"));
    }

    ASSIGN_OR_RETURN(Stmt * plan,
                     Prepared("INSERT INTO plans (id, planned_at, recorded_at, "
                              "branch, head_sha, queue_depth, degradation, "
                              "window_nanos) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    for (const PlanRow& p : records.plans) {
      plan->Reset();
      plan->Bind(1, p.id);
      plan->Bind(2, p.planned_at.unix_nanos);
      plan->Bind(3, p.recorded_at.unix_nanos);
      plan->Bind(4, p.branch);
      plan->Bind(5, p.head);
      plan->Bind(6, int64_t{p.queue_depth});
      plan->Bind(7, p.degradation);
      plan->Bind(8, p.window_nanos);
      RETURN_IF_ERROR(StepDone(plan, "copy a plan"));
    }

    ASSIGN_OR_RETURN(
        Stmt * job,
        Prepared("INSERT INTO jobs (id, plan_id, sha, platform, reason, reason_detail, "
                 "range_from, range_count, priority, state, attempt, agent, claimed_at, "
                 "lease_expires_at, finished_at, run_id, log_tail) VALUES (?1, ?2, ?3, ?4, ?5, "
                 "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"));
    for (const JobHandout& j : records.jobs) {
      job->Reset();
      job->Bind(1, j.id);
      job->Bind(2, j.plan_id);
      job->Bind(3, j.sha);
      job->Bind(4, j.platform);
      job->Bind(5, j.reason);
      job->Bind(6, j.reason_detail);
      job->BindOptional(7, j.range_from);
      job->Bind(8, j.range_count);
      job->Bind(9, int64_t{j.priority});
      job->Bind(10, core::JobStateName(j.state));
      job->Bind(11, int64_t{j.attempt});
      job->BindOptional(12, j.agent);
      BindTime(*job, 13, j.claimed_at);
      BindTime(*job, 14, j.lease_expires_at);
      BindTime(*job, 15, j.finished_at);
      job->BindOptional(16, j.run_id);
      job->BindOptional(17, j.log_tail);
      RETURN_IF_ERROR(StepDone(job, "copy a job"));
    }

    ASSIGN_OR_RETURN(Stmt * agent, Prepared("INSERT INTO agents (name, platform, last_seen, job) "
                                            "VALUES (?1, ?2, ?3, ?4)"));
    for (const AgentRecord& a : records.agents) {
      agent->Reset();
      agent->Bind(1, a.name);
      agent->Bind(2, a.platform);
      agent->Bind(3, a.last_seen.unix_nanos);
      agent->BindOptional(4, a.job);
      RETURN_IF_ERROR(StepDone(agent, "copy an agent"));
    }

    ASSIGN_OR_RETURN(Stmt * skip, Prepared("INSERT INTO skips (sha, platform, plan_id, reason, "
                                           "queue_depth, superseded_by) "
                                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    for (const SkipRecord& k : records.skips) {
      skip->Reset();
      skip->Bind(1, k.sha);
      skip->Bind(2, k.platform);
      skip->Bind(3, k.plan_id);
      skip->Bind(4, k.reason);
      skip->Bind(5, int64_t{k.queue_depth});
      skip->BindOptional(6, k.superseded_by);
      RETURN_IF_ERROR(StepDone(skip, "copy a skip"));
    }

    ASSIGN_OR_RETURN(
        Stmt * alert,
        Prepared("INSERT INTO alerts (id, project, platform, benchmark, metric, unit, epoch, "
                 "range_from, range_to, range_count, before_median, after_median, change, "
                 "confidence, noise, kind, status, note, created_at, updated_at, first_commit, "
                 "rate, spread_ratio, direction) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                 "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"));
    for (const AlertRecord& a : records.alerts) {
      alert->Reset();
      alert->Bind(1, a.id);
      alert->Bind(2, a.project);
      alert->Bind(3, a.platform);
      alert->Bind(4, a.benchmark);
      alert->Bind(5, a.metric);
      alert->Bind(6, a.unit);
      alert->BindOptional(7, a.epoch);
      alert->Bind(8, a.range_from);
      alert->Bind(9, a.range_to);
      alert->Bind(10, a.range_count);
      alert->Bind(11, a.before_median);
      alert->Bind(12, a.after_median);
      alert->Bind(13, a.change);
      alert->Bind(14, a.confidence);
      alert->Bind(15, a.noise);
      alert->Bind(16, core::AlertKindName(a.kind));
      alert->Bind(17, core::AlertStatusName(a.status));
      alert->BindOptional(18, a.note);
      alert->Bind(19, a.created_at.unix_nanos);
      alert->Bind(20, a.updated_at.unix_nanos);
      alert->BindOptional(21, a.first);
      alert->BindOptional(22, a.rate);
      alert->BindOptional(23, a.spread_ratio);
      if (a.direction) {
        alert->Bind(24, core::DirectionName(*a.direction));
      } else {
        alert->BindNull(24);
      }
      RETURN_IF_ERROR(StepDone(alert, "copy an alert"));
    }
    if (!records.alerts.empty()) RETURN_IF_ERROR(BumpAlertsMark());

    ASSIGN_OR_RETURN(Stmt * token, Prepared("INSERT INTO tokens (id, project, name, hash, prefix, "
                                            "created_at, last_used_at, revoked_at, scope) "
                                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    for (const TokenRecord& t : records.tokens) {
      token->Reset();
      token->Bind(1, t.id);
      token->Bind(2, t.project);
      token->BindOptional(3, t.name);
      token->Bind(4, t.hash);
      token->Bind(5, t.prefix);
      token->Bind(6, t.created_at.unix_nanos);
      BindTime(*token, 7, t.last_used_at);
      BindTime(*token, 8, t.revoked_at);
      token->Bind(9, t.scope);
      RETURN_IF_ERROR(StepDone(token, "copy a token"));
    }

    // As WriteMark: a mark never moves back.
    ASSIGN_OR_RETURN(Stmt * mark, Prepared("INSERT INTO marks(name, value) VALUES (?1, ?2) "
                                           "ON CONFLICT(name) DO UPDATE SET "
                                           "value = max(value, excluded.value)"));
    for (const auto& [name, value] : records.marks) {
      mark->Reset();
      mark->Bind(1, name);
      mark->Bind(2, value);
      RETURN_IF_ERROR(StepDone(mark, "copy a mark"));
    }
    return Status::Ok();
  });
}

}  // namespace perfledger::store
