#include "env/process.h"

// The executor, in portable POSIX; what differs between Linux and other systems is behind
// process_platform.h (process_linux.cc or process_posix.cc).
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <tuple>
#include <vector>

#include "env/process_platform.h"

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

// ru_maxrss is in bytes on macOS, in KiB on Linux and the BSDs.
int64_t MaxRssBytes(const rusage& ru) {
#if defined(__APPLE__)
  return static_cast<int64_t>(ru.ru_maxrss);
#else
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;
#endif
}

// A thread blocked in wait4 for the child (exact, no polling, any POSIX system); it writes a
// byte to a pipe once it has reaped the child, which the executor polls with the output pipes.
class ThreadWatch final : public platform::ChildWatch {
 public:
  ThreadWatch(pid_t pid, int read_fd, int write_fd) : pid_(pid), read_(read_fd), write_(write_fd) {}
  ~ThreadWatch() override {
    if (!thread_.joinable()) return;
    // Not reaped through Reap (a failure after the spawn): the child must end for the join.
    if (!done_.load()) ::kill(-pid_, SIGKILL);
    thread_.join();
  }
  bool Start() {
    try {
      thread_ = std::thread([this] {
        pid_t waited;
        do {
          waited = ::wait4(pid_, &status_, 0, &usage_);
        } while (waited < 0 && errno == EINTR);
        wait_errno_ = waited == pid_ ? 0 : errno;
        done_.store(true);
        const char byte = 1;
        while (::write(write_.get(), &byte, 1) < 0 && errno == EINTR) {
        }
      });
    } catch (const std::system_error& e) {
      errno = e.code().value();
      return false;
    }
    return true;
  }
  int fd() const override { return read_.get(); }
  bool Reap(int* status, rusage* usage) override {
    if (thread_.joinable()) thread_.join();
    *status = status_;
    *usage = usage_;
    errno = wait_errno_;
    return wait_errno_ == 0;
  }

 private:
  pid_t pid_;
  Fd read_, write_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  // Written by the thread before it ends, read after the join.
  int status_ = 0;
  rusage usage_{};
  int wait_errno_ = 0;
};

// Set once the OS refused to run perfledger-spawn (vm.memfd_noexec, /proc not mounted): from
// then on children are spawned directly.
std::atomic<bool> helper_refused{false};

// What perfledger-spawn wrote on its report descriptor (spawn_helper.cc), parsed.
struct HelperReport {
  enum class Kind { kNone, kOk, kSpawnError, kWaitError } kind = Kind::kNone;
  int status = 0, error = 0;
  int64_t start = 0, end = 0, user = 0, system = 0, max_rss_kib = 0, instructions = -1;
};

HelperReport ReadHelperReport(int fd) {
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  HelperReport r;
  long long start, end, user, system, rss, instructions;
  int status, error;
  if (std::sscanf(text.c_str(), "ok %d %lld %lld %lld %lld %lld %lld", &status, &start, &end, &user,
                  &system, &rss, &instructions) == 7) {
    r.kind = HelperReport::Kind::kOk;
    r.status = status;
    r.start = start;
    r.end = end;
    r.user = user;
    r.system = system;
    r.max_rss_kib = rss;
    r.instructions = instructions;
  } else if (std::sscanf(text.c_str(), "spawn-error %d", &error) == 1) {
    r.kind = HelperReport::Kind::kSpawnError;
    r.error = error;
  } else if (std::sscanf(text.c_str(), "wait-error %d", &error) == 1) {
    r.kind = HelperReport::Kind::kWaitError;
    r.error = error;
  }
  return r;
}

