#include "schedule/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <queue>
#include <random>
#include <set>
#include <unordered_map>

namespace perfledger::schedule {
namespace {

constexpr int64_t kMinuteNanos = 60LL * 1'000'000'000;

struct Task {
  int64_t seq = 0;
  int priority = 0;
  int64_t commit = 0;      // index into the history
  int64_t range_from = 0;  // index, exclusive; -1 = from the start
  int platform = 0;
};

struct Runner {
  std::set<std::pair<int, int64_t>> order;  // (-priority, seq): the next task first
  std::unordered_map<int64_t, Task> waiting;
  bool busy = false;
  Task current;
  int64_t done_at = 0;
};

// 12 hex digits: short enough for the small-string buffer, and parsed back by index_of.
std::string SimSha(int64_t i) {
  std::string s(12, '0');
  for (int k = 11; k >= 0 && i > 0; --k, i >>= 4)
    s[static_cast<size_t>(k)] = "0123456789abcdef"[i & 15];
  return s;
}

// Commit times for a Poisson process whose rate is piecewise constant (bursts override).
std::vector<int64_t> PoissonTimes(const SimulationConfig& c, std::mt19937_64& rng) {
  std::vector<std::pair<int64_t, double>> segments;  // (start, rate) sorted by start
  std::vector<int64_t> cuts = {0, c.duration_nanos};
  for (const Burst& b : c.bursts) {
    cuts.push_back(std::clamp<int64_t>(b.start_nanos, 0, c.duration_nanos));
    cuts.push_back(std::clamp<int64_t>(b.start_nanos + b.duration_nanos, 0, c.duration_nanos));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<int64_t> times;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t s = 0; s + 1 < cuts.size(); ++s) {
    const int64_t begin = cuts[s], end = cuts[s + 1];
    double rate = c.rate_per_hour;
    for (const Burst& b : c.bursts) {
      if (begin >= b.start_nanos && begin < b.start_nanos + b.duration_nanos) {
        rate = b.rate_per_hour;
      }
    }
    if (rate <= 0) continue;
    const double mean_gap = 3600e9 / rate;
    // Memoryless: starting afresh at a segment boundary keeps it a Poisson process.
    double t = static_cast<double>(begin);
    while (true) {
      t += -std::log(1.0 - unit(rng)) * mean_gap;
      if (t >= static_cast<double>(end)) break;
      times.push_back(static_cast<int64_t>(t));
    }
  }
  return times;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

base::Result<SimulationResult> Simulate(const SimulationConfig& c) {
  if (c.platforms < 1 || c.platforms > 64) {
    return base::InvalidInput("--platforms: expected 1 to 64 platforms");
  }
  if (c.bench_nanos <= 0) return base::InvalidInput("--bench-time: must be longer than zero");
  if (c.bench_jitter < 0 || c.bench_jitter >= 1) {
    return base::InvalidInput("--bench-time-jitter: expected a fraction from 0 to below 1");
  }
  if (c.history.empty() && (c.rate_per_hour < 0 || c.duration_nanos <= 0)) {
    return base::InvalidInput("--rate and --duration: expected a positive rate and duration");
  }
  if (c.cron_nanos <= 0) return base::InvalidInput("the cron interval must be longer than zero");
  std::mt19937_64 rng(c.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  // The commits, oldest first, with their arrival times. Generated commits are made when they
  // arrive (a simulated year is half a million of them).
  PlannerInput in;
  in.policy = c.policy;
  std::vector<BranchCommit> arrivals;  // from a repository only
  std::vector<int64_t> arrival_time;
  std::vector<uint8_t> traits;  // generated: bit 0 merge, bit 1 tagged
  int64_t start = 0, end = 0;
  if (!c.history.empty()) {
    arrivals = c.history;
    std::stable_sort(arrivals.begin(), arrivals.end(),
                     [](const BranchCommit& a, const BranchCommit& b) { return a.time < b.time; });
    start = arrivals.front().time.unix_nanos;
    end = arrivals.back().time.unix_nanos + c.cron_nanos;  // let the last window close
    for (const auto& a : arrivals) arrival_time.push_back(a.time.unix_nanos);
  } else {
    // Start at an epoch-aligned instant, so windows line up with the simulated day.
    start = 1'798'761'600LL * 1'000'000'000;  // 2027-01-01T00:00:00Z
    end = start + c.duration_nanos;
    arrival_time = PoissonTimes(c, rng);
    traits.reserve(arrival_time.size());
    for (int64_t& t : arrival_time) {
      t += start;
      uint8_t bits = 0;
      if (unit(rng) < c.merge_fraction) bits |= 1;
      if (unit(rng) < c.tagged_fraction) bits |= 2;
      traits.push_back(bits);
    }
  }
  auto make_commit = [&](int64_t i) {
    if (!arrivals.empty()) return std::move(arrivals[static_cast<size_t>(i)]);
    BranchCommit bc;
    bc.time = base::Timestamp{arrival_time[static_cast<size_t>(i)]};
    bc.sha = SimSha(i);
    // The planner reads parents only to tell merges (two or more) apart; generated commits
    // carry them only then, which keeps a simulated year's history small.
    if (traits[static_cast<size_t>(i)] & 1) {
      bc.parents = {SimSha(std::max<int64_t>(0, i - 1)), "side"};
    }
    if (traits[static_cast<size_t>(i)] & 2) bc.subject = "change " + c.policy.marker;
    return bc;
  };
  const int64_t n = static_cast<int64_t>(arrival_time.size());
  std::unordered_map<std::string, int64_t> index;
  if (!c.history.empty()) index.reserve(static_cast<size_t>(n));
  if (!c.history.empty()) {
    for (int64_t i = 0; i < n; ++i) index.emplace(arrivals[i].sha, i);
  }
  in.commits.reserve(static_cast<size_t>(n));
  for (int p = 0; p < c.platforms; ++p) in.platforms.push_back(fmt::format("p{}", p + 1));
  std::vector<PlatformState*> state;
  for (const auto& p : in.platforms) state.push_back(&in.state[p]);

  const int runner_count = c.execution == Execution::kParallel ? c.platforms : 1;
  std::vector<Runner> runners(static_cast<size_t>(runner_count));
  auto runner_of = [&](int platform) -> Runner& {
    return runners[c.execution == Execution::kParallel ? static_cast<size_t>(platform) : 0];
  };
  // Waiting (not started) tasks: by (commit, platform) -> seq, and per commit a count, whose
  // number of keys is the queue depth the planner sees.
  std::unordered_map<int64_t, int64_t> waiting_task;  // key commit * 64 + platform
  std::unordered_map<int64_t, int> waiting_per_commit;
  int64_t next_seq = 0;

  SimulationResult r;
  r.commits = n;
  r.simulated_nanos = end - start;
  r.series_step_nanos =
      std::max<int64_t>(c.cron_nanos, (end - start) / std::max(1, c.max_series_points) + 1);
  r.series_step_nanos = (r.series_step_nanos + kMinuteNanos - 1) / kMinuteNanos * kMinuteNanos;
  r.queue_series.assign(
      static_cast<size_t>((end - start + r.series_step_nanos - 1) / r.series_step_nanos), 0);
  std::vector<int> minute_samples;
  int64_t next_sample = start;

  // Coverage: per platform and commit, when a finished run first stood for it.
  std::vector<std::vector<char>> covered(static_cast<size_t>(c.platforms),
                                         std::vector<char>(static_cast<size_t>(n), 0));
  auto measured = covered;
  std::vector<int> platforms_covering(static_cast<size_t>(n), 0);
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(n));
  int64_t measured_pairs = 0;

  auto depth = [&] { return static_cast<int>(waiting_per_commit.size()); };
  auto observe = [&](int64_t now) {
    const int d = depth();
    while (next_sample <= now && next_sample < end) {
      minute_samples.push_back(d);
      next_sample += kMinuteNanos;
    }
    const size_t bucket =
        static_cast<size_t>((std::min(now, end - 1) - start) / r.series_step_nanos);
    if (bucket < r.queue_series.size()) {
      r.queue_series[bucket] = std::max(r.queue_series[bucket], d);
    }
    r.max_queue_depth = std::max(r.max_queue_depth, d);
  };

  auto start_next = [&](Runner& runner, int64_t now) {
    if (runner.busy || runner.order.empty()) return;
    auto first = runner.order.begin();
    auto it = runner.waiting.find(first->second);
    runner.current = it->second;
    runner.waiting.erase(it);
    runner.order.erase(first);
    waiting_task.erase(runner.current.commit * 64 + runner.current.platform);
    if (--waiting_per_commit[runner.current.commit] == 0) {
      waiting_per_commit.erase(runner.current.commit);
    }
    const double factor = 1.0 + c.bench_jitter * (2.0 * unit(rng) - 1.0);
    runner.done_at =
        now + std::max<int64_t>(1'000'000'000, static_cast<int64_t>(c.bench_nanos * factor));
    runner.busy = true;
  };

  auto cancel = [&](int64_t commit, int platform) {
    auto it = waiting_task.find(commit * 64 + platform);
    if (it == waiting_task.end()) return;
    Runner& runner = runner_of(platform);
    auto t = runner.waiting.find(it->second);
    runner.order.erase({-t->second.priority, t->second.seq});
    runner.waiting.erase(t);
    waiting_task.erase(it);
    if (--waiting_per_commit[commit] == 0) waiting_per_commit.erase(commit);
    state[static_cast<size_t>(platform)]->queued.erase(in.commits[static_cast<size_t>(commit)].sha);
  };

  // The planner never looks behind a platform's newest measured commit (its frontier and
  // range starts are at or after it; the simulation makes no manual re-runs), so entries
  // older than that are dropped: the plans are the same, and the sets stay small and cached.
  const bool generated = c.history.empty();
  auto index_of = [&](const std::string& sha) -> int64_t {
    if (generated) {
      int64_t v = 0;
      for (char ch : sha) v = v * 16 + (ch <= '9' ? ch - '0' : ch - 'a' + 10);
      return v;
    }
    return index.at(sha);
  };
  std::vector<int64_t> newest_measured(static_cast<size_t>(c.platforms), -1);
  std::vector<size_t> prune_at(static_cast<size_t>(c.platforms), 256);
  auto prune = [&](int platform) {
    PlatformState* s = state[static_cast<size_t>(platform)];
    const size_t size = s->measured.size() + s->skipped.size();
    if (size < prune_at[static_cast<size_t>(platform)]) return;
    const int64_t keep_from = newest_measured[static_cast<size_t>(platform)];
    for (auto* set : {&s->measured, &s->skipped}) {
      for (auto it = set->begin(); it != set->end();) {
        it = index_of(*it) < keep_from ? set->erase(it) : std::next(it);
      }
    }
    prune_at[static_cast<size_t>(platform)] =
        std::max<size_t>(256, 2 * (s->measured.size() + s->skipped.size()));
  };

  // Platforms are named p1, p2, ...: the number is the index plus one.
  auto platform_of = [](const std::string& name) {
    int v = 0;
    std::from_chars(name.data() + 1, name.data() + name.size(), v);
    return v - 1;
  };
  // The newest commit measured, queued or skipped per platform, handed to the planner.
  auto advance = [&](int platform, int64_t commit) {
    auto& f = state[static_cast<size_t>(platform)]->frontier_index;
    f = std::max(f.value_or(-1), commit);
  };
  for (PlatformState* s : state) s->frontier_index = -1;
  in.list_pending = false;

  auto plan = [&](int64_t now) -> base::Status {
    for (int p = 0; p < c.platforms; ++p) prune(p);
    in.now = base::Timestamp{now};
    in.queue_depth = depth();
    ASSIGN_OR_RETURN(Plan p, MakePlan(in));
    ++r.plans;
    const std::string* last_reason = nullptr;
    int64_t* reason_count = nullptr;
    for (const Skip& k : p.skips) {
      const int64_t commit = index_of(k.sha);
      if (last_reason == nullptr || *last_reason != k.reason) {
        last_reason = &k.reason;
        reason_count = &r.skips_by_reason[k.reason];
      }
      *reason_count += static_cast<int64_t>(k.platforms.size());
      for (const auto& name : k.platforms) {
        const int platform = platform_of(name);
        advance(platform, commit);
        cancel(commit, platform);
        state[static_cast<size_t>(platform)]->skipped.insert(k.sha);
      }
    }
    for (const Job& j : p.jobs) {
      const int64_t commit = index_of(j.sha);
      const int64_t from = j.commit_range.from ? index_of(*j.commit_range.from) : -1;
      for (const auto& name : j.platforms) {
        const int platform = platform_of(name);
        advance(platform, commit);
        cancel(commit, platform);  // a re-plan of a queued commit replaces its task
        Task t{next_seq++, j.priority, commit, from, platform};
        Runner& runner = runner_of(platform);
        runner.order.insert({-t.priority, t.seq});
        runner.waiting.emplace(t.seq, t);
        waiting_task[commit * 64 + platform] = t.seq;
        ++waiting_per_commit[commit];
        state[static_cast<size_t>(platform)]->queued.insert(j.sha);
      }
    }
    return base::Status::Ok();
  };

  auto finish = [&](Runner& runner) {
    const Task& t = runner.current;
    const std::string& sha = in.commits[static_cast<size_t>(t.commit)].sha;
    PlatformState* s = state[static_cast<size_t>(t.platform)];
    s->queued.erase(sha);
    s->measured.insert(sha);
    auto& was_measured = measured[static_cast<size_t>(t.platform)][static_cast<size_t>(t.commit)];
    if (!was_measured) ++measured_pairs;
    was_measured = 1;
    auto& newest = newest_measured[static_cast<size_t>(t.platform)];
    newest = std::max(newest, t.commit);
    ++r.jobs_run;
    auto& cov = covered[static_cast<size_t>(t.platform)];
    for (int64_t i = t.range_from + 1; i <= t.commit; ++i) {
      if (cov[static_cast<size_t>(i)]) continue;
      cov[static_cast<size_t>(i)] = 1;
      if (++platforms_covering[static_cast<size_t>(i)] == c.platforms) {
        latencies.push_back(
            static_cast<double>(runner.done_at - arrival_time[static_cast<size_t>(i)]) / 1e9);
      }
    }
    runner.busy = false;
  };

  // The event loop: job completions, then commit arrivals (each triggers a plan), then the
  // cron, in time order.
  int64_t next_commit = 0;
  int64_t next_cron = (start / c.cron_nanos + 1) * c.cron_nanos;
  while (true) {
    int64_t t_done = INT64_MAX;
    Runner* done_runner = nullptr;
    for (Runner& runner : runners) {
      if (runner.busy && runner.done_at < t_done) {
        t_done = runner.done_at;
        done_runner = &runner;
      }
    }
    const int64_t t_commit =
        next_commit < n ? arrival_time[static_cast<size_t>(next_commit)] : INT64_MAX;
    const int64_t t_next = std::min({t_done, t_commit, next_cron});
    if (t_next >= end) break;
    observe(t_next);
    if (t_done == t_next) {
      finish(*done_runner);
      start_next(*done_runner, t_next);
      continue;
    }
    if (t_commit == t_next) {
      in.commits.push_back(make_commit(next_commit));
      ++next_commit;
    } else {
      next_cron += c.cron_nanos;
    }
    RETURN_IF_ERROR(plan(t_next));
    for (Runner& runner : runners) start_next(runner, t_next);
    observe(t_next);
  }
  observe(end - 1);

  r.final_queue_depth = depth();
  r.p95_queue_depth = static_cast<int>(
      Percentile(std::vector<double>(minute_samples.begin(), minute_samples.end()), 0.95));
  if (!latencies.empty()) {
    double sum = 0;
    for (double l : latencies) sum += l;
    r.mean_latency_s = sum / static_cast<double>(latencies.size());
    r.p95_latency_s = Percentile(latencies, 0.95);
  }
  const double pairs = static_cast<double>(n) * c.platforms;
  int64_t covered_pairs = 0;
  for (const auto& cov : covered) covered_pairs += std::count(cov.begin(), cov.end(), 1);
  if (n > 0) {
    r.coverage_measured = static_cast<double>(measured_pairs) / pairs;
    r.coverage_represented = static_cast<double>(covered_pairs) / pairs;
  }
  r.uncovered_commits = n - static_cast<int64_t>(latencies.size());
  return r;
}

}  // namespace perfledger::schedule
