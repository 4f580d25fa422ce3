// perfledger compare and check as a CI job uses them: artifact files or commits in a real store,
// every output format, exit status 3 on a regression, the baseline check picks from a real git
// history, the noise learned from the stored history, and clear errors for bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/time.h"
#include "git_fixture.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;
using subprocess::RunCommand;
using testing::GitRepo;

const std::string kBin = PERFLEDGER_BIN;
const std::string kBase = "1111111111111111111111111111111111111111";
const std::string kHead = "2222222222222222222222222222222222222222";

constexpr int64_t kSecond = 1'000'000'000;
// 2026-11-24T10:00:00Z.
constexpr int64_t kT0 = 1'795'514'400LL * kSecond;
base::Timestamp At(int minutes) { return base::Timestamp{kT0 + minutes * 60 * kSecond}; }

// A --sample spec for BENCH's wall_time in ns: 10 samples spread about `spread` (relative
// standard deviation, robustly) around `median`, which is exactly their median.
std::string Spec(const std::string& bench, double median, double spread = 0.003) {
  static constexpr double kOffsets[] = {-1.5, 0.3, -1, 1.5, 0, -0.6, 1, 0, -0.3, 0.6};
  std::ostringstream out;
  out.precision(12);
  out << bench << ":wall_time:ns=";
  for (size_t i = 0; i < std::size(kOffsets); ++i) {
    out << (i == 0 ? "" : ",") << median * (1 + spread / 0.6 / 1.4826 * kOffsets[i]);
  }
  return out.str();
}

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

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
    return RunCommand(argv, dir_.string(), subprocess::LocalMachineEnv());
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
  // A run of `sha` committed at `minutes`, written into the directory `name` and ingested.
  std::string Measure(const std::string& sha, int minutes, std::vector<std::string> samples,
                      const std::string& name = "runs") {
    std::vector<std::string> args = {"write",
                                     "--project",
                                     "demo",
                                     "--commit",
                                     sha,
                                     "--commit-time",
                                     base::FormatRfc3339(At(minutes)),
                                     "--platform",
                                     "linux",
                                     "--env",
                                     "cpu=Test CPU",
                                     "--out",
                                     (dir_ / name).string()};
    for (const auto& s : samples) {
      args.push_back("--sample");
      args.push_back(s);
    }
    Outcome o = Pl(args);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    const std::string path = (dir_ / name / ("benchmark-results-" + sha + "-linux.json")).string();
    Outcome in = Pl({"ingest", path});
    EXPECT_EQ(in.exit_code, 0) << in.err;
    return path;
  }
  // `perfledger check --head sha` against `repo`'s main with `extra` flags.
  Outcome Check(const GitRepo& repo, const std::string& head, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"check",         "--head", head,         "--repo", repo.path(),
                                     "--base-branch", "main",   "--platform", "linux"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Pl(args);
  }
  static json Parse(const Outcome& o) {
    try {
      return json::parse(o.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << o.out << "\n" << o.err;
      return json();
    }
  }
  static const json& Row(const json& j, const std::string& benchmark) {
    for (const json& r : j["results"]) {
      if (r["benchmark"] == benchmark) return r;
    }
    static const json kNone;
    ADD_FAILURE() << "no row for " << benchmark << " in " << j;
    return kNone;
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
  for (const char* key :
       {"benchmark", "metric", "unit", "base_median", "head_median", "change", "ci_low", "ci_high",
        "p_value", "q_value", "verdict", "threshold", "noise", "noise_source"}) {
    EXPECT_TRUE(parse.contains(key)) << key;
  }
  // No store: the noise is the two runs' own spread.
  EXPECT_EQ(parse["noise_source"], "within-run spread");
  EXPECT_EQ(j["history"]["runs"], 0);
  EXPECT_NE(j["history"]["description"].get<std::string>().find("none (no store at "),
            std::string::npos)
      << j["history"];

  Outcome md = Pl({"compare", base, head, "--format", "markdown"});
  EXPECT_EQ(md.exit_code, 3);
  EXPECT_NE(md.out.find("| `parse` | wall_time | 100 ns | 120 ns | +20.0% |"), std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("**1** regression"), std::string::npos) << md.out;

  Outcome junit = Pl({"compare", base, head, "--format", "junit"});
  EXPECT_EQ(junit.exit_code, 3);
  EXPECT_NE(junit.out.find("tests=\"2\" failures=\"1\""), std::string::npos) << junit.out;
  EXPECT_NE(junit.out.find("<failure message=\"regression: 100 ns -> 120 ns"), std::string::npos)
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

// Issue 16: compare and check printed "9.102e+07" where run and detect print "91.02 ms". Every
// text format chooses the unit (times, bytes, counts); JSON keeps the raw numbers.
TEST_F(CompareCliTest, ValuesAreShownInTheUnitThatReadsBest) {
  const std::vector<std::string> base_samples = {
      "big:wall_time:ns=91020000,91010000,91030000,91020000,91000000,91040000",
      "big:max_rss:bytes=1572864,1572864,1576960,1572864,1568768,1572864",
      "big:instructions:count=5000000,5000100,4999900,5000000,5000050,4999950"};
  const std::vector<std::string> head_samples = {
      "big:wall_time:ns=91020000,91010000,91030000,91020000,91000000,91040000",
      "big:max_rss:bytes=1572864,1572864,1576960,1572864,1568768,1572864",
      "big:instructions:count=6250000,6250100,6249900,6250000,6250050,6249950"};
  const std::string base = Write(kBase, "a", base_samples);
  const std::string head = Write(kHead, "b", head_samples);
  Outcome table = Pl({"compare", base, head});
  EXPECT_EQ(table.exit_code, 3) << table.err;
  EXPECT_EQ(table.out.find("e+0"), std::string::npos) << table.out;
  for (const char* value : {"91.02 ms", "1.5 MiB", "5M", "6.25M"}) {
    EXPECT_NE(table.out.find(value), std::string::npos) << value << "\n" << table.out;
  }
  Outcome md = Pl({"compare", base, head, "--format", "markdown"});
  EXPECT_NE(md.out.find("| `big` | instructions | 5M | 6.25M | +25.0% |"), std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("| `big` | wall_time | 91.02 ms | 91.02 ms |"), std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("| `big` | max_rss | 1.5 MiB | 1.5 MiB |"), std::string::npos) << md.out;
  EXPECT_EQ(md.out.find("e+0"), std::string::npos) << md.out;
  Outcome junit = Pl({"compare", base, head, "--format", "junit"});
  EXPECT_NE(junit.out.find("regression: 5M -> 6.25M (+25.0%"), std::string::npos) << junit.out;
  Outcome j = Pl({"compare", base, head, "--format", "json"});
  const json parsed = Parse(j);
  for (const json& r : parsed["results"]) {
    if (r["metric"] == "wall_time") {
      EXPECT_EQ(r["base_median"], 91020000) << j.out;
    } else if (r["metric"] == "max_rss") {
      EXPECT_EQ(r["base_median"], 1572864) << j.out;
    }
  }
}

// Issue 16: JUnit was assembled with fmt and an escaper that let control characters through,
// so some benchmark names made XML no parser accepts. Any name gives well-formed XML 1.0,
// checked with Python's expat (not the writer's own parser).
TEST_F(CompareCliTest, JunitIsWellFormedWhateverTheBenchmarksAreCalled) {
  const std::vector<std::string> names = {std::string("ctl\x01\x08\x0b\x1f\x7f end"),
                                          "quotes \" ' <tag> & amp;",
                                          "cdata ]]> end",
                                          "tab\tnew\nline\rreturn",
                                          "nonchar \xEF\xBF\xBF \xEF\xBF\xBE",
                                          "emoji \xF0\x9F\x90\x8C and \xC3\xA9"};
  const std::vector<std::string> expected = {"ctl\\u0001\\u0008\\u000b\\u001f\x7f end",
                                             "quotes \" ' <tag> & amp;",
                                             "cdata ]]> end",
                                             "tab\tnew\nline\rreturn",
                                             "nonchar \xEF\xBF\xBD \xEF\xBF\xBD",
                                             "emoji \xF0\x9F\x90\x8C and \xC3\xA9"};
  // Artifacts whose benchmarks have those names, a regression among them.
  auto rename = [&](const std::string& path) {
    std::ifstream in(path);
    json a = json::parse(in);
    for (size_t i = 0; i < names.size(); ++i) a["benchmarks"][i]["name"] = names[i];
    a["benchmarks"][0]["metrics"]["odd \"metric\"\x02"] =
        a["benchmarks"][0]["metrics"]["wall_time"];
    std::ofstream(path) << a.dump();
  };
  std::vector<std::string> steady, slower;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string b = "b" + std::to_string(i);
    steady.push_back(b + ":wall_time:ns=100,101,99,100,102,98,100,101");
    slower.push_back(b + (i == 0 ? ":wall_time:ns=120,121,119,120,122,118,120,121"
                                 : ":wall_time:ns=100,101,99,100,102,98,100,101"));
  }
  const std::string base = Write(kBase, "a", steady);
  const std::string head = Write(kHead, "b", slower);
  rename(base);
  rename(head);
  Outcome junit = Pl({"compare", base, head, "--format", "junit"});
  EXPECT_EQ(junit.exit_code, 3) << junit.err;
  const fs::path xml = dir_ / "junit.xml";
  std::ofstream(xml, std::ios::binary) << junit.out;
  const std::string script =
      "import json, sys, xml.etree.ElementTree as et\n"
      "root = et.parse(sys.argv[1]).getroot()\n"
      "print(json.dumps({'suite': root.tag, 'tests': root.get('tests'),\n"
      "  'failures': root.get('failures'), 'cases': [[c.get('classname'), c.get('name'),\n"
      "  [x.tag for x in c]] for c in root]}))\n";
  Outcome parsed = subprocess::RunCommand({"/usr/bin/env", "python3", "-c", script, xml.string()});
  ASSERT_EQ(parsed.exit_code, 0) << "not well-formed XML: " << parsed.err << "\n" << junit.out;
  const json doc = json::parse(parsed.out);
  EXPECT_EQ(doc["suite"], "testsuite");
  EXPECT_EQ(doc["tests"], std::to_string(names.size() + 1));
  EXPECT_EQ(doc["failures"], "2");  // the first benchmark's two metrics
  std::vector<std::string> classnames;
  for (const json& c : doc["cases"]) {
    const std::string classname = c[0];
    if (std::find(classnames.begin(), classnames.end(), classname) == classnames.end()) {
      classnames.push_back(classname);
    }
    if (classname == expected[0]) {
      EXPECT_EQ(c[2], json::array({"failure"})) << c;
    }
  }
  std::vector<std::string> sorted_expected = expected;
  std::sort(sorted_expected.begin(), sorted_expected.end());
  std::sort(classnames.begin(), classnames.end());
  EXPECT_EQ(classnames, sorted_expected);
  bool odd_metric = false;
  for (const json& c : doc["cases"]) odd_metric = odd_metric || c[1] == "odd \"metric\"\\u0002";
  EXPECT_TRUE(odd_metric) << doc;
}

// Regression: compare --alpha 1e-17 aborted (Boost.Math's Student-t quantile overflowed and
// the exception escaped). Every statistical parameter is range-checked: exit 2, one line.
TEST_F(CompareCliTest, ExtremeStatisticalParametersAreRefusedNotACrash) {
  const std::string base = Write(kBase, "a", {kSteady});
  const std::string head = Write(kHead, "b", {kSteady});
  for (const char* alpha : {"1e-17", "0", "-1", "0.9", "1", "nan", "inf"}) {
    Outcome o = Pl({"compare", base, head, "--alpha", alpha});
    EXPECT_EQ(o.exit_code, 2) << alpha << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find("--alpha: expected a probability from 1e-09 to 0.5"), std::string::npos)
        << o.err;
  }
  EXPECT_EQ(Pl({"compare", base, head, "--alpha", "1e-9"}).exit_code, 0);
  EXPECT_EQ(Pl({"compare", base, head, "--alpha", "0.5"}).exit_code, 0);
  EXPECT_EQ(Pl({"compare", base, head, "--threshold", "1e400"}).exit_code, 2);
}

