// MigrateStore (migrate.h): runs first, in batches through Ingest; the other records after
// them in one transaction, so that a copy cut short leaves no record in the target and is
// simply run again; then the check.

#include "service/migrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "service/detection.h"

namespace perfledger::service {
namespace {

using base::Result;
using base::Status;

// kInternal when the target's `kind` differ from the source's.
template <typename Record>
Status CheckSame(std::string_view kind, const std::vector<Record>& source,
                 const std::vector<Record>& target) {
  if (source == target) return Status::Ok();
  if (source.size() != target.size()) {
    return base::Internal(
        fmt::format("after the copy the target holds {} {}, the source {}: was the source "
                    "written to during the copy?",
                    target.size(), kind, source.size()));
  }
  size_t i = 0;
  while (source[i] == target[i]) ++i;
  return base::Internal(fmt::format(
      "after the copy the target's {} differ from the source's, from number {} of {} on: was "
      "the source written to during the copy?",
      kind, i + 1, source.size()));
}

// Every run of the source is in the target.
Status CheckRuns(store::Store& from, store::Store& to, MigrateReport& report) {
  ASSIGN_OR_RETURN(const int64_t target_runs, to.RunCount());
  ASSIGN_OR_RETURN(std::vector<store::RunSummary> source, from.ListRuns({}));
  ASSIGN_OR_RETURN(std::vector<store::RunSummary> target, to.ListRuns({}));
  std::unordered_set<std::string> copied;
  copied.reserve(target.size());
  for (const store::RunSummary& r : target) copied.insert(r.run_id);
  int64_t missing = 0;
  const std::string* example = nullptr;
  for (const store::RunSummary& r : source) {
    if (copied.contains(r.run_id)) continue;
    ++missing;
    if (example == nullptr) example = &r.run_id;
  }
  if (missing > 0) {
    return base::Internal(fmt::format(
        "after the copy {} of the source's {} runs are not in the target (run {} among them)",
        missing, source.size(), *example));
  }
  if (target_runs < static_cast<int64_t>(source.size())) {
    return base::Internal(fmt::format("after the copy the target counts {} runs, the source {}",
                                      target_runs, source.size()));
  }
  report.runs = static_cast<int64_t>(source.size());
  return Status::Ok();
}

}  // namespace

Result<MigrateReport> MigrateStore(store::Store& from, store::Store& to,
                                   const MigrateProgress& progress) {
  auto tell = [&](std::string_view step, int64_t done, int64_t total) {
    if (progress) progress(step, done, total);
  };
  // Writing no records refuses a target holding some and writes nothing otherwise: checked
  // first, so that a refused copy copies no run either.
  RETURN_IF_ERROR(to.WriteRecords({}));

  MigrateReport report;
  ASSIGN_OR_RETURN(const int64_t total, from.RunCount());
  std::vector<core::Run> batch;
  batch.reserve(kMigrateBatchRuns);
  int64_t done = 0;
  auto flush = [&]() -> Status {
    ASSIGN_OR_RETURN(store::IngestStats stats, to.Ingest(batch));
    report.runs_copied += stats.ingested;
    report.runs_already_present += stats.already_present;
    done += static_cast<int64_t>(batch.size());
    batch.clear();
    tell("runs", done, std::max(done, total));
    return Status::Ok();
  };
  tell("runs", 0, total);
  RETURN_IF_ERROR(from.ForEachRun({}, [&](const core::Run& run) -> Status {
    batch.push_back(run);
    return batch.size() < kMigrateBatchRuns ? Status::Ok() : flush();
  }));
  if (!batch.empty()) RETURN_IF_ERROR(flush());

  tell("records", 0, 1);
  ASSIGN_OR_RETURN(store::StoreRecords records, from.ReadRecords());
  if (auto detect = records.marks.find(std::string(kDetectMark)); detect != records.marks.end()) {
    ASSIGN_OR_RETURN(const int64_t source_mark, from.ChangeMark());
    ASSIGN_OR_RETURN(const int64_t target_runs, to.RunCount());
    if (detect->second >= source_mark && target_runs == done) {
      ASSIGN_OR_RETURN(detect->second, to.ChangeMark());
    } else {
      records.marks.erase(detect);
    }
  }
  RETURN_IF_ERROR(to.WriteRecords(records));
  tell("records", 1, 1);

  RETURN_IF_ERROR(CheckRuns(from, to, report));
  ASSIGN_OR_RETURN(const store::StoreRecords copied, to.ReadRecords());
  RETURN_IF_ERROR(CheckSame("plans", records.plans, copied.plans));
  RETURN_IF_ERROR(CheckSame("jobs", records.jobs, copied.jobs));
  RETURN_IF_ERROR(CheckSame("agents", records.agents, copied.agents));
  RETURN_IF_ERROR(CheckSame("skips", records.skips, copied.skips));
  RETURN_IF_ERROR(CheckSame("recorded commits", records.commits, copied.commits));
  RETURN_IF_ERROR(CheckSame("alerts", records.alerts, copied.alerts));
  RETURN_IF_ERROR(CheckSame("tokens", records.tokens, copied.tokens));
  for (const auto& [name, value] : records.marks) {
    auto it = copied.marks.find(name);
    if (it == copied.marks.end() || it->second < value) {
      return base::Internal(fmt::format("after the copy the target's mark '{}' is {}, not {}", name,
                                        it == copied.marks.end() ? "missing" : "behind", value));
    }
  }
  report.plans = static_cast<int64_t>(records.plans.size());
  report.jobs = static_cast<int64_t>(records.jobs.size());
  report.agents = static_cast<int64_t>(records.agents.size());
  report.skips = static_cast<int64_t>(records.skips.size());
  report.commits = static_cast<int64_t>(records.commits.size());
  report.alerts = static_cast<int64_t>(records.alerts.size());
  report.tokens = static_cast<int64_t>(records.tokens.size());
  report.marks = static_cast<int64_t>(records.marks.size());
  return report;
}

}  // namespace perfledger::service
