#include "service/comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "analysis/parameters.h"
#include "base/strings.h"
#include "core/artifact.h"
#include "core/limits.h"
#include "env/env.h"
#include "schedule/baseline.h"
#include "schedule/commit_source.h"

namespace perfledger::service {
namespace {

std::optional<int64_t> EpochOf(const core::Run& r) {
  if (r.suite && r.suite->epoch) return r.suite->epoch->number;
  return std::nullopt;
}

// Whether `r` may serve as a baseline for `head`: same platform and environment, and the same
// suite epoch when head has one.
bool Comparable(const core::Run& r, const core::Run& head) {
  if (r.run_id == head.run_id || r.platform != head.platform ||
      r.environment.fingerprint != head.environment.fingerprint) {
    return false;
  }
  if (!head.suite || !head.suite->epoch) return true;
  return r.suite && r.suite->name == head.suite->name && r.suite->epoch &&
         r.suite->epoch->number == head.suite->epoch->number;
}

}  // namespace

bool LooksLikeSha(const std::string& s) {
  return s.size() >= 4 && s.size() <= 40 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(c) != 0; });
}

base::Result<core::Run> FindRunOfCommit(store::Store& store, const std::string& what,
                                        const std::string& sha_prefix, const std::string& platform,
                                        const std::string& where) {
  store::RunFilter filter;
  if (!platform.empty()) filter.platform = platform;
  ASSIGN_OR_RETURN(std::vector<store::RunSummary> runs, store.ListRuns(filter));
  std::vector<const store::RunSummary*> found;
  for (const auto& r : runs) {
    if (r.sha.starts_with(sha_prefix)) found.push_back(&r);
  }
  if (found.empty()) {
    return base::NotFound(fmt::format("{}: no run of this commit{} in {}", what,
                                      platform.empty() ? "" : " on " + platform, where));
  }
  std::vector<std::string> platforms, shas;
  for (const auto* r : found) {
    if (std::find(platforms.begin(), platforms.end(), r->platform) == platforms.end()) {
      platforms.push_back(r->platform);
    }
    if (std::find(shas.begin(), shas.end(), r->sha) == shas.end()) shas.push_back(r->sha);
  }
  if (shas.size() > 1) {
    return base::InvalidInput(fmt::format("{}: ambiguous, it starts {} commits' shas: {}", what,
                                          shas.size(), base::Join(shas, ", ")));
  }
  if (platforms.size() > 1) {
    return base::InvalidInput(fmt::format("{}: runs on several platforms ({}): choose one", what,
                                          base::Join(platforms, ", ")));
  }
  // The newest run of that commit on that platform.
  const store::RunSummary* pick =
      *std::max_element(found.begin(), found.end(), [](const auto* a, const auto* b) {
        return a->started_at.unix_nanos < b->started_at.unix_nanos;
      });
  // That run alone, in full (the others were listed without their measurements).
  ASSIGN_OR_RETURN(std::optional<core::Run> loaded, store.ReadRun(pick->run_id));
  if (!loaded) return base::Internal("run " + pick->run_id + " vanished from the store");
  return std::move(*loaded);
}

