// The SQLite back end's staged points (sqlite_migrations.cc migration 12). A small ingest
// transaction (an upload's group: a few runs) appends its new points packed into one row
// instead of inserting each into the points tree, where each series' points sit together and
// every series took a page of its own (and often two siblings SQLite rebalanced it with) per
// commit. Once enough points are staged, a transaction moves them into the tree together,
// sorted, as one large ingest writes them. Only new points of one run are staged; before a
// point is pooled or replaced, or a median block packed, every staged point is moved first,
// so those writes see the tree alone. Readers (sqlite_series.cc, sqlite_series_blocks.cc,
// sqlite_series_changes.cc) merge the staged points in by time and run row: every answer is
// what it would be with the tree alone (store_series_test.cc compares them).

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

constexpr char kStagedFormat = 1;
// Each point: series, t, run, median, spread, min, max, n, runs; 8 bytes each, as in memory.
constexpr size_t kFields = 9;
constexpr size_t kPointBytes = kFields * 8;
// A transaction with more new points than this writes them into the tree: sorted, they land
// together in each series' pages, as the staged points do when moved.
constexpr size_t kStageAtMost = 4096;

template <typename T>
void Put(std::string& out, T v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  out.append(bytes, sizeof v);
}

template <typename T>
T Get(const char* at) {
  T v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

}  // namespace

bool SqliteStore::StagesPoints() const {
  return schema_version_ >= 12 && options_.staged_points >= 0;
}

Status SqliteStore::StagePendingPoints() {
  if (pending_points_.size() > kStageAtMost) return FlushPoints(/*may_stage=*/false);
  std::string packed;
  packed.reserve(1 + pending_points_.size() * kPointBytes);
  packed.push_back(kStagedFormat);
  for (const PendingPoint& p : pending_points_) {
    Put(packed, p.series);
    Put(packed, p.t);
    Put(packed, p.run);
    Put(packed, p.point.median);
    Put(packed, p.point.spread);
    Put(packed, p.point.min);
    Put(packed, p.point.max);
    Put(packed, p.point.n);
    Put(packed, static_cast<int64_t>(std::max(p.point.runs, 1)));
  }
  ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO points_staged(points) VALUES (?1)"));
  ins->BindBlob(1, packed);
  RETURN_IF_ERROR(StepDone(ins, "stage series points"));
  pending_points_.clear();
  staged_maybe_ = true;

  // The staged points' count from the rows' lengths (SQLite reads a blob's length without
  // reading the blob).
  ASSIGN_OR_RETURN(Stmt * size, Prepared("SELECT ifnull(sum(length(points) - 1), 0) "
                                         "FROM points_staged"));
  const int rc = size->Step();
  const int64_t bytes = rc == SQLITE_ROW ? size->Int(0) : 0;
  size->Reset();
  if (rc != SQLITE_ROW) return Error(rc, "count staged series points");
  const int64_t limit = options_.staged_points > 0 ? options_.staged_points : 32768;
  if (bytes / static_cast<int64_t>(kPointBytes) >= limit) return FoldStagedPoints();
  return Status::Ok();
}

Result<SqliteStore::StagedBySeries> SqliteStore::ReadStagedPoints() {
  StagedBySeries out;
  if (schema_version_ < 12) return out;
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT points FROM points_staged ORDER BY id"));
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    const std::string_view packed = q->Blob(0);
    if (packed.empty() || packed.front() != kStagedFormat ||
        (packed.size() - 1) % kPointBytes != 0) {
      q->Reset();
      return base::Internal(fmt::format(
          "{}: a row of staged series points is not one this perfledger wrote (damaged store?)",
          path_));
    }
    for (const char* at = packed.data() + 1; at < packed.data() + packed.size();
         at += kPointBytes) {
      StagedPoint p;
      p.t = Get<int64_t>(at + 8);
      p.run = Get<int64_t>(at + 16);
      p.median = Get<double>(at + 24);
      p.spread = Get<double>(at + 32);
      p.min = Get<double>(at + 40);
      p.max = Get<double>(at + 48);
      p.n = Get<int64_t>(at + 56);
      p.runs = Get<int64_t>(at + 64);
      out[Get<int64_t>(at)].push_back(p);
    }
  }
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "read staged series points");
  for (auto& entry : out) {
    std::sort(entry.second.begin(), entry.second.end(),
              [](const StagedPoint& a, const StagedPoint& b) {
                return std::tie(a.t, a.run) < std::tie(b.t, b.run);
              });
  }
  return out;
}

Status SqliteStore::FoldStagedPoints() {
  if (!staged_maybe_ || schema_version_ < 12) return Status::Ok();
  ASSIGN_OR_RETURN(StagedBySeries staged, ReadStagedPoints());
  if (!staged.empty()) {
    std::vector<int64_t> ids;
    ids.reserve(staged.size());
    for (const auto& entry : staged) ids.push_back(entry.first);
    std::sort(ids.begin(), ids.end());
    for (const int64_t id : ids) {
      for (const StagedPoint& p : staged[id]) {
        core::PointSummary point;
        point.median = p.median;
        point.spread = p.spread;
        point.min = p.min;
        point.max = p.max;
        point.n = p.n;
        point.runs = static_cast<int>(p.runs);
        RETURN_IF_ERROR(InsertPoint({id, p.t, p.run, point}, std::nullopt));
      }
    }
    RETURN_IF_ERROR(Exec("DELETE FROM points_staged", "move staged series points"));
  }
  staged_maybe_ = false;
  return Status::Ok();
}

}  // namespace perfledger::store
