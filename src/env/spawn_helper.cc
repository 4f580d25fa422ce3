// perfledger-spawn: the trampoline through which env::Executor starts a benchmark on Linux, so
// that the child's peak RSS is its own.
//
// Why: Linux keeps a process's peak RSS (what wait4 reports as ru_maxrss) across exec, and at
// exec it takes in the peak of the memory the process had before, which for a child made with
// vfork or posix_spawn (CLONE_VM) is its parent's, and for one made with fork a copy of it. So
// a child of perfledger reported perfledger's own peak (15 MB for `sleep 0.02` against 1.7 MB
// from /usr/bin/time; hundreds under AddressSanitizer). This program is started by perfledger
// (its own peak is then perfledger's, which nobody reads) and starts the benchmark as a child
// of its own: that child's exec takes in this program's peak, tens of kilobytes, as with
// /usr/bin/time, which forks a small process too. It is linked statically, without sanitizers,
// and embedded in perfledger (spawn_helper_image.cc), which runs it from a memfd.
//
// Usage: perfledger-spawn FLAGS -- PROGRAM ARGS...   (FLAGS "i": count user-space instructions)
// The benchmark inherits everything else: process group, working directory, environment,
// signal mask and dispositions, descriptors 0-2. On descriptor 3 this program writes one line
// once the benchmark has ended, then exits 0:
//   ok STATUS START END USER_NS SYSTEM_NS MAX_RSS_KIB INSTRUCTIONS
// (STATUS as wait4 gives it; START and END on CLOCK_MONOTONIC just before the spawn and just
// after the wait; INSTRUCTIONS -1 when not counted), or
//   spawn-error ERRNO     the benchmark could not be started (no such program, ...)
//   wait-error ERRNO      the wait failed
// Killed (a timeout kills the whole process group), it writes nothing.
//
// Only the C library, so the image stays small and its startup touches few pages.
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

namespace {

constexpr int kReportFd = 3;

long long MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

long long TimevalNanos(const timeval& tv) {
  return static_cast<long long>(tv.tv_sec) * 1000000000LL + tv.tv_usec * 1000LL;
}

// As process_linux.cc's OpenInstructionCounter: on this process, disabled, inherited by the
// benchmark and enabled there by its exec; this process never execs, so the count is the
// benchmark's (and its children's).
int OpenInstructionCounter() {
  perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.size = sizeof attr;
  attr.config = PERF_COUNT_HW_INSTRUCTIONS;
  attr.disabled = 1;
  attr.inherit = 1;
  attr.enable_on_exec = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    dprintf(2, "perfledger-spawn: started by perfledger only\n");
    return 125;
  }
  fcntl(kReportFd, F_SETFD, FD_CLOEXEC);  // the benchmark does not inherit it
  const int counter = strchr(argv[1], 'i') != nullptr ? OpenInstructionCounter() : -1;
  char** command = argv + 3;
  pid_t pid = 0;
  const long long start = MonotonicNanos();
  const int rc = strchr(command[0], '/') != nullptr
                     ? posix_spawn(&pid, command[0], nullptr, nullptr, command, environ)
                     : posix_spawnp(&pid, command[0], nullptr, nullptr, command, environ);
  if (rc != 0) {
    dprintf(kReportFd, "spawn-error %d\n", rc);
    return 0;
  }
  int status = 0;
  rusage usage;
  memset(&usage, 0, sizeof usage);
  pid_t waited;
  do {
    waited = wait4(pid, &status, 0, &usage);
  } while (waited < 0 && errno == EINTR);
  const long long end = MonotonicNanos();
  if (waited != pid) {
    dprintf(kReportFd, "wait-error %d\n", errno);
    return 0;
  }
  long long instructions = -1;
  if (counter >= 0) {
    unsigned long long count = 0;
    if (read(counter, &count, sizeof count) == static_cast<ssize_t>(sizeof count)) {
      instructions = static_cast<long long>(count);
    }
  }
  dprintf(kReportFd, "ok %d %lld %lld %lld %lld %ld %lld\n", status, start, end,
          TimevalNanos(usage.ru_utime), TimevalNanos(usage.ru_stime), usage.ru_maxrss,
          instructions);
  return 0;
}
