// The fixture of the detect CLI tests (detect_test.cc): a real git history, runs written by
// `perfledger write` and ingested into a real store, and helpers to read what detect says.
// Included by detect_test.cc only (it uses that target's PERFLEDGER_BIN).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/time.h"
#include "git_fixture.h"
#include "subprocess.h"

namespace perfledger::detect_cli {

namespace fs = std::filesystem;
using nlohmann::json;
using perfledger::testing::GitRepo;
using subprocess::Outcome;
using subprocess::RunCommand;

inline const std::string kBin = PERFLEDGER_BIN;
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'795'514'400LL * kSecond;  // 2026-11-24T10:00:00Z
inline base::Timestamp At(int minutes) { return base::Timestamp{kT0 + minutes * 60 * kSecond}; }

// Ten samples whose median is `median`, 0.3% apart.
inline std::vector<double> Samples(double median) {
  static constexpr double kOffsets[] = {-1.5, 0.3, -1, 1.5, 0, -0.6, 1, 0, -0.3, 0.6};
  std::vector<double> out;
  for (double o : kOffsets) out.push_back(median * (1 + 0.003 * o));
  return out;
}

// Samples(median) as BENCH's wall_time for `perfledger write --sample`.
inline std::string Spec(const std::string& bench, double median) {
  std::ostringstream out;
  out.precision(12);
  out << bench << ":wall_time:ns=";
  for (double v : Samples(median)) out << (out.str().back() == '=' ? "" : ",") << v;
  return out.str();
}

// The commit-to-commit wobble of a median: +-0.4%, deterministic.
inline double Wobble(int i) { return 1 + 0.004 * (((i * 7) % 5) - 2) / 2.0; }

class DetectCliTest : public ::testing::Test {
 protected:
  static constexpr int kCommits = 30;
  static constexpr int kCulprit = 15;  // this commit makes `parse` 20% slower

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-detect-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (int i = 1; i <= kCommits; ++i) {
      shas_.push_back(repo_.Commit("commit " + std::to_string(i), At(i)));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  const std::string& Sha(int i) const { return shas_.at(i - 1); }

  Outcome Pl(std::vector<std::string> args) {
    std::vector<std::string> argv = {kBin, "--db", (dir_ / "perf.db").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, dir_.string(), subprocess::LocalMachineEnv());
  }

  // Measures commit i on `platform` (standing for the commits since `from`) and ingests it.
  void Measure(int i, int from, const std::string& platform, const std::string& cpu = "Test CPU",
               double parse_factor = -1, const std::string& reason = "schedule") {
    if (parse_factor < 0) parse_factor = i >= kCulprit ? 1.2 : 1.0;
    std::vector<std::string> args = {"write", "--project", "demo", "--commit", Sha(i)};
    args.insert(args.end(), {"--commit-time", base::FormatRfc3339(At(i)), "--platform", platform});
    args.insert(args.end(), {"--env", "cpu=" + cpu, "--reason", reason, "--out", RunsDir()});
    args.insert(args.end(), {"--sample", Spec("parse", 1000 * parse_factor * Wobble(i))});
    args.insert(args.end(), {"--sample", Spec("lex", 300 * Wobble(i + 3))});
    if (with_ranges_) args.insert(args.end(), {"--range-count", std::to_string(i - from)});
    if (from > 0 && with_ranges_) args.insert(args.end(), {"--range-from", Sha(from)});
    Outcome w = Pl(args);
    ASSERT_EQ(w.exit_code, 0) << w.err;
    if (!batch_) IngestWritten();
  }

  std::string RunsDir() const { return (dir_ / "runs").string(); }

  // Ingests the runs written since the last ingest (all at once with batch_).
  void IngestWritten() {
    Outcome in = Pl({"ingest", (dir_ / "runs").string()});
    ASSERT_EQ(in.exit_code, 0) << in.err;
    fs::remove_all(dir_ / "runs");
  }

  // Every second commit on linux and mac: 2, 4, ..., 30.
  void MeasureEverySecondCommit() {
    for (const std::string platform : {"linux", "mac"}) {
      for (int i = 2; i <= kCommits; i += 2) Measure(i, i - 2, platform);
    }
  }

  // Commit i of a long history the runs alone describe (every run says its range, so no
  // repository is needed to count commits): "e0000...0i".
  static std::string LongSha(int i) {
    char sha[41];
    std::snprintf(sha, sizeof sha, "e%039x", i);
    return sha;
  }
  static int Number(const json& sha) { return std::stoi(sha.get<std::string>().substr(1), 0, 16); }

  // A history measured at every commit 1..n (LongSha) on linux, `parse` only, its median
  // parse[i - 1]: the run `perfledger write` makes for commit 1, repeated with each commit's
  // sha, time, range and samples, ingested at once (one process, not one per commit).
  void IngestEveryCommit(const std::vector<double>& parse) {
    const fs::path runs = dir_ / "runs";
    Outcome w = Pl({"write", "--project", "demo", "--commit", LongSha(1), "--platform", "linux",
                    "--env", "cpu=Test CPU", "--reason", "schedule", "--sample",
                    Spec("parse", parse[0]), "--out", runs.string()});
    ASSERT_EQ(w.exit_code, 0) << w.err;
    std::ifstream in(runs / ("benchmark-results-" + LongSha(1) + "-linux.json"));
    const json run = json::parse(in);
    for (int i = 1; i <= static_cast<int>(parse.size()); ++i) {
      json r = run;
      char id[40];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
      r["run_id"] = id;
      r["commit"] = {{"sha", LongSha(i)}, {"time", base::FormatRfc3339(At(i))}};
      r["commit_range"] = {{"to", LongSha(i)}, {"count", 1}};
      if (i > 1) r["commit_range"]["from"] = LongSha(i - 1);
      r["benchmarks"][0]["metrics"]["wall_time"]["samples"] = Samples(parse[i - 1]);
      std::ofstream(runs / ("benchmark-results-" + LongSha(i) + "-linux.json")) << r.dump();
    }
    IngestWritten();
  }

  json Json(const Outcome& o) {
    EXPECT_FALSE(o.out.empty()) << o.err;
    return json::parse(o.out);
  }

  fs::path dir_;
  GitRepo repo_;
  std::vector<std::string> shas_;
  bool with_ranges_ = true;  // runs say which commits they stand for (--range-count)
  bool batch_ = false;       // Measure only writes; IngestWritten ingests them at once
};

}  // namespace perfledger::detect_cli
