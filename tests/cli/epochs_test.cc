// perfledger epochs and the store's epoch checks at ingest, through the real binary: artifacts
// written to files, ingested, listed, exported.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "base/uuid.h"
#include "core/artifact.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;

std::string Sha(int i) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040x", 0xe90c000 + i);
  return buf;
}

constexpr int64_t kBase = 1'790'000'000;

// A CI run of suite "demo" revision `revision` (entries "sort", a harness, and "startup") in
// epoch `epoch` taking `samples` samples; `partial` adds a failed benchmark.
core::Run MakeRun(int i, int64_t epoch, int64_t revision, int samples, bool partial = false) {
  core::Run r;
  r.run_id = base::NewUuidV4();
  r.project = "gruel";
  r.commit.sha = Sha(i);
  r.commit.branch = "trunk";
  r.commit.time = base::Timestamp{(kBase + i * 60) * 1'000'000'000};
  r.commit_range.to = r.commit.sha;
  r.reason = core::Reason::kPush;
  r.platform = "x86-64-linux";
  r.suite = core::SuiteRef{
      "demo",
      revision,
      {{"sort", "d1"}, {"startup", "d2"}},
      core::EpochRef{epoch,
                     {{"environment", R"("ci")"}, {"sort.samples", std::to_string(samples)}}}};
  r.environment.ci = true;
  r.environment.os = "linux";
  r.environment.cores = 2;
  r.environment.fingerprint = core::ComputeFingerprint(r.environment);
  r.started_at = base::Timestamp{r.commit.time->unix_nanos + 60'000'000'000};
  r.finished_at = base::Timestamp{r.started_at.unix_nanos + 30'000'000'000};
  for (const char* name : {"sort/1e3", "sort/1e6", "startup"}) {
    core::BenchmarkResult b;
    b.name = name;
    b.metrics.push_back({"wall_time", "ns", core::Direction::kLower, {1e6 + i, 1.01e6}, {}});
    r.benchmarks.push_back(b);
  }
  if (partial) {
    core::BenchmarkResult b;
    b.name = "startup";
    b.error = "exit status 1";
    b.metrics.clear();
    r.benchmarks.back() = b;
  }
  return r;
}

std::string WriteRun(const fs::path& dir, const core::Run& run) {
  fs::create_directories(dir);
  fs::path p = dir / core::ArtifactFileName(run);
  std::ofstream(p) << core::WriteArtifact(run) << "\n";
  return p.string();
}

class EpochsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-epochs-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  Outcome Pl(std::vector<std::string> args) {
    args.insert(args.begin(), {kBin, "--db", db_});
    return RunCommand(args);
  }

  size_t RunCount() {
    Outcome o = Pl({"runs", "--format", "json"});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return nlohmann::json::parse(o.out).size();
  }

  fs::path dir_;
  std::string db_;
};

std::string Rfc3339(int i) {
  return base::FormatRfc3339(base::Timestamp{(kBase + i * 60) * 1'000'000'000});
}

TEST_F(EpochsTest, ListsEachEpochWithItsFirstAndFirstCompleteRun) {
  // Epoch 1 (revision 3, 10 samples): a partial run first, then complete ones. Epoch 2
  // (revision 4, 20 samples): a single partial run so far.
  core::Run partial = MakeRun(0, 1, 3, 10, /*partial=*/true);
  core::Run complete = MakeRun(1, 1, 3, 10), later = MakeRun(2, 1, 3, 10);
  core::Run next = MakeRun(3, 2, 4, 20, /*partial=*/true);
  fs::path batch = dir_ / "batch";
  for (const auto& r : {later, next, partial, complete}) WriteRun(batch, r);
  Outcome ingest = Pl({"ingest", batch.string()});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  Outcome o = Pl({"epochs", "--format", "json"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  nlohmann::json j = nlohmann::json::parse(o.out);
  ASSERT_TRUE(j["epochs"].is_array());
  ASSERT_EQ(j["epochs"].size(), 2u);
  const auto& e1 = j["epochs"][0];
  EXPECT_EQ(e1["platform"], "x86-64-linux");
  EXPECT_EQ(e1["suite"], "demo");
  EXPECT_EQ(e1["epoch"], 1);
  EXPECT_EQ(e1["revision"], 3);
  EXPECT_EQ(e1["runs"], 3);
  EXPECT_EQ(e1["first_run"], (nlohmann::json{{"run_id", partial.run_id},
                                             {"sha", partial.commit.sha},
                                             {"commit_time", Rfc3339(0)}}));
  EXPECT_EQ(e1["first_complete_run"], (nlohmann::json{{"run_id", complete.run_id},
                                                      {"sha", complete.commit.sha},
                                                      {"commit_time", Rfc3339(1)}}));
  EXPECT_EQ(e1["settings"], (nlohmann::json{{"environment", "ci"}, {"sort.samples", 10}}));
  const auto& e2 = j["epochs"][1];
  EXPECT_EQ(e2["epoch"], 2);
  EXPECT_EQ(e2["revision"], 4);
  EXPECT_EQ(e2["runs"], 1);
  EXPECT_EQ(e2["first_run"]["run_id"], next.run_id);
  EXPECT_TRUE(e2["first_complete_run"].is_null());
  EXPECT_EQ(e2["settings"]["sort.samples"], 20);

  Outcome table = Pl({"epochs"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("none yet"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(complete.commit.sha.substr(0, 12) + " " + Rfc3339(1).substr(0, 10)),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("environment=ci, sort.samples=10"), std::string::npos) << table.out;
  EXPECT_EQ(Pl({"epochs", "--platform", "aarch64-linux", "--format", "json"}).out,
            "{\"epochs\":[]}\n");

  // The suite object, definitions and epoch included, comes back out of the store unchanged.
  Outcome exported = Pl({"export", "--platform", "x86-64-linux"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.out.find(core::WriteArtifact(partial)), std::string::npos);
  EXPECT_NE(exported.out.find(core::WriteArtifact(next)), std::string::npos);
}

TEST_F(EpochsTest, AMismatchingArtifactIsRefusedAndNothingIsStored) {
  WriteRun(dir_ / "first", MakeRun(0, 1, 3, 10));
  ASSERT_EQ(Pl({"ingest", (dir_ / "first").string()}).exit_code, 0);
  ASSERT_EQ(RunCount(), 1u);

  // The sampling changed without a new epoch; it arrives in a batch with a matching run.
  fs::path batch = dir_ / "batch";
  WriteRun(batch, MakeRun(1, 1, 3, 10));
  core::Run stale = MakeRun(2, 1, 3, 20);
  std::string bad = WriteRun(batch / "sub", stale);
  Outcome o = Pl({"ingest", batch.string()});
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(o.err.starts_with("error: " + bad + ": run " + stale.run_id)) << o.err;
  EXPECT_NE(o.err.find("setting 'sort.samples' is 20 in the run but 10"), std::string::npos)
      << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_EQ(RunCount(), 1u);
}

TEST_F(EpochsTest, AnEmptyStoreHasNoEpochsAndAMissingStoreIsAnError) {
  Outcome missing = Pl({"epochs"});
  EXPECT_EQ(missing.exit_code, 2);  // as for every reading verb
  EXPECT_NE(missing.err.find("no perfledger store here"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(db_));

  // A store with runs that declare no epoch.
  core::Run plain = MakeRun(0, 1, 3, 10);
  plain.suite = core::SuiteRef{"demo", 3, {}, std::nullopt};
  WriteRun(dir_ / "plain", plain);
  ASSERT_EQ(Pl({"ingest", (dir_ / "plain").string()}).exit_code, 0);
  Outcome table = Pl({"epochs"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("no epochs yet"), std::string::npos) << table.out;
  Outcome json = Pl({"epochs", "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "{\"epochs\":[]}\n");
  Outcome help = Pl({"epochs", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Example:"), std::string::npos);
}

}  // namespace
}  // namespace perfledger