// main: m0 .. m6, m7, m8; feature branches at m5 (f1), merges main at m6 (fm), then f2.
// Every main commit but m7 has a run; so does f2, 20% slower in `parse`.
class CheckCliTest : public CompareCliTest {
 protected:
  void SetUp() override {
    CompareCliTest::SetUp();
    for (int i = 0; i <= 5; ++i) main_.push_back(repo_.Commit("main " + std::to_string(i), At(i)));
    repo_.Branch("feature");
    main_.push_back(repo_.Commit("main 6", At(6)));
    repo_.Checkout("feature");
    f1_ = repo_.Commit("feature 1", At(7));
    fm_ = repo_.Merge("merge main into feature", At(8), "main");
    f2_ = repo_.Commit("feature 2", At(9));
    repo_.Checkout("main");
    main_.push_back(repo_.Commit("main 7", At(10)));
    main_.push_back(repo_.Commit("main 8", At(11)));
    // Run-to-run variation of 0.2% or so, within-run spread 0.3%.
    const double wobble[] = {0.001, -0.002, 0.0015, 0, -0.001, 0.002, -0.0005, 0, 0.001};
    for (int i : {0, 1, 2, 3, 4, 5, 6, 8}) {
      Measure(main_[i], i <= 6 ? i : i + 3,
              {Spec("parse", 1e5 * (1 + wobble[i])), Spec("lex", 5e4 * (1 - wobble[i]))});
    }
    f2_file_ = Measure(f2_, 9, {Spec("parse", 1.2e5), Spec("lex", 5e4)}, "feature");
  }

