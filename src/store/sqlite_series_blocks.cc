// The SQLite back end's median blocks (sqlite_migrations.cc migration 11): each series'
// points packed by the thousand, run and median only, so that an aggregate over every series
// (the headline index) reads a few blobs per series instead of stepping through every point
// row. A block holds exactly the series' points with first_t <= t <= last_t as they were
// when it was written; a point written or replaced in that range (a run at an old commit)
// deletes it, and readers read the points rows between blocks and after the last one. Blocks
// are written at the end of an ingest transaction, when a series has gathered a block's worth
// of points beyond its newest block and the few newest points that a second run of a recent
// commit may still pool into.

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "store/sqlite_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

namespace {

constexpr char kBlockFormat = 1;

struct BlockPoint {
  int64_t t = 0, run = 0;
  double median = 0;
};

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// A block: its format, the point count, each point's run row as the difference from the one
// before (zigzag varints: rows mostly count up), then the medians as 8-byte doubles.
std::string EncodeBlock(std::span<const BlockPoint> points) {
  std::string out;
  out.reserve(4 + points.size() * 10);
  out.push_back(kBlockFormat);
  PutVarint(out, points.size());
  int64_t prev = 0;
  for (const BlockPoint& p : points) {
    const uint64_t delta = static_cast<uint64_t>(p.run) - static_cast<uint64_t>(prev);
    const int64_t d = static_cast<int64_t>(delta);
    PutVarint(out, (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63));
    prev = p.run;
  }
  for (const BlockPoint& p : points) {
    char bytes[sizeof(double)];
    std::memcpy(bytes, &p.median, sizeof bytes);
    out.append(bytes, sizeof bytes);
  }
  return out;
}

// Appends `block`'s runs and medians; false when it is not a block this code wrote.
bool DecodeBlock(std::string_view block, std::vector<std::pair<int64_t, double>>& out) {
  if (block.empty() || block.front() != kBlockFormat) return false;
  block.remove_prefix(1);
  uint64_t n = 0;
  if (!GetVarint(block, n) || n > block.size()) return false;
  const size_t start = out.size();
  uint64_t run = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t z = 0;
    if (!GetVarint(block, z)) return false;
    run += (z >> 1) ^ (~(z & 1) + 1);
    out.emplace_back(static_cast<int64_t>(run), 0.0);
  }
  if (block.size() != n * sizeof(double)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(&out[start + i].second, block.data() + i * sizeof(double), sizeof(double));
  }
  return true;
}

// Points of a series between two blocks (bounds exclusive; none: unbounded): one statement per
// shape of bounds, so that SQLite seeks the points' primary key to the range.
std::string GapSql(std::string_view columns, bool after, bool before) {
  return fmt::format("SELECT {} FROM points WHERE series = ?1{}{}{}", columns,
                     after ? " AND t > ?2" : "", before ? " AND t < ?3" : "",
                     columns == "count(*)" ? "" : " ORDER BY t, run");
}

}  // namespace

template <typename Row>
Status SqliteStore::ForEachGapRow(int64_t series, std::string_view columns,
                                  std::optional<int64_t> after, std::optional<int64_t> before,
                                  Row&& row) {
  ASSIGN_OR_RETURN(Stmt * q, Prepared(GapSql(columns, after.has_value(), before.has_value())));
  q->Bind(1, series);
  if (after) q->Bind(2, *after);
  if (before) q->Bind(3, *before);
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) row(*q);
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "read series points");
  return Status::Ok();
}

int64_t SqliteStore::BlockPoints() const {
  return options_.series_block_points > 0 ? options_.series_block_points : 1024;
}

int64_t SqliteStore::UnsealedPoints() const { return std::max<int64_t>(1, BlockPoints() / 16); }

Status SqliteStore::ForgetBlocksAt(int64_t series, int64_t sealed_t, std::vector<int64_t> ts) {
  std::sort(ts.begin(), ts.end());
  ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
  ASSIGN_OR_RETURN(Stmt * del, Prepared("DELETE FROM median_blocks WHERE rowid = (SELECT rowid "
                                        "FROM median_blocks WHERE series = ?1 AND last_t >= ?2 "
                                        "ORDER BY last_t LIMIT 1) AND first_t <= ?2"));
  for (const int64_t t : ts) {
    if (t > sealed_t) break;
    del->Reset();
    del->Bind(1, series);
    del->Bind(2, t);
    RETURN_IF_ERROR(StepDone(del, "update a series' median blocks"));
  }
  return Status::Ok();
}

