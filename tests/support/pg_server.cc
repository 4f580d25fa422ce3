#include "pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace perfledger::testing {

namespace fs = std::filesystem;
using base::Result;
using base::Status;

namespace {

// The user the server runs as: postgres when this process is root (PostgreSQL refuses to run
// as root), else this process's own user (no change).
struct RunAs {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<RunAs> ServerUser() {
  RunAs as;
  if (geteuid() != 0) return as;
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return base::Internal(
        "running as root, and there is no `postgres` user to run PostgreSQL as (install "
        "Debian's postgresql-15: scripts/setup-deps.sh)");
  }
  as.change = true;
  as.uid = pw->pw_uid;
  as.gid = pw->pw_gid;
  return as;
}

// A free loopback port: bound and released (another process may take it before the server
// does; Start then tries again).
Result<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return base::IoError("cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) return base::IoError("cannot bind a loopback socket to find a free port");
  return static_cast<int>(ntohs(addr.sin_port));
}

// Starts `argv` as `as`, its output appended to `log`; the child's pid.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const RunAs& as, const std::string& log) {
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return base::IoError(fmt::format("{}: cannot open the log", log));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(out);
    return base::IoError(fmt::format("cannot start {}", argv[0]));
  }
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    if (as.change && (setgroups(0, nullptr) != 0 || setgid(as.gid) != 0 || setuid(as.uid) != 0)) {
      _exit(126);
    }
    // A test that crashes (an ASan abort) never runs PgServer's destructor: the server stops
    // with it (immediate shutdown; its backends follow the postmaster). Set after setuid,
    // which clears it.
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out);
  return pid;
}

std::string Tail(const std::string& log) {
  std::ifstream in(log);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text;
}

// Waits for a child to end; its exit status, or -1 after `timeout`.
int WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -2;
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status Exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string error = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) return base::Internal(fmt::format("{}: {}", sql, error));
  return Status::Ok();
}

}  // namespace

std::string PgBinDir() {
  const std::string dir = "/usr/lib/postgresql/15/bin";
  return fs::exists(dir + "/postgres") && fs::exists(dir + "/initdb") ? dir : "";
}

Result<std::unique_ptr<PgServer>> PgServer::Start(const std::vector<std::string>& settings) {
  const std::string bin = PgBinDir();
  if (bin.empty()) {
    return base::NotFound(
        "PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin); scripts/setup-deps.sh "
        "installs Debian's postgresql-15");
  }
  ASSIGN_OR_RETURN(const RunAs as, ServerUser());
  std::string tmpl = (fs::temp_directory_path() / "perfledger-pg-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return base::IoError("cannot make a temporary directory for PostgreSQL");
  }
  std::unique_ptr<PgServer> server(new PgServer());
  server->dir_ = tmpl;
  if (as.change && chown(tmpl.c_str(), as.uid, as.gid) != 0) {
    return base::IoError(fmt::format("{}: cannot give the directory to postgres", tmpl));
  }
  const std::string data = tmpl + "/data", log = tmpl + "/log";

  ASSIGN_OR_RETURN(const pid_t initdb,
                   Spawn({bin + "/initdb", "-D", data, "-U", "perfledger", "-A", "trust", "-E",
                          "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                         as, log));
  if (const int rc = WaitFor(initdb, std::chrono::seconds(120)); rc != 0) {
    if (rc == -1) {
      kill(initdb, SIGKILL);
      waitpid(initdb, nullptr, 0);
    }
    return base::Internal(fmt::format("initdb failed (status {}): {}", rc, Tail(log)));
  }

  // The port may be taken between choosing it and the server binding it: a few tries.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(const int port, FreePort());
    std::vector<std::string> argv = {bin + "/postgres",    "-D", data, "-p",
                                     std::to_string(port), "-k", tmpl};
    std::vector<std::string> all = {"listen_addresses=127.0.0.1", "fsync=off",
                                    "synchronous_commit=off", "full_page_writes=off"};
    all.insert(all.end(), settings.begin(), settings.end());
    for (const std::string& setting : all) {
      argv.push_back("-c");
      argv.push_back(setting);
    }
    ASSIGN_OR_RETURN(const pid_t pid, Spawn(argv, as, log));
    server->pid_ = pid;
    server->port_ = port;
    const std::string admin = fmt::format(
        "host=127.0.0.1 port={} user=perfledger dbname=postgres connect_timeout=5", port);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool ready = false, ended = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(admin.c_str()) == PQPING_OK) {
        ready = true;
        break;
      }
      if (waitpid(pid, nullptr, WNOHANG) == pid) {
        ended = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (ended) {
      server->pid_ = -1;
      if (Tail(log).find("could not bind") != std::string::npos) continue;
      return base::Internal(fmt::format("postgres stopped while starting: {}", Tail(log)));
    }
    if (!ready) {
      return base::Internal(fmt::format("postgres did not answer within 60 s: {}", Tail(log)));
    }
    PGconn* c = PQconnectdb(admin.c_str());
    Status made = PQstatus(c) == CONNECTION_OK
                      ? Exec(c, "CREATE DATABASE perfledger")
                      : base::Internal(fmt::format("cannot connect: {}", PQerrorMessage(c)));
    PQfinish(c);
    RETURN_IF_ERROR(made);
    server->uri_ = fmt::format("postgresql://perfledger@127.0.0.1:{}/perfledger", port);
    return server;
  }
  return base::Internal("postgres could not bind a free loopback port in 5 tries");
}

Result<std::string> PgServer::NewDatabase(const std::string& name) {
  RETURN_IF_ERROR(ExecSql(uri_, fmt::format("CREATE DATABASE \"{}\"", name)));
  return fmt::format("postgresql://perfledger@127.0.0.1:{}/{}", port_, name);
}

Status PgServer::ExecSql(const std::string& uri, const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  Status s = PQstatus(c) == CONNECTION_OK
                 ? Exec(c, sql)
                 : base::Internal(fmt::format("cannot connect: {}", PQerrorMessage(c)));
  PQfinish(c);
  return s;
}

Status PgServer::Stop() {
  if (pid_ <= 0) return Status::Ok();
  const pid_t pid = pid_;
  pid_ = -1;
  kill(pid, SIGINT);  // fast shutdown: ends the sessions, then stops
  if (WaitFor(pid, std::chrono::seconds(10)) == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return base::Internal(fmt::format("postgres on port {} did not stop within 10 s", port_));
  }
  return Status::Ok();
}

PgServer::~PgServer() {
  (void)Stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

}  // namespace perfledger::testing
