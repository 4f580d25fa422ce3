// Data for bench/run_server_bench.sh, made quickly through the store API (no artifact files,
// no CLI), and the plain-SQLite reference for the series latency.
//
//   server_data series DB RUNS
//       RUNS runs of one benchmark ("series/one", real_time, 5 samples) on one platform, one
//       commit each, 10 minutes apart: a series of RUNS points.
//   server_data dashboard DB BENCHMARKS PLATFORMS COMMITS
//       PLATFORMS x COMMITS runs, each measuring BENCHMARKS benchmarks ("suite/bench_NNNN",
//       real_time, 3 samples): BENCHMARKS series per platform, COMMITS points each; and one
//       recorded plan over those commits, as `perfledger plan --record` leaves.
//   server_data year DB BENCHMARKS PLATFORMS COMMITS
//       The same shape with two metrics (real_time, cpu_time) x 5 samples per benchmark: issue
//       13's "year" store is `year DB 100 3 35040` (a run per platform every 15 minutes for a
//       year; the commit times stay 10 minutes apart). Progress every 10,000 runs on stderr.
//   server_data round DIR dashboard|year BENCHMARKS PLATFORMS COMMIT
//       One more round of such a store (COMMIT counts from 0, so a store of N commits gets
//       commit N next): one artifact file per platform in DIR, for an upload or an ingest.
//   server_data artifacts DIR RUNS BENCHMARKS
//       RUNS artifact files (canonical JSON, one commit each) of BENCHMARKS benchmarks x 3
//       metrics x 10 samples, the shape bench/ingest_bench.cc uses, for the upload benchmark.
//   server_data query DB BENCHMARK REPEAT
//       The reference for GET /api/v1/series: the plainest SQLite read of the same rows (commit
//       sha, time and sample blob of every measurement of BENCHMARK, in commit order), REPEAT
//       times after 3 warm-ups; prints one JSON line with p50 and p99 in milliseconds.
//
// The stores are written in batches of 1,000 runs (one transaction each) and print the time
// taken on stderr. Values are deterministic (a fixed seed); run ids are random UUIDs.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/uuid.h"
#include "core/artifact.h"
#include "core/run.h"
#include "store/store.h"

namespace perfledger {
namespace {

constexpr int64_t kT0 = 1'790'000'000;  // 2026-09-21, Unix seconds
constexpr int64_t kSecond = 1'000'000'000;
constexpr size_t kBatch = 1000;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "server_data: %s\n", message.c_str());
  std::exit(1);
}

long Number(const char* text, const char* what) {
  char* end = nullptr;
  const long n = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || n < 1) Die(std::string(what) + ": expected a count >= 1");
  return n;
}

std::string Sha(int64_t commit) {
  char sha[41];
  std::snprintf(sha, sizeof sha, "%040llx", static_cast<unsigned long long>(0xbe11c0de00 + commit));
  return sha;
}

core::Environment Machine(const std::string& cpu) {
  core::Environment e;
  e.ci = true;
  e.provider = "github-actions";
  e.runner = "ubuntu-24.04";
  e.os = "linux";
  e.kernel = "6.8.0";
  e.arch = "x86_64";
  e.cpu = cpu;
  e.cores = 4;
  e.memory_bytes = 16'777'216'000;
  e.fingerprint = core::ComputeFingerprint(e);
  return e;
}

// A run of commit `commit` on `platform` with no benchmarks yet.
core::Run RunOf(int64_t commit, const std::string& platform, const core::Environment& env) {
  core::Run r;
  r.run_id = base::NewUuidV4();
  r.project = "bench";
  r.commit.sha = Sha(commit);
  r.commit.branch = "main";
  r.commit.time = base::Timestamp{(kT0 + commit * 600) * kSecond};
  r.commit.subject = "Change " + std::to_string(commit);
  r.commit_range.to = r.commit.sha;
  if (commit > 0) r.commit_range.from = Sha(commit - 1);
  r.reason = core::Reason::kPush;
  r.platform = platform;
  r.suite = core::SuiteRef{"bench", 1, {}, core::EpochRef{1, {{"environment", "\"ci\""}}}};
  r.environment = env;
  r.started_at = base::Timestamp{r.commit.time->unix_nanos + 300 * kSecond};
  r.finished_at = base::Timestamp{r.started_at.unix_nanos + 90 * kSecond};
  return r;
}

