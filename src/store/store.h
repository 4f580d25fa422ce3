// Store: where runs live. One interface, several back ends (SQLite now, PostgreSQL later);
// nothing here assumes SQL. Only the store layer speaks to a database.
//
// Guarantees every back end keeps (the shared test suite store_test.cc checks them):
// - Ingest writes a whole batch in one transaction or nothing of it.
// - Runs are immutable: a run_id stored again with the same content is a no-op counted as
//   already present; with different content the batch fails with kConflict.
// - Several processes may ingest into one store at once; each waits (bounded) for the others.
// A Store object is used from one thread at a time; open one per thread or process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/run.h"

namespace perfledger::store {

struct RunFilter {
  std::optional<std::string> platform;
  std::optional<std::string> project;
};

// One line of `perfledger runs`.
struct RunSummary {
  std::string run_id;
  std::string project;
  std::string sha;
  std::string platform;
  core::Reason reason = core::Reason::kPush;
  std::optional<base::Timestamp> commit_time;
  base::Timestamp started_at;
  int64_t benchmark_count = 0;
  int64_t sample_count = 0;
  bool partial = false;
};

struct IngestStats {
  int64_t ingested = 0;         // runs newly written
  int64_t already_present = 0;  // runs stored before with identical content
  int64_t samples = 0;          // raw samples newly written
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes all `runs` in one transaction, or none of them (see the guarantees above). A
  // conflict's message names the run_id, and its index goes to `*conflicting` when given.
  virtual base::Result<IngestStats> Ingest(std::span<const core::Run> runs,
                                           size_t* conflicting = nullptr) = 0;

  // Runs matching `filter`, ordered by commit time (the start time where the commit time is
  // unknown), then run_id.
  virtual base::Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter) = 0;

  // Calls `fn` with every matching run in full, in ListRuns order. Stops at fn's first error.
  virtual base::Status ForEachRun(const RunFilter& filter,
                                  const std::function<base::Status(const core::Run&)>& fn) = 0;

  // The platforms that have runs, sorted.
  virtual base::Result<std::vector<std::string>> Platforms() = 0;

  // "sqlite 3.40.1, schema 1, /path/to/perfledger.db": for messages and `--version`.
  virtual std::string Describe() const = 0;
};

struct OpenOptions {
  // Create the store when it does not exist; otherwise a missing store is kNotFound.
  bool create_if_missing = true;
  // How long to wait for other writers before giving up with kBusy.
  std::chrono::milliseconds busy_timeout{std::chrono::seconds(120)};
};

// Opens (creating and migrating as needed) the store at `location`: a SQLite file path.
// Refuses a file that is not a perfledger store or comes from a newer perfledger.
base::Result<std::unique_ptr<Store>> OpenStore(const std::string& location,
                                               const OpenOptions& options = {});

base::Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                     const OpenOptions& options = {});

}  // namespace perfledger::store
