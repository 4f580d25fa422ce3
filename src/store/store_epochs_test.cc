// The store test suite, declarations: the first run to declare a suite revision or an epoch
// fixes it; the epochs listed with where they start; migrations of old stores.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

#include "base/uuid.h"
#include "core/artifact.h"
#include "store/collector.h"
#include "store/store_test_fixture.h"
namespace perfledger::store {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the suite's fixture

TEST_P(StoreTest, ARunMatchingItsSuiteRevisionAndEpochIsAccepted) {
  auto store = Open();
  core::Run first = EpochRun(0), second = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  auto stats = store->Ingest({&second, 1});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->ingested, 1);
  // The same runs again stay a no-op.
  std::vector<core::Run> both = {first, second};
  auto again = store->Ingest(both);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->already_present, 2);
  EXPECT_EQ(All(*store).size(), 2u);
}

TEST_P(StoreTest, AChangedBenchmarkDefinitionIsRefusedNamingTheBenchmark) {
  auto store = Open();
  core::Run first = EpochRun(0), changed = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  changed.suite->definitions["link"] = "hash-link-2";
  changed.suite->epoch.reset();  // the definitions alone decide
  size_t conflicting = 99;
  auto refused = store->Ingest({&changed, 1}, &conflicting);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  const std::string& msg = refused.status().message();
  EXPECT_TRUE(Contains(msg, "'link'")) << msg;
  EXPECT_FALSE(Contains(msg, "'parse'")) << msg;
  EXPECT_TRUE(Contains(msg, "suite 'compiler' revision 3 as first stored by run " + first.run_id))
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(conflicting, 0u);
  EXPECT_EQ(All(*store).size(), 1u);
}