// posix_spawn's file actions and attributes for one child, destroyed with it.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

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
      for (pid_t p : platform::ChildrenOfThisProcess()) {
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
  if (!spec.cwd.empty()) {
    // Checked here, as glibc reports a failed chdir like a failed exec.
    std::error_code ec;
    if (!std::filesystem::is_directory(spec.cwd, ec)) {
      return base::InvalidInput(
          fmt::format("cannot enter its working directory '{}': {}", spec.cwd, Errno(ENOENT)));
    }
  }
  const bool count_instructions = spec.count_instructions && PerfInstructionsAvailable();
  // Through perfledger-spawn where there is one, so the child's peak RSS is its own
  // (spawn_helper.cc says why); it counts the child's instructions itself.
  const char* helper = helper_refused.load() ? nullptr : platform::SpawnHelperPath();
  std::vector<char*> helper_argv;
  if (helper != nullptr) {
    helper_argv = {const_cast<char*>(helper), const_cast<char*>(count_instructions ? "i" : "-"),
                   const_cast<char*>("--")};
    helper_argv.insert(helper_argv.end(), argv.begin(), argv.end());
  }
  Fd counter;
  auto open_counter = [&]() -> base::Status {
    if (!count_instructions || counter.get() >= 0) return base::Status::Ok();
    counter = Fd(platform::OpenInstructionCounter());
    if (counter.get() < 0) return base::IoError("perf_event_open: " + Errno(errno));
    return base::Status::Ok();
  };
  if (helper == nullptr) RETURN_IF_ERROR(open_counter());
  platform::AdoptOrphans();

  // The pipes are made, the child spawned, watched and registered under the lock: no other
  // executor's child inherits a pipe end (where making one takes two calls), and another
  // thread's stray hunt never sees this child unregistered.
  std::unique_lock<std::mutex> lock(active_mu);
  Fd out_read, out_write, err_read, err_write;
  for (auto [mode, r, w] : {std::tuple{spec.stdout_mode, &out_read, &out_write},
                            std::tuple{spec.stderr_mode, &err_read, &err_write}}) {
    if (mode != Output::kCapture) continue;
    int p[2];
    if (platform::MakePipe(p) != 0) return base::IoError("pipe: " + Errno(errno));
    *r = Fd(p[0]);
    *w = Fd(p[1]);
  }
  // The helper's report descriptor: 3 in the helper, close-on-exec there (never 3 here, where
  // dup2 onto itself would leave it close-on-exec).
  Fd report_read, report_write;
  if (helper != nullptr) {
    int p[2];
    if (platform::MakePipe(p) != 0) return base::IoError("pipe: " + Errno(errno));
    report_read = Fd(p[0]);
    report_write = Fd(p[1]);
    if (report_write.get() <= 3) {
      report_write = Fd(::fcntl(report_write.get(), F_DUPFD_CLOEXEC, 4));
      if (report_write.get() < 0) return base::IoError("fcntl: " + Errno(errno));
    }
  }
  // posix_spawn (no copy of this process's page tables in glibc, and a failed exec is
  // reported by its return value) in a new process group, stdin from /dev/null.
  auto spawn = [&](bool via_helper, pid_t* pid) {
    SpawnSetup setup;
    posix_spawn_file_actions_t* actions = &setup.actions;
    posix_spawnattr_t* attr = &setup.attr;
    posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
    for (auto [mode, target, write_end] : {std::tuple{spec.stdout_mode, 1, &out_write},
                                           std::tuple{spec.stderr_mode, 2, &err_write}}) {
      if (mode == Output::kCapture) {
        posix_spawn_file_actions_adddup2(actions, write_end->get(), target);
      } else if (mode == Output::kDiscard) {
        posix_spawn_file_actions_addopen(actions, target, "/dev/null", O_WRONLY, 0);
      }
    }
    if (via_helper) posix_spawn_file_actions_adddup2(actions, report_write.get(), 3);
    // Not in POSIX before 2024, but in glibc (2.29), musl, macOS (10.15) and FreeBSD (13.1).
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(actions, spec.cwd.c_str());
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setsigdefault(attr, &defaults);
    posix_spawnattr_setpgroup(attr, 0);
    posix_spawnattr_setflags(
        attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (via_helper) {
      return ::posix_spawn(pid, helper, actions, attr, helper_argv.data(), envp.data());
    }
    return program.find('/') != std::string::npos
               ? ::posix_spawn(pid, program.c_str(), actions, attr, argv.data(), envp.data())
               : ::posix_spawnp(pid, program.c_str(), actions, attr, argv.data(), envp.data());
  };

  int64_t start = MonotonicNanos();
  pid_t pid = 0;
  bool via_helper = helper != nullptr;
  int rc_spawn = spawn(via_helper, &pid);
  if (rc_spawn != 0 && via_helper && rc_spawn != ENOMEM && rc_spawn != EAGAIN) {
    // The OS would not run the helper from its memfd: spawn directly, now and from now on.
    helper_refused.store(true);
    via_helper = false;
    report_read.Reset();
    report_write.Reset();
    RETURN_IF_ERROR(open_counter());
    start = MonotonicNanos();
    rc_spawn = spawn(false, &pid);
  }
  if (rc_spawn != 0) {
    if (rc_spawn == ENOMEM || rc_spawn == EAGAIN) {
      return base::IoError(fmt::format("cannot start '{}': {}", program, Errno(rc_spawn)));
    }
    return base::InvalidInput(fmt::format("cannot start '{}': {}", program, Errno(rc_spawn)));
  }
  std::unique_ptr<platform::ChildWatch> watch = platform::WatchChild(pid);
  if (watch == nullptr) {
    const int e = errno;
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return base::IoError(fmt::format("cannot wait for '{}': {}", program, Errno(e)));
  }
  Active().insert(pid);
  lock.unlock();
  out_write.Reset();
  err_write.Reset();
  report_write.Reset();

  ProcessResult result;
  // An OS failure after the spawn: the child is killed and reaped, then this is returned.
  base::Status failure;
  const int64_t deadline = spec.timeout_nanos ? start + *spec.timeout_nanos : INT64_MAX;
  bool exited = false;
  char buffer[65536];
  while (true) {
    pollfd fds[3];
    int n = 0;
    int pid_index = -1, out_index = -1, err_index = -1;
    if (!exited) {
      pid_index = n;
      fds[n++] = {watch->fd(), POLLIN, 0};
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
    if (!exited && spec.timeout_nanos) {
      const int64_t left = deadline - MonotonicNanos();
      if (left <= 0) {
        ::kill(-pid, SIGKILL);
        result.timed_out = true;
        exited = true;  // reaped below
        continue;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1'000'000));
    }
    const int rc = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      failure = base::IoError("poll: " + Errno(errno));
      ::kill(-pid, SIGKILL);
      break;
    }
    if (pid_index >= 0 && (fds[pid_index].revents & (POLLIN | POLLHUP))) exited = true;
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
  const bool reaped = watch->Reap(&status, &ru);
  result.wall_nanos = MonotonicNanos() - start;
  const int wait_errno = errno;
  watch.reset();
  {
    std::lock_guard<std::mutex> active_lock(active_mu);
    Active().erase(pid);
  }
  // Anything the run started and left running: its group, and orphans reparented here.
  result.strays_killed = KillStrays(pid);
  if (!failure.ok()) return failure;
  if (!reaped) return base::IoError("wait4: " + Errno(wait_errno));
  // The helper's report, when it lived to write one: the child's own status and usage. Killed
  // (a timeout, KillMeasuredProcesses), it wrote none, and its own status stands.
  const HelperReport report = via_helper ? ReadHelperReport(report_read.get()) : HelperReport{};
  switch (report.kind) {
    case HelperReport::Kind::kNone:
      break;
    case HelperReport::Kind::kSpawnError:
      if (report.error == ENOMEM || report.error == EAGAIN) {
        return base::IoError(fmt::format("cannot start '{}': {}", program, Errno(report.error)));
      }
      return base::InvalidInput(fmt::format("cannot start '{}': {}", program, Errno(report.error)));
    case HelperReport::Kind::kWaitError:
      return base::IoError("wait4: " + Errno(report.error));
    case HelperReport::Kind::kOk:
      status = report.status;
      result.wall_nanos = report.end - report.start;
      ru.ru_utime = {static_cast<time_t>(report.user / 1'000'000'000),
                     static_cast<suseconds_t>(report.user % 1'000'000'000 / 1000)};
      ru.ru_stime = {static_cast<time_t>(report.system / 1'000'000'000),
                     static_cast<suseconds_t>(report.system % 1'000'000'000 / 1000)};
      ru.ru_maxrss = static_cast<long>(report.max_rss_kib);
      if (report.instructions >= 0) result.instructions = report.instructions;
      break;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  if (result.timed_out) result.signal = 0;
  result.user_nanos = TimevalNanos(ru.ru_utime);
  result.system_nanos = TimevalNanos(ru.ru_stime);
  result.max_rss_bytes = MaxRssBytes(ru);
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
    const int fd = platform::OpenInstructionCounter();
    // ENOENT: no hardware counter; EACCES: paranoid setting; ENOSYS: not Linux.
    if (fd < 0) return false;
    ::close(fd);
    return true;
  }();
  return available;
}

bool KillsOrphansThatLeftTheGroup() { return platform::AdoptOrphans(); }

bool MeasuresChildRssAlone() {
  return !helper_refused.load() && platform::SpawnHelperPath() != nullptr;
}

namespace platform {

std::unique_ptr<ChildWatch> WatchChildOnThread(pid_t pid) {
  int p[2];
  if (MakePipe(p) != 0) return nullptr;
  auto watch = std::make_unique<ThreadWatch>(pid, p[0], p[1]);
  if (!watch->Start()) {
    const int e = errno;
    watch.reset();
    errno = e;
    return nullptr;
  }
  return watch;
}

}  // namespace platform
}  // namespace perfledger::env
