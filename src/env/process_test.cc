// The real executor against real processes: exit status, signals, timeouts that kill the
// whole process group, programs that cannot start, captured output, resource usage.
#include "env/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>

namespace perfledger::env {
namespace {

constexpr int64_t kMillis = 1'000'000;

ProcessSpec Cmd(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

ProcessResult MustRun(ProcessSpec spec) {
  auto r = Executor::Default()->Run(spec);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : ProcessResult{};
}

TEST(Process, InstructionsAreCountedWhereTheKernelHasTheCounter) {
  ProcessSpec spec;
  spec.argv = {"true"};
  spec.count_instructions = true;
  ProcessResult r = MustRun(spec);
  EXPECT_EQ(r.exit_code, 0);
  if (PerfInstructionsAvailable()) {
    ASSERT_TRUE(r.instructions.has_value());
    EXPECT_GT(*r.instructions, 1000) << "even `true` runs the dynamic loader";
  } else {
    EXPECT_FALSE(r.instructions.has_value()) << "no counter here: the runner uses valgrind";
  }
}

TEST(Process, ExitStatus) {
  EXPECT_EQ(MustRun(Cmd({"true"})).exit_code, 0);
  ProcessResult r = MustRun(Cmd({"sh", "-c", "exit 7"}));
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Describe(), "exit status 7");
}

TEST(Process, KilledBySignal) {
  ProcessResult r = MustRun(Cmd({"sh", "-c", "kill -SEGV $$"}));
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_NE(r.Describe().find("signal 11"), std::string::npos) << r.Describe();
}

TEST(Process, TimeoutKillsTheWholeProcessGroup) {
  const auto pidfile = std::filesystem::temp_directory_path() /
                       ("perfledger-process-test-" + std::to_string(::getpid()));
  ProcessSpec spec = Cmd({"sh", "-c", "sleep 30 & echo $! > " + pidfile.string() + "; sleep 30"});
  spec.timeout_nanos = 300 * kMillis;
  const int64_t t0 = MonotonicNanos();
  ProcessResult r = MustRun(spec);
  const int64_t took = MonotonicNanos() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_GE(took, 300 * kMillis);
  EXPECT_LT(took, 5000 * kMillis);
  // The background sleep was in the group: it is gone too.
  pid_t background = 0;
  std::ifstream(pidfile) >> background;
  std::filesystem::remove(pidfile);
  ASSERT_GT(background, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    // Dead: no such process, or a zombie waiting for whoever adopted it to reap it.
    std::string stat;
    std::getline(std::ifstream("/proc/" + std::to_string(background) + "/stat"), stat);
    const size_t paren = stat.rfind(')');
    gone = (::kill(background, 0) != 0 && errno == ESRCH) ||
           (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "pid " << background;
}

TEST(Process, AProgramThatCannotStartIsBadInput) {
  auto r = Executor::Default()->Run(Cmd({"/nonexistent/program", "x"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(r.status().message(), "cannot start '/nonexistent/program': No such file or directory");
  r = Executor::Default()->Run(Cmd({"no-such-program-perfledger"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "cannot start 'no-such-program-perfledger': No such file or directory");
  ProcessSpec bad_dir = Cmd({"true"});
  bad_dir.cwd = "/nonexistent-dir";
  r = Executor::Default()->Run(bad_dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "cannot enter its working directory '/nonexistent-dir': No such file or directory");
  EXPECT_FALSE(Executor::Default()->Run(Cmd({})).ok());
}

TEST(Process, CapturesOutputAndSetsTheEnvironmentAndDirectory) {
  ProcessSpec spec = Cmd({"sh", "-c", "echo out:$PERFLEDGER_TEST_VAR; pwd; echo err >&2"});
  spec.set_env = {{"PERFLEDGER_TEST_VAR", "hello"}};
  spec.cwd = "/tmp";
  spec.stdout_mode = Output::kCapture;
  spec.stderr_mode = Output::kCapture;
  ProcessResult r = MustRun(spec);
  EXPECT_EQ(r.out, "out:hello\n/tmp\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Process, CapturesLargeOutputWithoutBlocking) {
  ProcessSpec spec = Cmd({"sh", "-c", "head -c 1000000 /dev/zero"});
  spec.stdout_mode = Output::kCapture;
  ProcessResult r = MustRun(spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), 1'000'000u);
}

TEST(Process, StopsReadingWhenABackgroundChildHoldsThePipe) {
  ProcessSpec spec = Cmd({"sh", "-c", "(sleep 5 &) ; echo done"});
  spec.stdout_mode = Output::kCapture;
  const int64_t t0 = MonotonicNanos();
  ProcessResult r = MustRun(spec);
  EXPECT_EQ(r.out, "done\n");
  EXPECT_LT(MonotonicNanos() - t0, 3000 * kMillis);
}

TEST(Process, MeasuresCpuTimeAndPeakMemory) {
  // About 0.2 s of CPU in user space and 64 MiB touched.
  ProcessResult busy =
      MustRun(Cmd({"sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"}));
  EXPECT_GT(busy.user_nanos, 10 * kMillis);
  EXPECT_GE(busy.wall_nanos, busy.user_nanos / 2);
  ProcessResult big =
      MustRun(Cmd({"sh", "-c", "head -c 67108864 /dev/zero | tail -c 1 >/dev/null"}));
  EXPECT_GT(big.max_rss_bytes, 0);
  ProcessResult sleeper = MustRun(Cmd({"sleep", "0.05"}));
  EXPECT_GE(sleeper.wall_nanos, 50 * kMillis);
  EXPECT_LT(sleeper.user_nanos, 50 * kMillis);
}

}  // namespace
}  // namespace perfledger::env

namespace perfledger::env {
namespace {

bool Gone(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

pid_t ReadPid(const std::filesystem::path& file) {
  pid_t pid = 0;
  std::ifstream(file) >> pid;
  std::filesystem::remove(file);
  return pid;
}

// Regression: `sh -c "sleep 300 & exit 0"` left the sleep running after the run and after
// perfledger exited, disturbing the next measurements.
TEST(Process, ABackgroundChildLeftInTheGroupIsKilledAfterTheRun) {
  const auto pidfile =
      std::filesystem::temp_directory_path() / ("perfledger-stray-" + std::to_string(::getpid()));
  ProcessResult r =
      MustRun(Cmd({"sh", "-c", "sleep 300 & echo $! > " + pidfile.string() + "; exit 0"}));
  EXPECT_TRUE(r.ok()) << r.Describe();
  EXPECT_GE(r.strays_killed, 1);
  const pid_t background = ReadPid(pidfile);
  ASSERT_GT(background, 0);
  // Killed and reaped (perfledger is its subreaper): no process, not even a zombie.
  EXPECT_TRUE(Gone(background)) << "pid " << background;
}

// A process that left the group (setsid) is reparented to perfledger when its parent exits,
// and killed too.
TEST(Process, AnOrphanThatLeftTheGroupIsKilledAfterTheRun) {
  const auto pidfile =
      std::filesystem::temp_directory_path() / ("perfledger-orphan-" + std::to_string(::getpid()));
  ProcessResult r =
      MustRun(Cmd({"sh", "-c", "setsid sleep 300 & echo $! > " + pidfile.string() + "; exit 0"}));
  EXPECT_TRUE(r.ok()) << r.Describe();
  const pid_t orphan = ReadPid(pidfile);
  ASSERT_GT(orphan, 0);
  EXPECT_TRUE(Gone(orphan)) << "pid " << orphan;
  // And a clean run kills nothing.
  EXPECT_EQ(MustRun(Cmd({"true"})).strays_killed, 0);
}

// A harness that prints 1 GB made perfledger hold about 2 GB: capture is capped, the child
// killed and the result says why.
TEST(Process, OutputAboveTheCaptureLimitStopsTheChild) {
  ProcessSpec spec = Cmd({"sh", "-c", "yes perfledger"});
  spec.stdout_mode = Output::kCapture;
  spec.max_capture_bytes = 1 << 20;
  ProcessResult r = MustRun(spec);
  EXPECT_TRUE(r.output_over_limit);
  EXPECT_FALSE(r.ok());
  EXPECT_LE(r.out.size(), size_t{1} << 20);
  EXPECT_EQ(r.Describe(), "printed more than 1 MiB of output (the limit; killed)");
}

}  // namespace
}  // namespace perfledger::env