// `n` samples around `median` with 1% Gaussian noise, rounded to whole nanoseconds.
core::Metric Timing(const std::string& name, double median, int n, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0, 0.01);
  core::Metric m{name, "ns", core::Direction::kLower, {}, {}};
  for (int i = 0; i < n; ++i) m.samples.push_back(std::round(median * (1 + noise(rng))));
  return m;
}

class Writer {
 public:
  explicit Writer(const std::string& db) {
    if (std::filesystem::exists(db)) Die(db + ": exists; give a new file");
    auto s = store::OpenStore(db);
    if (!s.ok()) Die(s.status().message());
    store_ = std::move(*s);
  }
  void Add(core::Run run) {
    batch_.push_back(std::move(run));
    if (batch_.size() == kBatch) Flush();
  }
  store::Store& store() { return *store_; }
  void Flush() {
    if (batch_.empty()) return;
    auto stats = store_->Ingest(batch_);
    if (!stats.ok()) Die(stats.status().message());
    runs_ += stats->ingested;
    samples_ += stats->samples;
    batch_.clear();
  }
  int64_t runs() const { return runs_; }
  int64_t samples() const { return samples_; }

 private:
  std::unique_ptr<store::Store> store_;
  std::vector<core::Run> batch_;
  int64_t runs_ = 0, samples_ = 0;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void MakeSeries(const std::string& db, long runs) {
  const auto start = std::chrono::steady_clock::now();
  std::mt19937_64 rng(1);
  const core::Environment env = Machine("AMD EPYC 7763");
  Writer w(db);
  for (long i = 0; i < runs; ++i) {
    core::Run r = RunOf(i, "x86-64-linux", env);
    // A 10% step half way, so the chart has something to show.
    const double median = 250'000 * (i >= runs / 2 ? 1.1 : 1.0);
    r.benchmarks.push_back({"series/one", std::nullopt, {Timing("real_time", median, 5, rng)}});
    w.Add(std::move(r));
  }
  w.Flush();
  std::fprintf(stderr, "server_data: %lld runs, %lld samples in %.1f s\n",
               static_cast<long long>(w.runs()), static_cast<long long>(w.samples()),
               Seconds(start));
}

const char* const kPlatforms[] = {"x86-64-linux", "aarch64-linux", "x86-64-windows",
                                  "aarch64-macos"};

// The runs of the "dashboard" and "year" stores: BENCHMARKS benchmarks ("suite/bench_NNNN")
// with METRICS x SAMPLES each, on the first PLATFORMS of kPlatforms.
class Shape {
 public:
  Shape(long benchmarks, long platforms, std::vector<std::string> metrics, int samples)
      : metrics_(std::move(metrics)), samples_(samples) {
    if (platforms > 4) Die("PLATFORMS: at most 4");
    for (long b = 0; b < benchmarks; ++b) {
      char name[48];
      std::snprintf(name, sizeof name, "suite/bench_%04ld", b);
      names_.push_back(name);
    }
    for (long p = 0; p < platforms; ++p) {
      envs_.push_back(Machine(std::string("cpu ") + kPlatforms[p]));
    }
  }
  static Shape Of(const std::string& mode, long benchmarks, long platforms) {
    if (mode == "year") return Shape(benchmarks, platforms, {"real_time", "cpu_time"}, 5);
    if (mode != "dashboard") Die("SHAPE: expected dashboard or year, got " + mode);
    return Shape(benchmarks, platforms, {"real_time"}, 3);
  }

