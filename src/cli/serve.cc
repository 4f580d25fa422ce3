// perfledger serve: the HTTP API and the dashboard over one store.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/time.h"
#include "cli/schedule_options.h"
#include "cli/shell.h"
#include "env/env.h"
#include "schedule/commit_source.h"
#include "server/server.h"
#include "service/catalog.h"
#include "service/notify.h"
#include "service/plan.h"

namespace perfledger::cli {
namespace {

struct ServeFlags {
  std::string bind = "127.0.0.1";
  int port = 8080;
  bool private_reads = false;
  std::string web_root;
  std::string max_body = "64";
  int threads = 32;
  bool access_log = false;
  std::vector<std::string> allowed_hosts;
  double header_timeout = 10, idle_timeout = 5, body_timeout = 120;
  int max_connections = 10'000;
  std::string lease = "5m";
  int max_attempts = 3;
  // The server's own planner.
  std::string repo, branch, plan_every;
  std::string repo_url;  // where the dashboard links commits
  std::vector<std::string> platforms;
  PolicyOptions policy;
  // Webhooks.
  std::vector<std::string> notify;
  std::string public_url;
};

// A timeout flag's value as a duration: 0.1 to 3600 seconds.
bool ParseTimeout(const char* flag, double seconds, std::chrono::milliseconds* out, Shell* shell) {
  if (!(seconds >= 0.1 && seconds <= 3600)) {
    shell->UsageError(fmt::format("{}: expected seconds from 0.1 to 3600, got {}", flag, seconds));
    return false;
  }
  *out = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  return true;
}

void RunServe(const ServeFlags& flags, Shell* shell) {
  if (flags.port < 0 || flags.port > 65535) {
    return shell->UsageError(fmt::format("--port: expected 0 to 65535, got {}", flags.port));
  }
  if (flags.threads < 1 || flags.threads > 1024) {
    return shell->UsageError(fmt::format("--threads: expected 1 to 1024, got {}", flags.threads));
  }
  char* end = nullptr;
  const double mib = std::strtod(flags.max_body.c_str(), &end);
  if (end != flags.max_body.c_str() + flags.max_body.size() || !(mib > 0 && mib <= 4096)) {
    return shell->UsageError(fmt::format(
        "--max-body: expected a size in MiB above 0 and at most 4096, like 64, got '{}'",
        flags.max_body));
  }
  if (flags.max_connections < 1 || flags.max_connections > 1'000'000) {
    return shell->UsageError(
        fmt::format("--max-connections: expected 1 to 1000000, got {}", flags.max_connections));
  }
  for (const std::string& host : flags.allowed_hosts) {
    if (host.empty() || host.find_first_of(" /:@") != std::string::npos) {
      return shell->UsageError(fmt::format(
          "--allowed-host: expected a host name without port or scheme, like perf.example.org "
          "(or * for any), got '{}'",
          host));
    }
  }
  auto lease = base::ParseDuration(flags.lease);
  if (!lease.ok() || *lease < 1'000'000'000LL || *lease > 24LL * 3600 * 1'000'000'000) {
    return shell->UsageError(fmt::format(
        "--lease: expected a duration from 1s to 24h, like 5m or 90s, got '{}'", flags.lease));
  }
  if (flags.max_attempts < 1 || flags.max_attempts > 100) {
    return shell->UsageError(
        fmt::format("--max-attempts: expected 1 to 100, got {}", flags.max_attempts));
  }
  server::ServeOptions options;
  if (!flags.plan_every.empty() || !flags.platforms.empty() || !flags.branch.empty()) {
    if (flags.repo.empty()) {
      return shell->UsageError(
          "--plan-every, --branch and --platform plan from a repository: pass --repo DIR (the "
          "server's own clone, e.g. git clone --mirror URL DIR)");
    }
  }
  if (!flags.repo.empty()) {
    service::PlanRequest planning;
    planning.repo = flags.repo;
    planning.branch = flags.branch;
    planning.platforms = flags.platforms;
    auto policy =
        flags.policy.Resolve((std::filesystem::path(flags.repo) / "perfledger.toml").string());
    if (!policy.ok()) return shell->Fail(policy.status());
    planning.policy = *policy;
    // The repository is read now, so a bad --repo or --branch fails here.
    if (auto read = schedule::ReadBranch(flags.repo, {flags.branch}); !read.ok()) {
      return shell->Fail(read.status());
    }
    options.api.planning = std::move(planning);
  }
  if (!flags.plan_every.empty()) {
    auto every = base::ParseDuration(flags.plan_every);
    if (!every.ok() || *every < 1'000'000'000LL) {
      return shell->UsageError(
          fmt::format("--plan-every: expected a duration of at least 1s, like 15m, got '{}'",
                      flags.plan_every));
    }
    options.plan_every_nanos = *every;
  }
  auto links = service::RepositoryLinksFor(flags.repo_url, flags.repo);
  if (!links.ok()) return shell->Fail(links.status());
  options.api.repository = std::move(*links);
  options.notify.urls = flags.notify;
  options.notify.public_url = flags.public_url;
  if (auto s = service::CheckNotifyOptions(options.notify, "--notify"); !s.ok()) {
    return shell->UsageError(s.message());
  }
  // Stalls are measured against the branch the server plans, else the recorded history.
  options.watch.stalls = service::HistorySource{flags.repo, flags.branch};
  options.api.lease_nanos = *lease;
  options.api.max_attempts = flags.max_attempts;
  if (!ParseTimeout("--header-timeout", flags.header_timeout, &options.header_timeout, shell) ||
      !ParseTimeout("--idle-timeout", flags.idle_timeout, &options.idle_timeout, shell) ||
      !ParseTimeout("--body-timeout", flags.body_timeout, &options.body_timeout, shell)) {
    return;
  }
  options.max_connections = flags.max_connections;
  options.api.allowed_hosts = flags.allowed_hosts;
  options.api.db = shell->db;
  options.api.private_reads = flags.private_reads;
  options.api.web_root = flags.web_root;
  options.api.max_body = static_cast<size_t>(mib * 1024 * 1024);
  options.api.store_connections = flags.threads;
  options.bind = flags.bind;
  options.port = flags.port;
  options.threads = flags.threads;
  options.access_log = flags.access_log;
  if (!flags.web_root.empty() && !env::Env::Default()->IsDirectory(flags.web_root)) {
    return shell->Fail(
        base::InvalidInput(fmt::format("--web-root: {}: not a directory", flags.web_root)));
  }
  // Open (and create or migrate) the store once up front, so a bad --db fails here.
  auto store = shell->OpenStore(/*create=*/true);
  if (!store.ok()) return shell->Fail(store.status());
  const std::string described = (*store)->Describe();
  store->reset();
  base::Status s = server::Serve(options, [&](int port) {
    const std::string host =
        flags.bind == "0.0.0.0" || flags.bind == "::" ? "127.0.0.1" : flags.bind;
    fmt::print("perfledger: serving {} on http://{}:{}/ ({}{})\n", described, host, port,
               flags.private_reads ? "private: every request needs a token" : "reads are public",
               flags.web_root.empty() ? "" : ", dashboard from " + flags.web_root);
    std::fflush(stdout);
  });
  if (!s.ok()) return shell->Fail(s);
  fmt::print("perfledger: stopped\n");
}

}  // namespace

void AddServeVerb(CLI::App& app, Shell* shell) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the HTTP API and the dashboard");
  cmd->footer(
      "The API (docs/api.md) is under /api/v1/, the dashboard at /, health at /healthz and\n"
      "Prometheus metrics at /metrics. Uploads (POST /api/v1/projects/P/runs) need a token of\n"
      "project P (perfledger token create --project P); with --private every API request needs\n"
      "one. Listens on loopback unless --bind says otherwise. SIGTERM or Ctrl-C stops it: "
      "requests\n"
      "in flight finish first, and every upload is stored whole or not at all.\n\n"
      "Agents (perfledger agent) claim the jobs plans queue: POST /api/v1/projects/P/jobs/claim.\n"
      "With --repo the server plans by itself: at start and every --plan-every, and when a\n"
      "webhook posts to /api/v1/projects/P/push. Several servers may share one PostgreSQL\n"
      "store (--db postgresql://...): they answer as one.\n\n"
      "With --notify URL the server posts each new alert group (alerts detect --record kept)\n"
      "and each newly stalled platform to the webhook once, retried with back-off in the\n"
      "background; alerts kept before the first start with that URL are not posted.\n\n"
      "Example:\n"
      "  perfledger serve --db perf.db --port 8080\n"
      "  perfledger serve --bind 0.0.0.0 --private --web-root web/dist\n"
      "  perfledger serve --bind 127.0.0.1 --allowed-host perf.example.org  (behind a proxy)\n"
      "  perfledger serve --db postgresql://perf@db/perf --repo /srv/repo.git --branch main \\\n"
      "      --platform x86-64-linux --plan-every 15m\n"
      "  perfledger serve --notify https://hooks.slack.com/services/T000/B000/XXXX \\\n"
      "      --public-url https://perf.example.org");
  cmd->add_option("--bind", flags->bind, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", flags->port, "Port (default 8080; 0 picks a free one)");
  cmd->add_flag("--private", flags->private_reads, "Every API request needs a token");
  cmd->add_option("--web-root", flags->web_root,
                  "Serve the dashboard from this directory instead of the built-in files");
  cmd->add_option("--max-body", flags->max_body, "Largest request body in MiB (default 64)");
  cmd->add_option(
      "--threads", flags->threads,
      "Requests served at once (default 32; an upload waiting for its group commit holds one)");
  cmd->add_flag("--access-log", flags->access_log, "Log every request on stderr");
  cmd->add_option("--allowed-host", flags->allowed_hosts,
                  "A host name clients may reach the server by (the Host header), besides IP "
                  "addresses and localhost; repeatable; * allows any (behind a proxy that checks "
                  "it)");
  cmd->add_option("--header-timeout", flags->header_timeout,
                  "Seconds a new connection has to send its request head (default 10)");
  cmd->add_option("--idle-timeout", flags->idle_timeout,
                  "Seconds a keep-alive connection may wait for its next request (default 5)");
  cmd->add_option("--body-timeout", flags->body_timeout,
                  "Seconds a request body may take to arrive, and a response to be read "
                  "(default 120)");
  cmd->add_option("--max-connections", flags->max_connections,
                  "Connections open at once; more are closed on arrival (default 10000)");
  cmd->add_option("--repo", flags->repo,
                  "Plan from this repository (the server's own clone; fetched from its origin "
                  "before each plan): on POST /api/v1/projects/P/push, and with --plan-every");
  cmd->add_option("--repo-url", flags->repo_url,
                  "The repository's web address, like https://github.com/OWNER/REPO: the "
                  "dashboard links every commit to its page there (default: from --repo's "
                  "origin remote)");
  cmd->add_option("--branch", flags->branch, "With --repo: the branch to plan (default: HEAD's)");
  cmd->add_option("--platform", flags->platforms,
                  "With --repo: plan for this platform (repeatable; default: every platform the "
                  "store knows)");
  cmd->add_option("--plan-every", flags->plan_every,
                  "With --repo: plan at start and then on this interval, like 15m");
  flags->policy.AddTo(cmd);
  cmd->add_option("--notify", flags->notify,
                  "Post new alert groups and stalled platforms to this webhook as JSON with a "
                  "Slack-compatible text (repeatable; docs/api.md \"Webhooks\")");
  cmd->add_option("--public-url", flags->public_url,
                  "The dashboard's address as people reach it, e.g. https://perf.example.org: "
                  "notifications link to it");
  cmd->add_option("--lease", flags->lease,
                  "How long an agent's job claim holds without a heartbeat (default 5m); an "
                  "expired one returns the job to the queue");
  cmd->add_option("--max-attempts", flags->max_attempts,
                  "Attempts a job gets before it fails for good with its log (default 3)");
  cmd->callback([flags, shell] { RunServe(*flags, shell); });
}

}  // namespace perfledger::cli
