#include "env/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <tuple>

#include "base/time.h"

extern char** environ;

namespace perfledger::env {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    Reset();
    fd_ = o.fd_;
    o.fd_ = -1;
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

int64_t TimevalNanos(const timeval& tv) {
  return static_cast<int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<int64_t>(tv.tv_usec) * 1000;
}

std::string Errno(int e) { return std::strerror(e); }

// A counter of user-space instructions, opened on this process disabled, inherited by the
// child spawned next and enabled in it by its exec; the child's count is folded into this
// counter when it exits. Nothing else runs in this process meanwhile, and this process never
// execs, so the count is the child's (and its own children's).
int OpenInstructionCounter() {
  perf_event_attr attr{};
  attr.type = PERF_TYPE_HARDWARE;
  attr.size = sizeof attr;
  attr.config = PERF_COUNT_HW_INSTRUCTIONS;
  attr.disabled = 1;
  attr.inherit = 1;
  attr.enable_on_exec = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

class PosixExecutor final : public Executor {
 public:
  base::Result<ProcessResult> Run(const ProcessSpec& spec) override;
};

}  // namespace

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string ProcessResult::Describe() const {
  if (timed_out) return "timed out (killed with its process group)";
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exit status {}", exit_code);
}

Executor* Executor::Default() {
  static PosixExecutor executor;
  return &executor;
}

base::Result<ProcessResult> PosixExecutor::Run(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return base::InvalidInput("no command to run");
  }
  const std::string& program = spec.argv[0];
  // Everything the child needs is prepared before it is spawned.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv = *e;
    bool overridden = false;
    for (const auto& [k, v] : spec.set_env) {
      if (kv.size() > k.size() && kv.starts_with(k) && kv[k.size()] == '=') overridden = true;
    }
    if (!overridden) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : spec.set_env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  Fd out_read, out_write, err_read, err_write;
  for (auto [mode, r, w] : {std::tuple{spec.stdout_mode, &out_read, &out_write},
                            std::tuple{spec.stderr_mode, &err_read, &err_write}}) {
    if (mode != Output::kCapture) continue;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return base::IoError("pipe: " + Errno(errno));
    *r = Fd(p[0]);
    *w = Fd(p[1]);
  }
  // posix_spawn (vfork-like in glibc: no copy of this process's page tables, and a failed
  // exec is reported by its return value) in a new process group, stdin from /dev/null.
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  struct Cleanup {
    posix_spawn_file_actions_t* a;
    posix_spawnattr_t* t;
    ~Cleanup() {
      posix_spawn_file_actions_destroy(a);
      posix_spawnattr_destroy(t);
    }
  } cleanup{&actions, &attr};
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  for (auto [mode, target, write_end] :
       {std::tuple{spec.stdout_mode, 1, &out_write}, std::tuple{spec.stderr_mode, 2, &err_write}}) {
    if (mode == Output::kCapture) {
      posix_spawn_file_actions_adddup2(&actions, write_end->get(), target);
    } else if (mode == Output::kDiscard) {
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0);
    }
  }
  if (!spec.cwd.empty()) {
    // Checked here, as glibc reports a failed chdir like a failed exec.
    std::error_code ec;
    if (!std::filesystem::is_directory(spec.cwd, ec)) {
      return base::InvalidInput(
          fmt::format("cannot enter its working directory '{}': {}", spec.cwd, Errno(ENOENT)));
    }
    posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  }
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);

  Fd counter;
  if (spec.count_instructions && PerfInstructionsAvailable()) {
    counter = Fd(OpenInstructionCounter());
    if (counter.get() < 0) return base::IoError("perf_event_open: " + Errno(errno));
  }
  const int64_t start = MonotonicNanos();
  pid_t pid = 0;
  const bool has_slash = program.find('/') != std::string::npos;
  const int rc_spawn =
      has_slash ? ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data())
                : ::posix_spawnp(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  if (rc_spawn != 0) {
    if (rc_spawn == ENOMEM || rc_spawn == EAGAIN) {
      return base::IoError(fmt::format("cannot start '{}': {}", program, Errno(rc_spawn)));
    }
    return base::InvalidInput(fmt::format("cannot start '{}': {}", program, Errno(rc_spawn)));
  }
  out_write.Reset();
  err_write.Reset();

  ProcessResult result;
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  const int64_t deadline = spec.timeout_nanos ? start + *spec.timeout_nanos : INT64_MAX;
  bool exited = false;
  char buffer[65536];
  while (true) {
    pollfd fds[3];
    int n = 0;
    int pid_index = -1, out_index = -1, err_index = -1;
    if (!exited && pidfd.get() >= 0) {
      pid_index = n;
      fds[n++] = {pidfd.get(), POLLIN, 0};
    }
    if (out_read.get() >= 0) {
      out_index = n;
      fds[n++] = {out_read.get(), POLLIN, 0};
    }
    if (err_read.get() >= 0) {
      err_index = n;
      fds[n++] = {err_read.get(), POLLIN, 0};
    }
    if (exited && n == 0) break;
    int wait_ms = exited ? 100 : -1;
    if (!exited) {
      if (pidfd.get() < 0) {
        wait_ms = 1;  // no pidfd (old kernel): poll the child
      }
      if (spec.timeout_nanos) {
        const int64_t left = deadline - MonotonicNanos();
        if (left <= 0) {
          ::kill(-pid, SIGKILL);
          result.timed_out = true;
          exited = true;  // reaped below
          continue;
        }
        const int left_ms = static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1'000'000));
        wait_ms = wait_ms < 0 ? left_ms : std::min(wait_ms, left_ms);
      }
    }
    int rc = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (rc < 0 && errno != EINTR) return base::IoError("poll: " + Errno(errno));
    if (pid_index >= 0 && (fds[pid_index].revents & POLLIN)) exited = true;
    if (pidfd.get() < 0 && !exited) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        exited = true;
      }
    }
    // After the child exited, output still open (held by something it left running) is read
    // only while it keeps coming.
    if (exited && rc == 0 && pid_index < 0) break;
    for (auto [index, fd, sink] : {std::tuple{out_index, &out_read, &result.out},
                                   std::tuple{err_index, &err_read, &result.err}}) {
      if (index < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t r = ::read(fd->get(), buffer, sizeof buffer);
      if (r > 0) {
        sink->append(buffer, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        fd->Reset();
      }
    }
    // A child that exited but left the pipes open to a background process: stop reading once
    // it is gone (the background process keeps running; timeouts kill the whole group).
    if (exited && result.timed_out) break;
  }
  int status = 0;
  rusage ru{};
  pid_t waited;
  do {
    waited = ::wait4(pid, &status, 0, &ru);
  } while (waited < 0 && errno == EINTR);
  result.wall_nanos = MonotonicNanos() - start;
  if (waited < 0) return base::IoError("wait4: " + Errno(errno));
  if (result.timed_out) ::kill(-pid, SIGKILL);  // anything the group started meanwhile
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  if (result.timed_out) result.signal = 0;
  result.user_nanos = TimevalNanos(ru.ru_utime);
  result.system_nanos = TimevalNanos(ru.ru_stime);
  result.max_rss_bytes = static_cast<int64_t>(ru.ru_maxrss) * 1024;
  if (counter.get() >= 0) {
    uint64_t count = 0;
    if (::read(counter.get(), &count, sizeof count) == static_cast<ssize_t>(sizeof count)) {
      result.instructions = static_cast<int64_t>(count);
    }
  }
  return result;
}

bool PerfInstructionsAvailable() {
  static const bool available = [] {
    const int fd = OpenInstructionCounter();
    if (fd < 0) return false;  // ENOENT: no hardware counter; EACCES: paranoid setting
    ::close(fd);
    return true;
  }();
  return available;
}

}  // namespace perfledger::env
