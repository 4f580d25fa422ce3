#include "analysis/coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "base/time.h"

namespace perfledger::analysis {
namespace {

using Index = std::unordered_map<std::string_view, int64_t>;

Index IndexOf(const std::vector<BranchPoint>& branch) {
  Index index;
  index.reserve(branch.size());
  for (size_t i = 0; i < branch.size(); ++i) index.emplace(branch[i].sha, static_cast<int64_t>(i));
  return index;
}

int64_t Find(const Index& index, const std::string& sha) {
  auto it = index.find(sha);
  return it == index.end() ? -1 : it->second;
}

}  // namespace

std::string_view CommitStateName(CommitState state) {
  switch (state) {
    case CommitState::kMeasured:
      return "measured";
    case CommitState::kRepresented:
      return "represented";
    case CommitState::kSkipped:
      return "skipped";
    case CommitState::kPending:
      return "pending";
    case CommitState::kUnaccounted:
      return "unaccounted";
  }
  return "unaccounted";
}

std::vector<CoverageRow> Coverage(const std::vector<BranchPoint>& branch, size_t first, size_t last,
                                  const std::map<std::string, PlatformRecords>& platforms) {
  const Index index = IndexOf(branch);
  const int64_t n = static_cast<int64_t>(branch.size());
  last = std::min(last, branch.size());
  std::vector<CoverageRow> rows;
  for (const auto& [platform, rec] : platforms) {
    // Represented: a difference array over (from, to] of every range.
    std::vector<int32_t> delta(static_cast<size_t>(n) + 1, 0);
    int64_t frontier = -1;
    for (const RangeRef& r : rec.ranges) {
      const int64_t to = Find(index, r.to);
      if (to < 0) continue;  // not on the branch (rewritten history)
      frontier = std::max(frontier, to);
      int64_t from = r.from ? Find(index, *r.from) : -1;
      if (r.from && from < 0) from = std::max<int64_t>(-1, to - r.count);
      if (from >= to) continue;
      delta[static_cast<size_t>(from + 1)] += 1;
      delta[static_cast<size_t>(to + 1)] -= 1;
    }
    for (const auto& sha : rec.measured) frontier = std::max(frontier, Find(index, sha));
    for (const auto& [sha, reason] : rec.skipped) frontier = std::max(frontier, Find(index, sha));

    CoverageRow row;
    row.platform = platform;
    int32_t depth = 0;
    for (size_t i = 0; i < last; ++i) {
      depth += delta[i];
      if (i < first) continue;
      const std::string& sha = branch[i].sha;
      ++row.commits;
      if (rec.measured.contains(sha)) {
        ++row.measured;
        row.states.push_back(CommitState::kMeasured);
        continue;
      }
      auto skip = rec.skipped.find(sha);
      if (skip != rec.skipped.end()) ++row.skipped_by_reason[skip->second];
      if (depth > 0) {
        ++row.represented;
        row.states.push_back(CommitState::kRepresented);
      } else if (skip != rec.skipped.end()) {
        ++row.skipped;
        row.states.push_back(CommitState::kSkipped);
      } else if (static_cast<int64_t>(i) > frontier) {
        ++row.pending;
        row.states.push_back(CommitState::kPending);
      } else {
        ++row.unaccounted;
        row.states.push_back(CommitState::kUnaccounted);
        if (row.unaccounted_shas.size() < 20) row.unaccounted_shas.push_back(sha);
      }
    }
    if (row.commits > 0) {
      row.coverage_measured = static_cast<double>(row.measured) / static_cast<double>(row.commits);
      row.coverage_represented =
          static_cast<double>(row.measured + row.represented) / static_cast<double>(row.commits);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::set<std::string> ExpectedBenchmarks(
    const std::vector<BranchPoint>& branch,
    const std::map<std::string, std::vector<RunBenchmarks>>& runs_by_platform) {
  const Index index = IndexOf(branch);
  std::map<std::string, int64_t> newest_revision;  // per suite
  for (const auto& [platform, runs] : runs_by_platform) {
    for (const auto& r : runs) {
      if (!r.suite) continue;
      auto [it, added] = newest_revision.emplace(*r.suite, r.suite_revision);
      if (!added) it->second = std::max(it->second, r.suite_revision);
    }
  }
  std::set<std::string> expected;
  std::set<const std::vector<std::string>*> added;
  auto add = [&](const RunBenchmarks& r) {
    for (const auto* names : {r.ok.get(), r.failed.get()}) {
      if (added.insert(names).second) expected.insert(names->begin(), names->end());
    }
  };
  for (const auto& [platform, runs] : runs_by_platform) {
    const RunBenchmarks* newest_unversioned = nullptr;
    int64_t newest_pos = -2;
    for (const auto& r : runs) {
      if (r.suite) {
        if (r.suite_revision == newest_revision[*r.suite]) add(r);
        continue;
      }
      const int64_t pos = Find(index, r.sha);
      if (pos >= newest_pos) {
        newest_pos = pos;
        newest_unversioned = &r;
      }
    }
    if (newest_unversioned != nullptr) add(*newest_unversioned);
  }
  return expected;
}

std::vector<GapRow> Gaps(const std::vector<BranchPoint>& branch,
                         const std::map<std::string, std::vector<RunBenchmarks>>& runs_by_platform,
                         const std::vector<std::string>& platforms,
                         const std::set<std::string>& expected, base::Timestamp now,
                         const GapBounds& bounds) {
  const Index index = IndexOf(branch);
  const int64_t n = static_cast<int64_t>(branch.size());
  std::vector<GapRow> rows;
  for (const std::string& platform : platforms) {
    GapRow row;
    row.platform = platform;
    int64_t last_complete = -1, newest = -1;
    const RunBenchmarks* newest_run = nullptr;
    // Whether a set of measured benchmarks holds every expected one, per distinct set.
    std::map<const std::vector<std::string>*, bool> complete_sets;
    auto complete = [&](const std::vector<std::string>& ok) {
      auto [at, added] = complete_sets.emplace(&ok, false);
      if (added) {
        at->second = std::includes(ok.begin(), ok.end(), expected.begin(), expected.end());
      }
      return at->second;
    };
    auto it = runs_by_platform.find(platform);
    if (it != runs_by_platform.end()) {
      for (const RunBenchmarks& r : it->second) {
        const int64_t pos = Find(index, r.sha);
        if (pos < 0) continue;
        if (pos >= newest) {
          newest = pos;
          newest_run = &r;
        }
        if (complete(*r.ok)) last_complete = std::max(last_complete, pos);
      }
    }
    if (newest_run != nullptr) {
      for (const auto& b : expected) {
        if (!std::binary_search(newest_run->ok->begin(), newest_run->ok->end(), b)) {
          row.missing.push_back(b);
        }
      }
    }
    if (last_complete >= 0) row.last_complete = branch[static_cast<size_t>(last_complete)].sha;
    row.commits_since = n - 1 - last_complete;
    if (last_complete + 1 < n) {
      row.age_nanos = std::max<int64_t>(
          0, now.unix_nanos - branch[static_cast<size_t>(last_complete + 1)].time.unix_nanos);
    }
    std::vector<std::string> why;
    if (row.commits_since > bounds.max_commits) {
      why.push_back(fmt::format("{} commits without a complete point (bound {})", row.commits_since,
                                bounds.max_commits));
    }
    if (bounds.max_age_nanos && row.age_nanos > *bounds.max_age_nanos) {
      why.push_back(fmt::format("oldest waiting commit is {} old (bound {})",
                                base::FormatDuration(row.age_nanos / 1'000'000'000 * 1'000'000'000),
                                base::FormatDuration(*bounds.max_age_nanos)));
    }
    row.stalled = !why.empty();
    for (size_t i = 0; i < why.size(); ++i) row.why += (i ? "; " : "") + why[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace perfledger::analysis
