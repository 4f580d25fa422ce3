// The JSON documents the API serves and the CLI prints with --format json: one writer per
// document, so `perfledger alerts --format json` and GET /api/v1/alerts give the same bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/compare.h"
#include "analysis/coverage.h"
#include "analysis/index.h"
#include "base/json_writer.h"
#include "core/run.h"
#include "service/comparison.h"
#include "service/detection.h"
#include "service/plan.h"
#include "store/store.h"

namespace perfledger::service {

// "commit_range": {"from", "to", "count"}; count is null when unknown (absent or 0).
void WriteCommitRange(base::JsonWriter& w, const std::optional<std::string>& from,
                      const std::string& to, std::optional<int64_t> count);
// A value or null.
void WriteOptional(base::JsonWriter& w, const std::optional<int64_t>& v);
void WriteOptional(base::JsonWriter& w, const std::optional<double>& v);
void WriteOptional(base::JsonWriter& w, const std::optional<std::string>& v);
void WriteOptional(base::JsonWriter& w, const std::optional<base::Timestamp>& v);

void WriteAlert(base::JsonWriter& w, const store::AlertRecord& a);
// What a kind carries beyond a step, as keys of the object being written: a drift's "first"
// (its first measured commit), "rate" (relative change per measured commit) and "worse"
// (whether it worsens the series: IsRegression); a noise change's "spread_ratio" (the spread
// after / before). Nothing for the other kinds.
void WriteKindFields(base::JsonWriter& w, core::AlertKind kind,
                     const std::optional<std::string>& first, std::optional<double> rate,
                     std::optional<double> spread_ratio, bool worse);
void WriteRunSummary(base::JsonWriter& w, const store::RunSummary& r);
// One epoch, as `perfledger epochs --format json` and GET /api/v1/platforms both write it:
// {"project", "platform", "suite", "epoch", "number", "revision", "runs", "run_count",
//  "first_sha", "first_commit_time", "first_run", "first_complete_run", "settings"}
// ("number" = "epoch", "run_count" = "runs", "first_sha" = "first_run.sha": the API's and
// the CLI's names of the same facts, both kept).
void WriteEpoch(base::JsonWriter& w, const store::EpochInfo& e);
// {"epochs": [...]}
std::string EpochsJson(const std::vector<store::EpochInfo>& epochs);
void WriteCoverageRow(base::JsonWriter& w, const analysis::CoverageRow& r);

// Sets each group's subject: that of its range_to commit, from a run of that commit (on the
// platform of an alert ending there) or else from the commits a plan recorded; and its
// likely_subject, that of likely_to, alike. `cache` (sha to subject) may be shared by several
// calls over one store.
using SubjectCache = std::map<std::string, std::optional<std::string>>;
base::Status AddGroupSubjects(store::Store& store, const std::vector<store::AlertRecord>& alerts,
                              std::vector<AlertGroup>& groups, SubjectCache* cache = nullptr);

// {"alerts": [...], "groups": [...]}; a group's "subject" ("likely_subject") is null when
// AddGroupSubjects did not find it. A group also has "likely_range" {"from", "to", "count"} and
// "kinds" {kind: alerts}.
std::string AlertsJson(const std::vector<store::AlertRecord>& alerts,
                       const std::vector<AlertGroup>& groups);
// {"indexes": [...]}
std::string IndexJson(const std::vector<analysis::IndexSeries>& index);
// {"branch", "head", "history", "expected_benchmarks", "stalled", "platforms": [...]}
// ("history": where the branch came from, "repository", "plan" or "runs")
std::string GapsJson(const GapsReport& report);

// GET /api/v1/coverage: {"branch", "head", "history", "platforms": [row, ...], "commits":
// [{"sha", "time", "subject", "status": {platform: state}}]} (commits oldest first; without a
// repository or a recorded plan, "history" is "runs" and only measured commits are listed,
// the rows counting the commits the runs' ranges stand for too).
// A row: {"platform", "commits", "measured", "represented", "skipped", "skipped_by_reason",
// "pending", "unaccounted", "unaccounted_shas", "coverage_measured", "coverage_represented",
// "unknown"}.
std::string CoverageJson(const CoverageReport& report);

// Which benchmarks GET /api/v1/benchmarks lists: `q` a case-insensitive substring, or a shell
// glob when it has *?[; the project and a platform it ran on; at most `limit` (total counts all).
struct BenchmarksQuery {
  std::optional<std::string> q, project, platform;
  int64_t limit = 1000;
};
// {"benchmarks": [{"name", "project", "platforms", "metrics": [{"name", "unit", "direction"}]}],
// "total", "limit"}: one entry per project and benchmark of `catalog` (sorted as
// Store::ListBenchmarks sorts it: its metrics follow each other).
std::string BenchmarksJson(const std::vector<store::BenchmarkInfo>& catalog,
                           const BenchmarksQuery& query);

// One side of a comparison: the run and where it came from ("commit abc in perf.db").
struct ComparedSide {
  const core::Run& run;
  const std::string& source;
};

// `perfledger compare --format json` and GET /api/v1/compare.
std::string ComparisonJson(const analysis::Comparison& c, const ComparedSide& base,
                           const ComparedSide& head, bool advisory, const std::string& why,
                           const NoiseHistory& history);

// GET /api/v1/compare: the newest runs of commits `base` and `head` (shas or prefixes of at
// least 4 hex digits) on `platform` (empty: the one both have), compared with `request`, the
// noise learned from the store's history of head's series.
base::Result<std::string> CompareCommitsDocument(store::Store& store, const std::string& base,
                                                 const std::string& head,
                                                 const std::string& platform,
                                                 const CompareRequest& request);

}  // namespace perfledger::service
