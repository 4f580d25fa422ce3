#include "runner/suite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "env/process.h"
#include "runner/suite_run.h"

namespace perfledger::runner {
namespace {

constexpr std::string_view kSuite = R"toml(
[schedule]
window = "15m"

[suite]
name = "demo"
revision = 3
warmup = 0
runs = 5

[[benchmark]]
name = "sort/1e6"
command = ["./sorter", "1000000"]
env = { LC_ALL = "C" }
measure = ["wall", "cpu"]

[[benchmark]]
name = "micro"
harness = "./micro --benchmark_format=json"
adapter = "google-benchmark"
cwd = "build"

[platform.x86-64-linux]
epoch = 2
environment = "ci"
wrapper = ["taskset", "-c", "1"]
runs = 20

[platform.x86-64-linux.benchmark."sort/1e6"]
min_runs = 30
target_precision = 0.5
)toml";

std::string ErrorOf(std::string_view text) {
  auto s = ParseSuite(text, "/repo/perfledger.toml");
  return s.ok() ? "ok" : s.status().message();
}

TEST(SuiteTest, ParsesBenchmarksPlatformsAndSampling) {
  auto suite = ParseSuite(kSuite, "/repo/perfledger.toml");
  ASSERT_TRUE(suite.ok()) << suite.status().message();
  EXPECT_EQ(suite->name, "demo");
  EXPECT_EQ(suite->revision, 3);
  ASSERT_EQ(suite->benchmarks.size(), 2u);
  const SuiteBenchmark& sort = suite->benchmarks[0];
  EXPECT_EQ(sort.command, (std::vector<std::string>{"./sorter", "1000000"}));
  EXPECT_EQ(sort.cwd, "/repo");
  EXPECT_TRUE(sort.measure_cpu);
  EXPECT_FALSE(sort.measure_rss);
  const SuiteBenchmark& micro = suite->benchmarks[1];
  EXPECT_EQ(micro.harness,
            (std::vector<std::string>{"/bin/sh", "-c", "./micro --benchmark_format=json"}));
  EXPECT_EQ(micro.cwd, "/repo/build");

  // [suite] runs = 5 everywhere else; the platform's runs = 20; the platform benchmark's
  // adaptive keys override the fixed count below them.
  Sampling other = suite->SamplingFor(sort, "aarch64-macos");
  EXPECT_EQ(other.runs, 5);
  EXPECT_EQ(other.warmup, 0);
  Sampling linux_sort = suite->SamplingFor(sort, "x86-64-linux");
  EXPECT_FALSE(linux_sort.runs.has_value());
  EXPECT_EQ(linux_sort.min_runs, 30);
  EXPECT_DOUBLE_EQ(linux_sort.target_precision, 0.005);
  EXPECT_EQ(suite->SamplingFor(micro, "x86-64-linux").runs, 20);
}

TEST(SuiteTest, DeclarationCarriesDefinitionsAndEpochSettings) {
  auto suite = ParseSuite(kSuite, "/repo/perfledger.toml");
  ASSERT_TRUE(suite.ok()) << suite.status().message();
  core::SuiteRef linux_ref = suite->DeclarationFor("x86-64-linux");
  EXPECT_EQ(linux_ref.name, "demo");
  EXPECT_EQ(linux_ref.revision, 3);
  ASSERT_EQ(linux_ref.definitions.size(), 2u);
  ASSERT_TRUE(linux_ref.epoch.has_value());
  EXPECT_EQ(linux_ref.epoch->number, 2);
  const auto& s = linux_ref.epoch->settings;
  EXPECT_EQ(s.at("environment"), "\"ci\"");
  EXPECT_EQ(s.at("wrapper"), R"(["taskset","-c","1"])");
  EXPECT_EQ(s.at("sort/1e6.min_runs"), "30");
  EXPECT_EQ(s.at("sort/1e6.target_precision"), "0.5");
  EXPECT_FALSE(s.contains("sort/1e6.runs"));
  EXPECT_FALSE(s.contains("micro.runs")) << "a harness samples by its own flags";

  core::SuiteRef mac = suite->DeclarationFor("aarch64-macos");
  EXPECT_EQ(mac.epoch->number, 1) << "an undeclared platform is in epoch 1";
  EXPECT_EQ(mac.epoch->settings.at("sort/1e6.runs"), "5");
  EXPECT_EQ(mac.definitions, linux_ref.definitions) << "definitions do not depend on platform";
}

TEST(SuiteTest, DefinitionHashChangesWithTheCommandNotTheSampling) {
  auto a = ParseSuite(kSuite, "/repo/perfledger.toml");
  std::string changed_runs(kSuite);
  changed_runs.replace(changed_runs.find("runs = 5"), 8, "runs = 9");
  auto b = ParseSuite(changed_runs, "/repo/perfledger.toml");
  std::string changed_command(kSuite);
  changed_command.replace(changed_command.find("1000000\"]"), 7, "2000000");
  auto c = ParseSuite(changed_command, "/repo/perfledger.toml");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto defs = [](const Suite& s) { return s.DeclarationFor("x").definitions; };
  EXPECT_EQ(defs(*a), defs(*b));
  EXPECT_NE(defs(*a).at("sort/1e6"), defs(*c).at("sort/1e6"));
  EXPECT_EQ(defs(*a).at("micro"), defs(*c).at("micro"));
  // The same file elsewhere defines the same benchmarks (cwd is kept relative).
  auto moved = ParseSuite(kSuite, "/elsewhere/perfledger.toml");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(defs(*a), defs(*moved));
}

TEST(SuiteTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
                    "command = [\"true\"]\nruns = \"ten\"\n"),
            "/repo/perfledger.toml:7: [[benchmark]] \"a\" runs: expected a whole number from 1 "
            "to 1000000, got \"ten\"");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
                    "comand = [\"true\"]\n"),
            "/repo/perfledger.toml:6: [[benchmark]] \"a\" unknown key 'comand' (known: name, "
            "command, harness, adapter, output, prepare, setup, cwd, env, measure, warmup, runs, "
            "min_runs, max_runs, max_time, target_precision, timeout, instruction_runs)");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\n[[benchmark]]\nname = \"a\"\ncommand = \"true\"\n"),
            "/repo/perfledger.toml:1: [suite] revision: missing (a whole number; raise it when "
            "what a benchmark is changes)");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"),
            "/repo/perfledger.toml:4: [[benchmark]] \"a\" needs exactly one of command (a "
            "command to time) or harness (a benchmark harness whose output an adapter converts)");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
                    "command = \"true\"\n[[benchmark]]\nname = \"a\"\ncommand = \"false\"\n"),
            "/repo/perfledger.toml:7: [[benchmark]] \"a\": the name is already used by another "
            "benchmark (names are unique; a changed benchmark gets a new name such as \"a-2\")");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
                    "command = \"true\"\n[platform.linux]\nenvironment = \"cloud\"\n"),
            "/repo/perfledger.toml:8: [platform.linux] environment: expected \"ci\", \"local\" "
            "or \"any\", got \"cloud\"");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
                    "command = \"true\"\n[platform.linux.benchmark.b]\nruns = 3\n"),
            "/repo/perfledger.toml:7: [platform.linux.benchmark] \"b\": no [[benchmark]] has "
            "this name");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
                    "command = \"true\"\n[benchmarks]\n"),
            "/repo/perfledger.toml:7: unknown section 'benchmarks' (known: [suite], "
            "[[benchmark]], [platform.NAME], [schedule])");
  EXPECT_EQ(ErrorOf("[suite]\nname = \"x\"\nrevision = 1\n[[benchmark]]\nname = \"a\"\n"
                    "harness = \"./b\"\nmeasure = [\"wall\"]\n"),
            "/repo/perfledger.toml:4: [[benchmark]] \"a\" measure applies to a command; a "
            "harness reports its own metrics");
  EXPECT_EQ(ErrorOf("[suite\n"),
            "/repo/perfledger.toml:1:7: Error while parsing table header: "
            "expected ']', saw '\\n'");
}

