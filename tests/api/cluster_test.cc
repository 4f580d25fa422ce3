// Several servers as one service (issue 14): two `perfledger serve` processes on one
// PostgreSQL database that the test starts itself (tests/support/pg_server.h), talked to over
// real HTTP on loopback. Uploads through either are stored once, even when 32 uploaders send
// the same runs to both; an alert triaged on one is seen on the other, cached documents
// included; /readyz answers while the database does and 503 once it is gone.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "base/time.h"
#include "base/uuid.h"
#include "pg_server.h"
#include "serve_process.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using serve_process::Binary;
using serve_process::NumberAfter;
using serve_process::ReadFile;
using serve_process::Reply;
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

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-cluster-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto pg = testing::PgServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = std::move(*pg);
    db_ = pg_->uri();
    Outcome o = Perfledger(db_, dir_, {"token", "create", "--project", "demo"});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    token_ = o.out;
    while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r')) token_.pop_back();
    ASSERT_TRUE(token_.starts_with("plt_")) << token_;
    // An artifact as `perfledger write` makes it; each upload gets its own run id and commit.
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

  // Commit i's artifact, 60 s after commit i - 1, with `median` as the parse time.
  json Artifact(int i, double median = 1e6) const {
    json a = template_;
    a["run_id"] = base::NewUuidV4();
    a["commit"]["sha"] = Sha(i);
    a["commit"]["time"] = base::FormatRfc3339(base::Timestamp{kT0 + i * 60 * kSecond});
    a["commit_range"] = {
        {"from", i > 0 ? json(Sha(i - 1)) : json(nullptr)}, {"to", Sha(i)}, {"count", 1}};
    json& samples = a["benchmarks"][0]["metrics"]["wall_time"]["samples"];
    for (size_t k = 0; k < samples.size(); ++k) {
      samples[k] = median * (1 + 0.001 * (static_cast<double>(k % 3) - 1));
    }
    return a;
  }

  std::set<std::string> RunIds(Server& s) {
    Reply r = s.Get("/api/v1/runs?limit=10000");
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    std::set<std::string> ids;
    if (r.status != 200) return ids;
    json j = r.Json();
    for (const json& run : j["runs"]) {
      EXPECT_TRUE(ids.insert(run["run_id"].get<std::string>()).second)
          << "listed twice: " << run["run_id"];
    }
    EXPECT_EQ(j["total"].get<size_t>(), ids.size());
    return ids;
  }

  fs::path dir_;
  std::unique_ptr<testing::PgServer> pg_;
  std::string db_, token_;
  json template_;
};

// 32 uploaders, each sending its own runs to one server or the other and the same shared runs
// to both: every run is stored once, both servers list the same runs, and the runs a server
// cached before the others' uploads are not what it answers after.
TEST_F(ClusterTest, UploadsThroughEitherServerAreStoredOnce) {
  Server a(dir_, db_), b(dir_, db_);
  ASSERT_GT(a.port(), 0);
  ASSERT_GT(b.port(), 0);
  EXPECT_TRUE(RunIds(a).empty());  // cached empty on a, before b's uploads
  constexpr int kUploaders = 32, kEach = 3, kShared = 8;
  std::vector<json> shared;
  for (int i = 0; i < kShared; ++i) shared.push_back(Artifact(1000 + i));
  std::set<std::string> want;
  for (const json& s : shared) want.insert(s["run_id"].get<std::string>());
  std::vector<std::vector<json>> own(kUploaders);
  for (int u = 0; u < kUploaders; ++u) {
    for (int i = 0; i < kEach; ++i) {
      own[u].push_back(Artifact(1 + u * kEach + i));
      want.insert(own[u].back()["run_id"].get<std::string>());
    }
  }
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kUploaders);
  std::vector<std::thread> threads;
  for (int u = 0; u < kUploaders; ++u) {
    threads.emplace_back([&, u] {
      Server& mine = u % 2 == 0 ? a : b;
      for (const json& artifact : own[u]) {
        Reply r = mine.Post("/api/v1/projects/demo/runs", artifact.dump(), token_);
        if (r.status != 201) {
          ++failures;
          errors[u] = std::to_string(r.status) + " " + r.body + r.error;
        }
      }
      // The shared runs, to both servers: stored once, the repeat answered as already there.
      const json& s = shared[u % kShared];
      for (Server* server : {&a, &b}) {
        Reply r = server->Post("/api/v1/projects/demo/runs", s.dump(), token_);
        if (r.status != 201 && r.status != 200) {
          ++failures;
          errors[u] = std::to_string(r.status) + " " + r.body + r.error;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << [&] {
    std::string all;
    for (const auto& e : errors) all += e.empty() ? "" : e + "\n";
    return all;
  }();
  EXPECT_EQ(RunIds(a), want);
  EXPECT_EQ(RunIds(b), want);
  Outcome cli = Perfledger(db_, dir_, {"runs", "--format", "json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(json::parse(cli.out).size(), want.size());
  a.StopCleanly();
  b.StopCleanly();
}

// An alert recorded by `detect --record`, triaged through one server: the other answers with
// the new status at once (its cached alerts and series documents follow the store's alerts
// mark, which the first server's write moved).
TEST_F(ClusterTest, AnAlertTriagedOnOneServerIsSeenOnTheOther) {
  Server a(dir_, db_), b(dir_, db_);
  std::string batch = "{\"artifacts\": [";
  for (int i = 0; i < 30; ++i) {
    batch += (i ? "," : "") + Artifact(i, i < 15 ? 1e6 : 1.3e6).dump();
  }
  batch += "]}";
  ASSERT_EQ(a.Post("/api/v1/projects/demo/runs", batch, token_).status, 201);
  Outcome detect = Perfledger(db_, dir_, {"detect", "--record"});
  ASSERT_EQ(detect.exit_code, 3) << detect.out << detect.err;
  Reply before = b.Get("/api/v1/alerts");
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_FALSE(before.Json()["alerts"].empty()) << before.body;
  const json alert = before.Json()["alerts"][0];
  EXPECT_EQ(alert["status"], "open");
  const std::string id = std::to_string(alert["id"].get<int64_t>());
  Reply triaged =
      a.Patch("/api/v1/alerts/" + id, R"({"status": "acknowledged", "note": "on it"})", token_);
  ASSERT_EQ(triaged.status, 200) << triaged.body;
  Reply after = b.Get("/api/v1/alerts");
  ASSERT_EQ(after.status, 200);
  bool seen = false;
  const json alerts = after.Json();
  for (const json& x : alerts["alerts"]) {
    if (std::to_string(x["id"].get<int64_t>()) != id) continue;
    seen = true;
    EXPECT_EQ(x["status"], "acknowledged");
    EXPECT_EQ(x["note"], "on it");
  }
  EXPECT_TRUE(seen) << after.body;
  a.StopCleanly();
  b.StopCleanly();
}

// A load balancer's probe: ready while the database answers; 503 once it is gone, and the
// server stays up to answer so.
TEST_F(ClusterTest, ReadyzFollowsTheDatabase) {
  Server a(dir_, db_);
  Reply ready = a.Get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.Json()["status"], "ready");
  EXPECT_EQ(a.Get("/healthz").status, 200);
  ASSERT_TRUE(pg_->Stop().ok());
  Reply gone = a.Get("/readyz");
  EXPECT_EQ(gone.status, 503) << gone.body;
  EXPECT_EQ(a.Get("/healthz").status, 503);
  a.StopCleanly();
}

}  // namespace
}  // namespace perfledger
