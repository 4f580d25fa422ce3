// How fast the collector ingests artifacts from files, against the plainest SQLite insert of
// the same values (README, "Performance").
//
// Data: 1,000 artifacts x 50 benchmarks x 3 metrics x 10 samples = 1.5 million samples,
// written once per process into a temporary directory as real artifact files.
//   BM_IngestEndToEnd        what `perfledger ingest DIR` does: list, read, parse, validate,
//                            open the store, one transaction, commit.
//   BM_PlainSqliteInsertRows the reference: the same values already in memory, one row each,
//                            one prepared INSERT, one transaction, no parsing.
//   BM_PlainSqliteInsertBlobs a stricter reference: the same values as one blob of raw
//                            doubles per run x benchmark x metric (our store's row count).
// All three use the same pragmas as the store (WAL, synchronous=FULL) and a fresh file per
// iteration. Counters: items_per_second = samples per second; bytes_per_M_samples = the size
// of the database file after a WAL checkpoint, per million samples.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "base/uuid.h"
#include "core/artifact.h"
#include "env/env.h"
#include "service/batch.h"
#include "store/collector.h"
#include "store/store.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;

constexpr int kArtifacts = 1000, kBenchmarks = 50, kSamples = 10;
constexpr int64_t kTotalSamples = int64_t{kArtifacts} * kBenchmarks * 3 * kSamples;

struct Fixture {
  fs::path dir;
  std::vector<core::Run> runs;  // the same values, for the references

