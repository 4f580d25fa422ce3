// The measuring loop with a fake executor: exact timings, scripted failures.
#include "runner/command_bench.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

namespace perfledger::runner {
namespace {

constexpr int64_t kMs = 1'000'000;

class FakeExecutor : public env::Executor {
 public:
  // Each call returns the next scripted result (the last one repeats).
  explicit FakeExecutor(std::vector<env::ProcessResult> script) : script_(std::move(script)) {}
  base::Result<env::ProcessResult> Run(const env::ProcessSpec&) override {
    ++calls;
    if (!error.ok()) return error;
    const size_t i = std::min(next_++, script_.size() - 1);
    return script_[i];
  }
  int calls = 0;
  base::Status error;

 private:
  std::vector<env::ProcessResult> script_;
  size_t next_ = 0;
};

env::ProcessResult Took(int64_t wall, int exit_code = 0) {
  env::ProcessResult r;
  r.exit_code = exit_code;
  r.wall_nanos = wall;
  r.user_nanos = wall / 2;
  r.system_nanos = wall / 10;
  r.max_rss_bytes = 4096 * 1024;
  return r;
}

CommandBenchOptions Options() {
  CommandBenchOptions o;
  o.name = "sleep";
  o.process.argv = {"sleep", "0.05"};
  return o;
}

const core::Metric* Find(const core::BenchmarkResult& b, std::string_view name) {
  for (const auto& m : b.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

TEST(BenchmarkCommand, FixedRunsAfterUnmeasuredWarmups) {
  FakeExecutor fake(
      {Took(999 * kMs), Took(999 * kMs), Took(10 * kMs), Took(11 * kMs), Took(12 * kMs)});
  CommandBenchOptions o = Options();
  o.warmup = 2;
  o.runs = 3;
  auto b = BenchmarkCommand(o, fake);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(fake.calls, 5);
  EXPECT_FALSE(b->error);
  ASSERT_EQ(b->metrics.size(), 4u);
  EXPECT_EQ(b->metrics[0].name, "max_rss");
  EXPECT_EQ(b->metrics[0].unit, "bytes");
  EXPECT_EQ(Find(*b, "wall_time")->samples, (std::vector<double>{10e6, 11e6, 12e6}));
  EXPECT_EQ(Find(*b, "wall_time")->unit, "ns");
  EXPECT_EQ(Find(*b, "user_time")->samples, (std::vector<double>{5e6, 5.5e6, 6e6}));
  EXPECT_EQ(Find(*b, "system_time")->samples, (std::vector<double>{1e6, 1.1e6, 1.2e6}));
}

TEST(BenchmarkCommand, AdaptiveStopsOnceTheMedianIsPrecise) {
  FakeExecutor fake({Took(50 * kMs)});
  CommandBenchOptions o = Options();
  o.warmup = 0;
  o.min_runs = 10;
  std::vector<RunProgress> seen;
  auto b = BenchmarkCommand(o, fake, [&](const RunProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Find(*b, "wall_time")->samples.size(), 10u);
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen.back().run, 10);
  EXPECT_DOUBLE_EQ(seen.back().median_nanos, 50e6);
  EXPECT_EQ(seen[3].eta_nanos, 6 * 50 * kMs);  // at least up to the minimum runs
}

TEST(BenchmarkCommand, AdaptiveStopsWhenTheTimeBudgetIsSpent) {
  // Alternating 10 and 30 ms never gets a 1% interval: the 1 s budget ends it.
  std::vector<env::ProcessResult> script;
  for (int i = 0; i < 200; ++i) script.push_back(Took((i % 2 ? 30 : 10) * kMs));
  FakeExecutor fake(script);
  CommandBenchOptions o = Options();
  o.warmup = 0;
  o.max_time_nanos = 1000 * kMs;
  auto b = BenchmarkCommand(o, fake);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Find(*b, "wall_time")->samples.size(), 50u);  // 25 x (10 + 30) ms = 1 s
}

TEST(BenchmarkCommand, AdaptiveRespectsMaxRuns) {
  std::vector<env::ProcessResult> script;
  for (int i = 0; i < 100; ++i) script.push_back(Took((i % 2 ? 30 : 10) * kMs));
  FakeExecutor fake(script);
  CommandBenchOptions o = Options();
  o.warmup = 0;
  o.min_runs = 3;
  o.max_runs = 7;
  auto b = BenchmarkCommand(o, fake);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Find(*b, "wall_time")->samples.size(), 7u);
}

TEST(BenchmarkCommand, AFailingRunIsAStructuredFailure) {
  FakeExecutor fake({Took(10 * kMs), Took(10 * kMs), Took(10 * kMs, 3)});
  CommandBenchOptions o = Options();
  o.warmup = 0;
  o.runs = 5;
  auto b = BenchmarkCommand(o, fake);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->error, "measured run 3: exit status 3");
  EXPECT_TRUE(b->metrics.empty());

  FakeExecutor again({Took(10 * kMs), Took(10 * kMs), Took(10 * kMs, 3)});
  o.ignore_failure = true;
  b = BenchmarkCommand(o, again);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->error);
  EXPECT_EQ(Find(*b, "wall_time")->samples.size(), 5u);
}