// Real processes: a suite run in a temporary directory.
class SuiteRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("perfledger-suite-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  base::Result<Suite> Load(const std::string& text) {
    const std::string path = (dir_ / "perfledger.toml").string();
    std::ofstream(path) << text;
    return LoadSuite(path);
  }
  std::filesystem::path dir_;
};

TEST_F(SuiteRunTest, SetupOncePrepareBeforeEachRunAndFailuresRecorded) {
  auto suite = Load(R"toml(
[suite]
name = "t"
revision = 1
warmup = 1
runs = 3
[[benchmark]]
name = "counted"
setup = "echo s >> setup.log"
prepare = "echo p >> prepare.log"
command = ["/bin/sh", "-c", "test -n \"$MARK\""]
env = { MARK = "yes" }
[[benchmark]]
name = "broken"
command = "exit 7"
[[benchmark]]
name = "harness"
harness = "echo 'test alpha ... bench:       1,234 ns/iter (+/- 56)'"
adapter = "libtest"
)toml");
  ASSERT_TRUE(suite.ok()) << suite.status().message();
  auto result =
      RunSuite(*suite, {"x86-64-linux", {}, false, "valgrind"}, *env::Executor::Default());
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->benchmarks.size(), 3u);
  EXPECT_EQ(result->benchmarks[0].name, "broken");
  EXPECT_EQ(result->benchmarks[0].error, "warm-up run 1: exit status 7");
  EXPECT_EQ(result->benchmarks[1].name, "counted");
  EXPECT_FALSE(result->benchmarks[1].error.has_value());
  EXPECT_EQ(result->benchmarks[2].name, "harness/alpha");
  EXPECT_EQ(result->failed, std::vector<std::string>{"broken"});
  EXPECT_FALSE(result->stopped);
  std::ifstream setup(dir_ / "setup.log"), prepare(dir_ / "prepare.log");
  std::string all((std::istreambuf_iterator<char>(setup)), {});
  EXPECT_EQ(all, "s\n");
  all.assign((std::istreambuf_iterator<char>(prepare)), {});
  EXPECT_EQ(all, "p\np\np\np\n") << "one warm-up and three measured runs";

  auto fast = RunSuite(*suite, {"x86-64-linux", {}, true, "valgrind"}, *env::Executor::Default());
  ASSERT_TRUE(fast.ok());
  EXPECT_TRUE(fast->stopped);
  EXPECT_EQ(fast->benchmarks.size(), 2u) << "stops after the first failure";
}

