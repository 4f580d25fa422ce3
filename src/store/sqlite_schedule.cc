// The SQLite back end's scheduler records: plans with their commits, jobs and skips.

#include <fmt/format.h>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

Status SqliteStore::RecordPlan(const PlanRecord& plan) {
  RETURN_IF_ERROR(Begin(/*write=*/true));
  auto body = [&]() -> Status {
    const int64_t now = Now().unix_nanos;
    // Commits newest first: once one is known, its ancestors were stored with it.
    ASSIGN_OR_RETURN(Stmt * ins_commit,
                     Prepared("INSERT OR IGNORE INTO commits (sha, first_parent, parent_count, "
                              "commit_time, subject) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (auto it = plan.commits.rbegin(); it != plan.commits.rend(); ++it) {
      ins_commit->Reset();
      ins_commit->Bind(1, it->sha);
      ins_commit->BindOptional(2, it->first_parent);
      ins_commit->Bind(3, int64_t{it->parent_count});
      ins_commit->Bind(4, it->time.unix_nanos);
      ins_commit->Bind(5, it->subject);
      RETURN_IF_ERROR(StepDone(ins_commit, "record a commit"));
      if (sqlite3_changes(db_) == 0) break;
    }
    // The same plan recorded again (a retried collect job) changes nothing.
    ASSIGN_OR_RETURN(Stmt * same, Prepared("SELECT 1 FROM plans WHERE planned_at = ?1 AND "
                                           "branch = ?2 AND head_sha = ?3 AND queue_depth = ?4"));
    same->Bind(1, plan.now.unix_nanos);
    same->Bind(2, plan.branch);
    same->Bind(3, plan.head);
    same->Bind(4, int64_t{plan.queue_depth});
    const int found = same->Step();
    same->Reset();
    if (found == SQLITE_ROW) return Commit();
    if (found != SQLITE_DONE) return Error(found, "look up a plan");
    if (plan.after_plan) {
      ASSIGN_OR_RETURN(Stmt * newest, Prepared("SELECT ifnull(max(id), 0) FROM plans"));
      const int step = newest->Step();
      const int64_t newest_id = step == SQLITE_ROW ? newest->Int(0) : 0;
      newest->Reset();
      if (step != SQLITE_ROW) return Error(step, "read the newest plan");
      if (newest_id != *plan.after_plan) return StaleSchedule(*plan.after_plan, newest_id);
    }
    ASSIGN_OR_RETURN(Stmt * ins_plan,
                     Prepared("INSERT INTO plans (planned_at, recorded_at, branch, head_sha, "
                              "queue_depth, degradation, window_nanos) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    ins_plan->Bind(1, plan.now.unix_nanos);
    ins_plan->Bind(2, now);
    ins_plan->Bind(3, plan.branch);
    ins_plan->Bind(4, plan.head);
    ins_plan->Bind(5, int64_t{plan.queue_depth});
    ins_plan->Bind(6, plan.degradation);
    ins_plan->Bind(7, plan.window_nanos);
    RETURN_IF_ERROR(StepDone(ins_plan, "record a plan"));
    const int64_t plan_id = sqlite3_last_insert_rowid(db_);

    ASSIGN_OR_RETURN(Stmt * supersede,
                     Prepared("UPDATE jobs SET state = 'superseded' "
                              "WHERE sha = ?1 AND platform = ?2 AND state = 'queued'"));
    auto supersede_queued = [&](const std::string& sha, const std::string& platform) {
      supersede->Reset();
      supersede->Bind(1, sha);
      supersede->Bind(2, platform);
      return StepDone(supersede, "supersede a queued job");
    };
    ASSIGN_OR_RETURN(Stmt * ins_skip,
                     Prepared("INSERT OR REPLACE INTO skips (sha, platform, plan_id, reason, "
                              "queue_depth, superseded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    for (const SkipRecord& k : plan.skips) {
      RETURN_IF_ERROR(supersede_queued(k.sha, k.platform));
      ins_skip->Reset();
      ins_skip->Bind(1, k.sha);
      ins_skip->Bind(2, k.platform);
      ins_skip->Bind(3, plan_id);
      ins_skip->Bind(4, k.reason);
      ins_skip->Bind(5, int64_t{k.queue_depth});
      ins_skip->BindOptional(6, k.superseded_by);
      RETURN_IF_ERROR(StepDone(ins_skip, "record a skip"));
    }
    ASSIGN_OR_RETURN(Stmt * ins_job,
                     Prepared("INSERT INTO jobs (plan_id, sha, platform, reason, reason_detail, "
                              "range_from, range_count, priority, state) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued')"));
    for (const JobRecord& j : plan.jobs) {
      RETURN_IF_ERROR(supersede_queued(j.sha, j.platform));
      ins_job->Reset();
      ins_job->Bind(1, plan_id);
      ins_job->Bind(2, j.sha);
      ins_job->Bind(3, j.platform);
      ins_job->Bind(4, j.reason);
      ins_job->Bind(5, j.reason_detail);
      ins_job->BindOptional(6, j.range_from);
      ins_job->Bind(7, j.range_count);
      ins_job->Bind(8, int64_t{j.priority});
      RETURN_IF_ERROR(StepDone(ins_job, "record a job"));
    }
    return Commit();
  };
  Status s = body();
  if (!s.ok()) Rollback();
  return s;
}

Result<ScheduleState> SqliteStore::LoadSchedule() {
  RETURN_IF_ERROR(Begin(/*write=*/false));
  auto body = [&]() -> Result<ScheduleState> {
    ScheduleState out;
    int rc;
    ASSIGN_OR_RETURN(Stmt * plan_q, Prepared("SELECT branch, head_sha, planned_at, id FROM plans "
                                             "ORDER BY id DESC LIMIT 1"));
    if ((rc = plan_q->Step()) == SQLITE_ROW) {
      out.branch = plan_q->Text(0);
      out.head = plan_q->Text(1);
      out.last_plan = base::Timestamp{plan_q->Int(2)};
      out.plan_id = plan_q->Int(3);
    }
    plan_q->Reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "read the last plan");
    ASSIGN_OR_RETURN(Stmt * jobs_q,
                     Prepared("SELECT j.plan_id, j.sha, j.platform, j.reason, j.reason_detail, "
                              "j.range_from, j.range_count, j.priority, j.state, p.planned_at "
                              "FROM jobs j JOIN plans p ON p.id = j.plan_id ORDER BY j.id"));
    while ((rc = jobs_q->Step()) == SQLITE_ROW) {
      JobRecord j;
      j.plan_id = jobs_q->Int(0);
      j.sha = jobs_q->Text(1);
      j.platform = jobs_q->Text(2);
      j.reason = jobs_q->Text(3);
      j.reason_detail = jobs_q->Text(4);
      j.range_from = jobs_q->OptText(5);
      j.range_count = jobs_q->Int(6);
      j.priority = static_cast<int>(jobs_q->Int(7));
      const std::string state = jobs_q->Text(8);
      if (auto parsed = core::ParseJobState(state)) {
        j.state = *parsed;
      } else {
        jobs_q->Reset();
        return base::Internal(fmt::format("{}: a job of {} on {} has the unknown state '{}'", path_,
                                          j.sha, j.platform, state));
      }
      j.planned_at = base::Timestamp{jobs_q->Int(9)};
      out.jobs.push_back(std::move(j));
    }
    jobs_q->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read jobs");
    ASSIGN_OR_RETURN(Stmt * skips_q,
                     Prepared("SELECT s.plan_id, s.sha, s.platform, s.reason, s.queue_depth, "
                              "s.superseded_by, p.planned_at FROM skips s "
                              "JOIN plans p ON p.id = s.plan_id ORDER BY s.plan_id, s.sha"));
    while ((rc = skips_q->Step()) == SQLITE_ROW) {
      SkipRecord k;
      k.plan_id = skips_q->Int(0);
      k.sha = skips_q->Text(1);
      k.platform = skips_q->Text(2);
      k.reason = skips_q->Text(3);
      k.queue_depth = static_cast<int>(skips_q->Int(4));
      k.superseded_by = skips_q->OptText(5);
      k.planned_at = base::Timestamp{skips_q->Int(6)};
      out.skips.push_back(std::move(k));
    }
    skips_q->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read skips");
    return out;
  };
  auto result = body();
  Rollback();
  return result;
}

Result<std::vector<CommitRecord>> SqliteStore::RecordedHistory(const std::string& head) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT sha, first_parent, parent_count, commit_time, "
                                      "subject FROM commits"));
  std::unordered_map<std::string, CommitRecord> all;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    CommitRecord c;
    c.sha = q->Text(0);
    c.first_parent = q->OptText(1);
    c.parent_count = static_cast<int>(q->Int(2));
    c.time = base::Timestamp{q->Int(3)};
    c.subject = q->Text(4);
    std::string key = c.sha;
    all.emplace(std::move(key), std::move(c));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "read recorded commits");
  std::vector<CommitRecord> out;
  std::optional<std::string> next = head;
  while (next) {
    auto it = all.find(*next);
    if (it == all.end()) break;
    out.push_back(std::move(it->second));
    all.erase(it);  // also ends a (corrupt) cycle
    next = out.back().first_parent;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace perfledger::store
