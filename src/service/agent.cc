// How the agent runs a job. The main thread checks out, measures, uploads and completes; a
// Heartbeat object's thread renews the lease meanwhile and, when the server says it is lost,
// marks it so and cancels the job's executor (refusing new processes, killing running ones).
// The main thread looks at that mark before each thing it sends. The heartbeat stops before
// complete or fail: a heartbeat after them would only meet a 409 for a job that is over.
#include "service/agent.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "base/time.h"
#include "core/artifact.h"
#include "env/env.h"
#include "env/process.h"
#include "schedule/checkout.h"
#include "service/measure.h"

namespace perfledger::service {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDefaultLease = 5 * 60 * kSecond;
constexpr size_t kLogTail = 4096;
constexpr int kOnceClaimTries = 5;

// A name as a directory and worktree name: letters, digits, '.', '_' and '-'.
std::string SafeName(const std::string& name) {
  std::string out;
  for (char c : name.substr(0, 100)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out += ok ? c : '-';
  }
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
  return out;
}

// Refuses to start processes once cancelled; Cancel also kills the ones running.
class CancellableExecutor final : public env::Executor {
 public:
  base::Result<env::ProcessResult> Run(const env::ProcessSpec& spec) override {
    if (cancelled_) return base::IoError("not started: the job was given up");
    return env::Executor::Default()->Run(spec);
  }
  void Cancel() {
    cancelled_ = true;
    env::KillMeasuredProcesses();
  }

 private:
  std::atomic<bool> cancelled_{false};
};

class Agent {
 public:
  Agent(JobServer& server, const AgentOptions& options)
      : server_(server), opt_(options), random_(std::random_device{}()) {}

  base::Result<AgentSummary> Run();

  void Log(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu_);
    if (opt_.log) opt_.log(line);
  }
  bool Stopped() const { return opt_.stop != nullptr && opt_.stop->load(); }

  // Waits `nanos`; a stop ends the wait early (and returns false) when `interruptible`.
  bool Sleep(int64_t nanos, bool interruptible) {
    const auto end = Clock::now() + std::chrono::nanoseconds(nanos);
    while (Clock::now() < end) {
      if (interruptible && Stopped()) return false;
      std::this_thread::sleep_for(
          std::min<Clock::duration>(end - Clock::now(), std::chrono::milliseconds(50)));
    }
    return !(interruptible && Stopped());
  }
  // The n-th retry's wait: 1 s doubling up to max_backoff, times 0.8 to 1.2.
  int64_t Backoff(int n) {
    const int64_t base = std::min(opt_.max_backoff_nanos, kSecond << std::min(n, 20));
    return static_cast<int64_t>(static_cast<double>(base) * Jitter(0.8, 1.2));
  }
  double Jitter(double lo, double hi) {
    std::lock_guard<std::mutex> lock(random_mu_);
    return std::uniform_real_distribution<double>(lo, hi)(random_);
  }

  JobServer& server_;
  const AgentOptions& opt_;
  std::string checkout_dir_, worktree_name_;

 private:
  base::Result<std::optional<ClaimedJob>> Claim();

  std::mutex log_mu_, random_mu_;
  std::mt19937_64 random_;
};