base::Result<NoiseHistory> LoadNoiseHistory(const core::Run& head, store::Store& store,
                                            const std::string& db, int64_t window) {
  const std::optional<int64_t> epoch = EpochOf(head);
  const bool ci = head.environment.ci.value_or(false);
  store::SeriesQuery query;
  query.platform = head.platform;
  // One more than the window: head's own point, when stored, is dropped below.
  query.last_points = window + 1;
  if (!head.project.empty()) query.project = head.project;
  std::vector<analysis::Series> series;
  std::set<std::string> runs;
  RETURN_IF_ERROR(store.ForEachSeries(query, [&](analysis::Series&& s) {
    if (s.key.epoch != epoch || s.key.ci != ci) return base::Status::Ok();
    // Head's own run never counts, even when it is stored (a point it was pooled into goes).
    std::erase_if(s.points, [&](const analysis::SeriesPoint& p) {
      return p.run_id == head.run_id || std::find(p.pooled_run_ids.begin(), p.pooled_run_ids.end(),
                                                  head.run_id) != p.pooled_run_ids.end();
    });
    if (static_cast<int64_t>(s.points.size()) > window) {
      s.points.erase(s.points.begin(), s.points.end() - window);
    }
    for (const analysis::SeriesPoint& p : s.points) {
      if (p.pooled_run_ids.empty()) {
        runs.insert(p.run_id);
      } else {
        runs.insert(p.pooled_run_ids.begin(), p.pooled_run_ids.end());
      }
    }
    series.push_back(std::move(s));
    return base::Status::Ok();
  }));
  NoiseHistory out;
  // Every series with 3 points or more: how much its noise is trusted (alone, or pooled with
  // the suite's) is CompareRuns' decision (analysis/compare.h).
  for (const analysis::Series& s : series) {
    std::vector<double> medians;
    medians.reserve(s.points.size());
    for (const analysis::SeriesPoint& p : s.points) medians.push_back(p.median);
    if (auto noise = analysis::RunToRunNoise(medians)) {
      out.noise[{s.key.benchmark, s.key.metric}] = *noise;
    }
  }
  out.runs = static_cast<int>(runs.size());
  out.description =
      fmt::format("{} stored run{} of {} ({}{}) in {}; {} series with a run-to-run noise", out.runs,
                  out.runs == 1 ? "" : "s", head.platform,
                  epoch ? fmt::format("epoch {}, ", *epoch) : std::string(), ci ? "CI" : "local",
                  db, out.noise.size());
  return out;
}

base::Result<ComparedRun> RunOfCommit(store::Store& store, const std::string& what,
                                      const std::string& platform, const std::string& where) {
  const std::string sha = base::ToLower(what);
  if (!LooksLikeSha(sha)) {
    return base::InvalidInput(
        fmt::format("{}: expected a commit sha or a prefix of at least 4 hex digits", what));
  }
  ASSIGN_OR_RETURN(core::Run run, FindRunOfCommit(store, what, sha, platform, where));
  std::string source = fmt::format("commit {} in {}", run.commit.sha.substr(0, 12), where);
  return ComparedRun{std::move(run), std::move(source)};
}

base::Result<ComparedRun> LoadComparedRun(const std::string& what, const std::string& platform,
                                          const std::string& repo, const std::string& where,
                                          const StoreOpener& open_store) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(what, ec)) {
    ASSIGN_OR_RETURN(std::string text,
                     env::Env::Default()->ReadFile(what, core::kMaxInputFileBytes));
    ASSIGN_OR_RETURN(core::Run run, core::ReadArtifact(text, what));
    return ComparedRun{std::move(run), what};
  }
  auto store = open_store();
  if (!store.ok()) {
    return base::InvalidInput(
        fmt::format("{}: not an artifact file, and no store to look it up as a commit ({})", what,
                    store.status().message()));
  }
  std::string sha = base::ToLower(what);
  const bool hex = LooksLikeSha(sha);
  if (!hex) {
    auto resolved = schedule::ResolveCommit(repo, what);
    if (!resolved.ok()) {
      return base::NotFound(fmt::format("{}: not an artifact file, and not a commit: {}", what,
                                        resolved.status().message()));
    }
    sha = *resolved;
  }
  auto run = FindRunOfCommit(**store, what, sha, platform, where);
  if (!run.ok() && run.status().code() == base::StatusCode::kNotFound && hex) {
    // Not a stored sha prefix: maybe a ref of the repository that looks like hex ("cafe").
    auto resolved = schedule::ResolveCommit(repo, what);
    if (resolved.ok() && *resolved != sha) {
      run = FindRunOfCommit(**store, what, *resolved, platform, where);
    }
  }
  if (!run.ok()) {
    if (run.status().message().find("runs on several platforms") != std::string::npos) {
      return base::InvalidInput(run.status().message() + " with --platform");
    }
    return run.status();
  }
  std::string source = fmt::format("commit {} in {}", run->commit.sha.substr(0, 12), where);
  return ComparedRun{std::move(*run), std::move(source)};
}