  GitRepo repo_;
  std::vector<std::string> main_;
  std::string f1_, fm_, f2_, f2_file_;
};

TEST_F(CheckCliTest, AFeatureCommitIsComparedWithItsMergeBaseAndARegressionIsExitThree) {
  Outcome o = Check(repo_, f2_, {"--format", "json"});
  EXPECT_EQ(o.exit_code, 3) << o.err;
  json j = Parse(o);
  EXPECT_EQ(j["base"]["sha"], main_[6]) << "the merge base, not the newest main commit";
  EXPECT_EQ(j["head"]["sha"], f2_);
  EXPECT_EQ(j["baseline_reason"], "merge base of " + Short(f2_) + " with main");
  EXPECT_EQ(j["summary"]["regressions"], 1);
  EXPECT_EQ(j["summary"]["unchanged"], 1);
  const json& parse = Row(j, "parse");
  EXPECT_EQ(parse["verdict"], "regression");
  EXPECT_NEAR(parse["change"].get<double>(), 0.20, 0.01);
  // Head's own run is not history: the eight main runs are.
  EXPECT_EQ(parse["noise_source"], "run-to-run over 8 runs");
  EXPECT_EQ(j["history"]["runs"], 8);
  EXPECT_EQ(Row(j, "lex")["verdict"], "unchanged");

  Outcome table = Check(repo_, f2_);
  EXPECT_EQ(table.exit_code, 3) << table.err;
  EXPECT_NE(table.out.find("baseline: merge base of " + Short(f2_) + " with main\n"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("base " + Short(main_[6])), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("history: 8 stored runs of linux (local) in "), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("1 regression, 0 improvements, 1 unchanged"), std::string::npos)
      << table.out;

  // The same head as the job's fresh artifact file.
  Outcome file =
      Pl({"check", f2_file_, "--repo", repo_.path(), "--base-branch", "main", "--format", "json"});
  EXPECT_EQ(file.exit_code, 3) << file.err;
  EXPECT_EQ(Parse(file)["base"]["sha"], main_[6]);
}

TEST_F(CheckCliTest, ABaseBranchCommitIsComparedWithItsNearestMeasuredAncestor) {
  Outcome o = Check(repo_, main_[8], {"--format", "json"});
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  json j = Parse(o);
  EXPECT_EQ(j["base"]["sha"], main_[6]) << "m7 has no run";
  EXPECT_EQ(j["baseline_reason"],
            "nearest measured ancestor of " + Short(main_[8]) + " on main, 2 commits back");
  EXPECT_EQ(j["summary"]["regressions"], 0);
  EXPECT_EQ(j["summary"]["unchanged"], 2);
  // f2's slow run is history here; the noise estimate shrugs it off.
  EXPECT_EQ(Row(j, "parse")["noise_source"], "run-to-run over 8 runs");
  EXPECT_LT(Row(j, "parse")["noise"].get<double>(), 0.005);

  Outcome md = Check(repo_, main_[8], {"--format", "markdown"});
  EXPECT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("Baseline: nearest measured ancestor of " + Short(main_[8]) +
                        " on main, 2 commits back."),
            std::string::npos)
      << md.out;
}

