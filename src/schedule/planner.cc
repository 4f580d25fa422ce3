#include "schedule/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_map>

#include "schedule/bisect.h"

namespace perfledger::schedule {
namespace {

const PlatformState kNothing;

// What the plan decided for one commit on one platform.
struct Choice {
  int64_t index = 0;
  std::string reason;
  std::string detail;
  int priority = kPriorityNormal;
};

struct SkipChoice {
  int64_t index = 0;
  std::string reason;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// "window 2026-11-24T10:15:00Z +15m", made once per window in a plan (every platform's job
// in that window says the same).
class WindowTexts {
 public:
  const std::string& Get(int64_t window, int64_t window_nanos) {
    for (const auto& [w, text] : texts_) {
      if (w == window) return text;
    }
    base::Timestamp start{window * window_nanos};
    texts_.emplace_back(window, fmt::format("window {} +{}", base::FormatRfc3339(start),
                                            base::FormatDuration(window_nanos)));
    return texts_.back().second;
  }

 private:
  std::vector<std::pair<int64_t, std::string>> texts_;
};

bool HasMarker(const BranchCommit& c, const std::string& marker) {
  return !marker.empty() && c.subject.find(marker) != std::string::npos;
}

std::string_view SkipReasonFor(Sampling s) {
  switch (s) {
    case Sampling::kMergesOnly:
      return "not-merge";
    case Sampling::kTagged:
      return "untagged";
    case Sampling::kLatestInWindow:
    case Sampling::kEveryCommit:
      break;
  }
  return "window";
}

// Chooses among candidate commits [lo, n) under the sampling rule. Returns chosen indices
// in ascending order with their reasons; commits after the last chosen are left pending.
std::vector<Choice> ChooseBySampling(const PlannerInput& in, int64_t lo, int64_t window_nanos,
                                     WindowTexts& texts) {
  const auto& commits = in.commits;
  const int64_t n = static_cast<int64_t>(commits.size());
  std::vector<Choice> chosen;
  if (lo >= n) return chosen;
  const Policy& policy = in.policy;
  switch (policy.sampling) {
    case Sampling::kEveryCommit:
      for (int64_t i = lo; i < n; ++i)
        chosen.push_back({i, "push", "every commit", kPriorityNormal});
      return chosen;
    case Sampling::kMergesOnly:
      for (int64_t i = lo; i < n; ++i) {
        if (commits[i].merge()) chosen.push_back({i, "merge", "merge commit", kPriorityNormal});
      }
      return chosen;
    case Sampling::kLatestInWindow:
    case Sampling::kTagged:
      break;
  }
  // The newest commit (in branch order) of each window whose end has passed.
  const int64_t now_window = WindowIndex(in.now, window_nanos);
  const bool any_tagged =
      policy.sampling == Sampling::kTagged &&
      std::any_of(commits.begin() + lo, commits.end(),
                  [&](const BranchCommit& c) { return HasMarker(c, policy.marker); });
  if (!any_tagged && std::none_of(commits.begin() + lo, commits.end(), [&](const BranchCommit& c) {
        return WindowIndex(c.time, window_nanos) < now_window;
      })) {
    return chosen;  // every candidate is in a window still open: nothing to decide yet
  }
  // Per window: its newest commit in branch order and how many candidates it has. Windows
  // are found by sorting (window, index) pairs: no hashing, one allocation.
  std::vector<std::pair<int64_t, int64_t>> by_window;
  by_window.reserve(static_cast<size_t>(n - lo));
  for (int64_t i = lo; i < n; ++i)
    by_window.emplace_back(WindowIndex(commits[i].time, window_nanos), i);
  std::sort(by_window.begin(), by_window.end());
  std::vector<int64_t> window_count(static_cast<size_t>(n - lo), 0);  // for a window's newest
  std::vector<char> newest_of_window(static_cast<size_t>(n - lo), 0);
  for (size_t a = 0; a < by_window.size();) {
    size_t b = a;
    while (b < by_window.size() && by_window[b].first == by_window[a].first) ++b;
    const int64_t newest = by_window[b - 1].second;
    newest_of_window[static_cast<size_t>(newest - lo)] = 1;
    window_count[static_cast<size_t>(newest - lo)] = static_cast<int64_t>(b - a);
    a = b;
  }
  const bool tagged = policy.sampling == Sampling::kTagged;
  for (int64_t i = lo; i < n; ++i) {
    const BranchCommit& c = commits[i];
    if (tagged && HasMarker(c, policy.marker)) {
      chosen.push_back(
          {i, "tagged", fmt::format("subject has {}", policy.marker), kPriorityTagged});
      continue;
    }
    int64_t w = WindowIndex(c.time, window_nanos);
    if (w >= now_window || !newest_of_window[static_cast<size_t>(i - lo)]) continue;
    const int64_t count = window_count[static_cast<size_t>(i - lo)];
    std::string detail = fmt::format("newest of {} commit{} in {}", count, count == 1 ? "" : "s",
                                     texts.Get(w, window_nanos));
    if (tagged) detail += fmt::format(" (no {} commit after it)", policy.marker);
    chosen.push_back({i, "schedule", std::move(detail), kPriorityNormal});
  }
  return chosen;
}

// For a platform with nothing stored: one baseline job at the newest commit the sampling
// rule would pick, standing for all history before it; the rest waits.
std::vector<Choice> ChooseBaseline(const PlannerInput& in, int64_t window_nanos,
                                   WindowTexts& texts) {
  const int64_t n = static_cast<int64_t>(in.commits.size());
  // The first plan of all: the head, whatever its window (see PlannerInput::first_plan).
  const bool window_rule =
      in.policy.sampling == Sampling::kLatestInWindow || in.policy.sampling == Sampling::kTagged;
  if (in.first_plan && window_rule && n > 0) {
    // The head as of `now`: a replay with --now in the past does not see later commits.
    int64_t head = n - 1;
    while (head >= 0 && in.commits[static_cast<size_t>(head)].time.unix_nanos > in.now.unix_nanos) {
      --head;
    }
    if (head >= 0) {
      return {{head, "push",
               fmt::format("first plan: the branch head at once, standing for the {} commits "
                           "up to it",
                           head + 1),
               kPriorityNormal}};
    }
  }
  // Only the tail matters: scan back to the first commit the rule picks. The rule looks at
  // whole windows, so start from the newest closed window's first commit.
  const int64_t now_window = WindowIndex(in.now, window_nanos);
  int64_t lo = n;
  while (lo > 0) {
    const BranchCommit& c = in.commits[lo - 1];
    bool eligible = false;
    switch (in.policy.sampling) {
      case Sampling::kEveryCommit:
        eligible = true;
        break;
      case Sampling::kMergesOnly:
        eligible = c.merge();
        break;
      case Sampling::kTagged:
        eligible = HasMarker(c, in.policy.marker) || WindowIndex(c.time, window_nanos) < now_window;
        break;
      case Sampling::kLatestInWindow:
        eligible = WindowIndex(c.time, window_nanos) < now_window;
        break;
    }
    --lo;
    if (eligible) break;
  }
  if (lo < 0 || lo >= n) return {};
  std::vector<Choice> chosen = ChooseBySampling(in, lo, window_nanos, texts);
  if (chosen.empty()) return {};
  Choice baseline = chosen.back();
  baseline.detail = fmt::format("first run on this platform: stands for the {} commits up to it",
                                baseline.index + 1);
  return {baseline};
}

struct PlatformPlan {
  std::vector<Choice> chosen;  // ascending index
  std::vector<SkipChoice> skips;
  int64_t base = -1;  // range start (exclusive) of the first chosen commit
  int64_t pending_from = 0;
};

bool IsKnown(const PlatformState& s, const std::string& sha) {
  return s.measured.contains(sha) || s.queued.contains(sha) || s.skipped.contains(sha);
}

}  // namespace

std::string_view SamplingName(Sampling s) {
  switch (s) {
    case Sampling::kLatestInWindow:
      return "latest-in-window";
    case Sampling::kMergesOnly:
      return "merges-only";
    case Sampling::kTagged:
      return "tagged";
    case Sampling::kEveryCommit:
      return "every-commit";
  }
  return "?";
}

std::optional<Sampling> ParseSampling(std::string_view name) {
  for (Sampling s : {Sampling::kLatestInWindow, Sampling::kMergesOnly, Sampling::kTagged,
                     Sampling::kEveryCommit}) {
    if (SamplingName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view DegradationName(Degradation d) {
  switch (d) {
    case Degradation::kNone:
      return "none";
    case Degradation::kWidened:
      return "widened";
    case Degradation::kReset:
      return "reset";
  }
  return "?";
}

int64_t WindowIndex(base::Timestamp t, int64_t window_nanos) {
  return FloorDiv(t.unix_nanos, window_nanos);
}

Degradation DegradationFor(const Policy& policy, int queue_depth) {
  if (policy.reset_above > 0 && queue_depth > policy.reset_above) return Degradation::kReset;
  if (policy.widen_above > 0 && queue_depth > policy.widen_above) return Degradation::kWidened;
  return Degradation::kNone;
}

int QueueDepth(const std::map<std::string, PlatformState>& state) {
  std::unordered_set<std::string_view> shas;
  for (const auto& [platform, s] : state) {
    for (const std::string& sha : s.queued) shas.insert(sha);
  }
  return static_cast<int>(shas.size());
}

std::map<std::string, std::vector<std::string>> OffBranch(const PlannerInput& input) {
  std::unordered_set<std::string_view> on_branch;
  on_branch.reserve(input.commits.size());
  for (const BranchCommit& c : input.commits) on_branch.insert(c.sha);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [platform, s] : input.state) {
    std::vector<std::string> off;
    for (const auto* set : {&s.measured, &s.queued, &s.skipped}) {
      for (const std::string& sha : *set) {
        if (!on_branch.contains(sha)) off.push_back(sha);
      }
    }
    if (off.empty()) continue;
    std::sort(off.begin(), off.end());
    off.erase(std::unique(off.begin(), off.end()), off.end());
    out[platform] = std::move(off);
  }
  return out;
}

namespace {

// One plan being made: the decisions every platform shares (window, degradation, manual and
// bisect requests), then each platform's jobs and skips, grouped across platforms at the end.
struct PlanMaking {
  explicit PlanMaking(const PlannerInput& input)
      : in(input), commits(input.commits), n(static_cast<int64_t>(input.commits.size())) {}

  // Checks the policy and makes the shared decisions; kInvalidInput for a bad policy or a
  // manual request off the branch.
  base::Status Begin() {
    if (in.policy.window_nanos <= 0) {
      return base::InvalidInput("the schedule window must be longer than zero");
    }
    if (in.policy.widen_factor < 1) {
      return base::InvalidInput("degrade_widen_factor must be at least 1");
    }
    plan.now = in.now;
    plan.queue_depth = in.queue_depth;
    plan.degradation = DegradationFor(in.policy, in.queue_depth);
    plan.window_nanos = std::min(in.policy.window_nanos, kMaxWindowNanos);
    if (plan.degradation == Degradation::kWidened) {
      int64_t widened = 0;
      if (__builtin_mul_overflow(plan.window_nanos, int64_t{in.policy.widen_factor}, &widened) ||
          widened > kMaxWindowNanos) {
        widened = kMaxWindowNanos;
      }
      plan.window_nanos = widened;
    }

    // Where each commit sits on the branch, for manual and bisect requests.
    if (!in.manual.empty() || !in.bisect.empty()) {
      position.reserve(commits.size());
      for (int64_t i = 0; i < n; ++i) position.emplace(commits[i].sha, i);
    }

    // Manual requests: validated once, whatever the platforms.
    if (!in.manual.empty()) {
      for (const std::string& sha : in.manual) {
        const int64_t i = find(sha);
        if (i < 0) {
          return base::InvalidInput(
              fmt::format("manual request {}: not a commit of the branch's history", sha));
        }
        manual.push_back(i);
      }
      std::sort(manual.begin(), manual.end());
      manual.erase(std::unique(manual.begin(), manual.end()), manual.end());
    }

    // Bisect requests: found on the branch once; what they need is decided per platform.
    bisect = FindBisectTargets(
        in, [this](const std::string& sha) { return find(sha); }, &plan.unplanned_bisect);
    return base::Status::Ok();
  }

  // One platform's jobs (sampled, manual, bisect) and skips.
  void AddPlatform(const std::string& platform) {
    auto st = in.state.find(platform);
    const PlatformState& state = st == in.state.end() ? kNothing : st->second;

    // The frontier: the newest commit already measured, queued or skipped.
    int64_t frontier = n - 1;
    if (state.frontier_index) {
      frontier = std::min(*state.frontier_index, n - 1);
    } else {
      while (frontier >= 0 && !IsKnown(state, commits[frontier].sha)) --frontier;
    }
    auto newest_at_or_before = [&](int64_t i, bool queued_counts) {
      while (i >= 0 && !state.measured.contains(commits[i].sha) &&
             !(queued_counts && state.queued.contains(commits[i].sha))) {
        --i;
      }
      return i;
    };

    PlatformPlan pp;
    std::string_view skip_reason = SkipReasonFor(in.policy.sampling);
    int64_t lo;  // first candidate
    if (plan.degradation == Degradation::kReset && n > 0) {
      // Everything since the newest measured commit collapses into one job at the head.
      pp.base = newest_at_or_before(n - 1, /*queued_counts=*/false);
      lo = pp.base + 1;
      skip_reason = "queue-reset";
      if (lo < n) {
        pp.chosen.push_back(
            {n - 1, "schedule",
             fmt::format("queue reset at depth {}: only the newest commit is planned",
                         in.queue_depth),
             kPriorityNormal});
      }
      if (frontier < 0) lo = n;  // nothing stored: the range from the start stands for all
    } else if (frontier < 0) {
      pp.chosen = ChooseBaseline(in, plan.window_nanos, texts);
      pp.base = -1;
      lo = n;  // no skip records: the baseline's range (from the start) stands for them
      if (!pp.chosen.empty()) lo = pp.chosen.back().index + 1;
    } else {
      pp.base = newest_at_or_before(frontier, /*queued_counts=*/true);
      lo = frontier + 1;
      pp.chosen = ChooseBySampling(in, lo, plan.window_nanos, texts);
    }

    // Manual requests join the chosen commits; one older than the frontier is a re-run
    // whose range starts at the newest commit measured or queued before it.
    std::vector<Choice> reruns;
    for (int64_t m : manual) {
      auto it = std::find_if(pp.chosen.begin(), pp.chosen.end(),
                             [&](const Choice& c) { return c.index == m; });
      Choice c{m, "manual", "requested by hand", kPriorityManual};
      if (it != pp.chosen.end()) {
        *it = c;
      } else if (m >= lo || (frontier < 0 && m > pp.base)) {
        pp.chosen.push_back(c);
      } else {
        reruns.push_back(c);
      }
    }
    std::sort(pp.chosen.begin(), pp.chosen.end(),
              [](const Choice& a, const Choice& b) { return a.index < b.index; });

    // Bisect: one job per middle commit that is neither measured, queued nor planned here.
    // Every middle (new or waiting) is kept out of the skips, so no degradation supersedes it.
    std::vector<int64_t> planned;
    for (const Choice& c : pp.chosen) planned.push_back(c.index);
    for (const Choice& c : reruns) planned.push_back(c.index);
    const PlatformBisect pb =
        PlanBisect(bisect, platform, commits, state, planned, &plan.unplanned_bisect);
    const std::set<int64_t>& bisect_middles = pb.middles;

    // Every candidate up to the newest chosen commit is chosen or skipped; after it, pending.
    int64_t last_chosen = pp.chosen.empty() ? lo - 1 : std::max(lo - 1, pp.chosen.back().index);
    if (frontier >= 0 || plan.degradation == Degradation::kReset) {
      size_t next = 0;
      for (int64_t i = lo; i <= last_chosen; ++i) {
        while (next < pp.chosen.size() && pp.chosen[next].index < i) ++next;
        if (next < pp.chosen.size() && pp.chosen[next].index == i) continue;
        const std::string& sha = commits[i].sha;
        if (state.measured.contains(sha) || state.skipped.contains(sha)) continue;
        if (bisect_middles.contains(i)) continue;
        // (next < size here: i <= last_chosen)
        skip_entries.push_back({i, skip_reason, pp.chosen[next].index, &platform});
      }
    }
    if (in.list_pending && std::max(last_chosen + 1, frontier + 1) < n) {
      std::vector<std::string>& pending = plan.pending[platform];
      for (int64_t i = std::max(last_chosen + 1, frontier + 1); i < n; ++i) {
        if (!bisect_middles.contains(i)) pending.push_back(commits[i].sha);
      }
    }

    // Ranges: each chosen commit stands for the commits since the previous one.
    int64_t from = pp.base;
    for (const Choice& c : pp.chosen) {
      job_platforms[{c.index, -c.priority, from, c.index - from, c.reason, c.detail}].push_back(
          platform);
      from = c.index;
    }
    for (const Choice& c : reruns) {
      int64_t prev = newest_at_or_before(c.index - 1, /*queued_counts=*/true);
      job_platforms[{c.index, -c.priority, prev, c.index - prev, c.reason, c.detail}].push_back(
          platform);
    }
    // A bisect run stands for its own commit only: its range is (first parent, it].
    for (const auto& [middle, targets] : pb.jobs) {
      job_platforms[{middle, -kPriorityBisect, middle - 1, 1, "bisect",
                     BisectDetail(targets, commits)}]
          .push_back(platform);
    }
  }

  // Jobs and skips grouped across platforms, in their order.
  Plan Finish() {
    std::stable_sort(plan.unplanned_bisect.begin(), plan.unplanned_bisect.end(),
                     [](const BisectNote& a, const BisectNote& b) {
                       return std::tie(a.request.alert_id, a.request.platform) <
                              std::tie(b.request.alert_id, b.request.platform);
                     });

    for (auto& [key, platforms] : job_platforms) {
      const auto& [index, neg_priority, from, count, reason, detail] = key;
      Job job;
      job.sha = commits[index].sha;
      job.platforms = std::move(platforms);
      job.reason = reason;
      job.reason_detail = detail;
      job.commit_range.to = job.sha;
      if (from >= 0) job.commit_range.from = commits[from].sha;
      job.commit_range.count = count;
      job.priority = -neg_priority;
      plan.jobs.push_back(std::move(job));
    }
    std::stable_sort(skip_entries.begin(), skip_entries.end(),
                     [](const SkipEntry& a, const SkipEntry& b) {
                       return std::tie(a.index, a.reason, a.by) < std::tie(b.index, b.reason, b.by);
                     });
    for (size_t a = 0; a < skip_entries.size();) {
      const SkipEntry& e = skip_entries[a];
      Skip skip;
      skip.sha = commits[e.index].sha;
      skip.reason = std::string(e.reason);
      skip.queue_depth = in.queue_depth;
      skip.superseded_by = commits[e.by].sha;
      size_t b = a;
      for (; b < skip_entries.size() && skip_entries[b].index == e.index &&
             skip_entries[b].reason == e.reason && skip_entries[b].by == e.by;
           ++b) {
        skip.platforms.push_back(*skip_entries[b].platform);
      }
      plan.skips.push_back(std::move(skip));
      a = b;
    }
    return std::move(plan);
  }

  // The branch index of a sha, -1 when it is not on the branch.
  int64_t find(const std::string& sha) const {
    auto it = position.find(sha);
    return it == position.end() ? -1 : it->second;
  }

  const PlannerInput& in;
  const std::vector<BranchCommit>& commits;
  const int64_t n;
  Plan plan;
  // Where each commit sits on the branch, for manual and bisect requests.
  std::unordered_map<std::string_view, int64_t> position;
  std::vector<int64_t> manual;  // branch indices, ascending
  BisectTargets bisect;
  WindowTexts texts;
  // Jobs and skips are decided per platform, then grouped across platforms.
  // Jobs sort by commit, then priority (highest first), then range start.
  using JobKey = std::tuple<int64_t, int, int64_t, int64_t, std::string, std::string>;
  std::map<JobKey, std::vector<std::string>> job_platforms;
  // Skips: (commit, reason, superseding commit, platform), grouped after sorting; a window
  // can leave out many commits, so no map node per skip.
  struct SkipEntry {
    int64_t index;
    std::string_view reason;
    int64_t by;
    const std::string* platform;
  };
  std::vector<SkipEntry> skip_entries;
};

}  // namespace

base::Result<Plan> MakePlan(const PlannerInput& in) {
  PlanMaking making(in);
  RETURN_IF_ERROR(making.Begin());
  for (const std::string& platform : in.platforms) making.AddPlatform(platform);
  return making.Finish();
}

}  // namespace perfledger::schedule
