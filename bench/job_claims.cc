// Job hand-out under contention (bench/run_pg_bench.sh): many agents claiming from one queue
// through the store, as `perfledger serve` does for each POST .../jobs/claim and .../complete.
//
//   job_claims DB JOBS AGENTS
//       Records one plan of JOBS jobs (JOBS commits of one branch, one platform) in DB, a new
//       SQLite file or an empty PostgreSQL database. Then AGENTS threads, each with its own store
//       connection (as agents on as many machines, through as many servers, would have), all on
//       that platform, each claim a job (Store::ClaimJob) and finish it as done with a run id
//       (Store::FinishJob) until a claim finds nothing left. The connections are opened before
//       the clock starts.
//
// Prints one JSON line: the jobs claimed, the wall time from the start to the last agent's
// empty claim, claims per second, p50/p99 of a claim and of a finish (ms, nearest rank), and
// the checks: each job's claims counted from what the agents got (double_claims: claims beyond
// the first of a job; unclaimed: jobs nobody got), and the queue read back after
// (ListJobHandouts): every job done, once (attempt 1), by the agent that claimed it. Exits 1
// when a check fails or a store call fails (its message on stderr).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "base/uuid.h"
#include "store/store.h"

namespace perfledger {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'790'000'000;  // the first commit's time, Unix seconds
constexpr const char* kPlatform = "x86-64-linux";

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "job_claims: %s\n", message.c_str());
  std::exit(1);
}

long Number(const char* text, const char* what) {
  char* end = nullptr;
  const long n = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || n < 1) Die(std::string(what) + ": expected a count >= 1");
  return n;
}

std::string Sha(long commit) {
  char sha[41];
  std::snprintf(sha, sizeof sha, "%040lx", 0xc1a1000000L + commit);
  return sha;
}

double Ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Nearest-rank quantile of sorted values; 0 for none.
double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void RecordPlan(store::Store& s, long jobs) {
  store::PlanRecord plan;
  plan.now = base::SystemNow();
  plan.branch = "main";
  plan.head = Sha(jobs - 1);
  plan.degradation = "none";
  for (long c = 0; c < jobs; ++c) {
    store::CommitRecord commit;
    commit.sha = Sha(c);
    if (c > 0) commit.first_parent = Sha(c - 1);
    commit.parent_count = c > 0 ? 1 : 0;
    commit.time = base::Timestamp{(kT0 + c * 600) * kSecond};
    commit.subject = "Change " + std::to_string(c);
    plan.commits.push_back(std::move(commit));
    store::JobRecord job;
    job.sha = Sha(c);
    job.platform = kPlatform;
    job.reason = "push";
    if (c > 0) job.range_from = Sha(c - 1);
    plan.jobs.push_back(std::move(job));
  }
  if (auto st = s.RecordPlan(plan); !st.ok()) Die("record the plan: " + st.ToString());
}

// What one agent did.
struct Agent {
  std::string name;
  std::vector<int64_t> claimed;  // job ids, in claim order
  std::vector<double> claim_ms, finish_ms;
  std::string error;  // the first failed call; the agent stopped there
};

void RunAgent(const std::string& db, Agent& agent, std::latch& ready, std::latch& go) {
  auto opened = store::OpenStore(db);
  if (!opened.ok()) agent.error = "open: " + opened.status().ToString();
  ready.count_down();
  go.wait();
  if (!opened.ok()) return;
  store::Store& s = **opened;
  for (;;) {
    store::ClaimRequest request;
    request.platform = kPlatform;
    request.agent = agent.name;
    request.now = base::SystemNow();
    request.lease_nanos = 300 * kSecond;
    auto start = Clock::now();
    auto job = s.ClaimJob(request);
    agent.claim_ms.push_back(Ms(start));
    if (!job.ok()) {
      agent.error = "claim: " + job.status().ToString();
      return;
    }
    if (!job->has_value()) return;  // nothing left
    const int64_t id = (*job)->id;
    agent.claimed.push_back(id);
    start = Clock::now();
    auto done = s.FinishJob(id, agent.name, base::NewUuidV4(), "", base::SystemNow(), 3);
    agent.finish_ms.push_back(Ms(start));
    if (!done.ok()) {
      agent.error = "finish job " + std::to_string(id) + ": " + done.status().ToString();
      return;
    }
  }
}