// Only a run on head's machine is a baseline: a later run of the merge base on another CPU is
// passed over for the one on head's, and a commit measured only elsewhere is no baseline. Each
// candidate commit's runs are read one by one (Store::ReadRun), not the platform's every run.
TEST_F(CheckCliTest, TheBaselineIsARunOnHeadsMachine) {
  const json mine =
      json::parse(std::ifstream(dir_ / "runs" / ("benchmark-results-" + main_[6] + "-linux.json")));
  for (const std::string& sha : {main_[6], main_[7]}) {
    const std::string other = Write(sha, "other-" + sha, {kSteady, kOther}, "Other CPU");
    ASSERT_EQ(Pl({"ingest", other}).exit_code, 0);
  }
  for (const std::string& head : {f2_, main_[8]}) {
    Outcome o = Check(repo_, head, {"--format", "json"});
    ASSERT_NE(o.exit_code, 2) << o.err;
    json j = Parse(o);
    EXPECT_EQ(j["base"]["sha"], main_[6]) << head;
    EXPECT_EQ(j["base"]["run_id"], mine["run_id"]) << head;
    EXPECT_EQ(j["base"]["fingerprint"], j["head"]["fingerprint"]) << head;
    EXPECT_EQ(j["advisory"], false) << head;
  }
}

