// The Store methods that carry a rule, the same for every back end: what an alert and a token
// must be before a back end writes them (store.h AlertRecord, TokenRecord). An alert's kind
// and status are enums (core/triage.h), so only its numbers need checking.

#include "store/store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/json_writer.h"
#include "core/artifact.h"
#include "core/series.h"
#include "store/sample_codec.h"

namespace perfledger::store {

namespace {

std::string JoinSet(std::vector<std::string_view> names) {
  if (names.empty()) return "";
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    base::AppendJsonString(out, names[i]);
  }
  out += ']';
  return out;
}

}  // namespace

RunBenchmarkSets BenchmarkSetsOf(const core::Run& run) {
  std::vector<std::string_view> ok, failed;
  for (const auto& b : run.benchmarks) {
    if (!b.metrics.empty()) ok.push_back(b.name);
    if (b.error) failed.push_back(b.name);
  }
  return {JoinSet(std::move(ok)), JoinSet(std::move(failed))};
}

RunEncoding EncodeRun(const core::Run& run) {
  RunEncoding out;
  out.content_hash = core::ContentHash(run);
  for (const core::BenchmarkResult& b : run.benchmarks) {
    for (const core::Metric& m : b.metrics) {
      out.sample_blobs.push_back(m.samples.empty() ? std::string() : EncodeSamples(m.samples));
      const core::Metric* one = &m;
      out.points.push_back(!b.error && core::GivesPoint(m)
                               ? std::optional<core::PointSummary>(core::PoolPoint({&one, 1}))
                               : std::nullopt);
    }
  }
  return out;
}

BenchmarkNames SplitBenchmarkSet(std::string_view joined) {
  auto names = std::make_shared<std::vector<std::string>>();
  if (!joined.empty()) {
    const nlohmann::json j = nlohmann::json::parse(joined, nullptr, /*allow_exceptions=*/false);
    if (j.is_array()) {
      for (const auto& name : j) {
        if (name.is_string()) names->push_back(name.get<std::string>());
      }
    }
    std::sort(names->begin(), names->end());
  }
  return names;
}