  // Commit `c`'s run on platform `p`.
  core::Run Run(long c, long p, std::mt19937_64& rng) const {
    core::Run r = RunOf(c, kPlatforms[p], envs_[static_cast<size_t>(p)]);
    r.benchmarks.reserve(names_.size());
    for (size_t b = 0; b < names_.size(); ++b) {
      const double median = 1'000.0 * static_cast<double>(1 + b) * (1 + 0.5 * p);
      core::BenchmarkResult result{names_[b], std::nullopt, {}};
      for (size_t m = 0; m < metrics_.size(); ++m) {
        result.metrics.push_back(
            Timing(metrics_[m], median * (1 + 0.25 * static_cast<double>(m)), samples_, rng));
      }
      std::sort(result.metrics.begin(), result.metrics.end(),
                [](const core::Metric& a, const core::Metric& x) { return a.name < x.name; });
      r.benchmarks.push_back(std::move(result));
    }
    return r;
  }
  long platforms() const { return static_cast<long>(envs_.size()); }

 private:
  std::vector<std::string> names_;
  std::vector<core::Environment> envs_;
  std::vector<std::string> metrics_;
  int samples_;
};

void MakeDashboard(const std::string& db, const Shape& shape, long commits) {
  const long platforms = shape.platforms();
  const auto start = std::chrono::steady_clock::now();
  std::mt19937_64 rng(2);
  Writer w(db);
  // Commit by commit, every platform: the order CI would write them in.
  for (long c = 0; c < commits; ++c) {
    for (long p = 0; p < platforms; ++p) {
      w.Add(shape.Run(c, p, rng));
      if (const long added = c * platforms + p + 1; added % 10'000 == 0) {
        std::fprintf(stderr, "server_data: %ld runs in %.1f s\n", added, Seconds(start));
      }
    }
  }
  w.Flush();
  // One recorded plan that saw every commit and queued a job for each on every platform (what
  // `perfledger plan --record` leaves), so the overview has coverage and gaps to show.
  store::PlanRecord plan;
  plan.now = base::Timestamp{(kT0 + commits * 600) * kSecond};
  plan.branch = "main";
  plan.head = Sha(commits - 1);
  plan.degradation = "none";
  for (long c = 0; c < commits; ++c) {
    store::CommitRecord commit;
    commit.sha = Sha(c);
    if (c > 0) commit.first_parent = Sha(c - 1);
    commit.parent_count = c > 0 ? 1 : 0;
    commit.time = base::Timestamp{(kT0 + c * 600) * kSecond};
    commit.subject = "Change " + std::to_string(c);
    plan.commits.push_back(std::move(commit));
    for (long p = 0; p < platforms; ++p) {
      store::JobRecord job;
      job.sha = Sha(c);
      job.platform = kPlatforms[p];
      job.reason = "push";
      if (c > 0) job.range_from = Sha(c - 1);
      plan.jobs.push_back(std::move(job));
    }
  }
  if (auto s = w.store().RecordPlan(plan); !s.ok()) Die(s.message());
  std::fprintf(stderr, "server_data: %lld runs, %lld samples and a plan in %.1f s\n",
               static_cast<long long>(w.runs()), static_cast<long long>(w.samples()),
               Seconds(start));
}

// One more round of a "dashboard" or "year" store: commit `commit`'s run on every platform, as
// artifact files in `dir` (for an upload or `perfledger ingest`).
void MakeRound(const std::string& dir, const Shape& shape, long commit) {
  std::mt19937_64 rng(static_cast<uint64_t>(commit));
  std::filesystem::create_directories(dir);
  for (long p = 0; p < shape.platforms(); ++p) {
    const core::Run r = shape.Run(commit, p, rng);
    std::ofstream(std::filesystem::path(dir) / core::ArtifactFileName(r)) << core::WriteArtifact(r);
  }
}

void MakeArtifacts(const std::string& dir, long runs, long benchmarks) {
  std::mt19937_64 rng(3);
  std::filesystem::create_directories(dir);
  const core::Environment env = Machine("AMD EPYC 7763");
  for (long i = 0; i < runs; ++i) {
    core::Run r = RunOf(i, "x86-64-linux", env);
    for (long b = 0; b < benchmarks; ++b) {
      core::BenchmarkResult br;
      br.name = "upload/case_" + std::to_string(b);
      const double median = 1e5 * static_cast<double>(1 + b);
      br.metrics.push_back(Timing("cpu_time", median, 10, rng));
      core::Metric instructions{"instructions", "count", core::Direction::kLower, {}, {}};
      instructions.samples.assign(10, 5'120'331.0 * static_cast<double>(1 + b));
      br.metrics.push_back(std::move(instructions));
      br.metrics.push_back(Timing("wall_time", median, 10, rng));
      r.benchmarks.push_back(std::move(br));
    }
    std::ofstream(std::filesystem::path(dir) / core::ArtifactFileName(r)) << core::WriteArtifact(r);
  }
}

// The reference read: every measurement of one benchmark with its run's commit, in commit
// order, sample blobs fetched but not decoded.
void Query(const std::string& db_path, const std::string& benchmark, long repeat) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Die(db_path + ": cannot open");
  }
  sqlite3_stmt* q = nullptr;
  const char* sql =
      "SELECT r.commit_sha, r.commit_time, m.samples FROM measurements m "
      "JOIN runs r ON r.id = m.run JOIN benchmarks b ON b.id = m.benchmark "
      "WHERE b.name = ?1 ORDER BY COALESCE(r.commit_time, r.started_at), r.run_id";
  if (sqlite3_prepare_v2(db, sql, -1, &q, nullptr) != SQLITE_OK) Die(sqlite3_errmsg(db));
  std::vector<double> ms;
  int64_t rows = 0;
  for (long i = 0; i < repeat + 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    sqlite3_bind_text(q, 1, benchmark.c_str(), -1, SQLITE_STATIC);
    rows = 0;
    size_t bytes = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
      ++rows;
      bytes += static_cast<size_t>(sqlite3_column_bytes(q, 0)) +
               static_cast<size_t>(sqlite3_column_bytes(q, 2));
    }
    sqlite3_reset(q);
    if (bytes == 0) Die("no rows for " + benchmark);
    if (i >= 3) ms.push_back(Seconds(start) * 1e3);
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  std::sort(ms.begin(), ms.end());
  auto quantile = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(std::ceil(p * ms.size())) - 1)];
  };
  std::printf("{\"rows\": %lld, \"n\": %zu, \"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
              static_cast<long long>(rows), ms.size(), quantile(0.5), quantile(0.99));
}

}  // namespace
}  // namespace perfledger

