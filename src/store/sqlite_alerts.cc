// The SQLite back end's alerts: listed, recorded (atomically with a caller's decision),
// narrowed, given a status. What an alert must be is store/store.cc's.

#include <fmt/format.h>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

// An alert's direction column: "lower", "higher" or NULL.
void BindDirection(Stmt& q, int i, const std::optional<core::Direction>& d) {
  if (d) {
    q.Bind(i, core::DirectionName(*d));
  } else {
    q.BindNull(i);
  }
}

core::Direction StoredDirection(std::string_view name) {
  return name == "higher" ? core::Direction::kHigher : core::Direction::kLower;
}

}  // namespace

Result<std::vector<AlertRecord>> SqliteStore::ListAlerts(const AlertFilter& filter) {
  ASSIGN_OR_RETURN(
      Stmt * q,
      Prepared("SELECT id, project, platform, benchmark, metric, unit, epoch, range_from, "
               "range_to, range_count, before_median, after_median, change, confidence, noise, "
               "kind, status, note, created_at, updated_at, first_commit, rate, spread_ratio, "
               "direction FROM alerts "
               "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR platform = ?2) AND "
               "(?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR id = ?4) ORDER BY id"));
  if (filter.status) {
    q->Bind(1, core::AlertStatusName(*filter.status));
  } else {
    q->BindNull(1);
  }
  q->BindOptional(2, filter.platform);
  if (filter.kind) {
    q->Bind(3, core::AlertKindName(*filter.kind));
  } else {
    q->BindNull(3);
  }
  q->BindOptional(4, filter.id);
  std::vector<AlertRecord> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    AlertRecord a;
    a.id = q->Int(0);
    a.project = q->Text(1);
    a.platform = q->Text(2);
    a.benchmark = q->Text(3);
    a.metric = q->Text(4);
    a.unit = q->Text(5);
    if (!q->IsNull(6)) a.epoch = q->Int(6);
    a.range_from = q->Text(7);
    a.range_to = q->Text(8);
    a.range_count = q->Int(9);
    a.before_median = q->Double(10);
    a.after_median = q->Double(11);
    a.change = q->Double(12);
    a.confidence = q->Double(13);
    a.noise = q->Double(14);
    const std::string kind_name = q->Text(15), status_name = q->Text(16);
    const auto kind = core::ParseAlertKind(kind_name);
    const auto status = core::ParseAlertStatus(status_name);
    if (!kind || !status) {
      q->Reset();
      return base::Internal(fmt::format("{}: alert {} has an unknown kind '{}' or status '{}'",
                                        path_, a.id, kind_name, status_name));
    }
    a.kind = *kind;
    a.status = *status;
    a.note = q->OptText(17);
    a.created_at = base::Timestamp{q->Int(18)};
    a.updated_at = base::Timestamp{q->Int(19)};
    a.first = q->OptText(20);
    a.rate = q->OptDouble(21);
    a.spread_ratio = q->OptDouble(22);
    const auto direction = q->OptText(23);
    if (direction) a.direction = StoredDirection(*direction);
    out.push_back(std::move(a));
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list alerts");
  return out;
}

// Every write to alerts moves the "alerts" mark in its transaction (Store::AlertsMark).
Status SqliteStore::BumpAlertsMark() {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("INSERT INTO marks(name, value) VALUES ('alerts', 1) "
                                      "ON CONFLICT(name) DO UPDATE SET value = value + 1"));
  return StepDone(q, "move the alerts mark");
}

Result<int64_t> SqliteStore::AlertsMark() {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT value FROM marks WHERE name = 'alerts'"));
  const int rc = q->Step();
  const int64_t mark = rc == SQLITE_ROW ? q->Int(0) : 0;
  q->Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "read the alerts' change mark");
  return mark;
}

