// The parts of running a child that differ between Linux and other POSIX systems (macOS, the
// BSDs), for process.cc alone. process.cc holds the executor and everything portable; exactly
// one of these files defines everything declared here, chosen in src/env/CMakeLists.txt:
//   process_linux.cc  pidfd_open to wait, perf_event_open to count instructions, a child
//                     subreaper (prctl) and /proc to find orphans a benchmark left behind,
//                     and perfledger-spawn run from a memfd to measure a child's own RSS;
//   process_posix.cc  a thread blocked in wait4 to wait, no instruction counter, no subreaper,
//                     no trampoline (a child's peak RSS includes perfledger's)
//                     (CMake option PERFLEDGER_PORTABLE: always off Linux, on demand on Linux
//                     so that the fallbacks are tested there too).
// Both files define the same symbols, so a test binary can link process_posix.o ahead of the
// Linux env library and get the fallbacks with nothing else rebuilt (src/env/CMakeLists.txt).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <memory>
#include <vector>

namespace perfledger::env::platform {

// Waiting for one spawned child to end. Not thread-safe: one executor's Run owns it.
class ChildWatch {
 public:
  virtual ~ChildWatch() = default;
  // A descriptor that becomes readable (POLLIN) once the child has ended.
  virtual int fd() const = 0;
  // Waits for the child to end and reaps it: its wait status and resource usage (wait4).
  // False with errno set when the wait failed.
  virtual bool Reap(int* status, rusage* usage) = 0;
};

// Starts watching `pid`, a child of this process spawned just now; nullptr with errno set when
// the OS refused (no thread, no pipe).
std::unique_ptr<ChildWatch> WatchChild(pid_t pid);

// The portable ChildWatch (process.cc): a thread blocked in wait4 that writes to a pipe when
// the child has ended. process_linux.cc falls back to it on kernels without pidfd_open.
std::unique_ptr<ChildWatch> WatchChildOnThread(pid_t pid);

// A pipe whose ends are both close-on-exec. The caller holds the lock under which children
// are spawned, so no other executor's child inherits an end where this takes two calls.
int MakePipe(int fds[2]);

// A counter of the user-space instructions of the child spawned next, or -1 (errno set)
// where there is none (no hardware counter, perf_event_paranoid, not Linux).
int OpenInstructionCounter();

// Makes this process the one orphans of its descendants are reparented to (once; later calls
// are cheap). False where the OS has no such thing: a process that leaves the child's process
// group then escapes the stray hunt after a run.
bool AdoptOrphans();

// The path of perfledger-spawn (spawn_helper.cc), the trampoline that makes a child's peak RSS
// its own, or nullptr where there is none (not Linux, or the OS would not run it from a memfd):
// then children are spawned directly and their peak RSS includes this process's. Made once.
const char* SpawnHelperPath();

// This process's children (running or zombie), for finding orphans adopted after a run. Empty
// where they cannot be listed; without AdoptOrphans the only ones are children being run.
std::vector<pid_t> ChildrenOfThisProcess();

}  // namespace perfledger::env::platform
