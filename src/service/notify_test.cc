// Notifications against a real HTTP receiver (cpp-httplib on a loopback port) that fails,
// stalls or is not there; claims over a real store, from two connections as two servers.
#include "service/notify.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/uuid.h"
#include "git_fixture.h"
#include "service/service_test_support.h"

namespace perfledger::service {
namespace {

using nlohmann::json;
using test_support::At;
using test_support::Sha;

// A webhook on a loopback port: answers each POST with what `answer` says (by attempt, from
// 1) and keeps the bodies it received.
class Receiver {
 public:
  explicit Receiver(std::function<int(int attempt)> answer) : answer_(std::move(answer)) {
    server_.Post("/hooks/T000/secret", [this](const httplib::Request& req, httplib::Response& res) {
      int attempt = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(req.body);
        attempt = static_cast<int>(bodies_.size());
      }
      res.status = answer_(attempt);
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() { Stop(); }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/T000/secret";
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  std::function<int(int)> answer_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

struct Warnings {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(m);
    };
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
};

NotifyOptions Fast(const std::string& url, Warnings* warnings) {
  NotifyOptions o;
  o.urls = {url};
  o.first_retry = std::chrono::milliseconds(10);
  o.max_attempts = 5;
  o.warn = warnings->sink();
  return o;
}

TEST(NotifierTest, RetriesAFailingWebhookUntilItAnswers) {
  Receiver receiver([](int attempt) { return attempt <= 2 ? 503 : 200; });
  Warnings warnings;
  auto n = Notifier::Start(Fast(receiver.url(), &warnings));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_TRUE((*n)->Post(receiver.url(), R"({"text":"hello"})"));
  (*n)->Drain();
  const auto counts = (*n)->counts();
  EXPECT_EQ(counts.delivered, 1);
  EXPECT_EQ(counts.failed, 0);
  EXPECT_EQ(counts.attempts, 3);
  ASSERT_EQ(receiver.bodies().size(), 3u);
  EXPECT_EQ(receiver.bodies()[2], R"({"text":"hello"})");
  EXPECT_EQ(warnings.all(), "");
}

TEST(NotifierTest, AClientErrorIsNotRetriedButTooManyRequestsIs) {
  Receiver refusing([](int) { return 400; });
  Receiver throttling([](int attempt) { return attempt == 1 ? 429 : 204; });
  Warnings warnings;
  NotifyOptions o = Fast(refusing.url(), &warnings);
  o.urls.push_back(throttling.url());
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok());
  (*n)->Post(refusing.url(), "{}");
  (*n)->Post(throttling.url(), "{}");
  (*n)->Drain();
  EXPECT_EQ(refusing.bodies().size(), 1u);
  EXPECT_EQ(throttling.bodies().size(), 2u);
  EXPECT_EQ((*n)->counts().delivered, 1);
  EXPECT_EQ((*n)->counts().failed, 1);
  // The warning names the webhook by host only: its path holds the secret.
  const std::string w = warnings.all();
  EXPECT_NE(w.find("given up: HTTP 400"), std::string::npos) << w;
  EXPECT_EQ(w.find("secret"), std::string::npos) << w;
}

TEST(NotifierTest, AWebhookThatIsDownIsGivenUpAfterTheLastAttempt) {
  std::string url;
  {
    Receiver gone([](int) { return 200; });
    url = gone.url();
  }  // nothing listens on its port any more
  Warnings warnings;
  NotifyOptions o = Fast(url, &warnings);
  o.max_attempts = 3;
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok());
  (*n)->Post(url, "{}");
  (*n)->Drain();
  EXPECT_EQ((*n)->counts().attempts, 3);
  EXPECT_EQ((*n)->counts().failed, 1);
  const std::string w = warnings.all();
  EXPECT_NE(w.find("given up: POST http://127.0.0.1:"), std::string::npos) << w;
  EXPECT_EQ(w.find("secret"), std::string::npos) << w;
}

// A slow webhook holds only its own thread: Post returns while the receiver still holds the
// first message, and a full queue drops the newest with a warning instead of waiting.
TEST(NotifierTest, ASlowWebhookNeverHoldsThePosterAndAFullQueueDrops) {
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  Receiver slow([&](int) {
    if (first.exchange(false)) {
      entered.set_value();
      released.wait();
    }
    return 200;
  });
  Warnings warnings;
  NotifyOptions o = Fast(slow.url(), &warnings);
  o.queue_capacity = 1;
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE((*n)->Post(slow.url(), R"({"n":1})"));
  entered.get_future().wait();  // the first message is at the receiver, which holds it
  EXPECT_TRUE((*n)->Post(slow.url(), R"({"n":2})"));   // queued
  EXPECT_FALSE((*n)->Post(slow.url(), R"({"n":3})"));  // the queue is full
  EXPECT_NE(warnings.all().find("one dropped"), std::string::npos) << warnings.all();
  release.set_value();
  (*n)->Drain();
  EXPECT_EQ((*n)->counts().delivered, 2);
  EXPECT_EQ((*n)->counts().dropped, 1);
  EXPECT_EQ(slow.bodies(), (std::vector<std::string>{R"({"n":1})", R"({"n":2})"}));
}

TEST(NotifierTest, AUrlThatIsNoWebhookIsRefusedNamingTheFlag) {
  NotifyOptions o;
  o.urls = {"hooks.example.com/x"};
  auto n = Notifier::Start(o);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(n.status().message().starts_with("--notify: ")) << n.status().message();
}

store::AlertRecord Alert(const std::string& platform, const std::string& benchmark, int from,
                         int to, double change, core::AlertKind kind) {
  store::AlertRecord a;
  a.project = "demo";
  a.platform = platform;
  a.benchmark = benchmark;
  a.metric = "wall_time";
  a.unit = "ns";
  a.range_from = Sha(from);
  a.range_to = Sha(to);
  a.range_count = to - from;
  a.before_median = 1'000'000;
  a.after_median = 1'000'000 * (1 + change);
  a.change = change;
  a.confidence = 0.999;
  a.noise = 0.002;
  a.kind = kind;
  a.created_at = a.updated_at = At(100);
  return a;
}

TEST(NotifyMessagesTest, OneMessagePerRangeWithSlackTextAndStructuredFields) {
  std::vector<store::AlertRecord> alerts = {
      Alert("linux", "parse<int>", 14, 16, 0.2, core::AlertKind::kRegression),
      Alert("mac", "parse<int>", 14, 16, 0.25, core::AlertKind::kRegression),
      Alert("linux", "lex", 20, 21, -0.1, core::AlertKind::kImprovement)};
  for (size_t i = 0; i < alerts.size(); ++i) alerts[i].id = static_cast<int64_t>(i) + 1;
  auto messages = AlertGroupMessages(alerts, "https://perf.example.org/");
  ASSERT_EQ(messages.size(), 2u);
  const json newest = json::parse(messages[0]);  // the range of alert 3 comes first
  EXPECT_EQ(newest["kind"], "improvement");
  const json m = json::parse(messages[1]);
  EXPECT_EQ(m["event"], "alert_group");
  EXPECT_EQ(m["project"], "demo");
  EXPECT_EQ(m["platforms"], json::array({"linux", "mac"}));
  EXPECT_EQ(m["kind"], "regression");
  EXPECT_EQ(m["regressions"], 2);
  EXPECT_EQ(m["commit_range"]["from"], Sha(14));
  EXPECT_EQ(m["commit_range"]["to"], Sha(16));
  EXPECT_EQ(m["commit_range"]["count"], 2);
  EXPECT_DOUBLE_EQ(m["effect"].get<double>(), 0.25);
  ASSERT_EQ(m["benchmarks"].size(), 2u);
  EXPECT_EQ(m["benchmarks"][0]["platform"], "mac");  // the largest first
  EXPECT_EQ(m["benchmarks"][0]["id"], 2);
  EXPECT_EQ(m["url"], "https://perf.example.org/#/alerts?status=&range=" + Sha(16));
  const std::string text = m["text"];
  EXPECT_NE(text.find("this range regressed 2 benchmarks on linux and mac"), std::string::npos)
      << text;
  EXPECT_NE(text.find("parse&lt;int&gt; wall_time (mac): 1 ms → 1.25 ms (+25.0%)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("<https://perf.example.org/#/alerts?status=&range=" + Sha(16) +
                      "|Open in perfledger>"),
            std::string::npos)
      << text;
  // Without a public URL there is no link.
  EXPECT_TRUE(json::parse(AlertGroupMessages(alerts, "")[1])["url"].is_null());
}

TEST(NotifyMessagesTest, AStallSaysWhereThePlatformStopped) {
  analysis::GapRow row;
  row.platform = "aarch64-linux";
  row.last_complete = Sha(3);
  row.commits_since = 7;
  row.age_nanos = 3600LL * 1'000'000'000;
  row.stalled = true;
  row.why = "7 commits since the last complete run (at most 5)";
  const json m = json::parse(StallMessage(row, "refs/heads/main", Sha(10), ""));
  EXPECT_EQ(m["event"], "stall");
  EXPECT_EQ(m["platform"], "aarch64-linux");
  EXPECT_EQ(m["last_complete"], Sha(3));
  EXPECT_EQ(m["commits_since"], 7);
  EXPECT_EQ(m["age_seconds"], 3600);
  EXPECT_NE(m["text"].get<std::string>().find("aarch64-linux has stalled on refs/heads/main: 7 "
                                              "commits since its last complete run at `" +
                                              Sha(3).substr(0, 10) + "`"),
            std::string::npos)
      << m["text"];
}

class NotifyClaimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::FreshTestDir("notify-test");
    first_ = Open();
    second_ = Open();
  }
  void TearDown() override {
    first_.reset();
    second_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<store::Store> Open() {
    store::OpenOptions o;
    o.create_if_missing = true;
    auto s = store::OpenStore((dir_ / "perf.db").string(), o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::vector<int64_t> Record(std::vector<store::AlertRecord> alerts) {
    EXPECT_TRUE(first_->RecordAlerts(alerts, {}).ok());
    std::vector<int64_t> ids;
    for (const auto& a : alerts) ids.push_back(a.id);
    return ids;
  }
  static std::vector<int64_t> Ids(const base::Result<std::vector<store::AlertRecord>>& r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<int64_t> ids;
    if (r.ok()) {
      for (const auto& a : *r) ids.push_back(a.id);
    }
    return ids;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> first_, second_;
};

TEST_F(NotifyClaimTest, EachAlertIsClaimedOncePerWebhookAcrossConnectionsAndReopens) {
  const std::string hook = "https://hooks.example.com/a", other = "https://hooks.example.com/b";
  auto old = Record({Alert("linux", "parse", 1, 2, 0.2, core::AlertKind::kRegression)});
  // A server's first pass: history is not posted, only what comes after it.
  EXPECT_TRUE(Ids(ClaimAlerts(*first_, hook, old.back(), old.back())).empty());
  auto fresh = Record({Alert("linux", "lex", 3, 4, 0.2, core::AlertKind::kRegression),
                       Alert("mac", "lex", 3, 4, 0.2, core::AlertKind::kRegression)});
  EXPECT_EQ(Ids(ClaimAlerts(*second_, hook, fresh.back(), fresh.back())), fresh);
  // The other server, and this one again, find nothing left for that webhook.
  EXPECT_TRUE(Ids(ClaimAlerts(*first_, hook, fresh.back(), fresh.back())).empty());
  second_ = Open();  // a restart
  EXPECT_TRUE(Ids(ClaimAlerts(*second_, hook, fresh.back(), fresh.back())).empty());
  // Another webhook has a mark of its own; detect --record starts just before its alerts.
  EXPECT_EQ(Ids(ClaimAlerts(*first_, other, fresh.front() - 1, fresh.back())), fresh);
  // The store keeps a hash of the URL, never the URL (it holds the webhook's secret).
  auto records = first_->ReadRecords();
  ASSERT_TRUE(records.ok());
  for (const auto& [name, value] : records->marks) {
    EXPECT_EQ(name.find("hooks.example.com"), std::string::npos) << name;
  }
  EXPECT_EQ(records->marks.at(NotifyMarkPrefix(hook) + "/alerts"), fresh.back());
}

TEST_F(NotifyClaimTest, AStallIsClaimedOnceUntilThePlatformCatchesUp) {
  analysis::GapRow row;
  row.platform = "linux";
  row.last_complete = Sha(3);
  row.stalled = true;
  const std::string hook = "https://hooks.example.com/a";
  EXPECT_TRUE(*ClaimStall(*first_, hook, row));
  EXPECT_FALSE(*ClaimStall(*second_, hook, row));
  row.last_complete = Sha(4);  // a run more, still behind: the same stall
  EXPECT_FALSE(*ClaimStall(*first_, hook, row));
  row.stalled = false;  // it caught up
  EXPECT_FALSE(*ClaimStall(*second_, hook, row));
  row.stalled = true;  // and fell behind again: a new stall
  EXPECT_TRUE(*ClaimStall(*second_, hook, row));
  EXPECT_FALSE(*ClaimStall(*first_, hook, row));
}

// The server's pass: new alerts become one message per range, posted to the webhook once,
// however many passes and watchers there are.
TEST_F(NotifyClaimTest, TheWatcherPostsNewAlertGroupsOnce) {
  Receiver receiver([](int) { return 200; });
  Warnings warnings;
  auto n = Notifier::Start(Fast(receiver.url(), &warnings));
  ASSERT_TRUE(n.ok());
  Record({Alert("linux", "parse", 1, 2, 0.2, core::AlertKind::kRegression)});  // history
  NotifyWatcher one(n->get(), {}), two(n->get(), {});
  ASSERT_TRUE(one.Pass(*first_, At(200)).ok());
  ASSERT_TRUE(two.Pass(*second_, At(200)).ok());
  Record({Alert("linux", "lex", 3, 4, 0.2, core::AlertKind::kRegression),
          Alert("mac", "lex", 3, 4, 0.3, core::AlertKind::kRegression)});
  ASSERT_TRUE(two.Pass(*second_, At(201)).ok());
  ASSERT_TRUE(one.Pass(*first_, At(201)).ok());
  ASSERT_TRUE(one.Pass(*first_, At(202)).ok());
  (*n)->Drain();
  ASSERT_EQ(receiver.bodies().size(), 1u);
  const json m = json::parse(receiver.bodies()[0]);
  EXPECT_EQ(m["platforms"], json::array({"linux", "mac"}));
  EXPECT_EQ(m["commit_range"]["to"], Sha(4));
}

// The server's pass over a branch: a platform that fell more than five commits behind is
// posted once, not again while it stays behind.
TEST_F(NotifyClaimTest, TheWatcherPostsAStalledPlatformOnce) {
  testing::GitRepo repo;
  std::vector<std::string> shas;
  for (int i = 0; i < 10; ++i) shas.push_back(repo.Commit("change " + std::to_string(i), At(i)));
  auto measure = [&](int i, const std::string& platform) {
    core::Run r = test_support::MakeRun(i, platform, {{"parse", 100}});
    r.run_id = base::NewUuidV4();
    r.commit.sha = shas[static_cast<size_t>(i)];
    r.commit_range = {
        i > 0 ? std::optional<std::string>(shas[static_cast<size_t>(i - 1)]) : std::nullopt,
        r.commit.sha, 1};
    ASSERT_TRUE(first_->Ingest(std::span<const core::Run>(&r, 1)).ok());
  };
  measure(1, "linux");
  for (int i = 0; i < 10; ++i) measure(i, "mac");
  Receiver receiver([](int) { return 200; });
  Warnings warnings;
  auto n = Notifier::Start(Fast(receiver.url(), &warnings));
  ASSERT_TRUE(n.ok());
  WatchOptions watch;
  watch.stalls = HistorySource{repo.path(), ""};
  NotifyWatcher one(n->get(), watch), two(n->get(), watch);
  ASSERT_TRUE(one.Pass(*first_, At(20)).ok());
  ASSERT_TRUE(two.Pass(*second_, At(20)).ok());
  measure(2, "linux");  // still seven commits behind
  ASSERT_TRUE(one.Pass(*first_, At(30)).ok());
  (*n)->Drain();
  ASSERT_EQ(receiver.bodies().size(), 1u) << warnings.all();
  const json m = json::parse(receiver.bodies()[0]);
  EXPECT_EQ(m["event"], "stall");
  EXPECT_EQ(m["platform"], "linux");
  EXPECT_EQ(m["last_complete"], shas[1]);
  EXPECT_EQ(m["commits_since"], 8);
  EXPECT_EQ(m["head"], shas[9]);
}

}  // namespace
}  // namespace perfledger::service
