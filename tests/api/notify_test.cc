// Webhooks from `perfledger serve --notify` (issue 16): two servers on one PostgreSQL
// database the test starts, a webhook made with cpp-httplib in the test, alerts recorded by
// `perfledger detect --record` as a CI job would. Each new alert group is posted once between
// both servers, alerts kept before the servers started are not posted, and a server started
// again posts only what is new since.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "base/time.h"
#include "base/uuid.h"
#include "pg_server.h"
#include "serve_process.h"
#include "subprocess.h"
#include "webhook_receiver.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using serve_process::Binary;
using serve_process::ReadFile;
using serve_process::Server;
using subprocess::Outcome;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'795'514'400LL * kSecond;  // 2026-11-24T10:00:00Z

Outcome Perfledger(const std::string& db, const fs::path& cwd, std::vector<std::string> args) {
  std::vector<std::string> argv = {Binary(), "--db", db};
  argv.insert(argv.end(), args.begin(), args.end());
  return subprocess::RunCommand(argv, cwd.string(), subprocess::LocalMachineEnv());
}

std::string Sha(int n) {
  std::string s = std::to_string(n);
  return "c1" + std::string(38 - s.size(), '0') + s;
}

class NotifyServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-notify-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto pg = testing::PgServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = std::move(*pg);
    db_ = pg_->uri();
    const fs::path out = dir_ / "template";
    Outcome w = Perfledger(
        db_, dir_,
        {"write", "--project", "demo", "--branch", "main", "--commit", Sha(0), "--commit-time",
         base::FormatRfc3339(base::Timestamp{kT0}), "--platform", "x86-64-linux", "--sample",
         "parse:wall_time:ns=1000000,1001000,999000,1000500,999500", "--out", out.string()});
    ASSERT_EQ(w.exit_code, 0) << w.err;
    for (const auto& f : fs::directory_iterator(out)) template_ = json::parse(ReadFile(f.path()));
    ASSERT_TRUE(template_.is_object());
  }

  void TearDown() override {
    pg_.reset();
    fs::remove_all(dir_);
  }

  // Every second commit of 30 on `platform`, `parse` 20% slower from commit `culprit` on;
  // stored, then `detect --record` as a CI job runs it.
  void RegressOn(const std::string& platform, int culprit) {
    const fs::path runs = dir_ / ("runs-" + platform);
    fs::create_directories(runs);
    for (int i = 2; i <= 30; i += 2) {
      json a = template_;
      a["run_id"] = base::NewUuidV4();
      a["platform"] = platform;
      a["commit"]["sha"] = Sha(i);
      a["commit"]["time"] = base::FormatRfc3339(base::Timestamp{kT0 + i * 60 * kSecond});
      a["commit_range"] = {{"from", Sha(i - 2)}, {"to", Sha(i)}, {"count", 2}};
      const double median =
          1e6 * (i >= culprit ? 1.2 : 1.0) * (1 + 0.004 * (((i * 7) % 5) - 2) / 2.0);
      json& samples = a["benchmarks"][0]["metrics"]["wall_time"]["samples"];
      for (size_t k = 0; k < samples.size(); ++k) {
        samples[k] = median * (1 + 0.001 * (static_cast<double>(k % 3) - 1));
      }
      std::ofstream(runs / (std::to_string(i) + ".json")) << a.dump();
    }
    Outcome in = Perfledger(db_, dir_, {"ingest", runs.string()});
    ASSERT_EQ(in.exit_code, 0) << in.err;
    Outcome d = Perfledger(db_, dir_, {"detect", "--record", "--all", "--platform", platform});
    ASSERT_EQ(d.exit_code, 3) << d.out << d.err;
  }

  fs::path dir_;
  std::unique_ptr<testing::PgServer> pg_;
  std::string db_;
  json template_;
};

TEST_F(NotifyServeTest, EachNewAlertGroupIsPostedOnceAcrossServersAndRestarts) {
  RegressOn("linux", 15);  // kept before any server watched: history, never posted
  testing::WebhookReceiver hook;
  const std::vector<std::string> notify = {"--notify", hook.url(), "--public-url",
                                           "https://perf.example.org/"};
  auto a = std::make_unique<Server>(dir_, db_, notify);
  auto b = std::make_unique<Server>(dir_, db_, notify);
  ASSERT_GT(a->port(), 0);
  ASSERT_GT(b->port(), 0);
  // Let both take their first look at the store (which claims the history as seen).
  std::this_thread::sleep_for(std::chrono::seconds(5));
  RegressOn("mac", 21);
  auto bodies = hook.WaitFor(1, std::chrono::seconds(60));
  ASSERT_EQ(bodies.size(), 1u);
  json m = json::parse(bodies[0]);
  EXPECT_EQ(m["event"], "alert_group");
  EXPECT_EQ(m["project"], "demo");
  EXPECT_EQ(m["platforms"], json::array({"mac"}));
  EXPECT_EQ(m["commit_range"]["from"], Sha(20));
  EXPECT_EQ(m["commit_range"]["to"], Sha(22));
  EXPECT_EQ(m["commit_range"]["count"], 2);
  EXPECT_EQ(m["url"], "https://perf.example.org/#/alerts?status=&range=" + Sha(22));
  EXPECT_NE(m["text"].get<std::string>().find("regressed 1 benchmark on mac"), std::string::npos)
      << m["text"];
  // Both servers look every 2 s; several passes later the group is still posted once.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_EQ(hook.bodies().size(), 1u);
  a->StopCleanly();
  b->StopCleanly();
  a.reset();
  b.reset();

  // Started again, a server posts what is new since, not what was posted before.
  Server c(dir_, db_, notify);
  ASSERT_GT(c.port(), 0);
  RegressOn("arm", 25);
  bodies = hook.WaitFor(2, std::chrono::seconds(60));
  ASSERT_EQ(bodies.size(), 2u);
  m = json::parse(bodies[1]);
  EXPECT_EQ(m["platforms"], json::array({"arm"}));
  EXPECT_EQ(m["commit_range"]["to"], Sha(26));
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(hook.bodies().size(), 2u);
  c.StopCleanly();
}

TEST_F(NotifyServeTest, ABadWebhookUrlIsAUsageError) {
  Outcome o = Perfledger(db_, dir_, {"serve", "--port", "0", "--notify", "ftp://example.com/x"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(o.err.starts_with("error: --notify: ")) << o.err;
}

}  // namespace
}  // namespace perfledger