int main(int argc, char** argv) {
  using perfledger::Number;
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "series" && argc == 4) {
    perfledger::MakeSeries(argv[2], Number(argv[3], "RUNS"));
  } else if ((mode == "dashboard" || mode == "year") && argc == 6) {
    perfledger::MakeDashboard(
        argv[2],
        perfledger::Shape::Of(mode, Number(argv[3], "BENCHMARKS"), Number(argv[4], "PLATFORMS")),
        Number(argv[5], "COMMITS"));
  } else if (mode == "round" && argc == 7) {
    perfledger::MakeRound(
        argv[2],
        perfledger::Shape::Of(argv[3], Number(argv[4], "BENCHMARKS"), Number(argv[5], "PLATFORMS")),
        Number(argv[6], "COMMIT"));
  } else if (mode == "artifacts" && argc == 5) {
    perfledger::MakeArtifacts(argv[2], Number(argv[3], "RUNS"), Number(argv[4], "BENCHMARKS"));
  } else if (mode == "query" && argc == 5) {
    perfledger::Query(argv[2], argv[3], Number(argv[4], "REPEAT"));
  } else {
    std::fprintf(stderr,
                 "usage: server_data series DB RUNS\n"
                 "       server_data dashboard DB BENCHMARKS PLATFORMS COMMITS\n"
                 "       server_data year DB BENCHMARKS PLATFORMS COMMITS\n"
                 "       server_data round DIR dashboard|year BENCHMARKS PLATFORMS COMMIT\n"
                 "       server_data artifacts DIR RUNS BENCHMARKS\n"
                 "       server_data query DB BENCHMARK REPEAT\n");
    return 2;
  }
  return 0;
}
