// The uploaders of bench/run_soak.sh: CLIENTS threads POST artifacts to `perfledger serve` on
// 127.0.0.1:PORT for SECONDS while the script kills and restarts the server under them.
//
//   soak_client PORT PROJECT TOKEN CLIENTS SECONDS ACKED_FILE
//   soak_client write DIR PROJECT COUNT SERIES
//       Writes COUNT artifacts of the same shape into DIR (for `perfledger ingest` beside the
//       server), series SERIES (a number: their own commits and platform).
//
// Each thread makes its own runs (a new run id each, 20 benchmarks of 5 samples; one benchmark
// doubles its time from the middle of the soak on, so detect finds a change) and sends each one
// until the server acknowledges it (200 or 201): a refused connection, a reset, a timeout or a
// 5xx means the server died or could not write (disk full), and the same artifact is sent again
// once it is back, as a CI job's retry would. Ingest is idempotent, so a run whose first attempt
// was stored before the kill is "already present" on the retry. Every acknowledged run id is
// appended to ACKED_FILE (one a line) as soon as the answer arrives.
//
// Prints one JSON line: attempts, acknowledged, retries, and the failures by kind. Exits 1 when
// the server answered 4xx (a bad artifact: the soak's own bug) or nothing was acknowledged.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/uuid.h"
#include "core/artifact.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "soak_client: %s\n", message.c_str());
  std::exit(1);
}

long Number(const char* text, const char* what, long min = 1) {
  char* end = nullptr;
  const long n = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || n < min) Die(std::string(what) + ": expected a count");
  return n;
}

std::string Sha(long thread, long i) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%08lx%032lx", thread + 1, i + 1);
  return buf;
}

// Run `i` of thread `t`: its own commit, one minute after the previous one of the thread.
std::string Artifact(const std::string& project, long t, long i, bool slow) {
  perfledger::core::Run r;
  r.run_id = perfledger::base::NewUuidV4();
  r.project = project;
  r.commit.sha = Sha(t, i);
  r.commit.branch = "main";
  r.commit.time = perfledger::base::Timestamp{(1'790'000'000LL + i * 60 + t) * 1'000'000'000};
  r.commit.subject = "soak commit";
  r.commit_range = {i > 0 ? std::optional<std::string>(Sha(t, i - 1)) : std::nullopt, r.commit.sha,
                    1};
  r.reason = perfledger::core::Reason::kPush;
  r.platform = "soak-" + std::to_string(t % 4);
  r.environment.os = "linux";
  r.environment.cores = 2;
  r.environment.fingerprint = perfledger::core::ComputeFingerprint(r.environment);
  r.started_at = perfledger::base::Timestamp{r.commit.time->unix_nanos + 1'000'000'000};
  r.finished_at = perfledger::base::Timestamp{r.started_at.unix_nanos + 1'000'000'000};
  for (int b = 0; b < 20; ++b) {
    perfledger::core::BenchmarkResult result;
    result.name = "soak/bench-" + std::to_string(b);
    const double base = 1000.0 * (b + 1) * (slow && b == 0 ? 2 : 1);
    result.metrics.push_back({"wall_time",
                              "ns",
                              perfledger::core::Direction::kLower,
                              {base, base + 3, base - 2, base + 1, base - 1},
                              {}});
    r.benchmarks.push_back(std::move(result));
  }
  return perfledger::core::WriteArtifact(r);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "write") {
    const std::string dir = argv[2], project = argv[3];
    const long count = Number(argv[4], "COUNT"), series = Number(argv[5], "SERIES", 0);
    for (long i = 0; i < count; ++i) {
      // Threads of the uploaders are 0..CLIENTS-1; these series start at 1000.
      const std::string text = Artifact(project, 1000 + series, i, false);
      std::ofstream(dir + "/run-" + std::to_string(series) + "-" + std::to_string(i) + ".json")
          << text;
    }
    return 0;
  }
  if (argc != 7) Die("usage: soak_client PORT PROJECT TOKEN CLIENTS SECONDS ACKED_FILE");
  const int port = static_cast<int>(Number(argv[1], "PORT"));
  const std::string project = argv[2], token = argv[3];
  const long clients = Number(argv[4], "CLIENTS");
  const long seconds = Number(argv[5], "SECONDS");
  std::ofstream acked_file(argv[6], std::ios::app);
  if (!acked_file) Die(std::string(argv[6]) + ": cannot write");
  std::mutex acked_mu;
  std::atomic<long> attempts{0}, acknowledged{0}, retries{0}, refused_connection{0},
      server_errors{0}, client_errors{0};
  std::string first_client_error;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  const auto half = Clock::now() + std::chrono::seconds(seconds / 2);
  std::vector<std::thread> threads;
  for (long t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port);
      client.set_connection_timeout(2);
      client.set_read_timeout(30);
      client.set_write_timeout(30);
      client.set_keep_alive(true);
      const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
      const std::string path = "/api/v1/projects/" + project + "/runs";
      for (long i = 0; Clock::now() < end; ++i) {
        const std::string body = Artifact(project, t, i, Clock::now() > half);
        const std::string run_id = nlohmann::json::parse(body)["run_id"];
        for (int attempt = 0;; ++attempt) {
          if (attempt > 0) {
            ++retries;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
          ++attempts;
          auto res = client.Post(path, headers, body, "application/json");
          if (!res) {
            ++refused_connection;  // killed, restarting, or reset mid-request
            if (Clock::now() > end + std::chrono::seconds(60)) return;  // never came back
            continue;
          }
          if (res->status == 200 || res->status == 201) {
            ++acknowledged;
            std::lock_guard<std::mutex> lock(acked_mu);
            acked_file << run_id << '\n';
            acked_file.flush();
            break;
          }
          if (res->status >= 500) {
            ++server_errors;  // could not write (disk full) or busy: try again
            if (Clock::now() > end + std::chrono::seconds(60)) return;
            continue;
          }
          ++client_errors;
          std::lock_guard<std::mutex> lock(acked_mu);
          if (first_client_error.empty()) {
            first_client_error = std::to_string(res->status) + " " + res->body;
          }
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  nlohmann::json out = {{"clients", clients},
                        {"seconds", seconds},
                        {"attempts", attempts.load()},
                        {"acknowledged", acknowledged.load()},
                        {"retries", retries.load()},
                        {"connection_failures", refused_connection.load()},
                        {"server_errors", server_errors.load()},
                        {"client_errors", client_errors.load()}};
  std::printf("%s\n", out.dump().c_str());
  if (client_errors > 0) Die("the server refused an artifact: " + first_client_error);
  if (acknowledged == 0) Die("nothing was acknowledged");
  return 0;
}