Status SqliteStore::WriteAlertRows(const std::vector<AlertRecord>& inserts,
                                   const std::vector<AlertRecord>& narrowed,
                                   std::vector<int64_t>* ids) {
  // Narrowed first, so an unknown id can never match an alert this call inserts. The
  // record's updated_at is the caller's clock; it never moves an alert's updated_at back.
  ASSIGN_OR_RETURN(
      Stmt * narrow,
      Prepared("UPDATE alerts SET range_from = ?2, range_to = ?3, range_count = ?4, "
               "before_median = ?5, after_median = ?6, change = ?7, confidence = ?8, "
               "updated_at = MAX(updated_at, ?9), first_commit = ?10, rate = ?11, "
               "spread_ratio = ?12, direction = COALESCE(?13, direction) WHERE id = ?1"));
  for (const AlertRecord& a : narrowed) {
    narrow->Reset();
    narrow->Bind(1, a.id);
    narrow->Bind(2, a.range_from);
    narrow->Bind(3, a.range_to);
    narrow->Bind(4, a.range_count);
    narrow->Bind(5, a.before_median);
    narrow->Bind(6, a.after_median);
    narrow->Bind(7, a.change);
    narrow->Bind(8, a.confidence);
    narrow->Bind(9, a.updated_at.unix_nanos);
    narrow->BindOptional(10, a.first);
    narrow->BindOptional(11, a.rate);
    narrow->BindOptional(12, a.spread_ratio);
    BindDirection(*narrow, 13, a.direction);
    RETURN_IF_ERROR(StepDone(narrow, "narrow an alert"));
    if (sqlite3_changes(db_) == 0) {
      return base::NotFound(fmt::format("no alert with id {}", a.id));
    }
  }
  ASSIGN_OR_RETURN(
      Stmt * ins,
      Prepared("INSERT INTO alerts (project, platform, benchmark, metric, unit, epoch, "
               "range_from, range_to, range_count, before_median, after_median, change, "
               "confidence, noise, kind, status, note, created_at, updated_at, first_commit, "
               "rate, spread_ratio, direction) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
               "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"));
  for (const AlertRecord& a : inserts) {
    ins->Reset();
    ins->Bind(1, a.project);
    ins->Bind(2, a.platform);
    ins->Bind(3, a.benchmark);
    ins->Bind(4, a.metric);
    ins->Bind(5, a.unit);
    ins->BindOptional(6, a.epoch);
    ins->Bind(7, a.range_from);
    ins->Bind(8, a.range_to);
    ins->Bind(9, a.range_count);
    ins->Bind(10, a.before_median);
    ins->Bind(11, a.after_median);
    ins->Bind(12, a.change);
    ins->Bind(13, a.confidence);
    ins->Bind(14, a.noise);
    ins->Bind(15, core::AlertKindName(a.kind));
    ins->Bind(16, core::AlertStatusName(a.status));
    ins->BindOptional(17, a.note);
    ins->Bind(18, a.created_at.unix_nanos);
    ins->Bind(19, a.updated_at.unix_nanos);
    ins->BindOptional(20, a.first);
    ins->BindOptional(21, a.rate);
    ins->BindOptional(22, a.spread_ratio);
    BindDirection(*ins, 23, a.direction);
    RETURN_IF_ERROR(StepDone(ins, "record an alert"));
    ids->push_back(sqlite3_last_insert_rowid(db_));
  }
  if (inserts.empty() && narrowed.empty()) return Status::Ok();
  return BumpAlertsMark();
}

Status SqliteStore::WriteAlerts(std::vector<AlertRecord>& inserts,
                                const std::vector<AlertRecord>& narrowed) {
  RETURN_IF_ERROR(Begin(/*write=*/true));
  std::vector<int64_t> ids;
  ids.reserve(inserts.size());
  Status s = WriteAlertRows(inserts, narrowed, &ids);
  if (s.ok()) s = Commit();
  if (!s.ok()) {
    Rollback();
    return s;
  }
  // Only once committed: a failed call leaves the caller's records as they were.
  for (size_t i = 0; i < inserts.size(); ++i) inserts[i].id = ids[i];
  return Status::Ok();
}

Status SqliteStore::WriteAlertsAtomically(const AlertDecision& decide,
                                          std::vector<AlertRecord>* inserts) {
  inserts->clear();
  // The write lock first: the alerts read below are then the ones the writes apply to.
  RETURN_IF_ERROR(Begin(/*write=*/true));
  std::vector<AlertRecord> narrowed;
  std::vector<int64_t> ids;
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(std::vector<AlertRecord> kept, ListAlerts({}));
    RETURN_IF_ERROR(decide(kept, inserts, &narrowed));
    RETURN_IF_ERROR(WriteAlertRows(*inserts, narrowed, &ids));
    return Commit();
  };
  Status s = body();
  if (!s.ok()) {
    Rollback();
    inserts->clear();
    return s;
  }
  for (size_t i = 0; i < inserts->size(); ++i) (*inserts)[i].id = ids[i];
  return Status::Ok();
}

Status SqliteStore::SetAlertStatus(int64_t id, core::AlertStatus status,
                                   const std::optional<std::string>& note, base::Timestamp now) {
  RETURN_IF_ERROR(Begin(/*write=*/true));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * upd, Prepared("UPDATE alerts SET status = ?2, updated_at = ?3, "
                                          "note = COALESCE(?4, note) WHERE id = ?1"));
    upd->Bind(1, id);
    upd->Bind(2, core::AlertStatusName(status));
    upd->Bind(3, now.unix_nanos);
    upd->BindOptional(4, note);
    RETURN_IF_ERROR(StepDone(upd, "set an alert's status"));
    if (sqlite3_changes(db_) == 0) return base::NotFound(fmt::format("no alert with id {}", id));
    RETURN_IF_ERROR(BumpAlertsMark());
    return Commit();
  };
  Status s = body();
  if (!s.ok()) Rollback();
  return s;
}
}  // namespace perfledger::store
