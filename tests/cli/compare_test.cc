// perfledger compare as a CI job uses it: artifact files or commits in a real store, every
// output format, exit status 3 on a regression, and clear errors for bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;
const std::string kBase = "1111111111111111111111111111111111111111";
const std::string kHead = "2222222222222222222222222222222222222222";

class CompareCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-compare-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome Pl(std::vector<std::string> args) {
    std::vector<std::string> argv = {kBin, "--db", (dir_ / "perf.db").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, dir_.string());
  }
  // Writes an artifact for `sha` with the given samples; returns its path.
  std::string Write(const std::string& sha, const std::string& name,
                    std::vector<std::string> samples, std::string cpu = "Test CPU") {
    std::vector<std::string> args = {"write",
                                     "--project",
                                     "demo",
                                     "--commit",
                                     sha,
                                     "--platform",
                                     "linux",
                                     "--env",
                                     "cpu=" + cpu,
                                     "--out",
                                     (dir_ / name).string()};
    for (const auto& s : samples) {
      args.push_back("--sample");
      args.push_back(s);
    }
    Outcome o = Pl(args);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return (dir_ / name / ("benchmark-results-" + sha + "-linux.json")).string();
  }

  fs::path dir_;
};

constexpr const char* kSteady = "parse:wall_time:ns=100,101,99,100,102,98,100,101";
constexpr const char* kSlower = "parse:wall_time:ns=120,121,119,120,122,118,120,121";
constexpr const char* kOther = "lex:wall_time:ns=50,51,49,50,50,51,49,50";

TEST_F(CompareCliTest, ARegressionBetweenTwoArtifactsIsExitThreeInEveryFormat) {
  const std::string base = Write(kBase, "a", {kSteady, kOther});
  const std::string head = Write(kHead, "b", {kSlower, kOther});
  Outcome o = Pl({"compare", base, head, "--format", "json"});
  EXPECT_EQ(o.exit_code, 3) << o.err;
  json j = json::parse(o.out);
  EXPECT_EQ(j["advisory"], false);
  EXPECT_EQ(j["base"]["sha"], kBase);
  EXPECT_EQ(j["summary"]["regressions"], 1);
  EXPECT_EQ(j["summary"]["unchanged"], 1);
  ASSERT_EQ(j["results"].size(), 2u);
  const json& parse = j["results"][1];
  EXPECT_EQ(parse["benchmark"], "parse");
  EXPECT_EQ(parse["verdict"], "regression");
  EXPECT_NEAR(parse["change"].get<double>(), 0.20, 0.01);
  for (const char* key : {"benchmark", "metric", "unit", "base_median", "head_median", "change",
                          "ci_low", "ci_high", "p_value", "q_value", "verdict"}) {
    EXPECT_TRUE(parse.contains(key)) << key;
  }

  Outcome md = Pl({"compare", base, head, "--format", "markdown"});
  EXPECT_EQ(md.exit_code, 3);
  EXPECT_NE(md.out.find("| `parse` | wall_time | 100 ns | 120 ns | +20.0% |"), std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("**1** regression"), std::string::npos) << md.out;

  Outcome junit = Pl({"compare", base, head, "--format", "junit"});
  EXPECT_EQ(junit.exit_code, 3);
  EXPECT_NE(junit.out.find("tests=\"2\" failures=\"1\""), std::string::npos) << junit.out;
  EXPECT_NE(junit.out.find("<failure message=\"regression: 100 -&gt; 120 ns"), std::string::npos)
      << junit.out;

  Outcome table = Pl({"compare", base, head});
  EXPECT_EQ(table.exit_code, 3);
  EXPECT_NE(table.out.find("1 regression, 0 improvements, 1 unchanged, 0 inconclusive"),
            std::string::npos)
      << table.out;

  Outcome same = Pl({"compare", base, base});
  EXPECT_EQ(same.exit_code, 0) << same.out;
  Outcome fixed = Pl({"compare", base, head, "--threshold", "25%"});
  EXPECT_EQ(fixed.exit_code, 0) << "a 20% change is below a fixed 25% minimum effect";
}

TEST_F(CompareCliTest, CommitsAreLookedUpInTheStore) {
  Write(kBase, "runs", {kSteady});
  Write(kHead, "runs", {kSlower});
  ASSERT_EQ(Pl({"ingest", (dir_ / "runs").string()}).exit_code, 0);
  Outcome o = Pl({"compare", "11111111", "2222222", "--format", "json"});
  EXPECT_EQ(o.exit_code, 3) << o.err;
  json j = json::parse(o.out);
  EXPECT_EQ(j["head"]["sha"], kHead);
  EXPECT_NE(j["head"]["source"].get<std::string>().find("commit 222222222222 in"),
            std::string::npos);

  Outcome missing = Pl({"compare", "11111111", "3333333"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("3333333: no run of this commit in"), std::string::npos)
      << missing.err;
}

TEST_F(CompareCliTest, DifferentEnvironmentsNeedTheFlagAndAreAdvisory) {
  const std::string base = Write(kBase, "a", {kSteady});
  const std::string head = Write(kHead, "b", {kSlower}, "Other CPU");
  Outcome refused = Pl({"compare", base, head});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("ran on different environments"), std::string::npos) << refused.err;
  Outcome advisory = Pl({"compare", base, head, "--allow-cross-environment", "--format", "json"});
  EXPECT_EQ(advisory.exit_code, 0) << "advisory comparisons never fail the gate";
  EXPECT_EQ(json::parse(advisory.out)["advisory"], true);
}

TEST_F(CompareCliTest, BadInputIsOneLineAndExitTwo) {
  const std::string base = Write(kBase, "a", {kSteady});
  const std::string head = Write(kHead, "b", {kOther});
  Outcome nothing = Pl({"compare", base, head});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_EQ(nothing.err,
            "error: base and head have no benchmark and metric in common to compare\n");
  Outcome threshold = Pl({"compare", base, base, "--threshold", "lots"});
  EXPECT_EQ(threshold.exit_code, 2);
  EXPECT_EQ(threshold.err,
            "error: --threshold: expected a percentage like 10% or 2.5, got 'lots'\n");
  std::ofstream(dir_ / "broken.json") << "{\"version\": 2";
  Outcome broken = Pl({"compare", (dir_ / "broken.json").string(), base});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("broken.json:1:"), std::string::npos) << broken.err;
  Outcome few = Pl({"compare", Write(kBase, "c", {"x:wall_time:ns=1,2,3"}),
                    Write(kHead, "d", {"x:wall_time:ns=4,5,6"}), "--format", "json"});
  EXPECT_EQ(few.exit_code, 0);
  EXPECT_EQ(json::parse(few.out)["results"][0]["note"],
            "needs at least 4 samples a side, has 3 and 3");
}

}  // namespace
}  // namespace perfledger
