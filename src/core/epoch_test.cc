#include "core/epoch.h"

#include <gtest/gtest.h>

#include "core/artifact.h"

namespace perfledger::core {
namespace {

Run SuiteRun() {
  Run r;
  r.run_id = "0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3a";
  r.platform = "x86-64-linux";
  r.suite = SuiteRef{"demo", 3, {{"sort", "aa"}, {"parse", "bb"}}, EpochRef{2, {}}};
  r.suite->epoch->settings = {{"environment", "\"ci\""}, {"sort.runs", "20"}};
  r.environment.ci = true;
  return r;
}

TEST(EpochTest, MatchingDeclarationPasses) {
  core::Run r = SuiteRun();
  EXPECT_TRUE(CheckAgainstDeclared(r, *r.suite, "perfledger.toml").ok());
  EXPECT_TRUE(CheckEnvironmentClass(r).ok());
}

TEST(EpochTest, RevisionMismatchNamesBoth) {
  core::Run r = SuiteRun();
  SuiteRef declared = *r.suite;
  declared.revision = 4;
  auto s = CheckAgainstDeclared(r, declared, "perfledger.toml");
  EXPECT_EQ(s.code(), base::StatusCode::kConflict);
  EXPECT_NE(s.message().find("revision 3, but perfledger.toml declares revision 4"),
            std::string::npos)
      << s.message();
}

TEST(EpochTest, ChangedDefinitionNamesTheBenchmark) {
  core::Run r = SuiteRun();
  SuiteRef declared = *r.suite;
  declared.definitions["sort"] = "cc";
  auto s = CheckAgainstDeclared(r, declared, "the store");
  EXPECT_NE(s.message().find("defines benchmark 'sort' differently"), std::string::npos)
      << s.message();
  declared = *r.suite;
  declared.definitions["extra"] = "dd";
  s = CheckAgainstDeclared(r, declared, "the store");
  EXPECT_NE(s.message().find("lacks 'extra'"), std::string::npos) << s.message();
}

TEST(EpochTest, SettingMismatchNamesKeyAndValues) {
  core::Run r = SuiteRun();
  SuiteRef declared = *r.suite;
  declared.epoch->settings["sort.runs"] = "30";
  auto s = CheckAgainstDeclared(r, declared, "perfledger.toml");
  EXPECT_NE(s.message().find("setting 'sort.runs' is 20 in the run but 30 in perfledger.toml"),
            std::string::npos)
      << s.message();
  declared = *r.suite;
  declared.epoch->settings["wrapper"] = R"(["taskset","-c","1"])";
  s = CheckAgainstDeclared(r, declared, "perfledger.toml");
  EXPECT_NE(s.message().find("'wrapper' is (not set) in the run"), std::string::npos)
      << s.message();
  declared = *r.suite;
  declared.epoch->number = 3;
  s = CheckAgainstDeclared(r, declared, "perfledger.toml");
  EXPECT_NE(s.message().find("epoch 2, but perfledger.toml declares epoch 3"), std::string::npos)
      << s.message();
}

TEST(EpochTest, LocalRunNeverEntersCiEpoch) {
  core::Run r = SuiteRun();
  r.environment.ci = false;
  auto s = CheckEnvironmentClass(r);
  EXPECT_EQ(s.code(), base::StatusCode::kConflict);
  EXPECT_NE(s.message().find("is for CI runners"), std::string::npos) << s.message();
  r.suite->epoch->settings["environment"] = "\"any\"";
  EXPECT_TRUE(CheckEnvironmentClass(r).ok());
}

TEST(EpochTest, SuiteFieldsRoundTripThroughTheArtifact) {
  core::Run r = SuiteRun();
  r.project = "p";
  r.commit.sha = std::string(40, 'a');
  r.commit_range.to = r.commit.sha;
  r.environment.fingerprint = ComputeFingerprint(r.environment);
  r.benchmarks.push_back(
      {"sort", std::nullopt, {{"wall_time", "ns", Direction::kLower, {1, 2}, std::nullopt}}});
  std::string json = WriteArtifact(r);
  auto back = ReadArtifact(json, "test");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->suite, r.suite);
  EXPECT_EQ(WriteArtifact(*back), json);
  EXPECT_NE(json.find(R"("epoch":{"number":2,"settings":{"environment":"ci","sort.runs":20}})"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace perfledger::core
