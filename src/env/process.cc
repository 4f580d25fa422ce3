#include "env/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <set>
#include <tuple>
#include <vector>

#include "base/strings.h"
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

// The children this process is measuring right now (several threads may run executors);
// any other child of this process found after a run is a stray.
std::mutex active_mu;
std::set<pid_t>& Active() {
  static std::set<pid_t> active;
  return active;
}

// Orphans of a benchmark come back to this process instead of init.
void BecomeSubreaperOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)::prctl(PR_SET_CHILD_SUBREAPER, 1); });
}

// This process's children: the orphans reparented here and any child still running. From
// /proc/self/task/*/children where the kernel has it (cheap: one small file per thread), else
// from every process's parent field.
std::vector<pid_t> ChildrenOfThisProcess() {
  std::vector<pid_t> out;
  std::error_code ec;
  bool listed = false;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const int fd = ::open((task.path() / "children").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;  // no CONFIG_PROC_CHILDREN
    listed = true;
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    ::close(fd);
    for (const auto& word : base::Split(text, ' ')) {
      if (!word.empty() && word.find_first_not_of("0123456789\n") == std::string::npos) {
        out.push_back(static_cast<pid_t>(std::stol(word)));
      }
    }
  }
  if (listed) return out;
  const pid_t self = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int fd = ::open((entry.path() / "stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) continue;
    buf[n] = '\0';
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
    const char* close = std::strrchr(buf, ')');
    if (close == nullptr) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(close + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
      out.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return out;
}

// Kills what the run left behind: its process group, then (a few rounds, as killing a parent
// orphans its children to us) every child of this process no executor is measuring. Returns
// how many processes were killed.
int KillStrays(pid_t group) {
  int killed = 0;
  // The group's members other than the reaped leader (if any) are strays.
  if (::kill(-group, 0) == 0) {
    ::kill(-group, SIGKILL);
    ++killed;  // at least one; the exact number is not known without a scan
  }
  for (int round = 0; round < 20; ++round) {
    std::vector<pid_t> strays;
    {
      std::lock_guard<std::mutex> lock(active_mu);
      for (pid_t p : ChildrenOfThisProcess()) {
        if (!Active().contains(p)) strays.push_back(p);
      }
    }
    if (strays.empty()) break;
    for (pid_t p : strays) {
      ::kill(p, SIGKILL);
      int status = 0;
      while (::waitpid(p, &status, 0) < 0 && errno == EINTR) {
      }
      ++killed;
    }
  }
  return killed;
}

}  // namespace

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string ProcessResult::Describe() const {
  if (output_over_limit) {
    return fmt::format("printed more than {} MiB of output (the limit; killed)",
                       max_capture_bytes >> 20);
  }
  if (timed_out) return "timed out (killed with its process group)";
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exit status {}", exit_code);
}

int KillMeasuredProcesses() {
  std::lock_guard<std::mutex> lock(active_mu);
  int killed = 0;
  for (pid_t p : Active()) {
    if (::kill(-p, SIGKILL) == 0) ++killed;
  }
  return killed;
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
  BecomeSubreaperOnce();
  const int64_t start = MonotonicNanos();
  pid_t pid = 0;
  const bool has_slash = program.find('/') != std::string::npos;
  int rc_spawn;
  {
    // Spawned and registered under the lock, so another thread's stray hunt never sees this
    // child unregistered.
    std::lock_guard<std::mutex> lock(active_mu);
    rc_spawn =
        has_slash
            ? ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data())
            : ::posix_spawnp(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
    if (rc_spawn == 0) Active().insert(pid);
  }
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
        if (sink->size() + static_cast<size_t>(r) > spec.max_capture_bytes) {
          // More than anyone reads: stop the child rather than hold it all.
          ::kill(-pid, SIGKILL);
          result.output_over_limit = true;
          result.max_capture_bytes = spec.max_capture_bytes;
          out_read.Reset();
          err_read.Reset();
          break;
        }
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
  const int wait_errno = errno;
  {
    std::lock_guard<std::mutex> lock(active_mu);
    Active().erase(pid);
  }
  // Anything the run started and left running: its group, and orphans reparented here.
  result.strays_killed = KillStrays(pid);
  if (waited < 0) return base::IoError("wait4: " + Errno(wait_errno));
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