namespace {

using base::Result;
using base::Status;

// The numbers of an alert must be finite (a database may store NaN as NULL).
Status CheckAlertNumbers(const AlertRecord& a) {
  const std::pair<const char*, double> numbers[] = {{"before_median", a.before_median},
                                                    {"after_median", a.after_median},
                                                    {"change", a.change},
                                                    {"confidence", a.confidence},
                                                    {"noise", a.noise}};
  for (const auto& [name, value] : numbers) {
    if (!std::isfinite(value)) {
      return base::InvalidInput(fmt::format("alert for {} {} on {}: {} is not a finite number ({})",
                                            a.benchmark, a.metric, a.platform, name, value));
    }
  }
  const std::pair<const char*, std::optional<double>> optional_numbers[] = {
      {"rate", a.rate}, {"spread_ratio", a.spread_ratio}};
  for (const auto& [name, value] : optional_numbers) {
    if (value && !std::isfinite(*value)) {
      return base::InvalidInput(fmt::format("alert for {} {} on {}: {} is not a finite number ({})",
                                            a.benchmark, a.metric, a.platform, name, *value));
    }
  }
  return Status::Ok();
}

Status CheckAlerts(const std::vector<AlertRecord>& inserts,
                   const std::vector<AlertRecord>& narrowed) {
  for (const AlertRecord& a : inserts) RETURN_IF_ERROR(CheckAlertNumbers(a));
  for (const AlertRecord& a : narrowed) RETURN_IF_ERROR(CheckAlertNumbers(a));
  return Status::Ok();
}

bool IsTokenHash(std::string_view hash) {
  return hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Status CheckToken(const TokenRecord& token) {
  if (token.project.empty()) return base::InvalidInput("a token needs a project");
  if (token.name && token.name->empty()) {
    return base::InvalidInput("a token's name must not be empty (leave it out for none)");
  }
  if (!IsTokenHash(token.hash)) {
    return base::InvalidInput(
        "a token's hash must be its SHA-256 as 64 lower-case hex digits; the token itself is "
        "never stored");
  }
  if (token.prefix.empty()) return base::InvalidInput("a token needs its display prefix");
  if (token.scope != "read" && token.scope != "write") {
    return base::InvalidInput(
        fmt::format("a token's scope is read or write, not '{}'", token.scope));
  }
  return Status::Ok();
}

// Ids of one kind of record that WriteRecords keeps: each positive and given once.
template <typename Record>
Status CheckIds(const std::vector<Record>& records, std::string_view kind) {
  std::unordered_set<int64_t> seen;
  for (const Record& r : records) {
    if (r.id <= 0) return base::InvalidInput(fmt::format("{} id {} is not positive", kind, r.id));
    if (!seen.insert(r.id).second) {
      return base::InvalidInput(fmt::format("{} id {} is given twice", kind, r.id));
    }
  }
  return Status::Ok();
}

Status CheckRecords(const StoreRecords& records) {
  RETURN_IF_ERROR(CheckIds(records.plans, "plan"));
  RETURN_IF_ERROR(CheckIds(records.jobs, "job"));
  RETURN_IF_ERROR(CheckIds(records.alerts, "alert"));
  RETURN_IF_ERROR(CheckIds(records.tokens, "token"));
  std::unordered_set<int64_t> plans;
  for (const PlanRow& p : records.plans) plans.insert(p.id);
  for (const JobHandout& j : records.jobs) {
    if (!plans.contains(j.plan_id)) {
      return base::InvalidInput(fmt::format("the job of {} on {} names plan {}, which is not given",
                                            j.sha, j.platform, j.plan_id));
    }
  }
  for (const SkipRecord& k : records.skips) {
    if (!plans.contains(k.plan_id)) {
      return base::InvalidInput(fmt::format(
          "the skip of {} on {} names plan {}, which is not given", k.sha, k.platform, k.plan_id));
    }
  }
  for (const AlertRecord& a : records.alerts) RETURN_IF_ERROR(CheckAlertNumbers(a));
  for (const TokenRecord& t : records.tokens) {
    Status s = CheckToken(t);
    if (!s.ok()) return base::InvalidInput(fmt::format("token {}: {}", t.id, s.message()));
  }
  return Status::Ok();
}

std::string Count(int64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

}  // namespace

namespace {
constexpr std::string_view kStaleSchedule = "another plan was recorded while this one was made";
}  // namespace

Status StaleSchedule(int64_t planned_from, int64_t now_at) {
  return base::Conflict(fmt::format("{} (made after plan {}, now plan {}): plan again",
                                    kStaleSchedule, planned_from, now_at));
}

bool IsStaleSchedule(const Status& status) {
  return status.code() == base::StatusCode::kConflict &&
         status.message().starts_with(kStaleSchedule);
}

Status JobNotHeld(int64_t id, std::string_view agent, std::string_view state,
                  const std::optional<std::string>& holder) {
  std::string where;
  if (holder && *holder != agent) {
    where =
        fmt::format(", {} agent '{}'", state == "running" ? "held by" : "last held by", *holder);
  }
  return base::Conflict(fmt::format(
      "job {} is not held by agent '{}': it is {}{} (its lease expired, or it was finished); "
      "the agent gives it up",
      id, agent, state, where));
}

Status Store::RecordAlerts(std::vector<AlertRecord>& inserts,
                           const std::vector<AlertRecord>& narrowed) {
  RETURN_IF_ERROR(CheckAlerts(inserts, narrowed));
  if (inserts.empty() && narrowed.empty()) return Status::Ok();
  return WriteAlerts(inserts, narrowed);
}

Status Store::RecordAlertsAtomically(const AlertDecision& decide,
                                     std::vector<AlertRecord>* inserts) {
  return WriteAlertsAtomically(
      [&decide](const std::vector<AlertRecord>& kept, std::vector<AlertRecord>* ins,
                std::vector<AlertRecord>* narrowed) -> Status {
        RETURN_IF_ERROR(decide(kept, ins, narrowed));
        return CheckAlerts(*ins, *narrowed);
      },
      inserts);
}

Result<int64_t> Store::CreateToken(const TokenRecord& token) {
  RETURN_IF_ERROR(CheckToken(token));
  return WriteToken(token);
}

Status Store::WriteRecords(const StoreRecords& records) {
  RETURN_IF_ERROR(CheckRecords(records));
  return InsertRecords(records);
}

Status Store::RecordsPresent(std::string_view where, int64_t plans, int64_t alerts,
                             int64_t tokens) {
  return base::Conflict(fmt::format(
      "{} already holds records ({}, {}, {}): records are written only into a store without "
      "any plan, alert or token, such as a new one",
      where, Count(plans, "plan"), Count(alerts, "alert"), Count(tokens, "token")));
}

base::Result<std::optional<core::Run>> Store::ReadRun(const std::string& run_id) {
  RunFilter filter;
  filter.run_id = run_id;
  std::optional<core::Run> out;
  RETURN_IF_ERROR(ForEachRun(filter, [&](const core::Run& run) {
    out = run;
    return base::Status::Ok();
  }));
  return out;
}

base::Result<std::vector<core::Series>> Store::ReadSeries(const SeriesQuery& query) {
  std::vector<core::Series> out;
  RETURN_IF_ERROR(ForEachSeries(query, [&](core::Series&& s) {
    out.push_back(std::move(s));
    return base::Status::Ok();
  }));
  return out;
}

base::Status Store::ForEachSeriesMedians(
    const SeriesQuery& query,
    const std::function<base::Status(const core::Series&, std::span<const PointMedian>,
                                     const std::vector<PointRun>&)>& fn) {
  std::vector<PointRun> runs;
  std::unordered_map<std::string, int32_t> run_of_id, commit_of_sha;
  std::vector<PointMedian> points;
  return ForEachSeries(query, [&](core::Series&& s) {
    points.clear();
    for (const core::SeriesPoint& p : s.points) {
      auto [it, added] = run_of_id.try_emplace(p.run_id, static_cast<int32_t>(runs.size()));
      if (added) {
        auto commit = commit_of_sha.try_emplace(p.sha, static_cast<int32_t>(commit_of_sha.size()));
        runs.push_back({commit.first->second, p.sha, p.run_id, p.commit_time});
      }
      points.push_back({it->second, p.median});
    }
    s.points.clear();
    return fn(s, points, runs);
  });
}

base::Result<std::optional<int64_t>> Store::ForEachMedianAtChangedCommits(
    const SeriesQuery&, int64_t,
    const std::function<base::Status(const core::Series&, std::span<const PointMedian>,
                                     const std::vector<PointRun>&)>&) {
  return std::optional<int64_t>();
}

}  // namespace perfledger::store
