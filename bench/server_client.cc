// The HTTP side of bench/run_server_bench.sh: a loopback client for `perfledger serve`.
//
//   server_client get PORT PATH WARMUP REPEAT
//       GETs PATH on 127.0.0.1:PORT over one keep-alive connection, WARMUP times untimed, then
//       REPEAT times timed (request sent to body read). Every response must be 200. "{i}" in
//       PATH becomes the request's number (from 0, warm-ups included): a query parameter the
//       server ignores, `&nocache={i}`, makes each request a new key of its document cache.
//   server_client upload PORT[,PORT...] PROJECT TOKEN DIR CLIENTS SECONDS
//       POSTs every artifact file in DIR to /api/v1/projects/PROJECT/runs, one per request,
//       from CLIENTS threads at once (file i goes to thread i % CLIENTS; one connection each,
//       thread t to the (t % ports)-th port: several servers of one store share the clients).
//       A thread stops early when SECONDS have passed. Then reads the project's runs back
//       (GET /api/v1/runs, from the first port) and checks that exactly the run_ids sent are
//       stored, each once.
//
// Each prints one JSON line on stdout (times in milliseconds; quantiles by nearest rank) and
// exits 1 when a request failed or, for upload, anything sent is missing, unexpected or
// duplicated.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// As browsers and curl do: without it a request's body waits for the ACK of its headers.
const bool kNoDelay = std::getenv("NAGLE") == nullptr;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "server_client: %s\n", message.c_str());
  std::exit(1);
}

long Number(const char* text, const char* what) {
  char* end = nullptr;
  const long n = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || n < 0) Die(std::string(what) + ": expected a count");
  return n;
}

double Ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Nearest-rank quantile of sorted values; 0 for none.
double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int Get(int port, const std::string& path, long warmup, long repeat) {
  if (repeat < 1) Die("REPEAT: expected at least 1");
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(kNoDelay);
  client.set_read_timeout(120, 0);
  std::vector<double> ms;
  size_t bytes = 0;
  for (long i = 0; i < warmup + repeat; ++i) {
    std::string target = path;
    if (const size_t at = target.find("{i}"); at != std::string::npos) {
      target.replace(at, 3, std::to_string(i));
    }
    const auto start = Clock::now();
    auto res = client.Get(target);
    const double elapsed = Ms(start);
    if (!res) Die("GET " + target + ": " + httplib::to_string(res.error()));
    if (res->status != 200) {
      Die("GET " + target + ": status " + std::to_string(res->status) + ": " + res->body);
    }
    bytes = res->body.size();
    if (i >= warmup) ms.push_back(elapsed);
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "{\"path\": \"%s\", \"n\": %zu, \"bytes\": %zu, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
      "\"min_ms\": %.3f, \"max_ms\": %.3f}\n",
      path.c_str(), ms.size(), bytes, Quantile(ms, 0.5), Quantile(ms, 0.99), ms.front(), ms.back());
  return 0;
}

struct UploadTotals {
  std::mutex mu;
  std::vector<double> ms;
  std::map<int, int64_t> statuses;  // HTTP status (0: no response) -> count
  int64_t ingested = 0, already_present = 0, attempted = 0;
  std::vector<std::string> errors;
};

