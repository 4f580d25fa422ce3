// The generated workflow's collect job on real git: a bare repository is `origin`, each
// collect runs the job's own scripts (extracted from the YAML) with the real perfledger in a
// clone of its own, as a runner would, and the history branch is read back from origin. What
// cannot run here is GitHub itself: its artifact API is a stand-in `gh` (workflow_fixture.h).
#include <set>
#include <thread>

#include "workflow_fixture.h"

namespace perfledger {
namespace {

using namespace workflow_testing;  // NOLINT: the fixture's helpers

class CollectTest : public WorkflowTest {
 protected:
  void SetUp() override {
    WorkflowTest::SetUp();
    if (!fs::exists("/usr/bin/git") || !fs::exists("/usr/bin/jq") ||
        !fs::exists("/usr/bin/unzip")) {
      GTEST_SKIP() << "needs git, jq, unzip";
    }
    workflow_ = Generate();
    collect_ = workflow_["jobs"]["collect"];
    InstallRealPerfledger();
    InstallFakeGh();
    WriteText(dir_ / "listing", "");  // no artifacts of earlier runs unless a test says so
    MakeRepoWithOrigin(dir_ / "repo", 6);
    const std::string log = Git({"log", "--format=%H", "--reverse", "main"}, dir_ / "repo").out;
    shas_ = Lines(log);
    ASSERT_EQ(shas_.size(), 6u);
  }

  // A result artifact of commit `i` with one sample series, written by the real `write`
  // into `dir`; its run id is fixed by `run_id` (so two files can hold the same run).
  fs::path Artifact(const fs::path& dir, int i, const std::string& run_id,
                    const std::string& values = "100,101,99") {
    fs::create_directories(dir);
    const fs::path scratch = dir_ / ("scratch-" + run_id + "-" + std::to_string(++files_));
    Outcome o = RunCommand({kBin,
                            "write",
                            "--project",
                            "gruel",
                            "--commit",
                            shas_[i],
                            "--platform",
                            "x86-64-linux",
                            "--branch",
                            "main",
                            "--run-id",
                            run_id,
                            "--commit-time",
                            "2024-01-01T10:0" + std::to_string(i) + ":00Z",
                            "--started-at",
                            "2024-02-01T00:00:00Z",
                            "--finished-at",
                            "2024-02-01T00:01:00Z",
                            "--sample",
                            "parse:wall_time:ns=" + values,
                            "--out",
                            scratch.string()});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    const fs::path written = fs::directory_iterator(scratch)->path();
    const fs::path target = dir / (run_id + ".json");
    fs::rename(written, target);
    fs::remove_all(scratch);
    return target;
  }

  static std::string RunId(int n) {
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
    return id;
  }

  // A runner of its own: a clone of origin at main, as actions/checkout leaves it.
  fs::path Runner(const std::string& name) {
    const fs::path work = dir_ / name;
    EXPECT_EQ(Git({"clone", "-q", (dir_ / "origin.git").string(), work.string()}, dir_).exit_code,
              0);
    return work;
  }

  std::map<std::string, std::string> CollectEnv(const fs::path& work, const std::string& run) {
    return {{"PERFLEDGER_DB", ".perfledger/perfledger.db"},
            {"HISTORY_BRANCH", "perf"},
            {"GITHUB_RUN_ID", run},
            {"RUN_ID", run},
            {"REPOSITORY", "someone/gruel"},
            {"GH_LISTING", (dir_ / "listing").string()},
            {"GH_ZIPS", (dir_ / "zips").string()},
            {"GITHUB_OUTPUT", (work.string() + ".output")},
            {"GITHUB_STEP_SUMMARY", (work.string() + ".summary")}};
  }

  // The collect job's download-earlier-artifacts and collect scripts, in `work`.
  Outcome Collect(const fs::path& work, const std::string& run) {
    std::vector<size_t> steps = StepsRunning(collect_, "gh api");
    const std::vector<size_t> collect = StepsRunning(collect_, "--quarantine");
    EXPECT_EQ(steps.size(), 1u);
    EXPECT_EQ(collect.size(), 1u);
    steps.insert(steps.end(), collect.begin(), collect.end());
    return RunSteps(collect_, steps, CollectEnv(work, run), work);
  }