TEST_P(StoreTest, AChangedEpochSettingIsRefusedNamingTheKey) {
  auto store = Open();
  core::Run first = EpochRun(0), changed = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  changed.suite->epoch->settings["samples"] = "20";
  auto refused = store->Ingest({&changed, 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  const std::string& msg = refused.status().message();
  EXPECT_TRUE(Contains(msg, "setting 'samples' is 20 in the run but 10")) << msg;
  EXPECT_TRUE(Contains(
      msg, "epoch 1 of suite 'compiler' on x86-64-linux as first stored by run " + first.run_id))
      << msg;
  EXPECT_EQ(All(*store).size(), 1u);
  // Another platform has its own epochs.
  core::Run arm = EpochRun(2, 1, "aarch64-linux");
  arm.suite->epoch->settings["samples"] = "20";
  EXPECT_TRUE(store->Ingest({&arm, 1}).ok());
}

TEST_P(StoreTest, ARevisionChangeWithinAnEpochIsRefused) {
  auto store = Open();
  core::Run first = EpochRun(0), next = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  next.suite->revision = 4;  // a new revision, declared by this run, but the same epoch
  auto refused = store->Ingest({&next, 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(refused.status().message(), "revision 4")) << refused.status().message();
  EXPECT_TRUE(Contains(refused.status().message(), "declares revision 3"))
      << refused.status().message();
  EXPECT_EQ(All(*store).size(), 1u);
}

TEST_P(StoreTest, ALocalRunIntoACiEpochIsRefused) {
  auto store = Open();
  core::Run local = EpochRun(0);
  local.environment.ci = false;
  local.environment.fingerprint = core::ComputeFingerprint(local.environment);
  auto refused = store->Ingest({&local, 1});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(refused.status().message(), "a local run never enters a CI epoch"))
      << refused.status().message();
  EXPECT_EQ(All(*store).size(), 0u);
  // Nor did it declare the epoch or the revision.
  auto epochs = store->ListEpochs({});
  ASSERT_TRUE(epochs.ok());
  EXPECT_TRUE(epochs->empty());
}

TEST_P(StoreTest, ABatchWhoseRunsDisagreeStoresNothing) {
  auto store = Open();
  core::Run a = EpochRun(0), b = EpochRun(1), c = EpochRun(2);
  c.suite->epoch->settings["environment"] = R"("any")";
  auto refused = Collect(*store, {{a, "a.json"}, {b, "b.json"}, {c, "c.json"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::StatusCode::kConflict);
  EXPECT_TRUE(refused.status().message().starts_with("c.json: run " + c.run_id))
      << refused.status().message();
  EXPECT_TRUE(Contains(refused.status().message(), "setting 'environment'"))
      << refused.status().message();
  EXPECT_EQ(All(*store).size(), 0u);
  EXPECT_TRUE(store->ListEpochs({})->empty());
  // The agreeing part alone is fine.
  EXPECT_TRUE(Collect(*store, {{a, "a.json"}, {b, "b.json"}}).ok());
}

TEST_P(StoreTest, ANewEpochNumberWithNewSettingsIsAccepted) {
  auto store = Open();
  core::Run first = EpochRun(0), next = EpochRun(1, 2);
  ASSERT_TRUE(store->Ingest({&first, 1}).ok());
  next.suite->epoch->settings["samples"] = "20";
  next.suite->epoch->settings["warmups"] = "2";
  ASSERT_TRUE(store->Ingest({&next, 1}).ok());
  // A revision change takes a new epoch, too.
  core::Run rev4 = EpochRun(2, 3);
  rev4.suite->revision = 4;
  rev4.suite->definitions["lex"] = "hash-lex";
  ASSERT_TRUE(store->Ingest({&rev4, 1}).ok());
  auto epochs = store->ListEpochs({});
  ASSERT_TRUE(epochs.ok()) << epochs.status().ToString();
  ASSERT_EQ(epochs->size(), 3u);
  EXPECT_EQ((*epochs)[1].number, 2);
  EXPECT_EQ((*epochs)[1].settings.at("samples"), "20");
  EXPECT_EQ((*epochs)[1].settings.at("warmups"), "2");
  EXPECT_EQ((*epochs)[2].revision, 4);
  // A run of epoch 1 still has to match epoch 1.
  core::Run late = EpochRun(3, 1);
  late.suite->epoch->settings["samples"] = "20";
  EXPECT_FALSE(store->Ingest({&late, 1}).ok());
}

TEST_P(StoreTest, TheSuiteObjectSurvivesIngestByteForByte) {
  auto store = Open();
  core::Run r = EpochRun(0);
  r.suite->epoch->settings["invocation"] = R"({"args":["--fast"],"env":{"A":"1"}})";
  ASSERT_TRUE(store->Ingest({&r, 1}).ok());
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], r);
  EXPECT_EQ(core::WriteArtifact(back[0]), core::WriteArtifact(r));
  EXPECT_EQ(core::ContentHash(back[0]), core::ContentHash(r));
  auto points = store->ListRunPoints({});
  ASSERT_TRUE(points.ok());
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0].suite, r.suite);
}

