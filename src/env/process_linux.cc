// Linux's side of process.cc (process_platform.h): pidfd_open, perf_event_open, a child
// subreaper and /proc. Built unless PERFLEDGER_PORTABLE; process_posix.cc otherwise.
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>

#include "base/strings.h"
#include "env/process_platform.h"
#include "env/spawn_helper_image.h"

namespace perfledger::env::platform {
namespace {

// The child's pidfd: readable once it has ended.
class PidfdWatch final : public ChildWatch {
 public:
  PidfdWatch(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  ~PidfdWatch() override { ::close(fd_); }
  int fd() const override { return fd_; }
  bool Reap(int* status, rusage* usage) override {
    pid_t waited;
    do {
      waited = ::wait4(pid_, status, 0, usage);
    } while (waited < 0 && errno == EINTR);
    return waited == pid_;
  }

 private:
  pid_t pid_;
  int fd_;
};

}  // namespace

std::unique_ptr<ChildWatch> WatchChild(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return WatchChildOnThread(pid);  // before Linux 5.3, or refused by seccomp
  return std::make_unique<PidfdWatch>(pid, fd);
}

int MakePipe(int fds[2]) { return ::pipe2(fds, O_CLOEXEC); }

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

bool AdoptOrphans() {
  static std::once_flag once;
  static bool adopted = false;
  std::call_once(once, [] { adopted = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; });
  return adopted;
}

// The embedded image in a sealed memfd, run as /proc/self/fd/N: a spawned child resolves that
// path in its copy of the descriptor table before its exec closes the descriptor. Where the
// kernel refuses (no memfd_create, vm.memfd_noexec) the executor spawns directly.
const char* SpawnHelperPath() {
  static std::once_flag once;
  static std::string path;
  std::call_once(once, [] {
    const std::string_view image = SpawnHelperImage();
    const int fd = ::memfd_create("perfledger-spawn", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return;
    size_t done = 0;
    while (done < image.size()) {
      const ssize_t n = ::write(fd, image.data() + done, image.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        return;
      }
      done += static_cast<size_t>(n);
    }
    ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    // Above the descriptors a child's file actions set (0-2, and 3 for the helper's report),
    // which would otherwise replace it before the exec.
    const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    ::close(fd);
    if (high < 0) return;
    path = "/proc/self/fd/" + std::to_string(high);  // kept open for the process's life
  });
  return path.empty() ? nullptr : path.c_str();
}

// From /proc/self/task/*/children where the kernel has it (cheap: one small file per thread),
// else from every process's parent field.
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

}  // namespace perfledger::env::platform