  Fixture() {
    dir = fs::temp_directory_path() / ("perfledger-ingest-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir / "artifacts");
    std::mt19937_64 rng(42);
    std::normal_distribution<double> noise(0, 0.01);
    for (int i = 0; i < kArtifacts; ++i) {
      core::Run r;
      r.run_id = base::NewUuidV4();
      r.project = "gruel";
      char sha[41];
      std::snprintf(sha, sizeof sha, "%040x", 0x5eed000 + i);
      r.commit.sha = sha;
      r.commit.branch = "trunk";
      r.commit.time = base::Timestamp{(1'790'000'000LL + i * 60) * 1'000'000'000};
      r.commit.subject = "Change " + std::to_string(i);
      r.commit_range.to = sha;
      r.reason = core::Reason::kSchedule;
      r.platform = "x86-64-linux";
      r.suite = core::SuiteRef{"compiler", 3, {}, std::nullopt};
      r.environment = {true,
                       "github-actions",
                       "ubuntu-24.04",
                       "linux",
                       "6.8.0",
                       "x86_64",
                       "AMD EPYC 7763",
                       4,
                       16777216000,
                       {},
                       ""};
      r.environment.fingerprint = core::ComputeFingerprint(r.environment);
      r.started_at = base::Timestamp{r.commit.time->unix_nanos + 600'000'000'000};
      r.finished_at = base::Timestamp{r.started_at.unix_nanos + 98'000'000'000};
      for (int b = 0; b < kBenchmarks; ++b) {
        core::BenchmarkResult br;
        br.name = "compile/case_" + std::to_string(b);
        const double base_ns = 1e5 * (1 + b);
        for (const char* metric : {"cpu_time", "instructions", "wall_time"}) {
          const bool count = std::string(metric) == "instructions";
          core::Metric m{metric, count ? "count" : "ns", core::Direction::kLower, {}, {}};
          for (int s = 0; s < kSamples; ++s) {
            m.samples.push_back(count ? 5'120'331.0 * (1 + b)
                                      : std::round(base_ns * (1 + noise(rng))));
          }
          br.metrics.push_back(std::move(m));
        }
        r.benchmarks.push_back(std::move(br));
      }
      std::ofstream(dir / "artifacts" / core::ArtifactFileName(r)) << core::WriteArtifact(r);
      runs.push_back(std::move(r));
    }
  }
  ~Fixture() { fs::remove_all(dir); }
};

Fixture& Data() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

// Checkpoints the WAL into the main file and returns the main file's size.
double CheckpointedSize(const std::string& path) {
  sqlite3* db;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return static_cast<double>(fs::file_size(path));
}

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s\n", err);
    std::abort();
  }
}

sqlite3* OpenReference(const std::string& path, const char* schema) {
  sqlite3* db;
  sqlite3_open(path.c_str(), &db);
  Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL");
  Exec(db, schema);
  return db;
}

void Report(benchmark::State& state, double db_bytes) {
  state.SetItemsProcessed(state.iterations() * kTotalSamples);
  state.counters["bytes_per_M_samples"] = db_bytes / (kTotalSamples / 1e6);
}

// Times `body(db_path)` per iteration on a fresh database file; reports samples per second
// and the checkpointed size.
template <typename Body>
void TimeOnFreshDb(benchmark::State& state, const char* file, Body body) {
  const std::string db_path = (Data().dir / file).string();
  double size = 0;
  for (auto _ : state) {
    state.PauseTiming();
    RemoveDb(db_path);
    state.ResumeTiming();
    body(db_path);
    state.PauseTiming();
    size = CheckpointedSize(db_path);
    state.ResumeTiming();
  }
  Report(state, size);
}

// Calls fn(run index, benchmark index, metric index, samples) for every series.
template <typename Fn>
void ForEachSeries(Fn fn) {
  const auto& runs = Data().runs;
  for (size_t r = 0; r < runs.size(); ++r) {
    for (size_t b = 0; b < runs[r].benchmarks.size(); ++b) {
      const auto& metrics = runs[r].benchmarks[b].metrics;
      for (size_t m = 0; m < metrics.size(); ++m) fn(r, b, m, metrics[m].samples);
    }
  }
}

void BindSeries(sqlite3_stmt* ins, size_t r, size_t b, size_t m) {
  sqlite3_bind_int64(ins, 1, static_cast<int64_t>(r));
  sqlite3_bind_int64(ins, 2, static_cast<int64_t>(b));
  sqlite3_bind_int64(ins, 3, static_cast<int64_t>(m));
}

void BM_IngestEndToEnd(benchmark::State& state) {
  const std::string artifacts = (Data().dir / "artifacts").string();
  TimeOnFreshDb(state, "ingest.db", [&](const std::string& db) {
    env::Env* env = env::Env::Default();
    auto paths = service::ExpandArtifactPaths(env, {artifacts});
    auto loaded = service::LoadArtifacts(env, *paths);
    if (!loaded.errors.empty()) state.SkipWithError(loaded.errors[0].message().c_str());
    auto store = store::OpenStore(db);
    auto stats = store::Collect(**store, std::move(loaded.runs));
    if (!stats.ok() || stats->samples != kTotalSamples) state.SkipWithError("ingest failed");
  });
}

void BM_PlainSqliteInsertRows(benchmark::State& state) {
  TimeOnFreshDb(state, "rows.db", [](const std::string& path) {
    sqlite3* db = OpenReference(
        path, "CREATE TABLE samples(run INTEGER, benchmark INTEGER, metric INTEGER, value REAL)");
    sqlite3_stmt* ins;
    sqlite3_prepare_v2(db, "INSERT INTO samples VALUES (?1, ?2, ?3, ?4)", -1, &ins, nullptr);
    Exec(db, "BEGIN");
    ForEachSeries([&](size_t r, size_t b, size_t m, const std::vector<double>& samples) {
      for (double v : samples) {
        BindSeries(ins, r, b, m);
        sqlite3_bind_double(ins, 4, v);
        sqlite3_step(ins);
        sqlite3_reset(ins);
      }
    });
    Exec(db, "COMMIT");
    sqlite3_finalize(ins);
    sqlite3_close(db);
  });
}

void BM_PlainSqliteInsertBlobs(benchmark::State& state) {
  TimeOnFreshDb(state, "blobs.db", [](const std::string& path) {
    sqlite3* db = OpenReference(
        path, "CREATE TABLE series(run INTEGER, benchmark INTEGER, metric INTEGER, samples BLOB)");
    sqlite3_stmt* ins;
    sqlite3_prepare_v2(db, "INSERT INTO series VALUES (?1, ?2, ?3, ?4)", -1, &ins, nullptr);
    Exec(db, "BEGIN");
    ForEachSeries([&](size_t r, size_t b, size_t m, const std::vector<double>& samples) {
      BindSeries(ins, r, b, m);
      sqlite3_bind_blob(ins, 4, samples.data(), static_cast<int>(samples.size() * sizeof(double)),
                        SQLITE_STATIC);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    });
    Exec(db, "COMMIT");
    sqlite3_finalize(ins);
    sqlite3_close(db);
  });
}

BENCHMARK(BM_IngestEndToEnd)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PlainSqliteInsertRows)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PlainSqliteInsertBlobs)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace perfledger

BENCHMARK_MAIN();
