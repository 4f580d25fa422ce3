#include "service/comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace perfledger::service {
namespace {

std::optional<int64_t> EpochOf(const core::Run& r) {
  if (r.suite && r.suite->epoch) return r.suite->epoch->number;
  return std::nullopt;
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
  store::RunFilter one;
  one.platform = pick->platform;
  std::optional<core::Run> loaded;
  RETURN_IF_ERROR(store.ForEachRun(one, [&](const core::Run& r) {
    if (r.run_id == pick->run_id) loaded = r;
    return base::Status::Ok();
  }));
  if (!loaded) return base::Internal("run " + pick->run_id + " vanished from the store");
  return std::move(*loaded);
}

NoiseHistoryBuilder::NoiseHistoryBuilder(const core::Run& head)
    : head_(head), series_(analysis::SeriesFilter{head.platform, std::nullopt, {}}) {}

void NoiseHistoryBuilder::Add(const core::Run& run) {
  if (run.run_id == head_.run_id || run.platform != head_.platform) return;
  if (!head_.project.empty() && run.project != head_.project) return;
  series_.Add(run);
  if (EpochOf(run) == EpochOf(head_) &&
      run.environment.ci.value_or(false) == head_.environment.ci.value_or(false)) {
    ++runs_;
  }
}

NoiseHistory NoiseHistoryBuilder::Finish(const std::string& db) {
  NoiseHistory out;
  const std::optional<int64_t> epoch = EpochOf(head_);
  const bool ci = head_.environment.ci.value_or(false);
  out.noise = analysis::HistoryNoiseOf(series_.Finish(), head_.platform, epoch, ci);
  out.runs = runs_;
  out.description = fmt::format(
      "{} stored run{} of {} ({}{}) in {}; {} series with enough of them for a run-to-run noise",
      runs_, runs_ == 1 ? "" : "s", head_.platform,
      epoch ? fmt::format("epoch {}, ", *epoch) : std::string(), ci ? "CI" : "local", db,
      out.noise.size());
  return out;
}

base::Result<NoiseHistory> LoadNoiseHistory(const core::Run& head, store::Store& store,
                                            const std::string& db) {
  NoiseHistoryBuilder builder(head);
  store::RunFilter filter;
  filter.platform = head.platform;
  if (!head.project.empty()) filter.project = head.project;
  RETURN_IF_ERROR(store.ForEachRun(filter, [&](const core::Run& r) {
    builder.Add(r);
    return base::Status::Ok();
  }));
  return builder.Finish(db);
}

}  // namespace perfledger::service