base::Status CheckCompareRequest(const CompareRequest& request) {
  return analysis::CheckAlpha(request.options.alpha, request.alpha_name);
}

base::Result<CompareOutcome> CompareRunsOf(const core::Run& base, const core::Run& head,
                                           const CompareRequest& request,
                                           const NoiseHistory& history) {
  RETURN_IF_ERROR(CheckCompareRequest(request));
  CompareOutcome out;
  if (base.environment.fingerprint != head.environment.fingerprint ||
      base.platform != head.platform) {
    if (!request.allow_cross_environment) {
      return base::InvalidInput(fmt::format(
          "base ({} on {}, environment {}) and head ({} on {}, environment {}) ran on different "
          "environments, whose numbers are not comparable{}",
          base.commit.sha.substr(0, 12), base.platform, base.environment.fingerprint,
          head.commit.sha.substr(0, 12), head.platform, head.environment.fingerprint,
          request.refusal_hint));
    }
    out.advisory = true;
  }
  out.comparison = analysis::CompareRuns(base, head, request.options, history.noise);
  if (out.comparison.rows.empty()) {
    const auto& metrics = request.options.metrics;
    return base::InvalidInput(fmt::format(
        "base and head have no benchmark and metric in common to compare{}",
        metrics.empty()
            ? ""
            : fmt::format(" (with {} {})", request.metric_name, base::Join(metrics, ", "))));
  }
  return out;
}

base::Result<Baseline> BaselineOf(store::Store& store, const core::Run& head,
                                  const BaselineRequest& request) {
  // The runs of head's platform, listed without their measurements, by commit, newest first.
  // A commit git ancestry asks about has a baseline when one of its runs is comparable with
  // head (the newest such): only the runs of the commits asked about are read in full.
  store::RunFilter filter;
  filter.platform = head.platform;
  ASSIGN_OR_RETURN(std::vector<store::RunSummary> listed, store.ListRuns(filter));
  std::map<std::string, std::vector<const store::RunSummary*>> by_sha;
  for (const store::RunSummary& r : listed) by_sha[r.sha].push_back(&r);
  std::map<std::string, std::optional<core::Run>> comparable;  // by the commits asked about
  base::Status read_error;
  auto comparable_run = [&](const std::string& sha) -> const std::optional<core::Run>& {
    auto [it, added] = comparable.try_emplace(sha);
    if (!added) return it->second;
    auto runs = by_sha.find(sha);
    if (runs == by_sha.end()) return it->second;
    std::vector<const store::RunSummary*>& of_sha = runs->second;
    std::stable_sort(of_sha.begin(), of_sha.end(), [](const auto* a, const auto* b) {
      return a->started_at.unix_nanos > b->started_at.unix_nanos;
    });
    for (const store::RunSummary* r : of_sha) {
      auto run = store.ReadRun(r->run_id);
      if (!run.ok()) {
        if (read_error.ok()) read_error = run.status();
        break;
      }
      if (*run && Comparable(**run, head)) {
        it->second = std::move(*run);
        break;
      }
    }
    return it->second;
  };
  auto choice = schedule::ChooseBaseline(
      request.repo, request.base_branch, head.commit.sha,
      [&](const std::string& sha) { return comparable_run(sha).has_value(); });
  RETURN_IF_ERROR(read_error);
  if (!choice.ok()) {
    return choice.status().WithPrefix(
        fmt::format("no baseline for {} on {}", head.commit.sha.substr(0, 12), head.platform));
  }
  const std::optional<core::Run>& base = comparable_run(choice->sha);
  if (!base) return base::Internal("baseline commit " + choice->sha + " has no comparable run");
  Baseline out;
  out.base = {*base, fmt::format("commit {} in {}", choice->sha.substr(0, 12), request.where)};
  out.reason = choice->reason;
  if (request.history) {
    ASSIGN_OR_RETURN(out.history, LoadNoiseHistory(head, store, request.where));
  } else {
    out.history.description = "not used (--no-history)";
  }
  return out;
}

}  // namespace perfledger::service
