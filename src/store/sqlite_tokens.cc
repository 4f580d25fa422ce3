// The SQLite back end's API tokens (hashes only): stored, listed, found, revoked. What a
// token must be is store/store.cc's.

#include <fmt/format.h>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

constexpr std::string_view kTokenColumns =
    "id, project, name, hash, prefix, created_at, last_used_at, revoked_at, scope";

TokenRecord ReadToken(const Stmt& q) {
  TokenRecord t;
  t.id = q.Int(0);
  t.project = q.Text(1);
  t.name = q.OptText(2);
  t.hash = q.Text(3);
  t.prefix = q.Text(4);
  t.created_at = base::Timestamp{q.Int(5)};
  if (!q.IsNull(6)) t.last_used_at = base::Timestamp{q.Int(6)};
  if (!q.IsNull(7)) t.revoked_at = base::Timestamp{q.Int(7)};
  t.scope = q.Text(8);
  return t;
}

}  // namespace

Result<int64_t> SqliteStore::WriteToken(const TokenRecord& token) {
  RETURN_IF_ERROR(Begin(/*write=*/true));
  int64_t id = 0;
  auto body = [&]() -> Status {
    if (token.name) {
      ASSIGN_OR_RETURN(Stmt * same, Prepared("SELECT id FROM tokens WHERE project = ?1 AND "
                                             "name = ?2 AND revoked_at IS NULL"));
      same->Bind(1, token.project);
      same->Bind(2, *token.name);
      int rc = same->Step();
      if (rc == SQLITE_ROW) {
        const int64_t other = same->Int(0);
        same->Reset();
        return base::Conflict(fmt::format(
            "project '{}' already has a token named '{}' (id {}): choose another name, or "
            "revoke that token first",
            token.project, *token.name, other));
      }
      same->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "look up a token's name");
    }
    {
      ASSIGN_OR_RETURN(Stmt * dup, Prepared("SELECT id FROM tokens WHERE hash = ?1"));
      dup->Bind(1, token.hash);
      int rc = dup->Step();
      if (rc == SQLITE_ROW) {
        const int64_t other = dup->Int(0);
        dup->Reset();
        return base::Conflict(
            fmt::format("token {} already has this hash: a token is never stored twice", other));
      }
      dup->Reset();
      if (rc != SQLITE_DONE) return Error(rc, "look up a token's hash");
    }
    ASSIGN_OR_RETURN(Stmt * ins,
                     Prepared("INSERT INTO tokens (project, name, hash, prefix, created_at, "
                              "scope) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    ins->Bind(1, token.project);
    ins->BindOptional(2, token.name);
    ins->Bind(3, token.hash);
    ins->Bind(4, token.prefix);
    ins->Bind(5, token.created_at.unix_nanos);
    ins->Bind(6, token.scope);
    RETURN_IF_ERROR(StepDone(ins, "store a token"));
    id = sqlite3_last_insert_rowid(db_);
    return Commit();
  };
  Status s = body();
  if (!s.ok()) {
    Rollback();
    return s;
  }
  return id;
}

Result<std::vector<TokenRecord>> SqliteStore::ListTokens(
    const std::optional<std::string>& project) {
  ASSIGN_OR_RETURN(Stmt * q,
                   Prepared(fmt::format("SELECT {} FROM tokens WHERE (?1 IS NULL OR project = ?1) "
                                        "ORDER BY id",
                                        kTokenColumns)));
  q->BindOptional(1, project);
  std::vector<TokenRecord> out;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) out.push_back(ReadToken(*q));
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list tokens");
  return out;
}

Status SqliteStore::RevokeToken(int64_t id, base::Timestamp now) {
  RETURN_IF_ERROR(Begin(/*write=*/true));
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * upd, Prepared("UPDATE tokens SET revoked_at = COALESCE(revoked_at, "
                                          "?2) WHERE id = ?1"));
    upd->Bind(1, id);
    upd->Bind(2, now.unix_nanos);
    RETURN_IF_ERROR(StepDone(upd, "revoke a token"));
    if (sqlite3_changes(db_) == 0) return base::NotFound(fmt::format("no token with id {}", id));
    return Commit();
  };
  Status s = body();
  if (!s.ok()) Rollback();
  return s;
}

Result<std::optional<TokenRecord>> SqliteStore::FindTokenByHash(const std::string& hash) {
  ASSIGN_OR_RETURN(
      Stmt * q, Prepared(fmt::format("SELECT {} FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
                                     kTokenColumns)));
  q->Bind(1, hash);
  int rc = q->Step();
  std::optional<TokenRecord> found;
  if (rc == SQLITE_ROW) found = ReadToken(*q);
  q->Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, "look up a token");
  return found;
}

Status SqliteStore::MarkTokenUsed(int64_t id, base::Timestamp now) {
  ASSIGN_OR_RETURN(Stmt * upd, Prepared("UPDATE tokens SET last_used_at = ?2 WHERE id = ?1"));
  upd->Bind(1, id);
  upd->Bind(2, now.unix_nanos);
  RETURN_IF_ERROR(StepDone(upd, "note a token's use"));
  if (sqlite3_changes(db_) == 0) return base::NotFound(fmt::format("no token with id {}", id));
  return Status::Ok();
}

}  // namespace perfledger::store