// The lease on one job, renewed by a thread of its own until Stop.
class Heartbeat {
 public:
  Heartbeat(Agent& agent, const ClaimedJob& job, CancellableExecutor& executor)
      : agent_(agent), job_(job), executor_(executor) {
    const base::Timestamp now = env::Env::Default()->Now();
    int64_t lease = kDefaultLease;
    if (job.lease_expires_at) {
      const base::Timestamp from = job.claimed_at.value_or(now);
      lease = job.lease_expires_at->unix_nanos - from.unix_nanos;
      if (lease <= 0) lease = kDefaultLease;  // a clock far off: the server's default
    }
    lease_ = std::chrono::nanoseconds(lease);
    interval_ = std::chrono::nanoseconds(
        agent.opt_.heartbeat_nanos > 0 ? agent.opt_.heartbeat_nanos : std::max(lease / 3, kSecond));
    deadline_ = Clock::now() + lease_;
    thread_ = std::thread([this] { Loop(); });
  }
  ~Heartbeat() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool lost() const { return lost_; }
  std::string lost_reason() {
    std::lock_guard<std::mutex> lock(mu_);
    return lost_reason_;
  }
  // The lease ran out by this machine's clock (renewals counted).
  bool Expired() {
    std::lock_guard<std::mutex> lock(mu_);
    return Clock::now() > deadline_;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    auto wait = interval_;
    while (!cv_.wait_for(lock, wait, [this] { return done_; })) {
      lock.unlock();
      auto renewed = agent_.server_.Heartbeat(job_.id, agent_.opt_.name);
      lock.lock();
      if (done_) return;
      if (renewed.ok()) {
        deadline_ = Clock::now() + lease_;
        wait = interval_;
      } else if (IsTransient(renewed.status())) {
        agent_.Log(fmt::format("job {}: heartbeat failed, retrying: {}", job_.id,
                               renewed.status().message()));
        wait = std::min<Clock::duration>(interval_, std::chrono::seconds(5));
      } else {
        lost_reason_ = renewed.status().message();
        lost_ = true;
        executor_.Cancel();
        return;
      }
    }
  }

  Agent& agent_;
  const ClaimedJob& job_;
  CancellableExecutor& executor_;
  std::chrono::nanoseconds lease_{0};
  Clock::duration interval_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> lost_{false};
  std::string lost_reason_;
  Clock::time_point deadline_;
  std::thread thread_;
};

enum class Outcome { kCompleted, kFailed, kLost };

class JobRun {
 public:
  JobRun(Agent& agent, const ClaimedJob& job)
      : agent_(agent), job_(job), heartbeat_(agent, job, executor_) {}

  Outcome Run();

 private:
  void Note(const std::string& line) { log_ += line + "\n"; }
  std::string Label() const {
    return fmt::format("job {} ({} on {})", job_.id, job_.sha.substr(0, 12),
                       job_.platform.empty() ? agent_.opt_.platform : job_.platform);
  }
  // Calls `call` until it succeeds, fails for good, the lease is lost or runs out.
  template <typename Call>
  base::Status Send(std::string_view what, Call call);
  Outcome Lost(const std::string& what) {
    agent_.Log(fmt::format("{}: lease lost ({}); {}", Label(), heartbeat_.lost_reason(), what));
    return Outcome::kLost;
  }
  Outcome GaveUp(const base::Status& status, const std::string& what) {
    agent_.Log(fmt::format("{}: gave up, the lease ran out while the server was away ({}); {}",
                           Label(), status.message(), what));
    return Outcome::kLost;
  }
  Outcome Fail(const std::string& reason);

  Agent& agent_;
  const ClaimedJob& job_;
  CancellableExecutor executor_;
  Heartbeat heartbeat_;  // after executor_: it may cancel it until it is stopped
  std::string log_;
};

template <typename Call>
base::Status JobRun::Send(std::string_view what, Call call) {
  for (int n = 0;; ++n) {
    if (heartbeat_.lost()) return base::Conflict(heartbeat_.lost_reason());
    base::Status s = call();
    if (s.ok() || !IsTransient(s) || heartbeat_.Expired()) return s;
    const int64_t wait = agent_.Backoff(n);
    agent_.Log(fmt::format("{}: {} failed, retrying in {:.0f} s: {}", Label(), what,
                           static_cast<double>(wait) / kSecond, s.message()));
    agent_.Sleep(wait, /*interruptible=*/false);
  }
}

