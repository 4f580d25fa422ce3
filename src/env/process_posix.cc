// The portable side of process.cc (process_platform.h), for macOS, the BSDs and any POSIX
// system, and for Linux with PERFLEDGER_PORTABLE: only POSIX calls. A child is waited for by a
// thread blocked in wait4 (exact, no polling), there is no instruction counter (the runner
// counts under valgrind instead), no subreaper (strays are killed through the child's
// process group only) and no trampoline: a child's peak RSS includes this process's, as Linux
// (and, by the same exec rule, other systems) carry a vfork child's peak across exec.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "env/process_platform.h"

namespace perfledger::env::platform {

std::unique_ptr<ChildWatch> WatchChild(pid_t pid) { return WatchChildOnThread(pid); }

// pipe2 is not POSIX before 2024 (macOS lacks it). The caller holds the spawn lock, so no
// child of another executor inherits an end between the two calls.
int MakePipe(int fds[2]) {
  if (::pipe(fds) != 0) return -1;
  for (int i = 0; i < 2; ++i) {
    if (::fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
      const int saved = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      errno = saved;
      return -1;
    }
  }
  return 0;
}

int OpenInstructionCounter() {
  errno = ENOSYS;
  return -1;
}

bool AdoptOrphans() { return false; }

const char* SpawnHelperPath() { return nullptr; }

std::vector<pid_t> ChildrenOfThisProcess() { return {}; }

}  // namespace perfledger::env::platform