TEST_F(CheckCliTest, BadInputIsOneLineAndExitTwo) {
  Outcome unknown = Check(repo_, "3333333");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "error: 3333333: no run of this commit on linux in " +
                             (dir_ / "perf.db").string() + "\n");
  Outcome unmeasured = Check(repo_, main_[7]);
  EXPECT_EQ(unmeasured.exit_code, 2);
  EXPECT_EQ(unmeasured.err, "error: " + main_[7] + ": no run of this commit on linux in " +
                                (dir_ / "perf.db").string() + "\n");
  // A head that shares no benchmark with its baseline.
  const std::string other = repo_.Commit("main 9", At(12));
  Measure(other, 12, {Spec("render", 1e5)});
  Outcome nothing = Check(repo_, other);
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_EQ(nothing.err,
            "error: base and head have no benchmark and metric in common to compare\n");
  Outcome neither = Pl({"check", "--repo", repo_.path()});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_EQ(neither.err,
            "error: give the head as an artifact file or as --head SHA (one of them)\n");
  Outcome branch = Pl({"check", "--head", f2_, "--repo", repo_.path(), "--base-branch", "trunk"});
  EXPECT_EQ(branch.exit_code, 2);
  EXPECT_EQ(std::count(branch.err.begin(), branch.err.end(), '\n'), 1) << branch.err;
  EXPECT_NE(branch.err.find("trunk"), std::string::npos) << branch.err;
}

