// The PostgreSQL back end's records all at once (store.h StoreRecords): read from one snapshot
// and written as they are, ids included, for `perfledger migrate-store`; the same results as
// sqlite_records.cc. Rows are written with multi-row statements, and each bigserial sequence
// is moved past the ids written, so the store's own inserts later never collide with them.
// Whether the records may be written is store/store.cc's; whether the store is empty of them
// is checked here, under the write lock.

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "store/pg_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

constexpr std::array<std::string_view, 5> kCommitTypes = {"text", "text", "integer", "bigint",
                                                          "text"};
constexpr std::array<std::string_view, 8> kPlanTypes = {"bigint", "bigint",  "bigint", "text",
                                                        "text",   "integer", "text",   "bigint"};
constexpr std::array<std::string_view, 17> kJobTypes = {
    "bigint", "bigint",  "text", "text",   "text",   "text",   "text", "bigint", "integer",
    "text",   "integer", "text", "bigint", "bigint", "bigint", "text", "text"};
constexpr std::array<std::string_view, 4> kAgentTypes = {"text", "text", "bigint", "bigint"};
constexpr std::array<std::string_view, 6> kSkipTypes = {"text", "text",    "bigint",
                                                        "text", "integer", "text"};
constexpr std::array<std::string_view, 24> kAlertTypes = {"bigint",
                                                          "text",
                                                          "text",
                                                          "text",
                                                          "text",
                                                          "text",
                                                          "bigint",
                                                          "text",
                                                          "text",
                                                          "bigint",
                                                          "double precision",
                                                          "double precision",
                                                          "double precision",
                                                          "double precision",
                                                          "double precision",
                                                          "text",
                                                          "text",
                                                          "text",
                                                          "bigint",
                                                          "bigint",
                                                          "text",
                                                          "double precision",
                                                          "double precision",
                                                          "text"};
constexpr std::array<std::string_view, 9> kTokenTypes = {
    "bigint", "text", "text", "text", "text", "bigint", "bigint", "bigint", "text"};
constexpr std::array<std::string_view, 2> kMarkTypes = {"text", "bigint"};

}  // namespace

Result<StoreRecords> PgStore::ReadRecords() {
  StoreRecords out;
  RETURN_IF_ERROR(InRead([&]() -> Status {
    ASSIGN_OR_RETURN(PgRows plans, Q("SELECT id, planned_at, recorded_at, branch, head_sha, "
                                     "queue_depth, degradation, window_nanos FROM plans "
                                     "ORDER BY id",
                                     {}, "read plans"));
    out.plans.reserve(plans.rows.size());
    for (const PgRow& row : plans.rows) {
      PlanRow p;
      p.id = PgToInt(row, 0);
      p.planned_at = base::Timestamp{PgToInt(row, 1)};
      p.recorded_at = base::Timestamp{PgToInt(row, 2)};
      p.branch = PgToText(row, 3);
      p.head = PgToText(row, 4);
      p.queue_depth = static_cast<int>(PgToInt(row, 5));
      p.degradation = PgToText(row, 6);
      p.window_nanos = PgToInt(row, 7);
      out.plans.push_back(std::move(p));
    }

    ASSIGN_OR_RETURN(PgRows jobs,
                     Q(fmt::format("SELECT {} FROM jobs j JOIN plans p ON p.id = j.plan_id "
                                   "ORDER BY j.id",
                                   kPgJobColumns),
                       {}, "read jobs"));
    out.jobs.reserve(jobs.rows.size());
    for (const PgRow& row : jobs.rows) {
      ASSIGN_OR_RETURN(JobHandout j, PgReadJob(row, conn_->where()));
      out.jobs.push_back(std::move(j));
    }

    ASSIGN_OR_RETURN(PgRows agents, Q("SELECT name, platform, last_seen, job FROM agents "
                                      "ORDER BY name",
                                      {}, "read agents"));
    out.agents.reserve(agents.rows.size());
    for (const PgRow& row : agents.rows) {
      out.agents.push_back({PgToText(row, 0), PgToText(row, 1), base::Timestamp{PgToInt(row, 2)},
                            PgToOptInt(row, 3)});
    }

    ASSIGN_OR_RETURN(PgRows skips,
                     Q("SELECT s.plan_id, s.sha, s.platform, s.reason, s.queue_depth, "
                       "s.superseded_by, p.planned_at FROM skips s JOIN plans p ON "
                       "p.id = s.plan_id ORDER BY s.plan_id, s.sha, s.platform",
                       {}, "read skips"));
    out.skips.reserve(skips.rows.size());
    for (const PgRow& row : skips.rows) {
      SkipRecord k;
      k.plan_id = PgToInt(row, 0);
      k.sha = PgToText(row, 1);
      k.platform = PgToText(row, 2);
      k.reason = PgToText(row, 3);
      k.queue_depth = static_cast<int>(PgToInt(row, 4));
      k.superseded_by = PgToOptText(row, 5);
      k.planned_at = base::Timestamp{PgToInt(row, 6)};
      out.skips.push_back(std::move(k));
    }

    ASSIGN_OR_RETURN(PgRows commits, Q("SELECT sha, first_parent, parent_count, commit_time, "
                                       "subject FROM commits ORDER BY sha",
                                       {}, "read recorded commits"));
    out.commits.reserve(commits.rows.size());
    for (const PgRow& row : commits.rows) {
      CommitRecord c;
      c.sha = PgToText(row, 0);
      c.first_parent = PgToOptText(row, 1);
      c.parent_count = static_cast<int>(PgToInt(row, 2));
      c.time = base::Timestamp{PgToInt(row, 3)};
      c.subject = PgToText(row, 4);
      out.commits.push_back(std::move(c));
    }

    ASSIGN_OR_RETURN(PgRows marks,
                     Q("SELECT name, value FROM marks ORDER BY name", {}, "read marks"));
    for (const PgRow& row : marks.rows) out.marks.emplace(PgToText(row, 0), PgToInt(row, 1));

    ASSIGN_OR_RETURN(out.alerts, ListAlerts({}));
    ASSIGN_OR_RETURN(out.tokens, ListTokens(std::nullopt));
    return Status::Ok();
  }));
  return out;
}