Status SqliteStore::SealSeries(int64_t series) {
  struct Block {
    int64_t first_t = 0, last_t = 0;
  };
  std::vector<Block> blocks;
  {
    ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT first_t, last_t FROM median_blocks "
                                        "WHERE series = ?1 ORDER BY last_t"));
    q->Bind(1, series);
    int rc;
    while ((rc = q->Step()) == SQLITE_ROW) blocks.push_back({q->Int(0), q->Int(1)});
    q->Reset();
    if (rc != SQLITE_DONE) return Error(rc, "read a series' median blocks");
  }
  ASSIGN_OR_RETURN(Stmt * ins, Prepared("INSERT INTO median_blocks(series, first_t, last_t, "
                                        "points) VALUES (?1, ?2, ?3, ?4)"));
  auto write = [&](std::span<const BlockPoint> points) -> Status {
    ins->Reset();
    ins->Bind(1, series);
    ins->Bind(2, points.front().t);
    ins->Bind(3, points.back().t);
    ins->BindBlob(4, EncodeBlock(points));
    return StepDone(ins, "write a series' median block");
  };
  // The points of the gap after `after` and before `before`.
  auto read_gap = [&](std::optional<int64_t> after, std::optional<int64_t> before,
                      std::vector<BlockPoint>& out) -> Status {
    out.clear();
    return ForEachGapRow(series, "t, run, median", after, before, [&](const Stmt& q) {
      out.push_back({q.Int(0), q.Int(1), q.Double(2)});
    });
  };
  auto count_gap = [&](std::optional<int64_t> after, int64_t before) -> Result<int64_t> {
    int64_t n = 0;
    RETURN_IF_ERROR(
        ForEachGapRow(series, "count(*)", after, before, [&](const Stmt& q) { n = q.Int(0); }));
    return n;
  };

  std::vector<BlockPoint> points;
  // Between blocks: where blocks were forgotten, once half a block's worth gathered there
  // (a point or two of a late run is read as rows; a forgotten block's points are packed
  // again).
  std::optional<int64_t> after;
  for (const Block& b : blocks) {
    ASSIGN_OR_RETURN(const int64_t n, count_gap(after, b.first_t));
    if (n >= std::max<int64_t>(1, BlockPoints() / 2)) {
      RETURN_IF_ERROR(read_gap(after, b.first_t, points));
      RETURN_IF_ERROR(write(points));
    }
    after = b.last_t;
  }
  // After the newest block: blocks of BlockPoints() (a little more where several points share
  // a time: a block never splits them), leaving the newest UnsealedPoints() out.
  RETURN_IF_ERROR(read_gap(after, std::nullopt, points));
  const size_t n = points.size();
  const auto full = static_cast<size_t>(BlockPoints());
  const auto keep = static_cast<size_t>(UnsealedPoints());
  size_t pos = 0;
  while (n - pos >= full + keep) {
    size_t end = pos + full;
    while (end < n && points[end].t == points[end - 1].t) ++end;
    if (n - end < keep) break;
    RETURN_IF_ERROR(write(std::span(points).subspan(pos, end - pos)));
    pos = end;
  }
  ASSIGN_OR_RETURN(Stmt * up, Prepared("UPDATE series SET sealed_t = (SELECT max(last_t) FROM "
                                       "median_blocks WHERE series = ?1), unsealed = ?2 "
                                       "WHERE id = ?1"));
  up->Bind(1, series);
  up->Bind(2, static_cast<int64_t>(n - pos));
  return StepDone(up, "update a series");
}

Status SqliteStore::SealAllSeries() {
  ASSIGN_OR_RETURN(Stmt * q, Prepared("SELECT id FROM series WHERE unsealed >= ?1 ORDER BY id"));
  q->Bind(1, BlockPoints() + UnsealedPoints());
  std::vector<int64_t> ids;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) ids.push_back(q->Int(0));
  q->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "list series");
  static constexpr std::string_view kStep = "packing series into median blocks";
  const auto total = static_cast<int64_t>(ids.size());
  if (options_.progress && total > 0) options_.progress(kStep, 0, total);
  int64_t done = 0;
  for (const int64_t id : ids) {
    RETURN_IF_ERROR(SealSeries(id));
    ++done;
    if (options_.progress && (done % 16 == 0 || done == total)) {
      options_.progress(kStep, done, total);
    }
  }
  return Status::Ok();
}

Status SqliteStore::ReadSeriesMedians(int64_t series, std::vector<std::pair<int64_t, double>>& out,
                                      const std::vector<StagedPoint>* staged) {
  out.clear();
  // Staged points sit between blocks too (a point written in a block's range forgets the
  // block): each gap's rows and staged points merged by time, then run row.
  size_t next = 0;  // into *staged
  auto staged_before = [&](std::optional<int64_t> before, int64_t t, int64_t run) {
    while (next < staged->size()) {
      const StagedPoint& p = (*staged)[next];
      if ((before && p.t >= *before) || std::tie(p.t, p.run) >= std::tie(t, run)) break;
      out.emplace_back(p.run, p.median);
      ++next;
    }
  };
  auto read_gap = [&](std::optional<int64_t> after, std::optional<int64_t> before) -> Status {
    if (staged == nullptr) {
      return ForEachGapRow(series, "run, median", after, before,
                           [&](const Stmt& q) { out.emplace_back(q.Int(0), q.Double(1)); });
    }
    while (after && next < staged->size() && (*staged)[next].t <= *after) ++next;
    RETURN_IF_ERROR(ForEachGapRow(series, "t, run, median", after, before, [&](const Stmt& q) {
      staged_before(before, q.Int(0), q.Int(1));
      out.emplace_back(q.Int(1), q.Double(2));
    }));
    staged_before(before, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max());
    return Status::Ok();
  };
  ASSIGN_OR_RETURN(Stmt * blocks, Prepared("SELECT first_t, last_t, points FROM median_blocks "
                                           "WHERE series = ?1 ORDER BY last_t"));
  blocks->Bind(1, series);
  std::optional<int64_t> after;
  std::vector<std::pair<int64_t, double>> held;  // a block's points, reused
  int rc;
  while ((rc = blocks->Step()) == SQLITE_ROW) {
    const int64_t first_t = blocks->Int(0), last_t = blocks->Int(1);
    // The rows before the block first, then its points (decoded before the next statement).
    held.clear();
    if (!DecodeBlock(blocks->Blob(2), held)) {
      blocks->Reset();
      return base::Internal(fmt::format(
          "{}: a median block of series {} is not one this perfledger wrote (damaged store?)",
          path_, series));
    }
    if (Status s = read_gap(after, first_t); !s.ok()) {
      blocks->Reset();
      return s;
    }
    out.insert(out.end(), held.begin(), held.end());
    after = last_t;
  }
  blocks->Reset();
  if (rc != SQLITE_DONE) return Error(rc, "read a series' median blocks");
  return read_gap(after, std::nullopt);
}

}  // namespace perfledger::store