TEST(BenchmarkCommand, TimeoutsAndSignalsAlwaysFail) {
  env::ProcessResult timed_out = Took(2000 * kMs);
  timed_out.timed_out = true;
  FakeExecutor fake({timed_out});
  CommandBenchOptions o = Options();
  o.ignore_failure = true;
  auto b = BenchmarkCommand(o, fake);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->error, "warm-up run 1: timed out (killed with its process group)");
  env::ProcessResult crashed = Took(1 * kMs);
  crashed.signal = 11;
  FakeExecutor crash({crashed});
  b = BenchmarkCommand(o, crash);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b->error->find("signal 11"), std::string::npos);
}

TEST(BenchmarkCommand, ACommandThatCannotStartIsAnError) {
  FakeExecutor fake({Took(1)});
  fake.error = base::InvalidInput("cannot start 'nope': No such file or directory");
  auto b = BenchmarkCommand(Options(), fake);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "cannot start 'nope': No such file or directory");
}

TEST(BenchmarkCommand, BadCountsAreRefused) {
  FakeExecutor fake({Took(1)});
  CommandBenchOptions o = Options();
  o.runs = 0;
  EXPECT_EQ(BenchmarkCommand(o, fake).status().code(), base::StatusCode::kInvalidInput);
  o.runs.reset();
  o.min_runs = 5;
  o.max_runs = 4;
  EXPECT_EQ(BenchmarkCommand(o, fake).status().code(), base::StatusCode::kInvalidInput);
}

TEST(BenchmarkCommand, RealProcesses) {
  CommandBenchOptions o = Options();
  o.runs = 3;
  auto b = BenchmarkCommand(o, *env::Executor::Default());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  for (double s : Find(*b, "wall_time")->samples) EXPECT_GE(s, 50e6);
}

}  // namespace
}  // namespace perfledger::runner

namespace perfledger::runner {
namespace {

TEST(Cachegrind, ParsesTheSummaryLine) {
  auto ir = ParseCachegrindSummary(
      "desc: I1 cache: 32768 B, 64 B, 8-way associative\ncmd: /bin/true\nevents: Ir\n"
      "fl=???\n0 12\nsummary: 204761\n",
      "cg.out");
  ASSERT_TRUE(ir.ok());
  EXPECT_EQ(*ir, 204761);
  auto bad = ParseCachegrindSummary("events: Ir\n", "cg.out");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "cg.out: no instruction count (a \"summary:\" line) in cachegrind's output");
}

TEST(Cachegrind, TwoRunsOfACommandCountTheSameInstructions) {
  if (!std::filesystem::exists("/usr/bin/valgrind")) GTEST_SKIP() << "needs valgrind";
  CommandBenchOptions o;
  o.name = "true";
  o.process.argv = {"true"};
  o.runs = 2;
  o.measure_instructions = true;
  o.instruction_counter = CommandBenchOptions::Counter::kValgrind;
  o.instruction_runs = 2;
  auto b = BenchmarkCommand(o, *env::Executor::Default());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_FALSE(b->error) << *b->error;
  const core::Metric* ir = nullptr;
  for (const auto& m : b->metrics) {
    if (m.name == "instructions") ir = &m;
  }
  ASSERT_NE(ir, nullptr);
  EXPECT_EQ(ir->unit, "count");
  ASSERT_EQ(ir->samples.size(), 2u);
  EXPECT_GT(ir->samples[0], 1000);
  EXPECT_EQ(ir->samples[0], ir->samples[1]);
}

TEST(Cachegrind, MissingValgrindIsBadInput) {
  CommandBenchOptions o;
  o.name = "true";
  o.process.argv = {"true"};
  o.runs = 1;
  o.measure_instructions = true;
  o.instruction_counter = CommandBenchOptions::Counter::kValgrind;
  o.valgrind = "/nonexistent/valgrind";
  auto b = BenchmarkCommand(o, *env::Executor::Default());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_NE(b.status().message().find("needs valgrind"), std::string::npos);
}

TEST(PerfCounter, CountsEveryMeasuredRunWithoutExtraRuns) {
  std::vector<env::ProcessResult> script;
  for (int i = 0; i < 4; ++i) {
    env::ProcessResult r = Took(1'000'000);
    r.instructions = 5000 + i;
    script.push_back(r);
  }
  FakeExecutor fake(script);
  CommandBenchOptions o;
  o.name = "counted";
  o.process.argv = {"x"};
  o.warmup = 1;
  o.runs = 3;
  o.measure_instructions = true;
  o.instruction_counter = CommandBenchOptions::Counter::kPerf;
  auto b = BenchmarkCommand(o, fake);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(fake.calls, 4) << "one warm-up and three measured runs, no valgrind runs";
  const core::Metric* ir = nullptr;
  for (const auto& m : b->metrics) {
    if (m.name == "instructions") ir = &m;
  }
  ASSERT_NE(ir, nullptr);
  EXPECT_EQ(ir->samples, (std::vector<double>{5001, 5002, 5003}));
  EXPECT_EQ(InstructionSource(o), "perf_event_open (instructions:u)");
  o.instruction_counter = CommandBenchOptions::Counter::kValgrind;
  EXPECT_EQ(InstructionSource(o), "valgrind cachegrind (Ir)");
}

}  // namespace
}  // namespace perfledger::runner