Outcome JobRun::Fail(const std::string& reason) {
  Note("error: " + reason);
  heartbeat_.Stop();
  if (heartbeat_.lost()) return Lost("not failed");
  std::string_view tail = log_;
  if (tail.size() > kLogTail) tail.remove_prefix(tail.size() - kLogTail);
  const std::string sent(tail);
  base::Status s =
      Send("fail", [&] { return agent_.server_.Fail(job_.id, agent_.opt_.name, sent); });
  if (s.code() == base::StatusCode::kConflict) return Lost("not failed: " + s.message());
  if (!s.ok() && IsTransient(s)) return GaveUp(s, "not failed");
  if (!s.ok()) {
    agent_.Log(fmt::format("{}: failed ({}), but the server refused the failure: {}", Label(),
                           reason, s.message()));
    return Outcome::kFailed;
  }
  agent_.Log(fmt::format("{}: failed: {}", Label(), reason));
  return Outcome::kFailed;
}

Outcome JobRun::Run() {
  const AgentOptions& opt = agent_.opt_;
  agent_.Log(fmt::format("{}: claimed ({}, attempt {})", Label(), job_.reason, job_.attempt));
  Note(fmt::format("perfledger agent {}: job {}, commit {} on {}, attempt {}", opt.name, job_.id,
                   job_.sha, job_.platform, job_.attempt));
  Note("checkout: " + agent_.checkout_dir_);
  if (auto s = schedule::CheckoutDetached(opt.repo, job_.sha, agent_.checkout_dir_,
                                          agent_.worktree_name_);
      !s.ok()) {
    if (heartbeat_.lost()) return Lost("checkout abandoned");
    return Fail("checkout: " + s.message());
  }
  SuiteMeasureRequest request;
  request.suite_file = (fs::path(agent_.checkout_dir_) / opt.suite_file).string();
  request.executor = &executor_;
  RunMetadata& m = request.metadata;
  m.platform = job_.platform.empty() ? opt.platform : job_.platform;
  m.commit = job_.sha;
  m.project = opt.project;
  m.reason = job_.reason;
  m.range_from = job_.range_from.value_or("");
  m.range_count = job_.range_count;
  m.repo = opt.repo;
  Note("suite: " + request.suite_file);
  const auto started = Clock::now();
  auto measured = MeasureSuite(request);
  const base::ScaledTime took = base::ScaleNanos(
      static_cast<double>(std::chrono::nanoseconds(Clock::now() - started).count()));
  if (heartbeat_.lost()) return Lost("its processes were stopped, nothing uploaded");
  if (!measured.ok()) return Fail("cannot run the suite: " + measured.status().message());
  if (measured->warning) Note("warning: " + *measured->warning);
  const core::Run& run = measured->run;
  size_t failures = 0;
  for (const auto& b : run.benchmarks) {
    if (!b.error) continue;
    ++failures;
    Note(fmt::format("error: {}: {}", b.name, *b.error));
  }
  // What is sent is what the artifact reader accepts, as EmitArtifact checks for files.
  auto checked =
      core::ReadArtifact(core::WriteArtifact(run), "the run of job " + std::to_string(job_.id));
  if (!checked.ok()) return Fail(checked.status().message());
  const std::string artifact = core::WriteArtifact(*checked);
  // The lease, renewed just before the upload: an agent that stalled past its lease (a
  // suspended machine) learns here that the job went to another agent, instead of at its next
  // heartbeat, and stores no second run of the job's commit.
  if (auto renewed = agent_.server_.Heartbeat(job_.id, agent_.opt_.name);
      !renewed.ok() && !IsTransient(renewed.status())) {
    agent_.Log(
        fmt::format("{}: lease lost ({}); nothing uploaded", Label(), renewed.status().message()));
    return Outcome::kLost;
  }
  base::Status up = Send("upload", [&] { return agent_.server_.Upload(artifact); });
  if (heartbeat_.lost()) return Lost("nothing more sent");
  if (!up.ok() && IsTransient(up)) return GaveUp(up, "run " + run.run_id + " not uploaded");
  if (!up.ok()) return Fail("the server refused run " + run.run_id + ": " + up.message());
  heartbeat_.Stop();
  if (heartbeat_.lost()) return Lost("uploaded run " + run.run_id + ", not completed");
  base::Status done =
      Send("complete", [&] { return agent_.server_.Complete(job_.id, opt.name, run.run_id); });
  const std::string what = fmt::format("ran {} benchmark{}{} in {:.1f} {}, uploaded run {}",
                                       run.benchmarks.size(), run.benchmarks.size() == 1 ? "" : "s",
                                       failures > 0 ? fmt::format(" ({} failed)", failures) : "",
                                       took.value, took.unit, run.run_id);
  if (done.code() == base::StatusCode::kConflict) {
    agent_.Log(fmt::format("{}: {}; not completed, the lease was lost: {}", Label(), what,
                           done.message()));
    return Outcome::kLost;
  }
  if (!done.ok() && IsTransient(done)) return GaveUp(done, what + ", not completed");
  if (!done.ok()) {
    agent_.Log(fmt::format("{}: {}; the server refused to complete it: {}", Label(), what,
                           done.message()));
    return Outcome::kLost;
  }
  agent_.Log(fmt::format("{}: {}, completed", Label(), what));
  return Outcome::kCompleted;
}