TEST_P(StoreTest, ListEpochsFindsTheFirstAndTheFirstCompleteRun) {
  auto store = Open();
  // Epoch 1 on x86: a partial run first, then one lacking the "link" entry, then a complete
  // one (its "parse" entry measured through harness names parse/...), then another.
  core::Run partial = EpochRun(0);
  core::BenchmarkResult broken;
  broken.name = "zz/broken";
  broken.error = "exit status 1";
  partial.benchmarks.push_back(broken);
  core::Run lacking = EpochRun(1);
  std::erase_if(lacking.benchmarks, [](const auto& b) { return b.name == "link"; });
  core::Run complete = EpochRun(2), later = EpochRun(3);
  // Epoch 2 on x86 without definitions: any run that is not partial is complete.
  core::Run undeclared = EpochRun(4, 2);
  undeclared.suite->revision = 5;
  undeclared.suite->definitions.clear();
  undeclared.commit.time.reset();  // ordered by its start time
  // Epoch 1 on arm: only a partial run.
  core::Run arm = EpochRun(5, 1, "aarch64-linux");
  arm.benchmarks.push_back(broken);
  std::vector<core::Run> batch = {later, arm, complete, undeclared, lacking, partial};
  auto stats = store->Ingest(batch);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();

  auto epochs = store->ListEpochs({});
  ASSERT_TRUE(epochs.ok()) << epochs.status().ToString();
  ASSERT_EQ(epochs->size(), 3u);
  const EpochInfo& a = (*epochs)[0];
  EXPECT_EQ(a.platform, "aarch64-linux");
  EXPECT_EQ(a.run_count, 1);
  EXPECT_EQ(a.first_run_id, arm.run_id);
  EXPECT_EQ(a.first_complete_run_id, std::nullopt);
  EXPECT_EQ(a.first_complete_sha, std::nullopt);

  const EpochInfo& x1 = (*epochs)[1];
  EXPECT_EQ(x1.project, "gruel");
  EXPECT_EQ(x1.platform, "x86-64-linux");
  EXPECT_EQ(x1.suite, "compiler");
  EXPECT_EQ(x1.number, 1);
  EXPECT_EQ(x1.revision, 3);
  EXPECT_EQ(x1.settings,
            (std::map<std::string, std::string>{{"environment", R"("ci")"}, {"samples", "10"}}));
  EXPECT_EQ(x1.run_count, 4);
  EXPECT_EQ(x1.first_run_id, partial.run_id);
  EXPECT_EQ(x1.first_sha, partial.commit.sha);
  EXPECT_EQ(x1.first_commit_time, partial.commit.time);
  EXPECT_EQ(x1.first_complete_run_id, complete.run_id);
  EXPECT_EQ(x1.first_complete_sha, complete.commit.sha);
  EXPECT_EQ(x1.first_complete_commit_time, complete.commit.time);

  const EpochInfo& x2 = (*epochs)[2];
  EXPECT_EQ(x2.number, 2);
  EXPECT_EQ(x2.revision, 5);
  EXPECT_EQ(x2.run_count, 1);
  EXPECT_EQ(x2.first_commit_time, std::nullopt);
  EXPECT_EQ(x2.first_complete_run_id, undeclared.run_id);

  RunFilter arm_only;
  arm_only.platform = "aarch64-linux";
  auto filtered = store->ListEpochs(arm_only);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->size(), 1u);
  EXPECT_EQ((*filtered)[0].first_run_id, arm.run_id);
  RunFilter other;
  other.project = "nope";
  EXPECT_TRUE(store->ListEpochs(other)->empty());
}

TEST_F(SqliteStoreTest, AVersion2StoreIsMigratedKeepingItsRuns) {
  core::Run old = MakeRun(0);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&old, 1}).ok());
  }
  // Back to schema 2 as the previous release left it.
  ASSERT_TRUE(test_support::UndoSchemasDownTo(path_, 2));
  auto store = Open();
  EXPECT_NE(store->Describe().find("schema 14"), std::string::npos) << store->Describe();
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], old);  // its suite has neither definitions nor an epoch
  core::Run fresh = EpochRun(1);
  ASSERT_TRUE(store->Ingest({&fresh, 1}).ok());
  EXPECT_EQ(store->ListEpochs({})->size(), 1u);
}

TEST_F(SqliteStoreTest, AVersion1StoreIsMigratedKeepingItsRuns) {
  // A store as the first release wrote it: schema 1 only.
  {
    auto store = Open();
    core::Run r = MakeRun(0);
    ASSERT_TRUE(store->Ingest({&r, 1}).ok());
  }
  ASSERT_TRUE(test_support::UndoSchemasDownTo(path_, 1));
  auto store = Open();
  EXPECT_NE(store->Describe().find("schema 14"), std::string::npos) << store->Describe();
  EXPECT_EQ(All(*store).size(), 1u);
  EXPECT_TRUE(store->RecordPlan(SamplePlan(0, 1, base::Timestamp{1})).ok());
}

}  // namespace
}  // namespace perfledger::store
