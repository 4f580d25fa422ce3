// Running a child process and measuring it: wall time on the monotonic clock, user and system
// CPU time and peak RSS from wait4 (the child's own, through a trampoline on Linux), exit status,
// and a timeout that kills the child's whole process group.
//
// Nothing a benchmark starts outlives its run: the child gets a process group of its own,
// which is killed when the child ends (a background job it left behind, `sleep 300 &`, would
// disturb the next measurement), and on Linux perfledger is a child subreaper (prctl
// PR_SET_CHILD_SUBREAPER), so a process that left the group (setsid, setpgid, a daemon's
// double fork) is reparented to perfledger when its parent dies and killed too. Not caught:
// processes handed to another manager (systemd-run, a container runtime, ssh to another
// host), a descendant that makes itself a subreaper and keeps its own orphans, processes
// started after the run ended by something outside its tree (cron), and elsewhere than Linux
// any process that left the group (KillsOrphansThatLeftTheGroup). The runner measures
// benchmarks through Executor, so its tests can use a fake with exact timings while these
// functions are tested against real processes.
//
// Linux-only calls (pidfd_open, perf_event_open, prctl, /proc) are in process_linux.cc; other
// POSIX systems, and Linux built with PERFLEDGER_PORTABLE, get process_posix.cc: the child is
// waited for by a thread blocked in wait4, and there is no hardware instruction counter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace perfledger::env {

enum class Output { kDiscard, kCapture, kInherit };

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it has a '/'
  std::string cwd;                // empty: the current directory
  std::vector<std::pair<std::string, std::string>> set_env;  // added to the environment
  std::optional<int64_t> timeout_nanos;
  Output stdout_mode = Output::kDiscard;
  Output stderr_mode = Output::kDiscard;
  // Count the child's user-space instructions with perf_event_open (only where
  // PerfInstructionsAvailable(); ignored elsewhere, which includes every system but Linux).
  bool count_instructions = false;
  // The most bytes kept of each captured stream: a child printing more is killed (with its
  // group) and the result says so, instead of perfledger holding gigabytes.
  size_t max_capture_bytes = size_t{256} << 20;
};

struct ProcessResult {
  int exit_code = -1;      // when the child exited
  int signal = 0;          // when a signal ended it
  bool timed_out = false;  // killed with its process group after the timeout
  int64_t wall_nanos = 0;  // from just before the spawn to the end of the wait
  int64_t user_nanos = 0, system_nanos = 0;
  int64_t max_rss_bytes = 0;
  std::string out, err;                 // with Output::kCapture
  std::optional<int64_t> instructions;  // with count_instructions, where counted
  // Printed more than ProcessSpec::max_capture_bytes on a captured stream: killed.
  bool output_over_limit = false;
  size_t max_capture_bytes = 0;  // the limit it went over
  // Processes the child left running (in its group, or orphaned to perfledger), killed after
  // it ended.
  int strays_killed = 0;

  bool ok() const { return exit_code == 0 && signal == 0 && !timed_out && !output_over_limit; }
  // "exit status 3", "killed by signal 11 (Segmentation fault)", "timed out after 2s".
  std::string Describe() const;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // The real one: posix_spawn in a new process group, measured with wait4.
  static Executor* Default();

  // Runs the process to its end. A child that cannot be started (no such program, not
  // executable, bad working directory) is kInvalidInput naming it; a failure of the OS to
  // fork or wait is kIoError. A child that runs and fails is not an error: see the result.
  virtual base::Result<ProcessResult> Run(const ProcessSpec& spec) = 0;
};

// Whether perf_event_open can count a child's instructions here: the kernel has a hardware
// counter for it (most virtual machines do not) and perf_event_paranoid allows it. Probed once.
bool PerfInstructionsAvailable();

// Whether a child's peak RSS (ProcessResult::max_rss_bytes) is its own: on Linux, where the
// child is started through perfledger-spawn (spawn_helper.cc). Elsewhere it is at least this
// process's peak, which the child's exec carries over.
bool MeasuresChildRssAlone();

// Whether a process that left the child's process group (setsid, a daemon's double fork) is
// still found and killed after the run: where perfledger can be a child subreaper (Linux).
// Elsewhere only the child's process group is killed.
bool KillsOrphansThatLeftTheGroup();

// Kills (SIGKILL) the process group of every child an Executor of this process is running
// now; each such Run returns as killed by signal 9. For work that must stop at once (an agent
// whose job was taken away, or that is told twice to exit). Returns how many groups it killed.
int KillMeasuredProcesses();

// Nanoseconds on the monotonic clock.
int64_t MonotonicNanos();

}  // namespace perfledger::env