base::Result<std::optional<ClaimedJob>> Agent::Claim() {
  for (int n = 0;; ++n) {
    auto claimed = server_.Claim(opt_.platform, opt_.name);
    if (claimed.ok() || !IsTransient(claimed.status())) return claimed;
    if (opt_.once && n + 1 >= kOnceClaimTries) return claimed.status();
    const int64_t wait = Backoff(n);
    Log(fmt::format("claim failed, retrying in {:.0f} s: {}", static_cast<double>(wait) / kSecond,
                    claimed.status().message()));
    if (!Sleep(wait, /*interruptible=*/true)) return std::optional<ClaimedJob>();
  }
}

base::Result<AgentSummary> Agent::Run() {
  env::Env* env = env::Env::Default();
  if (!env->IsDirectory(opt_.repo)) {
    return base::InvalidInput(fmt::format("--repo {}: no such directory", opt_.repo));
  }
  worktree_name_ = "perfledger-" + SafeName(opt_.name);
  checkout_dir_ = opt_.checkout_dir;
  if (checkout_dir_.empty()) {
    const fs::path agents = fs::absolute(opt_.repo) / ".perfledger" / "agents";
    RETURN_IF_ERROR(env->CreateDirectories(agents.string()));
    const std::string ignore = (agents / ".gitignore").string();
    if (!env->Exists(ignore)) RETURN_IF_ERROR(env->WriteFileAtomic(ignore, "*\n"));
    checkout_dir_ = (agents / SafeName(opt_.name)).string();
  }
  AgentSummary summary;
  base::Status error;
  while (!Stopped()) {
    auto claimed = Claim();
    if (!claimed.ok()) {
      error = claimed.status().WithPrefix("claim");
      break;
    }
    if (!claimed->has_value()) {
      if (Stopped()) break;
      ++summary.empty_claims;
      if (opt_.once) break;
      Sleep(static_cast<int64_t>(static_cast<double>(opt_.poll_nanos) * Jitter(0.75, 1.25)),
            /*interruptible=*/true);
      continue;
    }
    const ClaimedJob job = std::move(**claimed);
    switch (JobRun(*this, job).Run()) {
      case Outcome::kCompleted:
        ++summary.completed;
        break;
      case Outcome::kFailed:
        ++summary.failed;
        break;
      case Outcome::kLost:
        ++summary.lost;
        break;
    }
    if (opt_.once) break;
  }
  if (!opt_.keep_checkout) {
    if (auto s = schedule::RemoveCheckout(opt_.repo, worktree_name_); !s.ok()) {
      Log("cannot remove the checkout: " + s.message());
    }
  }
  if (!error.ok()) return error;
  return summary;
}

}  // namespace

base::Result<AgentSummary> RunAgent(JobServer& server, const AgentOptions& options) {
  return Agent(server, options).Run();
}

std::string DefaultProject(const std::string& repo) {
  fs::path p = fs::absolute(repo).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace perfledger::service
