// The PostgreSQL back end (pg_store.h): opening a store, transactions, values in libpq's text
// format, and the marks every reader keeps current by.

#include "store/pg_store.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

PgParam PgReal(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);  // fmt's default: the shortest form that reads back exactly
}

PgParam PgBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 + bytes.size() * 2);
  out += "\\x";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

PgParam PgTextArray(std::span<const std::string> items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Status PgInsertChunks(
    std::string_view head, std::span<const std::string_view> types, std::string_view tail,
    std::span<const PgParam> params,
    const std::function<Status(const std::string& sql, std::span<const PgParam>)>& run) {
  constexpr size_t kMaxParams = 30000;
  const size_t width = types.size();
  const size_t rows_per_chunk = kMaxParams / width;
  const size_t rows = params.size() / width;
  for (size_t first = 0; first < rows; first += rows_per_chunk) {
    const size_t n = std::min(rows_per_chunk, rows - first);
    std::string sql(head);
    sql += " VALUES ";
    for (size_t r = 0; r < n; ++r) {
      sql += r > 0 ? ", (" : "(";
      for (size_t c = 0; c < width; ++c) {
        sql += fmt::format("{}${}::{}", c > 0 ? ", " : "", r * width + c + 1, types[c]);
      }
      sql += ')';
    }
    if (!tail.empty()) {
      sql += ' ';
      sql += tail;
    }
    RETURN_IF_ERROR(run(sql, params.subspan(first * width, n * width)));
  }
  return Status::Ok();
}

int64_t PgToInt(const PgRow& row, size_t c) {
  const auto& v = row.at(c);
  if (!v) return 0;
  int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

double PgToReal(const PgRow& row, size_t c) {
  const auto& v = row.at(c);
  if (!v) return 0;
  // strtod reads "NaN", "Infinity" and "-Infinity" as PostgreSQL writes them.
  return std::strtod(v->c_str(), nullptr);
}

bool PgToBool(const PgRow& row, size_t c) {
  const auto& v = row.at(c);
  return v && (*v == "t" || *v == "true");
}

std::optional<int64_t> PgToOptInt(const PgRow& row, size_t c) {
  if (PgIsNull(row, c)) return std::nullopt;
  return PgToInt(row, c);
}

std::optional<double> PgToOptReal(const PgRow& row, size_t c) {
  if (PgIsNull(row, c)) return std::nullopt;
  return PgToReal(row, c);
}

Result<std::string> PgToBytes(const PgRow& row, size_t c, std::string_view what) {
  const auto& v = row.at(c);
  if (!v) return std::string();
  if (v->size() < 2 || (*v)[0] != '\\' || (*v)[1] != 'x' || v->size() % 2 != 0) {
    return base::Internal(fmt::format("{} is not in bytea hex format", what));
  }
  std::string out;
  out.reserve((v->size() - 2) / 2);
  for (size_t i = 2; i < v->size(); i += 2) {
    const int hi = HexDigit((*v)[i]), lo = HexDigit((*v)[i + 1]);
    if (hi < 0 || lo < 0) return base::Internal(fmt::format("{} has a bad hex digit", what));
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

Status PgStore::Open() {
  // A writer waits for the others at most busy_timeout (the advisory lock, kBusy after); the
  // server's answers in UTC and with every digit of a double. Set again on a new connection.
  const auto wait = std::max<int64_t>(1, options_.busy_timeout.count());
  ASSIGN_OR_RETURN(conn_,
                   PgConnection::Open(uri_, fmt::format("SET lock_timeout = {}; "
                                                        "SET extra_float_digits = 3; SET "
                                                        "TimeZone = 'UTC'; SET client_encoding = "
                                                        "'UTF8'",
                                                        wait)));
  ASSIGN_OR_RETURN(PgRows v, Q("SHOW server_version", {}, "read the server's version"));
  if (!v.rows.empty()) server_version_ = PgToText(v.rows[0], 0);
  if (!options_.create_if_missing) {
    ASSIGN_OR_RETURN(PgRows t,
                     Q("SELECT to_regclass('schema_version') IS NOT NULL", {}, "open the store"));
    if (t.rows.empty() || !PgToBool(t.rows[0], 0)) {
      return base::NotFound(fmt::format(
          "{}: no perfledger store in this database (ingest some runs first)", conn_->where()));
    }
  }
  ASSIGN_OR_RETURN(schema_version_, conn_->Migrate(PgMigrations()));
  return Status::Ok();
}

std::string PgStore::Describe() const {
  return fmt::format("postgresql {}, schema {}, {}", server_version_, schema_version_,
                     conn_ ? conn_->where() : RedactedUri(uri_));
}

Result<PgRows> PgStore::Q(std::string_view sql, std::initializer_list<PgParam> params,
                          std::string_view doing) {
  return conn_->Query(sql, std::span<const PgParam>(params.begin(), params.size()), doing);
}

Result<PgRows> PgStore::Q(std::string_view sql, std::span<const PgParam> params,
                          std::string_view doing) {
  return conn_->Query(sql, params, doing);
}

base::Timestamp PgStore::Now() const {
  return options_.clock ? options_.clock() : base::SystemNow();
}

Status PgStore::InWrite(const std::function<Status()>& body) {
  if (in_transaction_) return body();
  RETURN_IF_ERROR(conn_->Exec("BEGIN", "start a write"));
  in_transaction_ = true;
  Status s =
      Q("SELECT pg_advisory_xact_lock($1::bigint)", {PgInt(kPgWriteLock)}, "wait for other writers")
          .status();
  if (s.code() == base::StatusCode::kBusy) {
    s = base::Busy(fmt::format("{}: other writers held the store for longer than {} ms",
                               conn_->where(), options_.busy_timeout.count()));
  }
  if (s.ok()) s = body();
  if (s.ok()) s = conn_->Exec("COMMIT", "commit a write");
  if (!s.ok()) (void)conn_->Exec("ROLLBACK", "roll back a write");
  in_transaction_ = false;
  return s;
}

Status PgStore::InRead(const std::function<Status()>& body) {
  if (in_transaction_) return body();
  RETURN_IF_ERROR(conn_->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "start a read"));
  in_transaction_ = true;
  Status s = body();
  const Status end = conn_->Exec(s.ok() ? "COMMIT" : "ROLLBACK", "end a read");
  if (s.ok()) s = end;
  in_transaction_ = false;
  return s;
}

Result<int64_t> PgStore::ProjectId(const std::string& name) {
  if (auto it = project_ids_.find(name); it != project_ids_.end()) return it->second;
  ASSIGN_OR_RETURN(PgRows r, Q("INSERT INTO projects(name) VALUES ($1) ON CONFLICT (name) DO "
                               "UPDATE SET name = excluded.name RETURNING id",
                               {PgText(name)}, "store a project"));
  const int64_t id = PgToInt(r.rows.at(0), 0);
  project_ids_.emplace(name, id);
  return id;
}

namespace {

Result<int64_t> SingleInt(Result<PgRows> r) {
  if (!r.ok()) return r.status();
  if (r->rows.empty()) return int64_t{0};
  return PgToInt(r->rows[0], 0);
}

}  // namespace

Result<int64_t> PgStore::RunCount() {
  return SingleInt(Q("SELECT count(*) FROM runs", {}, "count runs"));
}

Result<int64_t> PgStore::ScheduleMark() {
  // Plans are never deleted and hand-out bumps its mark (pg_jobs.cc): the sum only grows.
  return SingleInt(
      Q("SELECT coalesce((SELECT max(id) FROM plans), 0) + "
        "coalesce((SELECT value FROM marks WHERE name = 'jobs'), 0)",
        {}, "read the schedule's change mark"));
}

Result<int64_t> PgStore::AlertsMark() {
  return SingleInt(Q("SELECT coalesce((SELECT value FROM marks WHERE name = 'alerts'), 0)", {},
                     "read the alerts' change mark"));
}

Result<int64_t> PgStore::ChangeMark() {
  // Writers are serialised (InWrite), so run rows are numbered in commit order.
  return SingleInt(Q("SELECT coalesce(max(id), 0) FROM runs", {}, "read the store's change mark"));
}

Result<std::optional<int64_t>> PgStore::ReadMark(const std::string& name) {
  ASSIGN_OR_RETURN(PgRows r,
                   Q("SELECT value FROM marks WHERE name = $1", {PgText(name)}, "read a mark"));
  if (r.rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(PgToInt(r.rows[0], 0));
}

Status PgStore::WriteMark(const std::string& name, int64_t value) {
  return InWrite([&] {
    return Q("INSERT INTO marks(name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET "
             "value = greatest(marks.value, excluded.value)",
             {PgText(name), PgInt(value)}, "write a mark")
        .status();
  });
}

Result<bool> PgStore::ClaimMark(const std::string& name, std::optional<int64_t> expected,
                                int64_t value) {
  // Writers are serialised (InWrite's advisory lock), so the read and the write are one step
  // for every server on the database.
  bool claimed = false;
  const Status s = InWrite([&]() -> Status {
    ASSIGN_OR_RETURN(std::optional<int64_t> current, ReadMark(name));
    if (current != expected) return Status::Ok();
    RETURN_IF_ERROR(Q("INSERT INTO marks(name, value) VALUES ($1, $2) ON CONFLICT (name) DO "
                      "UPDATE SET value = excluded.value",
                      {PgText(name), PgInt(value)}, "claim a mark")
                        .status());
    claimed = true;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return claimed;
}

Result<std::optional<Store::Checkpoint>> PgStore::ReadCheckpoint(const std::string& name) {
  ASSIGN_OR_RETURN(PgRows r, Q("SELECT mark, data FROM checkpoints WHERE name = $1", {PgText(name)},
                               "read a checkpoint"));
  if (r.rows.empty()) return std::optional<Checkpoint>();
  ASSIGN_OR_RETURN(std::string data, PgToBytes(r.rows[0], 1, "a checkpoint"));
  return std::optional<Checkpoint>(Checkpoint{PgToInt(r.rows[0], 0), std::move(data)});
}

Status PgStore::WriteCheckpoint(const std::string& name, int64_t mark, std::string_view data) {
  return InWrite([&] {
    return Q("INSERT INTO checkpoints(name, mark, data) VALUES ($1, $2, $3::bytea) "
             "ON CONFLICT (name) DO UPDATE SET mark = excluded.mark, data = excluded.data",
             {PgText(name), PgInt(mark), PgBytes(data)}, "write a checkpoint")
        .status();
  });
}

Result<std::unique_ptr<Store>> OpenPgStore(const std::string& uri, const OpenOptions& options) {
  auto store = std::make_unique<PgStore>(uri, options);
  RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace perfledger::store
