// The agent (DESIGN.md "agent"; `perfledger agent`): a loop on a platform's machine that
// claims a job of its platform from the server, checks the job's commit out in a worktree of
// its own (schedule/checkout.h: never the user's working tree), runs the suite there, uploads
// the run and completes the job, or fails it with the end of its log; then claims the next.
//
// A job's run is a run like `perfledger run --suite` makes (service::MeasureSuite): the suite
// file's path is taken in the checkout, so its benchmarks run in the checkout (relative `cwd`s
// start at the suite file's directory); the commit, its commit range, the reason and the
// platform come from the job. Benchmark failures make a partial run, which is uploaded and
// completes the job; a job that cannot run at all (no such commit, no suite file, a suite file
// in error, an upload the server refuses) is failed with the last 4 KB of its log.
//
// While a job runs, a second thread renews its lease every third of it. When the server says
// the lease is lost (409), the job's processes are killed, nothing more of it is sent, and the
// next job is claimed. Errors the server may recover from (job_server.h: IsTransient) are
// retried with backoff (1 s doubling to max_backoff, with jitter): a claim until the agent is
// stopped (with `once`, five times), a job's upload, complete and fail while its lease holds.
// A claim the server refuses (a bad token, an unknown project) ends the loop with its error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "service/job_server.h"

namespace perfledger::service {

struct AgentOptions {
  std::string repo;                            // the repository the jobs' commits are in
  std::string suite_file = "perfledger.toml";  // relative to the checkout
  std::string platform, name, project;         // name: the agent's, unique among agents
  bool once = false;  // one claim (and its job, if one waited), then return
  // Between claims while nothing waits (each wait 75% to 125% of it).
  int64_t poll_nanos = 2'000'000'000;
  // The checkout every job reuses; empty: REPO/.perfledger/agents/NAME (a .gitignore there
  // keeps it out of the repository's `git status`).
  std::string checkout_dir;
  bool keep_checkout = true;    // false: removed when RunAgent returns
  int64_t heartbeat_nanos = 0;  // 0: a third of the lease the claim gave
  int64_t max_backoff_nanos = 60'000'000'000;
  // Set from another thread (a signal) to finish the job in hand (upload, complete) and return.
  const std::atomic<bool>* stop = nullptr;
  // What the agent does, a line at a time ("job 12: claimed ..."): the claim and the outcome
  // of every job, retries. Called from the heartbeat thread too, never from two at once.
  std::function<void(const std::string&)> log;
};

struct AgentSummary {
  int completed = 0;     // uploaded and completed (partial runs too)
  int failed = 0;        // given back as failed
  int lost = 0;          // given up: the lease was lost, or the server stayed away until it ran out
  int empty_claims = 0;  // claims that found nothing waiting
};

// Runs the loop until options.stop is set, or after one claim with options.once. Errors:
// kInvalidInput for options it cannot use (no repository at options.repo), and a claim the
// server refused.
base::Result<AgentSummary> RunAgent(JobServer& server, const AgentOptions& options);

// The project an agent works for when not told: the repository's directory name, as
// `perfledger run` names it.
std::string DefaultProject(const std::string& repo);

}  // namespace perfledger::service
