#include "schedule/bisect.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <tuple>

namespace perfledger::schedule {
namespace {

std::string ShortSha(const std::string& sha) { return sha.substr(0, 12); }

// "alert 7 (BM_Parse cpu_time)", or "alert 7" without a detail.
std::string AlertName(const BisectRequest& r) {
  return r.detail.empty() ? fmt::format("alert {}", r.alert_id)
                          : fmt::format("alert {} ({})", r.alert_id, r.detail);
}

// Notes a request that gets no new job.
void Note(const std::vector<BranchCommit>& commits, const BisectRequest& r, std::string_view status,
          std::optional<int64_t> sha, int64_t count, std::string detail,
          std::vector<BisectNote>* notes) {
  BisectNote k;
  k.request = r;
  k.status = std::string(status);
  if (sha) k.sha = commits[*sha].sha;
  k.commits = count;
  k.detail = std::move(detail);
  notes->push_back(std::move(k));
}

}  // namespace

int64_t BisectMiddle(int64_t from, int64_t to) { return from + 1 + (to - from - 1) / 2; }

BisectTargets FindBisectTargets(const PlannerInput& in,
                                const std::function<int64_t(const std::string&)>& position,
                                std::vector<BisectNote>* notes) {
  BisectTargets out;
  auto note = [&](const BisectRequest& r, std::string_view status, std::optional<int64_t> sha,
                  int64_t count, std::string detail) {
    Note(in.commits, r, status, sha, count, std::move(detail), notes);
  };
  for (const BisectRequest& r : in.bisect) {
    if (std::find(in.platforms.begin(), in.platforms.end(), r.platform) == in.platforms.end()) {
      note(r, "not-planned", std::nullopt, 0,
           fmt::format("{}: {} is not among the platforms planned for", AlertName(r), r.platform));
      continue;
    }
    const int64_t from = position(r.from), to = position(r.to);
    if (from < 0 || to < 0) {
      note(r, "off-branch", std::nullopt, 0,
           fmt::format("{}: {} is not on the branch (history rewritten?): its range "
                       "cannot be bisected",
                       AlertName(r), ShortSha(from < 0 ? r.from : r.to)));
      continue;
    }
    if (to <= from) {
      note(r, "bad-range", std::nullopt, 0,
           fmt::format("{}: {} is not after {} on the branch", AlertName(r), ShortSha(r.to),
                       ShortSha(r.from)));
      continue;
    }
    if (to - from == 1) {
      note(r, "converged", to, 1,
           fmt::format("{}: the range is one commit: {} is the culprit", AlertName(r),
                       ShortSha(r.to)));
      continue;
    }
    out[r.platform].push_back({&r, from, to, BisectMiddle(from, to)});
  }
  return out;
}

PlatformBisect PlanBisect(const BisectTargets& targets, const std::string& platform,
                          const std::vector<BranchCommit>& commits, const PlatformState& state,
                          const std::vector<int64_t>& planned, std::vector<BisectNote>* notes) {
  PlatformBisect out;
  auto b = targets.find(platform);
  if (b == targets.end()) return out;
  for (const BisectTarget& t : b->second) {
    const BisectRequest& r = *t.request;
    const std::string& sha = commits[t.middle].sha;
    const int64_t left = t.to - t.from;
    out.middles.insert(t.middle);
    if (state.measured.contains(sha)) {
      Note(commits, r, "measured", t.middle, left,
           fmt::format("{}: the middle {} of {} commits is measured: `perfledger detect "
                       "--record` narrows the range with it",
                       AlertName(r), ShortSha(sha), left),
           notes);
    } else if (state.queued.contains(sha)) {
      Note(commits, r, "queued", t.middle, left,
           fmt::format("{}: the middle {} of {} commits has a job waiting", AlertName(r),
                       ShortSha(sha), left),
           notes);
    } else if (std::find(planned.begin(), planned.end(), t.middle) != planned.end()) {
      Note(commits, r, "planned", t.middle, left,
           fmt::format("{}: the middle {} of {} commits is planned by another job", AlertName(r),
                       ShortSha(sha), left),
           notes);
    } else {
      out.jobs[t.middle].push_back(&t);
    }
  }
  return out;
}

std::string BisectDetail(std::vector<const BisectTarget*> targets,
                         const std::vector<BranchCommit>& commits) {
  std::sort(targets.begin(), targets.end(), [](const BisectTarget* a, const BisectTarget* b) {
    return std::tie(a->from, a->to, a->request->alert_id) <
           std::tie(b->from, b->to, b->request->alert_id);
  });
  constexpr size_t kListed = 3;
  std::string out;
  for (size_t a = 0; a < targets.size();) {
    size_t b = a;
    while (b < targets.size() && targets[b]->from == targets[a]->from &&
           targets[b]->to == targets[a]->to) {
      ++b;
    }
    std::string alerts;
    for (size_t i = a; i < b && i < a + kListed; ++i) {
      const BisectRequest& r = *targets[i]->request;
      if (i > a) alerts += ", ";
      alerts += std::to_string(r.alert_id);
      if (!r.detail.empty()) alerts += fmt::format(" ({})", r.detail);
    }
    if (b - a > kListed) alerts += fmt::format(" and {} more", b - a - kListed);
    const int64_t left = targets[a]->to - targets[a]->from;
    if (!out.empty()) out += "; ";
    out += fmt::format("alert{} {}: middle of {} commits left in {}..{}", b - a == 1 ? "" : "s",
                       alerts, left, ShortSha(commits[targets[a]->from].sha),
                       ShortSha(commits[targets[a]->to].sha));
    a = b;
  }
  return out;
}

}  // namespace perfledger::schedule
