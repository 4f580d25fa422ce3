// The HTTP JobServer against a stand-in server (cpp-httplib on a loopback port) that records
// what it was sent and answers as `perfledger serve` does.
#include "service/job_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace perfledger::service {
namespace {

using nlohmann::json;

struct Seen {
  std::string path, authorization, body;
};

class StandInServer {
 public:
  StandInServer() {
    server_.Post(R"(/perf/api/v1/projects/([^/]+)/(.*))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard<std::mutex> lock(mu_);
                   seen_.push_back({req.path, req.get_header_value("Authorization"), req.body});
                   res.status = status_;
                   if (!answer_.empty()) res.set_content(answer_, "application/json");
                 });
    // Listening from here: connections wait in the backlog until the thread accepts them.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~StandInServer() {
    // stop() does nothing before the loop runs.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server_.stop();
    thread_.join();
  }
  void Answer(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    answer_ = std::move(body);
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/perf/"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  int status_ = 200;
  std::string answer_;
  std::vector<Seen> seen_;
};

constexpr const char* kJob =
    R"({"job": {"id": 12, "sha": "0123456789012345678901234567890123456789",
  "platform": "x86-64-linux", "reason": "push", "commit_range": {"from": null,
  "to": "0123456789012345678901234567890123456789", "count": 3}, "attempt": 2, "state": "running",
  "claimed_at": "2026-12-06T05:35:00Z", "lease_expires_at": "2026-12-06T05:40:00Z"}})";

TEST(HttpJobServerTest, SpeaksTheContractUnderThePathPrefix) {
  StandInServer stand_in;
  auto server = NewHttpJobServer(stand_in.url(), "plt_secret", "my project");
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  stand_in.Answer(200, kJob);
  auto claimed = (*server)->Claim("x86-64-linux", "bench-1");
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_TRUE(claimed->has_value());
  const ClaimedJob& job = **claimed;
  EXPECT_EQ(job.id, 12);
  EXPECT_EQ(job.sha, "0123456789012345678901234567890123456789");
  EXPECT_EQ(job.reason, "push");
  EXPECT_FALSE(job.range_from.has_value());
  EXPECT_EQ(job.range_count, 3);
  EXPECT_EQ(job.attempt, 2);
  ASSERT_TRUE(job.claimed_at && job.lease_expires_at);
  EXPECT_EQ(job.lease_expires_at->unix_nanos - job.claimed_at->unix_nanos, 300'000'000'000);

  auto renewed = (*server)->Heartbeat(12, "bench-1");
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  stand_in.Answer(201, R"({"ingested": 1})");
  EXPECT_TRUE((*server)->Upload(R"({"version": 2})").ok());
  stand_in.Answer(200, kJob);
  EXPECT_TRUE((*server)->Complete(12, "bench-1", "run-1").ok());
  EXPECT_TRUE((*server)->Fail(12, "bench-1", "error: \"x\"\n").ok());

  const std::vector<Seen> seen = stand_in.seen();
  ASSERT_EQ(seen.size(), 5u);
  // Sent percent-encoded (a space in the request line would be refused); decoded here.
  const std::string base = "/perf/api/v1/projects/my project";
  EXPECT_EQ(seen[0].path, base + "/jobs/claim");
  EXPECT_EQ(json::parse(seen[0].body), json::parse(R"({"platform": "x86-64-linux",
                                                      "agent": "bench-1"})"));
  EXPECT_EQ(seen[1].path, base + "/jobs/12/heartbeat");
  EXPECT_EQ(json::parse(seen[1].body), json::parse(R"({"agent": "bench-1"})"));
  EXPECT_EQ(seen[2].path, base + "/runs");
  EXPECT_EQ(seen[2].body, R"({"version": 2})");
  EXPECT_EQ(seen[3].path, base + "/jobs/12/complete");
  EXPECT_EQ(json::parse(seen[3].body), json::parse(R"({"agent": "bench-1", "run_id": "run-1"})"));
  EXPECT_EQ(seen[4].path, base + "/jobs/12/fail");
  EXPECT_EQ(json::parse(seen[4].body)["log"], "error: \"x\"\n");
  for (const Seen& s : seen) EXPECT_EQ(s.authorization, "Bearer plt_secret");
}

TEST(HttpJobServerTest, NothingWaitingIsNoJob) {
  StandInServer stand_in;
  auto server = NewHttpJobServer(stand_in.url(), "t", "p");
  ASSERT_TRUE(server.ok());
  stand_in.Answer(204, "");
  auto claimed = (*server)->Claim("x86-64-linux", "bench-1");
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_FALSE(claimed->has_value());
}

TEST(HttpJobServerTest, ErrorsCarryTheServersMessageAndSayWhetherToRetry) {
  StandInServer stand_in;
  auto server = NewHttpJobServer(stand_in.url(), "t", "p");
  ASSERT_TRUE(server.ok());
  auto error = [](const std::string& code, const std::string& message) {
    return json{{"error", {{"code", code}, {"message", message}}}}.dump();
  };

  stand_in.Answer(409, error("conflict", "bench-1 does not hold job 12"));
  base::Status s = (*server)->Heartbeat(12, "bench-1").status();
  EXPECT_EQ(s.code(), base::StatusCode::kConflict);
  EXPECT_NE(s.message().find("409: bench-1 does not hold job 12"), std::string::npos)
      << s.message();
  EXPECT_FALSE(IsTransient(s));

  stand_in.Answer(401, error("unauthorized", "unknown or revoked token"));
  s = (*server)->Claim("x86-64-linux", "bench-1").status();
  EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput);
  EXPECT_NE(s.message().find("unknown or revoked token"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("Bearer"), std::string::npos) << "no token in messages";

  stand_in.Answer(503, "<html>Bad gateway</html>");
  s = (*server)->Upload("{}");
  EXPECT_EQ(s.code(), base::StatusCode::kBusy);
  EXPECT_NE(s.message().find("<html>Bad gateway</html>"), std::string::npos) << s.message();
  EXPECT_TRUE(IsTransient(s));

  stand_in.Answer(404, error("not_found", "no job with id 99"));
  EXPECT_EQ((*server)->Complete(99, "bench-1", "r").code(), base::StatusCode::kNotFound);
}

TEST(HttpJobServerTest, NoAnswerIsTransient) {
  std::string url;
  {
    StandInServer gone;
    url = gone.url();
  }
  auto server = NewHttpJobServer(url, "t", "p");
  ASSERT_TRUE(server.ok());
  base::Status s = (*server)->Claim("x86-64-linux", "bench-1").status();
  EXPECT_EQ(s.code(), base::StatusCode::kIoError) << s.ToString();
  EXPECT_TRUE(IsTransient(s));
  EXPECT_NE(s.message().find(url.substr(0, url.size() - 1)), std::string::npos) << s.message();
}

TEST(HttpJobServerTest, RefusesURLsItCannotUse) {
  for (const char* bad : {"127.0.0.1:8080", "ftp://host", "http://", "http://host:99999",
                          "http://user:pw@host", "http://host/?q=1"}) {
    auto server = NewHttpJobServer(bad, "t", "p");
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_EQ(server.status().code(), base::StatusCode::kInvalidInput) << bad;
  }
  EXPECT_TRUE(NewHttpJobServer("https://perf.example.com/ci/perf", "t", "p").ok());
  EXPECT_TRUE(NewHttpJobServer("http://[::1]:8080", "t", "p").ok());
  EXPECT_FALSE(NewHttpJobServer("http://localhost:8080", "", "p").ok());
}

}  // namespace
}  // namespace perfledger::service