  // The run ids of the history branch on origin, one entry per line of every history file.
  std::multiset<std::string> HistoryRunIds() {
    std::multiset<std::string> ids;
    Outcome files = Git({"ls-tree", "-r", "--name-only", "perf", "history"}, dir_ / "origin.git");
    EXPECT_EQ(files.exit_code, 0) << files.err;
    for (const auto& file : Lines(files.out)) {
      Outcome text = Git({"show", "perf:" + file}, dir_ / "origin.git");
      for (const auto& line : Lines(text.out)) {
        ids.insert(nlohmann::json::parse(line)["run_id"].get<std::string>());
      }
    }
    return ids;
  }

  std::multiset<std::string> Ids(std::initializer_list<int> ns) {
    std::multiset<std::string> ids;
    for (int n : ns) ids.insert(RunId(n));
    return ids;
  }

  YAML::Node workflow_, collect_;
  std::vector<std::string> shas_;
  int files_ = 0;
};

TEST_F(CollectTest, TheFirstCollectCreatesTheHistoryBranchAndPushesOnce) {
  const fs::path a = Runner("a");
  Artifact(a / ".perfledger-results" / "this-run", 0, RunId(1));
  Artifact(a / ".perfledger-results" / "this-run", 1, RunId(2));
  Outcome o = Collect(a, "1");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(ReadText(a.string() + ".output"), "pushed=true\n");
  EXPECT_EQ(HistoryRunIds(), Ids({1, 2}));
  // One commit, and the benchmarked branch untouched.
  EXPECT_EQ(Lines(Git({"rev-list", "perf"}, dir_ / "origin.git").out).size(), 1u);
  EXPECT_EQ(Git({"rev-parse", "main"}, dir_ / "origin.git").out, shas_.back() + "\n");
  // Collecting the same artifacts again changes nothing and pushes nothing.
  o = Collect(a, "1");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(Lines(Git({"rev-list", "perf"}, dir_ / "origin.git").out).size(), 1u);
}

TEST_F(CollectTest, TwoCollectsRacingWithOverlappingArtifactsStoreEveryRunOnce) {
  // Three rounds, two runners each, started together: the second push is refused while the
  // first lands, and that collect fetches, ingests again and pushes.
  std::multiset<std::string> expected;
  int next = 1;
  for (int round = 0; round < 3; ++round) {
    const fs::path a = Runner("a" + std::to_string(round));
    const fs::path b = Runner("b" + std::to_string(round));
    const int shared = next++, only_a = next++, only_b = next++;
    for (const auto& [work, own] : {std::pair{a, only_a}, std::pair{b, only_b}}) {
      Artifact(work / ".perfledger-results" / "this-run", round, RunId(shared));
      Artifact(work / ".perfledger-results" / "this-run", round + 1, RunId(own));
    }
    expected.insert({RunId(shared), RunId(only_a), RunId(only_b)});
    Outcome results[2];
    std::thread ta([&] { results[0] = Collect(a, "a" + std::to_string(round)); });
    std::thread tb([&] { results[1] = Collect(b, "b" + std::to_string(round)); });
    ta.join();
    tb.join();
    for (const Outcome& o : results) ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
    EXPECT_EQ(HistoryRunIds(), expected) << "round " << round;
  }
}

TEST_F(CollectTest, APushRefusedBecauseAnotherCollectPushedFirstIsCollectedAgainAndPushed) {
  // The interleaving made certain: b's pre-push hook runs a's whole collect first, so b's
  // push is refused by git as not a fast-forward, and b must fetch, ingest again and push.
  const fs::path a = Runner("a");
  const fs::path b = Runner("b");
  Artifact(a / ".perfledger-results" / "this-run", 0, RunId(1));
  Artifact(a / ".perfledger-results" / "this-run", 1, RunId(2));
  Artifact(b / ".perfledger-results" / "this-run", 1, RunId(2));
  Artifact(b / ".perfledger-results" / "this-run", 2, RunId(3));
  std::string collect_a = "cd '" + a.string() + "'\n";
  for (const auto& [key, value] : CollectEnv(a, "1"))
    collect_a += "export " + key + "='" + value + "'\n";
  collect_a += "export PATH='" + (dir_ / "bin").string() + ":'\"$PATH\"\n";
  WriteText(dir_ / "collect-a.sh",
            collect_a + Script(collect_, StepsRunning(collect_, "--quarantine")[0]));
  const fs::path hook = b / ".git" / "hooks" / "pre-push";
  WriteText(hook,
            "#!/bin/bash\n[ -e \"$0.done\" ] && exit 0\ntouch \"$0.done\"\n(unset GIT_DIR "
            "GIT_WORK_TREE GIT_INDEX_FILE; bash -eo pipefail '" +
                (dir_ / "collect-a.sh").string() + "' > '" + (dir_ / "a.log").string() +
                "' 2>&1) || exit 1\nexit 0\n");
  fs::permissions(hook, fs::perms::owner_all);
  Outcome o = Collect(b, "2");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err << ReadText(dir_ / "a.log");
  EXPECT_NE(o.out.find("was refused"), std::string::npos) << o.out << o.err;
  EXPECT_EQ(ReadText(a.string() + ".output"), "pushed=true\n") << ReadText(dir_ / "a.log");
  EXPECT_EQ(HistoryRunIds(), Ids({1, 2, 3}));
  EXPECT_EQ(Lines(Git({"rev-list", "perf"}, dir_ / "origin.git").out).size(), 2u);
}

TEST_F(CollectTest, ACollectAfterTheCacheIsLostRebuildsTheStoreFromTheBranch) {
  const fs::path a = Runner("a");
  Artifact(a / ".perfledger-results" / "this-run", 0, RunId(1));
  Artifact(a / ".perfledger-results" / "this-run", 1, RunId(2));
  ASSERT_EQ(Collect(a, "1").exit_code, 0);
  // A new runner with no store at all (the cache evicted), and one new artifact.
  const fs::path b = Runner("b");
  Artifact(b / ".perfledger-results" / "this-run", 2, RunId(3));
  Outcome o = Collect(b, "2");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(HistoryRunIds(), Ids({1, 2, 3}));
  o = RunCommand(
      {kBin, "--db", (b / ".perfledger/perfledger.db").string(), "runs", "--format", "json"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(nlohmann::json::parse(o.out).size(), 3u);
}

TEST_F(CollectTest, ArtifactsACancelledCollectLeftBehindAreCollectedByTheNext) {
  // Run 1's bench jobs uploaded artifact 101; its collect was cancelled while pending. Run 2
  // lists every result artifact: 101 (run 1) is downloaded, 102 is its own.
  const fs::path zipped = dir_ / "zipped";
  Artifact(zipped, 0, RunId(1));
  fs::create_directories(dir_ / "zips");
  ASSERT_EQ(RunCommand({"/usr/bin/zip", "-q", "-j", (dir_ / "zips" / "101.zip").string(),
                        (zipped / (RunId(1) + ".json")).string()})
                .exit_code,
            0);
  WriteText(dir_ / "listing", "101 1\n102 2\n");
  const fs::path b = Runner("b");
  Artifact(b / ".perfledger-results" / "this-run", 1, RunId(2));
  Outcome o = Collect(b, "2");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(HistoryRunIds(), Ids({1, 2}));
  EXPECT_EQ(Git({"show", "perf:collected-artifacts"}, dir_ / "origin.git").out, "101\n102\n");

  // Run 3 downloads neither again: both are listed as collected.
  fs::remove(dir_ / "zips" / "101.zip");
  WriteText(dir_ / "listing", "101 1\n102 2\n103 3\n");
  const fs::path c = Runner("c");
  Artifact(c / ".perfledger-results" / "this-run", 2, RunId(3));
  o = Collect(c, "3");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_FALSE(fs::exists(c / ".perfledger-results" / "earlier" / "101"));
  EXPECT_EQ(HistoryRunIds(), Ids({1, 2, 3}));
  EXPECT_EQ(Git({"show", "perf:collected-artifacts"}, dir_ / "origin.git").out, "101\n102\n103\n");
}

TEST_F(CollectTest, RefusedArtifactsAreQuarantinedWithReasonsAndTheRestIsPushed) {
  const fs::path a = Runner("a");
  Artifact(a / ".perfledger-results" / "this-run", 0, RunId(1));
  ASSERT_EQ(Collect(a, "1").exit_code, 0);

  const fs::path b = Runner("b");
  const fs::path results = b / ".perfledger-results" / "this-run";
  Artifact(results, 1, RunId(2));
  // The same run id as a stored run with other values, and a truncated file.
  const fs::path conflicting = Artifact(results / "other", 0, RunId(1), "500,501,502");
  const std::string conflicting_text = ReadText(conflicting);
  WriteText(results / "truncated.json", "{\"schema_version\": 1, \"run_id\"");
  Outcome o = Collect(b, "2");
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("::error::quarantined"), std::string::npos) << o.out;
  // The good run is in the branch, pushed; the refused files are under quarantine/ with why.
  EXPECT_EQ(ReadText(b.string() + ".output"), "pushed=true\n");
  EXPECT_EQ(HistoryRunIds(), Ids({1, 2}));
  const fs::path origin = dir_ / "origin.git";
  const std::string name = RunId(1) + ".json";
  EXPECT_EQ(Git({"show", "perf:quarantine/" + name}, origin).out, conflicting_text);
  EXPECT_NE(Git({"show", "perf:quarantine/" + name + ".reason"}, origin)
                .out.find("already stored with different content"),
            std::string::npos);
  EXPECT_NE(Git({"show", "perf:quarantine/truncated.json.reason"}, origin).out.find("invalid JSON"),
            std::string::npos);
  // The quarantined artifact is intact: a store without the conflicting run takes it.
  WriteText(dir_ / "q.json", conflicting_text);
  o = RunCommand(
      {kBin, "--db", (dir_ / "fresh.db").string(), "ingest", (dir_ / "q.json").string()});
  EXPECT_EQ(o.exit_code, 0) << o.err;
}

TEST_F(CollectTest, IngestQuarantineKeepsGoodFilesAndReportsRefusedOnesAsJson) {
  const fs::path in = dir_ / "in";
  Artifact(in, 0, RunId(1));
  Artifact(in / "x", 0, RunId(1), "7,8,9");  // the same run id in the same batch
  WriteText(in / "empty.json", "");
  const std::string db = (dir_ / "q.db").string();
  Outcome o = RunCommand({kBin, "--db", db, "ingest", "--format", "json", "--quarantine",
                          (dir_ / "quarantine").string(), in.string()});
  EXPECT_EQ(o.exit_code, 1) << o.err;
  const nlohmann::json summary = nlohmann::json::parse(o.out);
  EXPECT_EQ(summary["ingested"], 1);
  ASSERT_EQ(summary["quarantined"].size(), 2u) << summary;
  EXPECT_NE(summary["quarantined"][0]["path"].get<std::string>().find("empty.json"),
            std::string::npos);
  EXPECT_NE(summary["quarantined"][1]["reason"].get<std::string>().find("different content"),
            std::string::npos)
      << summary;
  EXPECT_TRUE(fs::exists(dir_ / "quarantine" / "empty.json.reason"));
  EXPECT_NE(o.err.find("quarantined 2 artifacts"), std::string::npos) << o.err;
  // Without --quarantine the same batch is refused whole.
  o = RunCommand({kBin, "--db", (dir_ / "whole.db").string(), "ingest", in.string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "whole.db"));
}

}  // namespace
}  // namespace perfledger
