#include "env/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "env/fake_env.h"
#include "env/host.h"
#include "env/signals.h"

namespace perfledger::env {
namespace {

namespace fs = std::filesystem;

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("perfledger-env-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  Env* env_ = Env::Default();
};

TEST_F(EnvTest, WriteAtomicThenRead) {
  std::string path = (dir_ / "a.txt").string();
  ASSERT_TRUE(env_->WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(env_->WriteFileAtomic(path, "two").ok());
  EXPECT_EQ(*env_->ReadFile(path), "two");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(EnvTest, MissingFileIsNotFoundNamingThePath) {
  auto r = env_->ReadFile((dir_ / "nope.json").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope.json"), std::string::npos);
}

TEST_F(EnvTest, ListFilesIsRecursiveSortedAndFiltered) {
  fs::create_directories(dir_ / "b" / "c");
  std::ofstream(dir_ / "z.json") << "{}";
  std::ofstream(dir_ / "b" / "c" / "a.json") << "{}";
  std::ofstream(dir_ / "b" / "notes.txt") << "x";
  std::ofstream(dir_ / ".hidden.json") << "{}";
  auto files = env_->ListFiles(dir_.string(), ".json");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{(dir_ / "b" / "c" / "a.json").string(),
                                              (dir_ / "z.json").string()}));
  EXPECT_FALSE(env_->ListFiles((dir_ / "missing").string(), ".json").ok());
}

TEST_F(EnvTest, TheRealClockIsTheSystemClock) {
  const base::Timestamp before = base::SystemNow();
  const base::Timestamp now = env_->Now();
  const base::Timestamp after = base::SystemNow();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST_F(EnvTest, FakeEnvClockStandsStillUntilMovedAndFilesAreReal) {
  FakeEnv fake(base::Timestamp{1'700'000'000'000'000'000});
  EXPECT_EQ(fake.Now().unix_nanos, 1'700'000'000'000'000'000);
  EXPECT_EQ(fake.Now().unix_nanos, 1'700'000'000'000'000'000);
  fake.Advance(1'500'000'000);
  EXPECT_EQ(base::FormatRfc3339(fake.Now()), "2023-11-14T22:13:21.500Z");
  fake.SetNow(base::Timestamp{0});
  EXPECT_EQ(fake.Now().unix_nanos, 0);
  const std::string path = (dir_ / "f.txt").string();
  ASSERT_TRUE(fake.WriteFileAtomic(path, "through the fake").ok());
  EXPECT_EQ(*env_->ReadFile(path), "through the fake");
  EXPECT_TRUE(fake.Exists(path));
}

TEST(HostTest, ReadsThisMachine) {
  HostInfo h = ReadHostInfo();
  EXPECT_EQ(h.os, "linux");
  EXPECT_FALSE(h.kernel.empty());
  EXPECT_FALSE(h.arch.empty());
  EXPECT_GE(h.cores, 1);
  EXPECT_GT(h.memory_bytes, 0);
}

// Sets (or unsets, with nullptr) an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = std::string(old);
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST(HostTest, DetectsTheCiProviderAndRunner) {
  // Whatever CI runs this test, only GitLab's variables are visible inside it.
  ScopedEnv ci("CI", nullptr), github("GITHUB_ACTIONS", nullptr), buildkite("BUILDKITE", nullptr),
      circle("CIRCLECI", nullptr), azure("TF_BUILD", nullptr), jenkins("JENKINS_URL", nullptr);
  {
    ScopedEnv gitlab("GITLAB_CI", "true"), runner("CI_RUNNER_DESCRIPTION", "bench-box-3");
    HostInfo h = ReadHostInfo();
    EXPECT_EQ(h.provider, "gitlab-ci");
    EXPECT_EQ(h.runner, "bench-box-3");
    EXPECT_TRUE(h.ci) << "a detected provider is CI even without $CI";
  }
  ScopedEnv gitlab("GITLAB_CI", nullptr), not_ci("CI", "false");
  HostInfo h = ReadHostInfo();
  EXPECT_FALSE(h.ci) << "a local run is never CI";
  EXPECT_FALSE(h.provider.has_value());
  EXPECT_FALSE(h.runner.has_value());
}

// The server and the agent stop on SIGTERM through WaitForSignal, on every system.
TEST(SignalsTest, WaitForSignalTakesABlockedPendingSignalOrTimesOut) {
  sigset_t set, previous;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, &previous), 0);
  EXPECT_EQ(WaitForSignal(set, std::chrono::milliseconds(20)), 0);
  ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
  EXPECT_EQ(WaitForSignal(set, std::chrono::milliseconds(2000)), SIGUSR2);
  EXPECT_EQ(WaitForSignal(set, std::chrono::milliseconds(20)), 0);  // taken, not left pending
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &previous, nullptr), 0);
}

}  // namespace
}  // namespace perfledger::env
