// The PostgreSQL back end's records (pg_store.h): the scheduler's plans with their commits, jobs
// and skips; alerts; API tokens (hashes only). Ported from sqlite_schedule.cc,
// sqlite_alerts.cc and sqlite_tokens.cc with the same results; where SQLite steps a statement
// per row, one multi-row statement does the rows at once. No domain rule lives here.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "store/pg_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

constexpr std::array<std::string_view, 5> kCommitTypes = {"text", "text", "integer", "bigint",
                                                          "text"};
constexpr std::array<std::string_view, 6> kSkipTypes = {"text", "text",    "bigint",
                                                        "text", "integer", "text"};
constexpr std::array<std::string_view, 9> kJobTypes = {
    "bigint", "text", "text", "text", "text", "text", "bigint", "integer", "text"};

}  // namespace

Status PgStore::RecordPlan(const PlanRecord& plan) {
  return InWrite([&]() -> Status {
    const int64_t now = Now().unix_nanos;
    // Commits newest first, up to the first one already known (or listed twice), as SQLite
    // stops there: once one is known, its ancestors were stored with it.
    std::vector<PgParam> commit_params;
    if (!plan.commits.empty()) {
      std::vector<std::string> shas;
      shas.reserve(plan.commits.size());
      for (const CommitRecord& c : plan.commits) shas.push_back(c.sha);
      ASSIGN_OR_RETURN(PgRows known_rows, Q("SELECT sha FROM commits WHERE sha = ANY($1::text[])",
                                            {PgTextArray(shas)}, "look up recorded commits"));
      std::unordered_set<std::string> seen;
      for (const PgRow& row : known_rows.rows) seen.insert(PgToText(row, 0));
      for (auto it = plan.commits.rbegin(); it != plan.commits.rend(); ++it) {
        if (!seen.insert(it->sha).second) break;
        commit_params.insert(commit_params.end(),
                             {PgText(it->sha), PgOptText(it->first_parent), PgInt(it->parent_count),
                              PgInt(it->time.unix_nanos), PgText(it->subject)});
      }
    }
    RETURN_IF_ERROR(PgInsertChunks(
        "INSERT INTO commits (sha, first_parent, parent_count, commit_time, subject)", kCommitTypes,
        "ON CONFLICT (sha) DO NOTHING", commit_params,
        [&](const std::string& sql, std::span<const PgParam> p) {
          return Q(sql, p, "record commits").status();
        }));

    // The same plan recorded again (a retried collect job) changes nothing.
    ASSIGN_OR_RETURN(PgRows same,
                     Q("SELECT 1 FROM plans WHERE planned_at = $1::bigint AND branch = $2 AND "
                       "head_sha = $3 AND queue_depth = $4::integer LIMIT 1",
                       {PgInt(plan.now.unix_nanos), PgText(plan.branch), PgText(plan.head),
                        PgInt(plan.queue_depth)},
                       "look up a plan"));
    if (!same.rows.empty()) return Status::Ok();
    if (plan.after_plan) {
      ASSIGN_OR_RETURN(PgRows newest,
                       Q("SELECT coalesce(max(id), 0) FROM plans", {}, "read the newest plan"));
      const int64_t newest_id = PgToInt(newest.rows.at(0), 0);
      if (newest_id != *plan.after_plan) return StaleSchedule(*plan.after_plan, newest_id);
    }
    ASSIGN_OR_RETURN(
        PgRows inserted,
        Q("INSERT INTO plans (planned_at, recorded_at, branch, head_sha, "
          "queue_depth, degradation, window_nanos) VALUES ($1::bigint, $2::bigint, "
          "$3, $4, $5::integer, $6, $7::bigint) RETURNING id",
          {PgInt(plan.now.unix_nanos), PgInt(now), PgText(plan.branch), PgText(plan.head),
           PgInt(plan.queue_depth), PgText(plan.degradation), PgInt(plan.window_nanos)},
          "record a plan"));
    if (inserted.rows.empty()) return base::Internal("recording a plan returned no id");
    const int64_t plan_id = PgToInt(inserted.rows[0], 0);

    // A skip or job supersedes the queued jobs of its commit and platform. SQLite does it
    // before storing each skip, then each job; the jobs of earlier plans are superseded alike
    // by one statement first, and a job of this plan is stored superseded when a later job of
    // this plan has its commit and platform (skips come first, so they supersede none of them).
    std::vector<std::string> key_shas, key_platforms;
    for (const SkipRecord& k : plan.skips) {
      key_shas.push_back(k.sha);
      key_platforms.push_back(k.platform);
    }
    for (const JobRecord& j : plan.jobs) {
      key_shas.push_back(j.sha);
      key_platforms.push_back(j.platform);
    }
    if (!key_shas.empty()) {
      RETURN_IF_ERROR(Q("UPDATE jobs SET state = 'superseded' WHERE state = 'queued' AND "
                        "(sha, platform) IN (SELECT k.sha, k.platform FROM "
                        "unnest($1::text[], $2::text[]) AS k(sha, platform))",
                        {PgTextArray(key_shas), PgTextArray(key_platforms)},
                        "supersede queued jobs")
                          .status());
    }

    // One skip per commit and platform: the plan's last one replaces any stored before it
    // (INSERT OR REPLACE in SQLite; a statement may not update one row twice).
    std::map<std::pair<std::string, std::string>, size_t> last_skip;
    for (size_t i = 0; i < plan.skips.size(); ++i) {
      last_skip[{plan.skips[i].sha, plan.skips[i].platform}] = i;
    }
    std::vector<PgParam> skip_params;
    for (size_t i = 0; i < plan.skips.size(); ++i) {
      const SkipRecord& k = plan.skips[i];
      if (last_skip[{k.sha, k.platform}] != i) continue;
      skip_params.insert(skip_params.end(),
                         {PgText(k.sha), PgText(k.platform), PgInt(plan_id), PgText(k.reason),
                          PgInt(k.queue_depth), PgOptText(k.superseded_by)});
    }
    RETURN_IF_ERROR(PgInsertChunks(
        "INSERT INTO skips (sha, platform, plan_id, reason, queue_depth, superseded_by)",
        kSkipTypes,
        "ON CONFLICT (sha, platform) DO UPDATE SET plan_id = excluded.plan_id, "
        "reason = excluded.reason, queue_depth = excluded.queue_depth, "
        "superseded_by = excluded.superseded_by",
        skip_params, [&](const std::string& sql, std::span<const PgParam> p) {
          return Q(sql, p, "record skips").status();
        }));

    std::map<std::pair<std::string, std::string>, size_t> last_job;
    for (size_t i = 0; i < plan.jobs.size(); ++i) {
      last_job[{plan.jobs[i].sha, plan.jobs[i].platform}] = i;
    }
    std::vector<PgParam> job_params;
    for (size_t i = 0; i < plan.jobs.size(); ++i) {
      const JobRecord& j = plan.jobs[i];
      const bool superseded = last_job[{j.sha, j.platform}] != i;
      job_params.insert(job_params.end(),
                        {PgInt(plan_id), PgText(j.sha), PgText(j.platform), PgText(j.reason),
                         PgText(j.reason_detail), PgOptText(j.range_from), PgInt(j.range_count),
                         PgInt(j.priority), PgText(superseded ? "superseded" : "queued")});
    }
    // Rows in the order given, so job ids follow the plan's order as SQLite's do.
    return PgInsertChunks(
        "INSERT INTO jobs (plan_id, sha, platform, reason, reason_detail, "
        "range_from, range_count, priority, state)",
        kJobTypes, "", job_params, [&](const std::string& sql, std::span<const PgParam> p) {
          return Q(sql, p, "record jobs").status();
        });
  });
}

