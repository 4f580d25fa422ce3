// perfledger agent: claim jobs of a platform from `perfledger serve`, run them, upload the
// runs (service::RunAgent). This file parses flags, watches for signals and prints.
#include "service/agent.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "base/time.h"
#include "cli/shell.h"
#include "env/process.h"
#include "env/signals.h"
#include "service/job_server.h"

namespace perfledger::cli {
namespace {

struct AgentFlags {
  std::string server, token, platform, repo, suite = "perfledger.toml", name, project;
  std::string poll = "2s";
  bool once = false;
};

void Print(const std::string& line) {
  const int64_t second = base::SystemNow().unix_nanos / 1'000'000'000 * 1'000'000'000;
  fmt::print(stderr, "{} {}\n", base::FormatRfc3339(base::Timestamp{second}), line);
}

// SIGTERM and SIGINT taken by a thread of its own with sigtimedwait (blocked everywhere else:
// the agent's threads inherit the mask; benchmarks get a clean one from the executor). The
// first sets `stop`: the job in hand is finished, then the agent exits. The second kills the
// running benchmark and exits at once.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::atomic<bool>* stop) : stop_(stop) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    thread_ = std::thread([this] { Watch(); });
  }
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  void Watch() {
    while (!done_) {
      const int sig = env::WaitForSignal(signals_, std::chrono::milliseconds(100));
      if (sig != SIGTERM && sig != SIGINT) continue;
      if (!stop_->exchange(true)) {
        Print(fmt::format("{}: finishing the job in hand, then exiting (again to exit now)",
                          strsignal(sig)));
        continue;
      }
      env::KillMeasuredProcesses();
      Print(fmt::format("{} again: exiting now", strsignal(sig)));
      std::fflush(stderr);
      _exit(128 + sig);
    }
  }

  std::atomic<bool>* stop_;
  std::atomic<bool> done_{false};
  sigset_t signals_, previous_;
  std::thread thread_;
};

void RunAgentVerb(const AgentFlags& flags, Shell* shell) {
  auto poll = base::ParseDuration(flags.poll);
  if (!poll.ok() || *poll < 100'000'000 || *poll > 3600LL * 1'000'000'000) {
    return shell->UsageError(
        fmt::format("--poll: expected a duration from 100ms to 1h, like 2s, got '{}'", flags.poll));
  }
  if (flags.platform.empty()) return shell->UsageError("--platform: expected a platform label");
  service::AgentOptions options;
  options.repo = flags.repo;
  options.suite_file = flags.suite;
  options.platform = flags.platform;
  options.once = flags.once;
  options.poll_nanos = *poll;
  options.name = flags.name;
  if (options.name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, 8, "agent");
    options.name = fmt::format("{}-{}", host, getpid());
  }
  // A name of our own making names no checkout a later agent could reuse.
  options.keep_checkout = !flags.name.empty();
  options.project = flags.project.empty() ? service::DefaultProject(flags.repo) : flags.project;
  options.log = Print;
  auto server = service::NewHttpJobServer(flags.server, flags.token, options.project);
  if (!server.ok()) return shell->Fail(server.status());

  std::atomic<bool> stop{false};
  options.stop = &stop;
  Print(fmt::format("perfledger agent {}: jobs of {} for project {} from {}{}", options.name,
                    options.platform, options.project, flags.server, options.once ? ", once" : ""));
  base::Result<service::AgentSummary> summary = base::Internal("not run");
  {
    SignalWatcher watcher(&stop);
    summary = service::RunAgent(**server, options);
  }
  if (!summary.ok()) return shell->Fail(summary.status());
  if (options.once && summary->completed == 0 && summary->empty_claims > 0) {
    Print("no job waiting");
  }
  if (options.once && (summary->failed > 0 || summary->lost > 0)) shell->exit_code = kExitError;
}

}  // namespace

void AddAgentVerb(CLI::App& app, Shell* shell) {
  auto flags = std::make_shared<AgentFlags>();
  CLI::App* cmd = app.add_subcommand(
      "agent", "Claim jobs of a platform from perfledger serve, run them, upload the runs");
  cmd->footer(
      "The agent claims a job of its --platform, checks the job's commit out in a worktree of\n"
      "its own (REPO/.perfledger/agents/NAME, reused by the next job; the working tree of --repo\n"
      "is never touched; a commit the repository lacks is fetched from origin), runs the suite\n"
      "file there (--suite, relative to the checkout) as `perfledger run --suite` does, uploads\n"
      "the run with the job's commit, range and reason, and completes the job. Failed\n"
      "benchmarks make a partial run, uploaded all the same; a job that cannot run is failed\n"
      "with the last 4 KB of its log. The lease is renewed every third of it; when the server\n"
      "says it is lost, the job's processes are killed and nothing more is sent. Without\n"
      "--once it claims again, every --poll while nothing waits. Network errors and 5xx answers\n"
      "are retried with backoff. SIGTERM or Ctrl-C: the job in hand is finished (uploaded,\n"
      "completed), then the agent exits 0; a second one exits at once.\n"
      "--server takes http:// and https:// URLs (the system's CA certificates), with a path\n"
      "prefix when the server is behind a proxy. The token may come from $PERFLEDGER_TOKEN\n"
      "instead (a command line is visible to other users). Exit status with --once: 0 when the\n"
      "job completed or none waited, 1 when it failed.\n\n"
      "Example:\n"
      "  perfledger token create --project gruel            # on the server's store\n"
      "  PERFLEDGER_TOKEN=plt_... perfledger agent --server http://perf.internal:8080 \\\n"
      "      --platform x86-64-linux --repo ~/src/gruel --name bench-1");
  cmd->add_option("--server", flags->server, "The server's URL: http://HOST:PORT[/PREFIX]")
      ->required();
  cmd->add_option("--token", flags->token, "A write token of the project")
      ->envname("PERFLEDGER_TOKEN")
      ->required();
  cmd->add_option("--platform", flags->platform, "The platform whose jobs to run")->required();
  cmd->add_option("--repo", flags->repo, "The git repository the jobs' commits are in")->required();
  cmd->add_option("--suite", flags->suite,
                  "The suite file, relative to the checkout (default perfledger.toml)");
  cmd->add_option("--project", flags->project,
                  "The project on the server (default: the repository's directory name)");
  cmd->add_option("--name", flags->name,
                  "The agent's name, unique among the agents (default HOST-PID; with a name "
                  "of your own the checkout is kept for the next start)");
  cmd->add_option("--poll", flags->poll, "Between claims while nothing waits (default 2s)");
  cmd->add_flag("--once", flags->once, "Claim once, run the job if one waits, then exit");
  cmd->callback([flags, shell] { RunAgentVerb(*flags, shell); });
}

}  // namespace perfledger::cli