// The minimum effect comes from each series' own history: a noisy series does not alert for
// a change its noise explains, a quiet one catches a change below the default 10%.
TEST_F(CompareCliTest, TheHistorysNoiseSetsEachSeriesMinimumEffect) {
  GitRepo repo;
  // Standard normal-ish deviations of the history's run medians.
  const double z[] = {0.5, -0.3, 0.6, -0.2, 0.7, -0.4, 0.3, 0.9, -0.1};
  std::vector<std::string> shas;
  for (int i = 0; i < 9; ++i) {
    shas.push_back(repo.Commit("change " + std::to_string(i), At(i)));
    Measure(shas[i], i,
            {Spec("noisy", 1e5 * (1 + 0.15 * z[i])), Spec("quiet", 1e5 * (1 + 0.003 * z[i]))});
  }
  // Head: noisy 10% slower than its baseline, quiet 5% slower; both with 0.3% within-run
  // spread, so both changes are highly significant.
  const std::string head = repo.Commit("change 9", At(9));
  Measure(head, 9,
          {Spec("noisy", 1e5 * (1 + 0.15 * z[8]) * 1.10),
           Spec("quiet", 1e5 * (1 + 0.003 * z[8]) * 1.05)});

  Outcome o = Check(repo, head, {"--format", "json"});
  EXPECT_EQ(o.exit_code, 3) << o.err;
  json j = Parse(o);
  EXPECT_EQ(j["base"]["sha"], shas[8]);
  const json& noisy = Row(j, "noisy");
  EXPECT_NEAR(noisy["change"].get<double>(), 0.10, 0.005);
  EXPECT_EQ(noisy["verdict"], "unchanged") << noisy;
  EXPECT_EQ(noisy["noise_source"], "run-to-run over 9 runs");
  EXPECT_GT(noisy["noise"].get<double>(), 0.10) << noisy;
  EXPECT_GT(noisy["threshold"].get<double>(), 0.30) << noisy;
  const json& quiet = Row(j, "quiet");
  EXPECT_NEAR(quiet["change"].get<double>(), 0.05, 0.002);
  EXPECT_EQ(quiet["verdict"], "regression") << quiet;
  EXPECT_EQ(quiet["noise_source"], "run-to-run over 9 runs");
  EXPECT_GT(quiet["noise"].get<double>(), 0.001) << quiet;
  EXPECT_LT(quiet["noise"].get<double>(), 0.005) << quiet;
  EXPECT_LT(quiet["threshold"].get<double>(), 0.05) << "below the default 10%";
  EXPECT_EQ(j["summary"]["regressions"], 1);

  // A fixed minimum effect of 5% flags the noisy series' 10%.
  json fixed = Parse(Check(repo, head, {"--format", "json", "--threshold", "5%"}));
  EXPECT_EQ(Row(fixed, "noisy")["verdict"], "regression");
  EXPECT_EQ(Row(fixed, "noisy")["noise_source"], "--threshold");
  EXPECT_EQ(Row(fixed, "noisy")["threshold"], 0.05);
  // So does the runs' own spread, which knows nothing of the run-to-run noise.
  json own = Parse(Check(repo, head, {"--format", "json", "--no-history"}));
  EXPECT_EQ(Row(own, "noisy")["verdict"], "regression");
  EXPECT_EQ(Row(own, "noisy")["noise_source"], "within-run spread");
  EXPECT_EQ(own["history"]["description"], "not used (--no-history)");

  // Every format names the noise each row used.
  Outcome table = Check(repo, head);
  EXPECT_EQ(table.exit_code, 3);
  EXPECT_NE(table.out.find("run-to-run over 9 runs"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("NOISE FROM"), std::string::npos) << table.out;
  Outcome md = Check(repo, head, {"--format", "markdown"});
  EXPECT_NE(md.out.find("| min effect | noise |"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("% run-to-run over 9 runs | :red_circle: regression |"), std::string::npos)
      << md.out;
  Outcome junit = Check(repo, head, {"--format", "junit"});
  EXPECT_NE(junit.out.find("run-to-run over 9 runs)\" />"), std::string::npos) << junit.out;

  // compare learns the same history from the store, for commits and artifact files alike.
  json by_commit = Parse(Pl({"compare", shas[8], head, "--format", "json"}));
  EXPECT_EQ(Row(by_commit, "noisy")["verdict"], "unchanged");
  EXPECT_EQ(Row(by_commit, "quiet")["verdict"], "regression");
  EXPECT_EQ(Row(by_commit, "quiet")["noise_source"], "run-to-run over 9 runs");
  const std::string base_file =
      (dir_ / "runs" / ("benchmark-results-" + shas[8] + "-linux.json")).string();
  const std::string head_file =
      (dir_ / "runs" / ("benchmark-results-" + head + "-linux.json")).string();
  json by_file = Parse(Pl({"compare", base_file, head_file, "--format", "json"}));
  EXPECT_EQ(Row(by_file, "noisy")["noise_source"], "run-to-run over 9 runs");
  EXPECT_EQ(by_file["history"]["runs"], 9);
}

}  // namespace
}  // namespace perfledger