int Run(const std::string& db, long jobs, long agents) {
  {
    auto s = store::OpenStore(db);
    if (!s.ok()) Die(s.status().ToString());
    auto existing = (*s)->ListJobHandouts(std::nullopt);
    if (!existing.ok()) Die(existing.status().ToString());
    if (!existing->empty()) Die(db + ": has jobs already; give a new store");
    RecordPlan(**s, jobs);
  }
  std::vector<Agent> crew(static_cast<size_t>(agents));
  for (size_t i = 0; i < crew.size(); ++i) crew[i].name = "agent-" + std::to_string(i + 1);
  std::latch ready(agents), go(1);
  std::vector<std::thread> threads;
  for (Agent& a : crew) {
    threads.emplace_back([&db, &a, &ready, &go] { RunAgent(db, a, ready, go); });
  }
  ready.wait();
  const auto start = Clock::now();
  go.count_down();
  for (auto& t : threads) t.join();
  const double wall_ms = Ms(start);

  // Claims as the agents saw them: each job once.
  std::map<int64_t, std::string> claimer;
  int64_t claims = 0, double_claims = 0;
  std::vector<double> claim_ms, finish_ms;
  std::string errors;
  int failed_agents = 0;
  for (const Agent& a : crew) {
    for (int64_t id : a.claimed) {
      ++claims;
      if (!claimer.emplace(id, a.name).second) ++double_claims;
    }
    claim_ms.insert(claim_ms.end(), a.claim_ms.begin(), a.claim_ms.end());
    finish_ms.insert(finish_ms.end(), a.finish_ms.begin(), a.finish_ms.end());
    if (!a.error.empty()) {
      std::fprintf(stderr, "job_claims: %s: %s\n", a.name.c_str(), a.error.c_str());
      errors += errors.empty() ? a.error : "; " + a.error;
      ++failed_agents;
    }
  }
  const int64_t unclaimed = jobs - static_cast<int64_t>(claimer.size());

  // The queue as the store keeps it: every job done once, by its claimer.
  int64_t not_done = 0, wrong_agent = 0, reclaimed = 0;
  {
    auto s = store::OpenStore(db);
    if (!s.ok()) Die(s.status().ToString());
    auto list = (*s)->ListJobHandouts(std::nullopt);
    if (!list.ok()) Die(list.status().ToString());
    for (const store::JobHandout& j : *list) {
      not_done += j.state != core::JobState::kDone;
      reclaimed += j.attempt != 1;
      auto it = claimer.find(j.id);
      wrong_agent += it == claimer.end() || j.agent != it->second;
    }
    not_done += jobs - static_cast<int64_t>(list->size());
  }

  std::sort(claim_ms.begin(), claim_ms.end());
  std::sort(finish_ms.begin(), finish_ms.end());
  const bool exact = errors.empty() && claims == jobs && double_claims == 0 && unclaimed == 0 &&
                     not_done == 0 && wrong_agent == 0 && reclaimed == 0;
  std::printf(
      "{\"agents\": %ld, \"jobs\": %ld, \"claims\": %lld, \"seconds\": %.3f, "
      "\"claims_per_s\": %.1f, \"claim_p50_ms\": %.3f, \"claim_p99_ms\": %.3f, "
      "\"finish_p50_ms\": %.3f, \"finish_p99_ms\": %.3f, \"double_claims\": %lld, "
      "\"unclaimed\": %lld, \"not_done\": %lld, \"wrong_agent\": %lld, \"reclaimed\": %lld, "
      "\"failed_agents\": %d, \"exact\": %s}\n",
      agents, jobs, static_cast<long long>(claims), wall_ms / 1e3,
      static_cast<double>(claims) / (wall_ms / 1e3), Quantile(claim_ms, 0.5),
      Quantile(claim_ms, 0.99), Quantile(finish_ms, 0.5), Quantile(finish_ms, 0.99),
      static_cast<long long>(double_claims), static_cast<long long>(unclaimed),
      static_cast<long long>(not_done), static_cast<long long>(wrong_agent),
      static_cast<long long>(reclaimed), failed_agents, exact ? "true" : "false");
  return exact ? 0 : 1;
}

}  // namespace
}  // namespace perfledger

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: job_claims DB JOBS AGENTS\n");
    return 2;
  }
  return perfledger::Run(argv[1], perfledger::Number(argv[2], "JOBS"),
                         perfledger::Number(argv[3], "AGENTS"));
}