Status PgStore::InsertRecords(const StoreRecords& records) {
  return InWrite([&]() -> Status {
    ASSIGN_OR_RETURN(PgRows held, Q("SELECT (SELECT count(*) FROM plans), "
                                    "(SELECT count(*) FROM alerts), (SELECT count(*) FROM tokens)",
                                    {}, "count the stored records"));
    if (held.rows.empty()) return base::Internal("counting the stored records returned no row");
    const int64_t plans = PgToInt(held.rows[0], 0), alerts = PgToInt(held.rows[0], 1),
                  tokens = PgToInt(held.rows[0], 2);
    if (plans + alerts + tokens > 0) return RecordsPresent(conn_->where(), plans, alerts, tokens);

    auto insert = [&](std::string_view head, std::span<const std::string_view> types,
                      const std::vector<PgParam>& params, std::string_view doing) {
      return PgInsertChunks(head, types, "", params,
                            [&](const std::string& sql, std::span<const PgParam> p) {
                              return Q(sql, p, doing).status();
                            });
    };

    std::vector<PgParam> params;
    params.reserve(records.commits.size() * kCommitTypes.size());
    for (const CommitRecord& c : records.commits) {
      params.insert(params.end(), {PgText(c.sha), PgOptText(c.first_parent), PgInt(c.parent_count),
                                   PgInt(c.time.unix_nanos), PgText(c.subject)});
    }
    RETURN_IF_ERROR(
        insert("INSERT INTO commits (sha, first_parent, parent_count, commit_time, subject)",
               kCommitTypes, params, "copy commits"));

    params.clear();
    for (const PlanRow& p : records.plans) {
      params.insert(params.end(),
                    {PgInt(p.id), PgInt(p.planned_at.unix_nanos), PgInt(p.recorded_at.unix_nanos),
                     PgText(p.branch), PgText(p.head), PgInt(p.queue_depth), PgText(p.degradation),
                     PgInt(p.window_nanos)});
    }
    RETURN_IF_ERROR(
        insert("INSERT INTO plans (id, planned_at, recorded_at, branch, head_sha, "
               "queue_depth, degradation, window_nanos)",
               kPlanTypes, params, "copy plans"));

    params.clear();
    for (const JobHandout& j : records.jobs) {
      params.insert(
          params.end(),
          {PgInt(j.id), PgInt(j.plan_id), PgText(j.sha), PgText(j.platform), PgText(j.reason),
           PgText(j.reason_detail), PgOptText(j.range_from), PgInt(j.range_count),
           PgInt(j.priority), PgText(core::JobStateName(j.state)), PgInt(j.attempt),
           PgOptText(j.agent), PgOptTime(j.claimed_at), PgOptTime(j.lease_expires_at),
           PgOptTime(j.finished_at), PgOptText(j.run_id), PgOptText(j.log_tail)});
    }
    RETURN_IF_ERROR(
        insert("INSERT INTO jobs (id, plan_id, sha, platform, reason, reason_detail, "
               "range_from, range_count, priority, state, attempt, agent, claimed_at, "
               "lease_expires_at, finished_at, run_id, log_tail)",
               kJobTypes, params, "copy jobs"));

    params.clear();
    for (const AgentRecord& a : records.agents) {
      params.insert(params.end(), {PgText(a.name), PgText(a.platform),
                                   PgInt(a.last_seen.unix_nanos), PgOptInt(a.job)});
    }
    RETURN_IF_ERROR(insert("INSERT INTO agents (name, platform, last_seen, job)", kAgentTypes,
                           params, "copy agents"));

    params.clear();
    for (const SkipRecord& k : records.skips) {
      params.insert(params.end(),
                    {PgText(k.sha), PgText(k.platform), PgInt(k.plan_id), PgText(k.reason),
                     PgInt(k.queue_depth), PgOptText(k.superseded_by)});
    }
    RETURN_IF_ERROR(
        insert("INSERT INTO skips (sha, platform, plan_id, reason, queue_depth, superseded_by)",
               kSkipTypes, params, "copy skips"));

    params.clear();
    for (const AlertRecord& a : records.alerts) {
      params.push_back(PgInt(a.id));
      AppendAlertParams(a, &params);
    }
    RETURN_IF_ERROR(
        insert("INSERT INTO alerts (id, project, platform, benchmark, metric, unit, "
               "epoch, range_from, range_to, range_count, before_median, "
               "after_median, change, confidence, noise, kind, status, note, "
               "created_at, updated_at, first_commit, rate, spread_ratio, direction)",
               kAlertTypes, params, "copy alerts"));
    if (!records.alerts.empty()) RETURN_IF_ERROR(BumpAlertsMark());

    params.clear();
    for (const TokenRecord& t : records.tokens) {
      params.insert(params.end(),
                    {PgInt(t.id), PgText(t.project), PgOptText(t.name), PgText(t.hash),
                     PgText(t.prefix), PgInt(t.created_at.unix_nanos), PgOptTime(t.last_used_at),
                     PgOptTime(t.revoked_at), PgText(t.scope)});
    }
    RETURN_IF_ERROR(
        insert("INSERT INTO tokens (id, project, name, hash, prefix, created_at, "
               "last_used_at, revoked_at, scope)",
               kTokenTypes, params, "copy tokens"));

    // As WriteMark: a mark never moves back.
    params.clear();
    for (const auto& [name, value] : records.marks) {
      params.insert(params.end(), {PgText(name), PgInt(value)});
    }
    RETURN_IF_ERROR(PgInsertChunks("INSERT INTO marks (name, value)", kMarkTypes, "", params,
                                   [&](const std::string& sql, std::span<const PgParam> p) {
                                     return Q(sql +
                                                  " ON CONFLICT (name) DO UPDATE SET "
                                                  "value = greatest(marks.value, excluded.value)",
                                              p, "copy marks")
                                         .status();
                                   }));

    // Rows inserted with their ids leave the sequences where they were: moved past the ids,
    // the store's next plan, job, alert or token gets a fresh one. (setval is not undone by a
    // rollback; a sequence moved on only leaves a gap, which ids may have.)
    for (const auto& [table, written] :
         {std::pair<std::string_view, bool>{"plans", !records.plans.empty()},
          {"jobs", !records.jobs.empty()},
          {"alerts", !records.alerts.empty()},
          {"tokens", !records.tokens.empty()}}) {
      if (!written) continue;
      RETURN_IF_ERROR(Q(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), "
                                    "(SELECT max(id) FROM {0}))",
                                    table),
                        {}, "move an id sequence past the copied ids")
                          .status());
    }
    return Status::Ok();
  });
}

}  // namespace perfledger::store