int Upload(const std::vector<int>& ports, const std::string& project, const std::string& token,
           const std::string& dir, long clients, long seconds) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) Die(dir + ": no .json files");
  std::vector<std::string> bodies;
  std::vector<std::string> sent_ids;
  for (const auto& f : files) {
    bodies.push_back(ReadFile(f));
    sent_ids.push_back(nlohmann::json::parse(bodies.back()).at("run_id").get<std::string>());
  }
  const std::string path = "/api/v1/projects/" + project + "/runs";
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  UploadTotals totals;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (long t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", ports[static_cast<size_t>(t) % ports.size()]);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(kNoDelay);
      client.set_read_timeout(120, 0);
      client.set_bearer_token_auth(token);
      for (size_t i = static_cast<size_t>(t); i < bodies.size();
           i += static_cast<size_t>(clients)) {
        if (Clock::now() > deadline) return;
        const auto sent = Clock::now();
        auto res = client.Post(path, bodies[i], "application/json");
        const double elapsed = Ms(sent);
        std::lock_guard<std::mutex> lock(totals.mu);
        ++totals.attempted;
        totals.ms.push_back(elapsed);
        if (!res) {
          ++totals.statuses[0];
          totals.errors.push_back(
              files[i].filename().string() + ": " + httplib::to_string(res.error()) + " after " +
              std::to_string(static_cast<int>(elapsed)) + " ms, request " +
              std::to_string(i / static_cast<size_t>(clients) + 1) + " of its client");
          continue;
        }
        ++totals.statuses[res->status];
        if (res->status != 200 && res->status != 201) {
          totals.errors.push_back(files[i].filename().string() + ": " + res->body);
          continue;
        }
        const auto doc = nlohmann::json::parse(res->body, nullptr, false);
        if (doc.is_discarded()) continue;
        totals.ingested += doc.value("ingested", 0);
        totals.already_present += doc.value("already_present", 0);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double wall_ms = Ms(start);

  // Count afterwards: exactly the run_ids sent, each once.
  httplib::Client reader("127.0.0.1", ports.front());
  reader.set_read_timeout(120, 0);
  reader.set_bearer_token_auth(token);
  auto res = reader.Get("/api/v1/runs?project=" + project + "&limit=10000");
  if (!res || res->status != 200) Die("GET /api/v1/runs failed");
  const auto doc = nlohmann::json::parse(res->body);
  const int64_t total = doc.at("total").get<int64_t>();
  std::multiset<std::string> stored;
  for (const auto& r : doc.at("runs")) stored.insert(r.at("run_id").get<std::string>());
  const std::set<std::string> sent(sent_ids.begin(), sent_ids.end());
  int64_t missing = 0, unexpected = 0, duplicated = 0;
  for (const auto& id : sent) missing += stored.count(id) == 0;
  for (auto it = stored.begin(); it != stored.end(); it = stored.upper_bound(*it)) {
    const auto n = static_cast<int64_t>(stored.count(*it));
    if (!sent.contains(*it)) unexpected += n;
    duplicated += n - 1;
  }

  std::sort(totals.ms.begin(), totals.ms.end());
  std::string statuses;
  for (const auto& [status, n] : totals.statuses) {
    char item[48];
    std::snprintf(item, sizeof item, "%s\"%d\": %lld", statuses.empty() ? "" : ", ", status,
                  static_cast<long long>(n));
    statuses += item;
  }
  const bool complete = totals.attempted == static_cast<int64_t>(bodies.size());
  const bool exact = complete && missing == 0 && unexpected == 0 && duplicated == 0 &&
                     total == static_cast<int64_t>(sent.size()) &&
                     totals.ingested == static_cast<int64_t>(sent.size()) &&
                     totals.already_present == 0;
  std::printf(
      "{\"servers\": %zu, \"clients\": %ld, \"files\": %zu, \"attempted\": %lld, \"statuses\": "
      "{%s}, "
      "\"ingested\": %lld, \"already_present\": %lld, \"seconds\": %.3f, \"runs_per_s\": %.1f, "
      "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"stored_total\": %lld, \"missing\": %lld, "
      "\"unexpected\": %lld, \"duplicated\": %lld, \"exact\": %s}\n",
      ports.size(), clients, bodies.size(), static_cast<long long>(totals.attempted),
      statuses.c_str(), static_cast<long long>(totals.ingested),
      static_cast<long long>(totals.already_present), wall_ms / 1e3,
      static_cast<double>(totals.ingested) / (wall_ms / 1e3), Quantile(totals.ms, 0.5),
      Quantile(totals.ms, 0.99), static_cast<long long>(total), static_cast<long long>(missing),
      static_cast<long long>(unexpected), static_cast<long long>(duplicated),
      exact ? "true" : "false");
  for (size_t i = 0; i < totals.errors.size() && i < 5; ++i) {
    std::fprintf(stderr, "server_client: %s\n", totals.errors[i].c_str());
  }
  if (!complete) {
    std::fprintf(stderr, "server_client: stopped at the time limit after %lld of %zu uploads\n",
                 static_cast<long long>(totals.attempted), bodies.size());
  }
  return exact ? 0 : 1;
}

// "PORT[,PORT...]"
std::vector<int> Ports(const std::string& text) {
  std::vector<int> ports;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    ports.push_back(static_cast<int>(Number(item.c_str(), "PORT")));
  if (ports.empty()) Die("PORT: expected a port, or ports separated by commas");
  return ports;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "get" && argc == 6) {
    return Get(static_cast<int>(Number(argv[2], "PORT")), argv[3], Number(argv[4], "WARMUP"),
               Number(argv[5], "REPEAT"));
  }
  if (mode == "upload" && argc == 8) {
    return Upload(Ports(argv[2]), argv[3], argv[4], argv[5],
                  std::max(1L, Number(argv[6], "CLIENTS")), Number(argv[7], "SECONDS"));
  }
  std::fprintf(stderr,
               "usage: server_client get PORT PATH WARMUP REPEAT\n"
               "       server_client upload PORT[,PORT...] PROJECT TOKEN DIR CLIENTS SECONDS\n");
  return 2;
}
