// Serve over real HTTP on an ephemeral loopback port: what the server adds to the API
// (server/api.h is tested without sockets in api_test.cc).
#include "server/server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "base/uuid.h"
#include "server/http_codec.h"

namespace perfledger::server {
namespace {

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("server_test_" + base::NewUuidV4());
    std::filesystem::create_directories(dir_);
    ServeOptions options;
    options.api.db = (dir_ / "perf.db").string();
    options.port = 0;
    options.threads = 2;
    std::promise<int> port;
    thread_ = std::thread([this, options, &port] {
      status_ = Serve(
          options, [&port](int p) { port.set_value(p); }, [this] { return stop_.load(); });
    });
    port_ = port.get_future().get();
  }
  void TearDown() override {
    stop_ = true;
    thread_.join();
    EXPECT_TRUE(status_.ok()) << status_.message();
    std::filesystem::remove_all(dir_);
  }

  // The Content-Encoding of GET `path` sent with `accept_encoding`; "" for none.
  std::string EncodingOf(const std::string& path, const std::string& accept_encoding) {
    httplib::Client client("127.0.0.1", port_);
    client.set_decompress(false);
    auto res = client.Get(path, {{"Accept-Encoding", accept_encoding}});
    if (!res) return "no response: " + httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200) << path;
    return res->get_header_value("Content-Encoding");
  }

  std::filesystem::path dir_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  base::Status status_;
  int port_ = 0;
};

// A browser offers br on every request; cpp-httplib took it at brotli's highest quality, which
// made a 1.3 MB series take 2.1 s to compress. gzip is what the server sends now.
TEST_F(ServeTest, BrotliOfferedByBrowsersGetsGzip) {
  EXPECT_EQ(EncodingOf("/healthz", "gzip, deflate, br, zstd"), "gzip");
  EXPECT_EQ(EncodingOf("/index.html", "gzip, deflate, br"), "gzip");
  EXPECT_EQ(EncodingOf("/healthz", "br"), "");
  EXPECT_EQ(EncodingOf("/healthz", "identity"), "");
}

// Cached documents and built-in files are compressed once and shared: a second gzip request
// gets the same bytes, they inflate to the identity answer, and HEAD gives that answer's length
// without a body.
TEST_F(ServeTest, SharedBodiesAreSentWholeGzippedOrNot) {
  httplib::Client client("127.0.0.1", port_);
  client.set_decompress(false);  // the bytes as sent
  for (const std::string path : {"/api/v1/index", "/api/v1/projects", "/index.html"}) {
    SCOPED_TRACE(path);
    auto plain = client.Get(path, {{"Accept-Encoding", "identity"}});
    ASSERT_TRUE(plain) << httplib::to_string(plain.error());
    ASSERT_EQ(plain->status, 200);
    ASSERT_FALSE(plain->body.empty());
    std::string first_zipped;
    for (int i = 0; i < 2; ++i) {
      auto zipped = client.Get(path, {{"Accept-Encoding", "gzip"}});
      ASSERT_TRUE(zipped) << httplib::to_string(zipped.error());
      ASSERT_EQ(zipped->get_header_value("Content-Encoding"), "gzip");
      EXPECT_EQ(zipped->get_header_value("Vary"), "Accept-Encoding");
      if (i == 0) first_zipped = zipped->body;
      EXPECT_EQ(zipped->body, first_zipped);
      Inflater inflater(64u << 20);
      std::string inflated, error;
      ASSERT_EQ(inflater.Feed(zipped->body, &inflated, &error), Inflater::Result::kOk) << error;
      ASSERT_EQ(inflater.Finish(&error), Inflater::Result::kOk) << error;
      EXPECT_EQ(inflated, plain->body);
    }
    auto head = client.Head(path);
    ASSERT_TRUE(head) << httplib::to_string(head.error());
    EXPECT_EQ(head->status, 200);
    EXPECT_TRUE(head->body.empty());
    EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(plain->body.size()));
  }
}

// A response went out in two writes (headers, then body), and with Nagle's algorithm on the
// body waited for the client's delayed ACK of the headers: 40 ms added to every upload from a
// client that sends without delay (curl, browsers), 52 ms per upload instead of 8.
TEST_F(ServeTest, ResponsesDoNotWaitForDelayedAcks) {
  httplib::Client client("127.0.0.1", port_);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  const std::string body(20'000, ' ');
  std::vector<double> ms;
  for (int i = 0; i < 9; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto res = client.Post("/api/v1/projects/demo/runs", body, "application/json");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 401);
  }
  std::sort(ms.begin(), ms.end());
  EXPECT_LT(ms[4], 30) << "median of 9 requests, ms";
}

// How many of `n` connections to 127.0.0.1:`port` the kernel completes within 500 ms while
// nobody accepts them: what the listening socket's backlog holds.
int CompletedConnections(int port, int n) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<pollfd> fds;
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    fds.push_back({fd, POLLOUT, 0});
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  int completed = 0;
  for (pollfd& p : fds) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int error = 0;
    socklen_t size = sizeof error;
    if (::poll(&p, 1, std::max<int>(0, static_cast<int>(left.count()))) == 1 &&
        ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0) {
      ++completed;
    }
    ::close(p.fd);
  }
  return completed;
}

// cpp-httplib listened with a backlog of 5: of 32 uploaders starting at once on a busy
// machine, some had their connection dropped and their first request failed after a second.
TEST(ServeBacklogTest, ThirtyTwoClientsConnectingAtOnceAreAllQueued) {
  const auto dir = std::filesystem::temp_directory_path() / ("server_test_" + base::NewUuidV4());
  std::filesystem::create_directories(dir);
  ServeOptions options;
  options.api.db = (dir / "perf.db").string();
  options.port = 0;
  int completed = -1;
  std::atomic<bool> stop{false};
  // on_listening runs before the accept loop starts: every connection waits in the backlog.
  base::Status status = Serve(
      options,
      [&](int port) {
        completed = CompletedConnections(port, 32);
        stop = true;
      },
      [&] { return stop.load(); });
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(completed, 32);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace perfledger::server