Result<ScheduleState> PgStore::LoadSchedule() {
  ScheduleState out;
  RETURN_IF_ERROR(InRead([&]() -> Status {
    ASSIGN_OR_RETURN(PgRows plan_q, Q("SELECT branch, head_sha, planned_at, id FROM plans "
                                      "ORDER BY id DESC LIMIT 1",
                                      {}, "read the last plan"));
    if (!plan_q.rows.empty()) {
      out.branch = PgToText(plan_q.rows[0], 0);
      out.head = PgToText(plan_q.rows[0], 1);
      out.last_plan = base::Timestamp{PgToInt(plan_q.rows[0], 2)};
      out.plan_id = PgToInt(plan_q.rows[0], 3);
    }
    ASSIGN_OR_RETURN(PgRows jobs_q,
                     Q("SELECT j.plan_id, j.sha, j.platform, j.reason, j.reason_detail, "
                       "j.range_from, j.range_count, j.priority, j.state, p.planned_at "
                       "FROM jobs j JOIN plans p ON p.id = j.plan_id ORDER BY j.id",
                       {}, "read jobs"));
    out.jobs.reserve(jobs_q.rows.size());
    for (const PgRow& row : jobs_q.rows) {
      JobRecord j;
      j.plan_id = PgToInt(row, 0);
      j.sha = PgToText(row, 1);
      j.platform = PgToText(row, 2);
      j.reason = PgToText(row, 3);
      j.reason_detail = PgToText(row, 4);
      j.range_from = PgToOptText(row, 5);
      j.range_count = PgToInt(row, 6);
      j.priority = static_cast<int>(PgToInt(row, 7));
      const std::string state = PgToText(row, 8);
      if (auto parsed = core::ParseJobState(state)) {
        j.state = *parsed;
      } else {
        return base::Internal(fmt::format("{}: a job of {} on {} has the unknown state '{}'",
                                          conn_->where(), j.sha, j.platform, state));
      }
      j.planned_at = base::Timestamp{PgToInt(row, 9)};
      out.jobs.push_back(std::move(j));
    }
    // SQLite orders by plan and commit; its scan of skips in key order puts the platforms of
    // one commit in order, which PostgreSQL is told.
    ASSIGN_OR_RETURN(PgRows skips_q,
                     Q("SELECT s.plan_id, s.sha, s.platform, s.reason, s.queue_depth, "
                       "s.superseded_by, p.planned_at FROM skips s "
                       "JOIN plans p ON p.id = s.plan_id ORDER BY s.plan_id, s.sha, s.platform",
                       {}, "read skips"));
    out.skips.reserve(skips_q.rows.size());
    for (const PgRow& row : skips_q.rows) {
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
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<CommitRecord>> PgStore::RecordedHistory(const std::string& head) {
  // The commits reachable from `head` by first parents, in one query (UNION drops a row seen
  // before, which ends a corrupt cycle); then the same walk as SQLite's over just those.
  ASSIGN_OR_RETURN(PgRows q,
                   Q("WITH RECURSIVE chain (sha, first_parent, parent_count, commit_time, "
                     "subject) AS (SELECT sha, first_parent, parent_count, commit_time, subject "
                     "FROM commits WHERE sha = $1 UNION SELECT c.sha, c.first_parent, "
                     "c.parent_count, c.commit_time, c.subject FROM commits c "
                     "JOIN chain h ON c.sha = h.first_parent) "
                     "SELECT sha, first_parent, parent_count, commit_time, subject FROM chain",
                     {PgText(head)}, "read recorded commits"));
  std::unordered_map<std::string, CommitRecord> all;
  for (const PgRow& row : q.rows) {
    CommitRecord c;
    c.sha = PgToText(row, 0);
    c.first_parent = PgToOptText(row, 1);
    c.parent_count = static_cast<int>(PgToInt(row, 2));
    c.time = base::Timestamp{PgToInt(row, 3)};
    c.subject = PgToText(row, 4);
    std::string key = c.sha;
    all.emplace(std::move(key), std::move(c));
  }
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

Result<std::vector<AlertRecord>> PgStore::ListAlerts(const AlertFilter& filter) {
  ASSIGN_OR_RETURN(
      PgRows q,
      Q("SELECT id, project, platform, benchmark, metric, unit, epoch, range_from, range_to, "
        "range_count, before_median, after_median, change, confidence, noise, kind, status, "
        "note, created_at, updated_at, first_commit, rate, spread_ratio, direction FROM alerts "
        "WHERE ($1::text IS NULL OR status = $1::text) AND "
        "($2::text IS NULL OR platform = $2::text) AND ($3::text IS NULL OR kind = $3::text) "
        "AND ($4::bigint IS NULL OR id = $4::bigint) ORDER BY id",
        {filter.status ? PgText(core::AlertStatusName(*filter.status)) : PgParam(),
         PgOptText(filter.platform),
         filter.kind ? PgText(core::AlertKindName(*filter.kind)) : PgParam(), PgOptInt(filter.id)},
        "list alerts"));
  std::vector<AlertRecord> out;
  out.reserve(q.rows.size());
  for (const PgRow& row : q.rows) {
    AlertRecord a;
    a.id = PgToInt(row, 0);
    a.project = PgToText(row, 1);
    a.platform = PgToText(row, 2);
    a.benchmark = PgToText(row, 3);
    a.metric = PgToText(row, 4);
    a.unit = PgToText(row, 5);
    a.epoch = PgToOptInt(row, 6);
    a.range_from = PgToText(row, 7);
    a.range_to = PgToText(row, 8);
    a.range_count = PgToInt(row, 9);
    a.before_median = PgToReal(row, 10);
    a.after_median = PgToReal(row, 11);
    a.change = PgToReal(row, 12);
    a.confidence = PgToReal(row, 13);
    a.noise = PgToReal(row, 14);
    const std::string kind_name = PgToText(row, 15), status_name = PgToText(row, 16);
    const auto kind = core::ParseAlertKind(kind_name);
    const auto status = core::ParseAlertStatus(status_name);
    if (!kind || !status) {
      return base::Internal(fmt::format("{}: alert {} has an unknown kind '{}' or status '{}'",
                                        conn_->where(), a.id, kind_name, status_name));
    }
    a.kind = *kind;
    a.status = *status;
    a.note = PgToOptText(row, 17);
    a.created_at = base::Timestamp{PgToInt(row, 18)};
    a.updated_at = base::Timestamp{PgToInt(row, 19)};
    a.first = PgToOptText(row, 20);
    a.rate = PgToOptReal(row, 21);
    a.spread_ratio = PgToOptReal(row, 22);
    if (auto d = PgToOptText(row, 23)) {
      a.direction = *d == "higher" ? core::Direction::kHigher : core::Direction::kLower;
    }
    out.push_back(std::move(a));
  }
  return out;
}

// Every write to alerts moves the "alerts" mark in its transaction (Store::AlertsMark).
Status PgStore::BumpAlertsMark() {
  return Q("INSERT INTO marks (name, value) VALUES ('alerts', 1) "
           "ON CONFLICT (name) DO UPDATE SET value = marks.value + 1",
           {}, "move the alerts mark")
      .status();
}

namespace {

constexpr std::array<std::string_view, 13> kNarrowTypes = {"bigint",
                                                           "text",
                                                           "text",
                                                           "bigint",
                                                           "double precision",
                                                           "double precision",
                                                           "double precision",
                                                           "double precision",
                                                           "bigint",
                                                           "text",
                                                           "double precision",
                                                           "double precision",
                                                           "text"};
constexpr std::array<std::string_view, 23> kAlertTypes = {"text",
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

}  // namespace

void AppendAlertParams(const AlertRecord& a, std::vector<PgParam>* params) {
  params->insert(params->end(), {PgText(a.project),
                                 PgText(a.platform),
                                 PgText(a.benchmark),
                                 PgText(a.metric),
                                 PgText(a.unit),
                                 PgOptInt(a.epoch),
                                 PgText(a.range_from),
                                 PgText(a.range_to),
                                 PgInt(a.range_count),
                                 PgReal(a.before_median),
                                 PgReal(a.after_median),
                                 PgReal(a.change),
                                 PgReal(a.confidence),
                                 PgReal(a.noise),
                                 PgText(core::AlertKindName(a.kind)),
                                 PgText(core::AlertStatusName(a.status)),
                                 PgOptText(a.note),
                                 PgInt(a.created_at.unix_nanos),
                                 PgInt(a.updated_at.unix_nanos),
                                 PgOptText(a.first),
                                 PgOptReal(a.rate),
                                 PgOptReal(a.spread_ratio),
                                 PgOptDirection(a.direction)});
}

Status PgStore::WriteAlertRows(const std::vector<AlertRecord>& inserts,
                               const std::vector<AlertRecord>& narrowed,
                               std::vector<int64_t>* ids) {
  // Narrowed first, so an unknown id can never match an alert this call inserts. The
  // record's updated_at is the caller's clock; it never moves an alert's updated_at back.
  // One row per alert (a statement may update a row once): the last narrowing of an alert
  // with the newest of their updated_at, which is what SQLite's updates in turn leave.
  if (!narrowed.empty()) {
    std::map<int64_t, std::pair<size_t, int64_t>> last;  // id -> last record, newest time
    for (size_t i = 0; i < narrowed.size(); ++i) {
      auto [it, fresh] = last.try_emplace(narrowed[i].id, i, narrowed[i].updated_at.unix_nanos);
      if (!fresh) {
        it->second.first = i;
        it->second.second = std::max(it->second.second, narrowed[i].updated_at.unix_nanos);
      }
    }
    std::vector<PgParam> params;
    for (const auto& [id, pick] : last) {
      const AlertRecord& a = narrowed[pick.first];
      params.insert(params.end(),
                    {PgInt(id), PgText(a.range_from), PgText(a.range_to), PgInt(a.range_count),
                     PgReal(a.before_median), PgReal(a.after_median), PgReal(a.change),
                     PgReal(a.confidence), PgInt(pick.second), PgOptText(a.first),
                     PgOptReal(a.rate), PgOptReal(a.spread_ratio), PgOptDirection(a.direction)});
    }
    std::unordered_set<int64_t> found;
    RETURN_IF_ERROR(PgInsertChunks(
        "UPDATE alerts a SET range_from = v.range_from, range_to = v.range_to, "
        "range_count = v.range_count, before_median = v.before_median, "
        "after_median = v.after_median, change = v.change, confidence = v.confidence, "
        "updated_at = greatest(a.updated_at, v.updated_at), first_commit = v.first_commit, "
        "rate = v.rate, spread_ratio = v.spread_ratio, direction = coalesce(v.direction, "
        "a.direction) FROM (",
        kNarrowTypes,
        ") AS v (id, range_from, range_to, range_count, before_median, after_median, change, "
        "confidence, updated_at, first_commit, rate, spread_ratio, direction) "
        "WHERE a.id = v.id "
        "RETURNING a.id",
        params, [&](const std::string& sql, std::span<const PgParam> p) -> Status {
          ASSIGN_OR_RETURN(PgRows r, Q(sql, p, "narrow alerts"));
          for (const PgRow& row : r.rows) found.insert(PgToInt(row, 0));
          return Status::Ok();
        }));
    for (const AlertRecord& a : narrowed) {
      if (!found.contains(a.id)) return base::NotFound(fmt::format("no alert with id {}", a.id));
    }
  }
  std::vector<PgParam> params;
  params.reserve(inserts.size() * kAlertTypes.size());
  for (const AlertRecord& a : inserts) {
    AppendAlertParams(a, &params);
  }
  const size_t ids_before = ids->size();
  RETURN_IF_ERROR(PgInsertChunks(
      "INSERT INTO alerts (project, platform, benchmark, metric, unit, epoch, range_from, "
      "range_to, range_count, before_median, after_median, change, confidence, noise, kind, "
      "status, note, created_at, updated_at, first_commit, rate, spread_ratio, direction)",
      kAlertTypes, "RETURNING id", params,
      [&](const std::string& sql, std::span<const PgParam> p) -> Status {
        ASSIGN_OR_RETURN(PgRows r, Q(sql, p, "record alerts"));
        // A statement draws its rows' ids in the order of its VALUES, so the ids in
        // ascending order are the records' in order, whatever order RETURNING gives.
        const size_t from = ids->size();
        for (const PgRow& row : r.rows) ids->push_back(PgToInt(row, 0));
        std::sort(ids->begin() + static_cast<std::ptrdiff_t>(from), ids->end());
        return Status::Ok();
      }));
  if (ids->size() - ids_before != inserts.size()) {
    return base::Internal(fmt::format("recording {} alerts returned {} ids", inserts.size(),
                                      ids->size() - ids_before));
  }
  if (inserts.empty() && narrowed.empty()) return Status::Ok();
  return BumpAlertsMark();
}

Status PgStore::WriteAlerts(std::vector<AlertRecord>& inserts,
                            const std::vector<AlertRecord>& narrowed) {
  std::vector<int64_t> ids;
  ids.reserve(inserts.size());
  RETURN_IF_ERROR(InWrite([&] { return WriteAlertRows(inserts, narrowed, &ids); }));
  // Only once committed: a failed call leaves the caller's records as they were.
  for (size_t i = 0; i < inserts.size(); ++i) inserts[i].id = ids[i];
  return Status::Ok();
}

Status PgStore::WriteAlertsAtomically(const AlertDecision& decide,
                                      std::vector<AlertRecord>* inserts) {
  inserts->clear();
  std::vector<AlertRecord> narrowed;
  std::vector<int64_t> ids;
  // The write lock first (InWrite): the alerts read below are then the ones the writes apply
  // to, whatever other processes do.
  Status s = InWrite([&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<AlertRecord> kept, ListAlerts({}));
    RETURN_IF_ERROR(decide(kept, inserts, &narrowed));
    return WriteAlertRows(*inserts, narrowed, &ids);
  });
  if (!s.ok()) {
    inserts->clear();
    return s;
  }
  for (size_t i = 0; i < inserts->size(); ++i) (*inserts)[i].id = ids[i];
  return Status::Ok();
}

Status PgStore::SetAlertStatus(int64_t id, core::AlertStatus status,
                               const std::optional<std::string>& note, base::Timestamp now) {
  return InWrite([&]() -> Status {
    ASSIGN_OR_RETURN(PgRows upd, Q("UPDATE alerts SET status = $2::text, updated_at = $3::bigint, "
                                   "note = coalesce($4::text, note) WHERE id = $1::bigint",
                                   {PgInt(id), PgText(core::AlertStatusName(status)),
                                    PgInt(now.unix_nanos), PgOptText(note)},
                                   "set an alert's status"));
    if (upd.changed == 0) return base::NotFound(fmt::format("no alert with id {}", id));
    return BumpAlertsMark();
  });
}

namespace {

constexpr std::string_view kTokenColumns =
    "id, project, name, hash, prefix, created_at, last_used_at, revoked_at, scope";

TokenRecord ReadToken(const PgRow& row) {
  TokenRecord t;
  t.id = PgToInt(row, 0);
  t.project = PgToText(row, 1);
  t.name = PgToOptText(row, 2);
  t.hash = PgToText(row, 3);
  t.prefix = PgToText(row, 4);
  t.created_at = base::Timestamp{PgToInt(row, 5)};
  if (!PgIsNull(row, 6)) t.last_used_at = base::Timestamp{PgToInt(row, 6)};
  if (!PgIsNull(row, 7)) t.revoked_at = base::Timestamp{PgToInt(row, 7)};
  t.scope = PgToText(row, 8);
  return t;
}

}  // namespace

Result<int64_t> PgStore::WriteToken(const TokenRecord& token) {
  int64_t id = 0;
  RETURN_IF_ERROR(InWrite([&]() -> Status {
    // Checked first, under the write lock, for messages that name the other token (the
    // unique indexes would only give the server's).
    ASSIGN_OR_RETURN(PgRows taken,
                     Q("SELECT (SELECT id FROM tokens WHERE project = $1 AND name = $2::text "
                       "AND revoked_at IS NULL LIMIT 1), "
                       "(SELECT id FROM tokens WHERE hash = $3 LIMIT 1)",
                       {PgText(token.project), PgOptText(token.name), PgText(token.hash)},
                       "look up a token's name and hash"));
    if (!taken.rows.empty() && token.name && !PgIsNull(taken.rows[0], 0)) {
      return base::Conflict(fmt::format(
          "project '{}' already has a token named '{}' (id {}): choose another name, or "
          "revoke that token first",
          token.project, *token.name, PgToInt(taken.rows[0], 0)));
    }
    if (!taken.rows.empty() && !PgIsNull(taken.rows[0], 1)) {
      return base::Conflict(
          fmt::format("token {} already has this hash: a token is never stored twice",
                      PgToInt(taken.rows[0], 1)));
    }
    ASSIGN_OR_RETURN(PgRows ins, Q("INSERT INTO tokens (project, name, hash, prefix, "
                                   "created_at, scope) VALUES ($1, $2::text, $3, $4, "
                                   "$5::bigint, $6) RETURNING id",
                                   {PgText(token.project), PgOptText(token.name),
                                    PgText(token.hash), PgText(token.prefix),
                                    PgInt(token.created_at.unix_nanos), PgText(token.scope)},
                                   "store a token"));
    if (ins.rows.empty()) return base::Internal("storing a token returned no id");
    id = PgToInt(ins.rows[0], 0);
    return Status::Ok();
  }));
  return id;
}

Result<std::vector<TokenRecord>> PgStore::ListTokens(const std::optional<std::string>& project) {
  ASSIGN_OR_RETURN(PgRows q, Q(fmt::format("SELECT {} FROM tokens WHERE ($1::text IS NULL OR "
                                           "project = $1::text) ORDER BY id",
                                           kTokenColumns),
                               {PgOptText(project)}, "list tokens"));
  std::vector<TokenRecord> out;
  out.reserve(q.rows.size());
  for (const PgRow& row : q.rows) out.push_back(ReadToken(row));
  return out;
}

Status PgStore::RevokeToken(int64_t id, base::Timestamp now) {
  return InWrite([&]() -> Status {
    ASSIGN_OR_RETURN(PgRows upd, Q("UPDATE tokens SET revoked_at = coalesce(revoked_at, "
                                   "$2::bigint) WHERE id = $1::bigint",
                                   {PgInt(id), PgInt(now.unix_nanos)}, "revoke a token"));
    if (upd.changed == 0) return base::NotFound(fmt::format("no token with id {}", id));
    return Status::Ok();
  });
}

Result<std::optional<TokenRecord>> PgStore::FindTokenByHash(const std::string& hash) {
  ASSIGN_OR_RETURN(
      PgRows q,
      Q(fmt::format("SELECT {} FROM tokens WHERE hash = $1 AND revoked_at IS NULL", kTokenColumns),
        {PgText(hash)}, "look up a token"));
  if (q.rows.empty()) return std::optional<TokenRecord>();
  return std::optional<TokenRecord>(ReadToken(q.rows[0]));
}

Status PgStore::MarkTokenUsed(int64_t id, base::Timestamp now) {
  return InWrite([&]() -> Status {
    ASSIGN_OR_RETURN(PgRows upd,
                     Q("UPDATE tokens SET last_used_at = $2::bigint WHERE id = $1::bigint",
                       {PgInt(id), PgInt(now.unix_nanos)}, "note a token's use"));
    if (upd.changed == 0) return base::NotFound(fmt::format("no token with id {}", id));
    return Status::Ok();
  });
}

}  // namespace perfledger::store