TEST_F(SuiteRunTest, HarnessFailuresAndUnknownNames) {
  auto suite = Load(R"toml(
[suite]
name = "t"
revision = 1
[[benchmark]]
name = "crashing"
harness = "echo partial output; echo 'boom: no input' >&2; exit 3"
[[benchmark]]
name = "garbage"
harness = "echo this is not a benchmark report"
adapter = "google-benchmark"
[[benchmark]]
name = "no-setup"
setup = ["/nonexistent/perfledger-setup"]
command = "true"
)toml");
  ASSERT_TRUE(suite.ok()) << suite.status().message();
  auto result = RunSuite(*suite, {"p", {}, false, "valgrind"}, *env::Executor::Default());
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->benchmarks.size(), 3u);
  EXPECT_EQ(result->benchmarks[0].error, "harness: exit status 3: boom: no input");
  EXPECT_NE(result->benchmarks[1].error->find("google-benchmark: /bin/sh output:"),
            std::string::npos)
      << *result->benchmarks[1].error;
  EXPECT_NE(result->benchmarks[2].error->find("setup: cannot start"), std::string::npos)
      << *result->benchmarks[2].error;

  auto unknown = RunSuite(*suite, {"p", {"nope"}, false, "valgrind"}, *env::Executor::Default());
  EXPECT_EQ(unknown.status().message(),
            "--benchmark nope: " + (dir_ / "perfledger.toml").string() +
                " has no such benchmark (it has: crashing, garbage, no-setup)");
  auto only = RunSuite(*suite, {"p", {"no-setup"}, false, "valgrind"}, *env::Executor::Default());
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->benchmarks.size(), 1u);
}

}  // namespace
}  // namespace perfledger::runner
