#include "analysis/coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>
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

// What a range (from, to] covers: the points [first_point, to], every unlisted commit before
// the points [first_stretch, to], and the newest `partial` unlisted commits before
// first_point (when first_stretch is past it).
struct Span {
  int64_t first_point = 0, first_stretch = 0, partial = 0;
};

// The span of a range of `count` commits ending at branch[to] whose own start is not on the
// branch: walked back over the unlisted commits and the points before `to`.
Span WalkBack(const std::vector<BranchPoint>& branch, int64_t to, int64_t count) {
  int64_t f = to;
  int64_t rest = count - 1;  // commits still to cover, older than point f
  while (true) {
    const int64_t unlisted = branch[static_cast<size_t>(f)].unlisted_before;
    if (rest <= unlisted) {
      return rest == unlisted ? Span{f, f, 0} : Span{f, f + 1, rest};
    }
    rest -= unlisted;
    if (f == 0) return {0, 0, 0};  // it reaches back past the branch's first commit
    --f;
    --rest;  // point f (rest was above `unlisted`, so it is 0 or more now)
  }
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
    case CommitState::kUnknown:
      return "unknown";
  }
  return "unaccounted";
}

std::vector<BranchPoint> BranchFromRanges(std::vector<BranchPoint> points,
                                          const std::vector<RangeRef>& ranges) {
  auto earlier = [](const BranchPoint& a, const BranchPoint& b) {
    return std::tie(a.time.unix_nanos, a.sha) < std::tie(b.time.unix_nanos, b.sha);
  };
  std::sort(points.begin(), points.end(), earlier);
  for (auto& p : points) p.unlisted_before = 0;
  {
    // A range's `from` comes before its `to` whatever their times say (runs without a commit
    // time, clocks that disagree): a topological order of the ranges' links, by time where
    // they leave a choice (Kahn's algorithm; a cycle's commits keep their time order).
    const Index by_time = IndexOf(points);
    const size_t n = points.size();
    std::vector<std::vector<size_t>> next(n);
    std::vector<int64_t> before(n, 0);
    for (const RangeRef& r : ranges) {
      if (!r.from) continue;
      const int64_t from = Find(by_time, *r.from), to = Find(by_time, r.to);
      if (from < 0 || to < 0 || from == to) continue;
      next[static_cast<size_t>(from)].push_back(static_cast<size_t>(to));
      ++before[static_cast<size_t>(to)];
    }
    std::set<size_t> ready;  // indices in time order: the smallest is the earliest
    for (size_t i = 0; i < n; ++i) {
      if (before[i] == 0) ready.insert(i);
    }
    std::vector<size_t> order;
    std::vector<char> placed(n, 0);
    order.reserve(n);
    while (order.size() < n) {
      if (ready.empty()) {  // a cycle: its earliest commit goes next
        for (size_t i = 0; i < n; ++i) {
          if (!placed[i]) {
            ready.insert(i);
            break;
          }
        }
      }
      const size_t i = *ready.begin();
      ready.erase(ready.begin());
      if (placed[i]) continue;
      placed[i] = 1;
      order.push_back(i);
      for (size_t j : next[i]) {
        if (--before[j] == 0 && !placed[j]) ready.insert(j);
      }
    }
    std::vector<BranchPoint> sorted;
    sorted.reserve(n);
    for (size_t i : order) sorted.push_back(std::move(points[i]));
    points = std::move(sorted);
  }
  const Index index = IndexOf(points);
  struct Need {
    int64_t from, to, missing;
  };
  std::vector<Need> needs;
  for (const RangeRef& r : ranges) {
    const int64_t to = Find(index, r.to);
    if (to < 0) continue;
    int64_t from = r.from ? Find(index, *r.from) : -1;
    if (r.from && from < 0) from = to - 1;  // its commits lie just before `to`
    if (from >= to) continue;               // out of time order: says nothing about the gap
    const int64_t missing = r.count - (to - from);
    if (missing > 0) needs.push_back({from, to, missing});
  }
  // The narrowest ranges first: they say most exactly where the unlisted commits are.
  std::sort(needs.begin(), needs.end(), [](const Need& a, const Need& b) {
    return std::make_tuple(a.to - a.from, a.to, a.missing) <
           std::make_tuple(b.to - b.from, b.to, b.missing);
  });
  for (const Need& n : needs) {
    int64_t have = 0;
    for (int64_t j = n.from + 1; j <= n.to; ++j)
      have += points[static_cast<size_t>(j)].unlisted_before;
    if (have < n.missing) points[static_cast<size_t>(n.to)].unlisted_before += n.missing - have;
  }
  return points;
}

std::vector<CoverageRow> Coverage(const std::vector<BranchPoint>& branch, size_t first, size_t last,
                                  const std::map<std::string, PlatformRecords>& platforms,
                                  bool planned) {
  const Index index = IndexOf(branch);
  const int64_t n = static_cast<int64_t>(branch.size());
  last = std::min(last, branch.size());
  std::vector<CoverageRow> rows;
  for (const auto& [platform, rec] : platforms) {
    // Represented: difference arrays over the points and the unlisted stretches of every
    // range's span, and the most of a stretch some range covers only in part.
    std::vector<int32_t> delta(static_cast<size_t>(n) + 1, 0), stretch_delta = delta;
    std::vector<int64_t> partial(static_cast<size_t>(n), 0);
    int64_t frontier = -1;
    for (const RangeRef& r : rec.ranges) {
      const int64_t to = Find(index, r.to);
      if (to < 0) continue;  // not on the branch (rewritten history)
      frontier = std::max(frontier, to);
      Span span;
      if (r.from && Find(index, *r.from) < 0) {
        span = WalkBack(branch, to, r.count);
      } else {
        const int64_t from = r.from ? Find(index, *r.from) : -1;
        if (from >= to) continue;
        span = {from + 1, from + 1, 0};
      }
      delta[static_cast<size_t>(span.first_point)] += 1;
      delta[static_cast<size_t>(to + 1)] -= 1;
      stretch_delta[static_cast<size_t>(span.first_stretch)] += 1;
      stretch_delta[static_cast<size_t>(to + 1)] -= 1;
      auto& p = partial[static_cast<size_t>(span.first_point)];
      p = std::max(p, span.partial);
    }
    for (const auto& sha : rec.measured) frontier = std::max(frontier, Find(index, sha));
    for (const auto& [sha, reason] : rec.skipped) frontier = std::max(frontier, Find(index, sha));

    CoverageRow row;
    row.platform = platform;
    int32_t depth = 0, stretch_depth = 0;
    for (size_t i = 0; i < last; ++i) {
      depth += delta[i];
      stretch_depth += stretch_delta[i];
      if (i < first) continue;
      // The unlisted commits before this point (none in a history read from git).
      if (const int64_t unlisted = branch[i].unlisted_before; unlisted > 0) {
        const int64_t held = stretch_depth > 0 ? unlisted : std::min(unlisted, partial[i]);
        const int64_t rest = unlisted - held;
        row.commits += unlisted;
        row.represented += held;
        if (!planned) {
          row.unknown += rest;
        } else if (static_cast<int64_t>(i) > frontier) {
          row.pending += rest;
        } else {
          row.unaccounted += rest;
        }
      }
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
      } else if (!planned) {
        ++row.unknown;
        row.states.push_back(CommitState::kUnknown);
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
    for (int64_t j = last_complete + 1; j < n; ++j) {
      row.commits_since += branch[static_cast<size_t>(j)].unlisted_before;
    }
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
