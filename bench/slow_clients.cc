// bench/run_slow_clients_bench.sh's client: how fast `perfledger serve` answers a well-behaved
// client while many others hold connections open doing nothing (idle) or sending their
// request head one byte every 2 s (slowloris), as an attacker keeps them: a connection the
// server closes is opened again at once. Measures, in one run, GET /healthz and an upload
// (POST /api/v1/projects/P/runs) first with no other connection open (the reference), then
// with IDLE idle and SLOW slow connections open.
// Usage: slow_clients PORT TOKEN ARTIFACT.json IDLE SLOW REQUESTS SECONDS
// With the attackers present, the requests are spread over SECONDS, so the measurement spans
// the server's closing (and the attackers' reopening) of their connections.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "slow_clients: %s\n", message.c_str());
  std::exit(1);
}

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  return fd;
}

// Whether the server closed `fd` (readable with nothing to read, or an error).
bool Closed(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1) return false;
  char buf[512];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

struct Latencies {
  std::vector<double> health, upload;
  int failures = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

Latencies Measure(int port, const std::string& token, nlohmann::json artifact, int requests,
                  std::chrono::milliseconds pace = std::chrono::milliseconds(0)) {
  Latencies out;
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(10);
  client.set_read_timeout(10);
  const httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  std::mt19937_64 rng(std::random_device{}());
  const auto begin = Clock::now();
  for (int i = 0; i < requests; ++i) {
    std::this_thread::sleep_until(begin + i * pace);
    auto start = Clock::now();
    auto h = client.Get("/healthz");
    out.health.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!h || h->status != 200) ++out.failures;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng() & 0xffff), static_cast<unsigned>(rng() & 0xfff),
                  static_cast<unsigned>(rng() & 0xfff),
                  static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
    artifact["run_id"] = id;
    const std::string body = artifact.dump();
    start = Clock::now();
    auto u = client.Post("/api/v1/projects/" + artifact["project"].get<std::string>() + "/runs",
                         auth, body, "application/json");
    out.upload.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!u || u->status != 201) {
      ++out.failures;
      if (out.failures == 1) {
        std::fprintf(stderr, "slow_clients: upload failed: %s\n",
                     u ? (std::to_string(u->status) + " " + u->body).c_str()
                       : httplib::to_string(u.error()).c_str());
      }
    }
  }
  return out;
}

void Report(const char* label, const Latencies& l) {
  std::printf(
      "%-34s healthz p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms | upload p50 %7.2f ms  "
      "p99 %7.2f ms  max %7.2f ms | failed %d\n",
      label, Percentile(l.health, 0.5), Percentile(l.health, 0.99), Percentile(l.health, 1.0),
      Percentile(l.upload, 0.5), Percentile(l.upload, 0.99), Percentile(l.upload, 1.0), l.failures);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) Die("usage: slow_clients PORT TOKEN ARTIFACT.json IDLE SLOW REQUESTS SECONDS");
  const int port = std::atoi(argv[1]);
  const std::string token = argv[2];
  std::ifstream in(argv[3]);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json artifact = nlohmann::json::parse(text.str());
  const int idle = std::atoi(argv[4]), slow = std::atoi(argv[5]), requests = std::atoi(argv[6]);
  const auto pace = std::chrono::milliseconds(std::atoi(argv[7]) * 1000 / std::max(1, requests));
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  const Latencies alone = Measure(port, token, artifact, requests);

  // The attackers: idle connections, and slow ones that send a byte of a request head every
  // 2 s. A closed one is reopened at once (within 100 ms).
  const std::string head =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(4000, 'a') +
      "\r\n\r\n";
  std::vector<int> idle_fds, slow_fds;
  std::vector<size_t> slow_at;
  for (int i = 0; i < idle; ++i) idle_fds.push_back(Connect(port));
  for (int i = 0; i < slow; ++i) slow_fds.push_back(Connect(port));
  slow_at.assign(slow_fds.size(), 0);
  std::atomic<bool> done{false};
  std::atomic<int64_t> reopened{0};
  std::thread attacker([&] {
    auto next_byte = Clock::now();
    while (!done) {
      const bool send_now = Clock::now() >= next_byte;
      if (send_now) next_byte += std::chrono::seconds(2);
      for (size_t i = 0; i < slow_fds.size(); ++i) {
        bool closed = Closed(slow_fds[i]);
        if (!closed && send_now) {
          closed = ::send(slow_fds[i], head.data() + slow_at[i] % head.size(), 1,
                          MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
                   errno != EAGAIN && errno != ENOTCONN;
          ++slow_at[i];
        }
        if (closed) {
          ::close(slow_fds[i]);
          slow_fds[i] = Connect(port);
          slow_at[i] = 0;
          ++reopened;
        }
      }
      for (int& fd : idle_fds) {
        if (Closed(fd)) {
          ::close(fd);
          fd = Connect(port);
          ++reopened;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(3));  // all connected, some bytes sent
  const auto start = Clock::now();
  const Latencies besieged = Measure(port, token, artifact, requests, pace);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  attacker.join();
  for (int fd : idle_fds) ::close(fd);
  for (int fd : slow_fds) ::close(fd);

  std::printf(
      "%d requests of each kind, sequential, one keep-alive client (with the attackers: "
      "spread over %.0f s)\n",
      requests, seconds);
  Report("alone (reference):", alone);
  char label[80];
  std::snprintf(label, sizeof label, "with %d idle + %d slow open:", idle, slow);
  Report(label, besieged);
  std::printf("attack connections reopened after the server closed them: %lld (over %.1f s)\n",
              static_cast<long long>(reopened.load()), seconds);
  return alone.failures + besieged.failures == 0 ? 0 : 1;
}
