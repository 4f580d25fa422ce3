// A PostgreSQL 15 server for the benchmark scripts (bench/run_pg_bench.sh), started as the tests
// start theirs (tests/support/pg_server.h: initdb in a temporary directory, a free loopback
// port, as the `postgres` user when root) but durable by default, as the SQLite store is
// (synchronous=FULL): fsync, synchronous_commit and full_page_writes back on.
//
//   pg_up [NAME=VALUE...]
//       Starts the server, with each NAME=VALUE as a setting after the durable ones (so
//       `fsync=off` turns fsync off again), prints its URI
//       (postgresql://perfledger@127.0.0.1:PORT/perfledger; more databases with CREATE
//       DATABASE) on one line of stdout, then waits. SIGTERM, SIGINT, SIGHUP or the end of the
//       process that started it stops the server and removes its directory.
//
// Exits 1 when the server cannot start (the message names the step and its log) or stop.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "pg_server.h"

namespace {

volatile sig_atomic_t stopping = 0;

void Stop(int) { stopping = 1; }

}  // namespace

int main(int argc, char** argv) {
  // A signal while the server starts is noted and acted on once it has started. The mask stays
  // as it is until then: initdb and postgres inherit it.
  struct sigaction on_stop = {};
  on_stop.sa_handler = Stop;
  sigemptyset(&on_stop.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaction(s, &on_stop, nullptr);
  // A script killed before its cleanup ran still stops the server.
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 1;

  std::vector<std::string> settings = {"fsync=on", "synchronous_commit=on", "full_page_writes=on"};
  for (int i = 1; i < argc; ++i) {
    const std::string setting = argv[i];
    if (setting.find('=') == std::string::npos || setting.front() == '=') {
      std::fprintf(stderr, "usage: pg_up [NAME=VALUE...]  (got '%s')\n", argv[i]);
      return 2;
    }
    settings.push_back(setting);
  }
  auto server = perfledger::testing::PgServer::Start(settings);
  if (!server.ok()) {
    std::fprintf(stderr, "pg_up: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", (*server)->uri().c_str());
  std::fflush(stdout);
  sigset_t blocked, waiting;
  sigemptyset(&blocked);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&blocked, s);
  sigprocmask(SIG_BLOCK, &blocked, &waiting);
  while (!stopping) sigsuspend(&waiting);
  if (auto s = (*server)->Stop(); !s.ok()) {
    std::fprintf(stderr, "pg_up: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
