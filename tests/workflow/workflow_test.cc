// `perfledger init github-actions` as a user runs it: the workflow it writes is parsed as YAML
// and checked against the pipeline of DESIGN.md, and the shell steps that matter (plan,
// the benchmark placeholder, collect) are run with bash, against a fake perfledger that logs
// its arguments or against the real binary, so a broken script fails here and not in CI.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;
const std::string kDefaultOut = ".github/workflows/benchmarks.yml";
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The steps of a job whose `run` script contains `needle`, by index.
std::vector<size_t> StepsRunning(const YAML::Node& job, const std::string& needle) {
  std::vector<size_t> found;
  for (size_t i = 0; i < job["steps"].size(); ++i) {
    const YAML::Node run = job["steps"][i]["run"];
    if (run && run.as<std::string>().find(needle) != std::string::npos) found.push_back(i);
  }
  return found;
}

// Every step of a job that runs a script, in order.
std::vector<size_t> Scripts(const YAML::Node& job) {
  std::vector<size_t> found;
  for (size_t i = 0; i < job["steps"].size(); ++i) {
    if (job["steps"][i]["run"]) found.push_back(i);
  }
  return found;
}

// The first step of a job that uses `action`; nullopt when none does.
std::optional<YAML::Node> StepUsing(const YAML::Node& job, const std::string& action) {
  for (const auto& step : job["steps"]) {
    if (step["uses"] && step["uses"].as<std::string>() == action) return step;
  }
  return std::nullopt;
}

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-workflow-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bin");
    log_ = dir_ / "perfledger-calls.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome Init(std::vector<std::string> args) {
    args.insert(args.begin(), {kBin, "init", "github-actions"});
    return RunCommand(args, dir_.string());
  }

  // Runs init with `args`, expects success, and parses the file it wrote.
  YAML::Node Generate(const std::vector<std::string>& args = {}) {
    Outcome o = Init(args);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    text_ = ReadText(dir_ / kDefaultOut);
    return YAML::Load(text_);
  }

  // bin/perfledger: a fake that appends its arguments to the log; `plan` prints $PLAN_JSON,
  // `gaps` exits with $GAPS_EXIT.
  void InstallFakePerfledger() {
    fs::path fake = dir_ / "bin" / "perfledger";
    WriteText(fake,
              "#!/bin/bash\n"
              "echo \"$*\" >> \"$PERFLEDGER_LOG\"\n"
              "case \"$1\" in\n"
              "  plan) printf '%s\\n' \"$PLAN_JSON\" ;;\n"
              "  gaps) exit \"${GAPS_EXIT:-0}\" ;;\n"
              "esac\n");
    fs::permissions(fake, fs::perms::owner_all);
  }

  void InstallRealPerfledger() { fs::create_symlink(kBin, dir_ / "bin" / "perfledger"); }

  // Runs the `run` scripts of `steps` in order, as GitHub does with `shell: bash`, in a work
  // folder under the test's directory; stops at the first failing one and returns it.
  Outcome RunSteps(const YAML::Node& job, const std::vector<size_t>& steps,
                   std::map<std::string, std::string> env) {
    const fs::path work = dir_ / "work";
    fs::create_directories(work);
    env["PATH"] = (dir_ / "bin").string() + ":" + std::getenv("PATH");
    env["PERFLEDGER_LOG"] = log_.string();
    env["GITHUB_OUTPUT"] = (dir_ / "github-output").string();
    Outcome o;
    for (size_t i : steps) {
      const std::string script = job["steps"][i]["run"].as<std::string>();
      o = RunCommand({"/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script},
                     work.string(), env);
      if (o.exit_code != 0) return o;
    }
    return o;
  }

  std::vector<std::string> Calls() { return Lines(ReadText(log_)); }
  std::string GitHubOutput() { return ReadText(dir_ / "github-output"); }

  fs::path dir_, log_;
  std::string text_;
};

TEST_F(WorkflowTest, WritesTheDefaultPathAndNamesItOnStdout) {
  Outcome o = Init({});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  ASSERT_EQ(Lines(o.out).size(), 1u) << o.out;
  EXPECT_NE(o.out.find(kDefaultOut), std::string::npos) << o.out;
  ASSERT_TRUE(fs::is_regular_file(dir_ / kDefaultOut));
  const std::string text = ReadText(dir_ / kDefaultOut);
  EXPECT_EQ(text.rfind("# Generated by `perfledger init github-actions`", 0), 0u) << text;
  EXPECT_NO_THROW(YAML::Load(text));
}

TEST_F(WorkflowTest, TriggersArePushToTheBranchEveryFifteenMinutesAndManualSha) {
  YAML::Node w = Generate({"--branch", "trunk"});
  const YAML::Node on = w["on"];
  ASSERT_TRUE(on.IsMap());
  ASSERT_EQ(on["push"]["branches"].size(), 1u);
  EXPECT_EQ(on["push"]["branches"][0].as<std::string>(), "trunk");
  ASSERT_EQ(on["schedule"].size(), 1u);
  EXPECT_EQ(on["schedule"][0]["cron"].as<std::string>(), "*/15 * * * *");
  const YAML::Node sha = on["workflow_dispatch"]["inputs"]["sha"];
  ASSERT_TRUE(sha.IsMap());
  EXPECT_FALSE(sha["required"].as<bool>());
  EXPECT_FALSE(sha["description"].as<std::string>().empty());
  // The plan reads the same branch.
  EXPECT_EQ(StepsRunning(w["jobs"]["plan"], "--branch trunk ").size(), 1u);
}

TEST_F(WorkflowTest, DefaultBranchIsMain) {
  YAML::Node w = Generate();
  EXPECT_EQ(w["on"]["push"]["branches"][0].as<std::string>(), "main");
}

TEST_F(WorkflowTest, PlanBenchCollectWithTheirNeedsAndReadOnlyPermissions) {
  YAML::Node w = Generate();
  const YAML::Node jobs = w["jobs"];
  ASSERT_EQ(jobs.size(), 3u);
  ASSERT_TRUE(jobs["plan"] && jobs["bench"] && jobs["collect"]);
  EXPECT_FALSE(jobs["plan"]["needs"]);
  EXPECT_EQ(jobs["bench"]["needs"].as<std::string>(), "plan");
  const YAML::Node collect_needs = jobs["collect"]["needs"];
  ASSERT_TRUE(collect_needs.IsSequence());
  ASSERT_EQ(collect_needs.size(), 2u);
  EXPECT_EQ(collect_needs[0].as<std::string>(), "plan");
  EXPECT_EQ(collect_needs[1].as<std::string>(), "bench");
  EXPECT_EQ(jobs["bench"]["if"].as<std::string>(), "needs.plan.outputs.has_jobs == 'true'");
  EXPECT_EQ(jobs["collect"]["if"].as<std::string>(),
            "always() && needs.plan.outputs.has_jobs == 'true'");
  EXPECT_EQ(w["permissions"]["contents"].as<std::string>(), "read");
  // A top-level concurrency group would cancel or drop whole runs, collects included.
  EXPECT_FALSE(w["concurrency"]);
}

TEST_F(WorkflowTest, BenchMatrixComesFromThePlanOutput) {
  YAML::Node w = Generate();
  const YAML::Node plan = w["jobs"]["plan"];
  const YAML::Node bench = w["jobs"]["bench"];
  EXPECT_EQ(bench["strategy"]["matrix"].as<std::string>(),
            "${{ fromJSON(needs.plan.outputs.matrix) }}");
  EXPECT_FALSE(bench["strategy"]["fail-fast"].as<bool>());
  EXPECT_EQ(plan["outputs"]["matrix"].as<std::string>(), "${{ steps.plan.outputs.matrix }}");
  EXPECT_EQ(plan["outputs"]["has_jobs"].as<std::string>(), "${{ steps.plan.outputs.has_jobs }}");

  const std::optional<YAML::Node> checkout = StepUsing(plan, "actions/checkout@v4");
  ASSERT_TRUE(checkout);
  EXPECT_EQ((*checkout)["with"]["fetch-depth"].as<int>(), 0);
  std::vector<size_t> plan_steps = StepsRunning(plan, "perfledger plan");
  ASSERT_EQ(plan_steps.size(), 1u);
  EXPECT_EQ(plan["steps"][plan_steps[0]]["id"].as<std::string>(), "plan");

  // Run the step: the plan's matrix becomes the output, compact, and has_jobs follows it.
  InstallFakePerfledger();
  const std::string matrix =
      R"({"include":[{"sha":")" + kSha +
      R"(","platform":"linux-x86_64","reason":"schedule","commit_range_from":null,"commit_range_count":3}]})";
  const std::string plan_json = "{\n  \"jobs\": [],\n  \"matrix\": " + matrix + "\n}";
  Outcome o = RunSteps(plan, plan_steps, {{"PLAN_JSON", plan_json}, {"MANUAL_SHA", ""}});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::vector<std::string> out = Lines(GitHubOutput());
  ASSERT_EQ(out.size(), 2u) << GitHubOutput();
  EXPECT_EQ(nlohmann::json::parse(out[0].substr(out[0].find('=') + 1)),
            nlohmann::json::parse(matrix));
  EXPECT_EQ(out[0].rfind("matrix={", 0), 0u) << out[0];
  EXPECT_EQ(out[1], "has_jobs=true");
  ASSERT_EQ(Calls().size(), 1u);
  EXPECT_EQ(Calls()[0],
            "plan --repo . --branch main --platform linux-x86_64 --format json --record");
}

TEST_F(WorkflowTest, EmptyPlanGivesHasJobsFalse) {
  YAML::Node w = Generate();
  const YAML::Node plan = w["jobs"]["plan"];
  InstallFakePerfledger();
  Outcome o = RunSteps(plan, StepsRunning(plan, "perfledger plan"),
                       {{"PLAN_JSON", R"({"jobs":[],"matrix":{"include":[]}})"}});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(GitHubOutput(), "matrix={\"include\":[]}\nhas_jobs=false\n");
}

TEST_F(WorkflowTest, ManualShaReachesTheManualFlag) {
  YAML::Node w = Generate();
  const YAML::Node plan = w["jobs"]["plan"];
  const std::vector<size_t> plan_steps = StepsRunning(plan, "perfledger plan");
  ASSERT_EQ(plan_steps.size(), 1u);
  // The input reaches the script through the environment, never pasted into it.
  EXPECT_EQ(plan["steps"][plan_steps[0]]["env"]["MANUAL_SHA"].as<std::string>(),
            "${{ inputs.sha }}");
  EXPECT_EQ(Count(text_, "${{ inputs.sha }}"), 1u);

  InstallFakePerfledger();
  const std::string json = R"({"jobs":[],"matrix":{"include":[]}})";
  Outcome o = RunSteps(plan, plan_steps, {{"PLAN_JSON", json}, {"MANUAL_SHA", kSha}});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_EQ(Calls().size(), 1u);
  EXPECT_NE(Calls()[0].find(" --manual " + kSha), std::string::npos) << Calls()[0];
  // A shell-looking sha stays one argument.
  o = RunSteps(plan, plan_steps, {{"PLAN_JSON", json}, {"MANUAL_SHA", "$(touch pwned) x"}});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(Calls().back().find("--manual $(touch pwned) x"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "work" / "pwned"));
}

TEST_F(WorkflowTest, BenchJobsUploadOneArtifactNamedByShaAndPlatform) {
  YAML::Node w = Generate();
  const YAML::Node bench = w["jobs"]["bench"];
  const std::optional<YAML::Node> checkout = StepUsing(bench, "actions/checkout@v4");
  ASSERT_TRUE(checkout);
  EXPECT_EQ((*checkout)["with"]["ref"].as<std::string>(), "${{ matrix.sha }}");
  const std::optional<YAML::Node> upload = StepUsing(bench, "actions/upload-artifact@v4");
  ASSERT_TRUE(upload);
  const std::string name = "benchmark-results-${{ matrix.sha }}-${{ matrix.platform }}";
  EXPECT_EQ((*upload)["with"]["name"].as<std::string>(), name);
  EXPECT_EQ((*upload)["with"]["path"].as<std::string>(), "results/" + name + ".json");
  EXPECT_EQ((*upload)["with"]["if-no-files-found"].as<std::string>(), "error");

  // The placeholder step, run with the real perfledger, writes exactly the file uploaded.
  const std::vector<size_t> run_steps = StepsRunning(bench, "perfledger write");
  ASSERT_EQ(run_steps.size(), 1u);
  InstallRealPerfledger();
  Outcome o = RunSteps(bench, run_steps,
                       {{"PROJECT", "gruel"},
                        {"SHA", kSha},
                        {"PLATFORM", "linux-x86_64"},
                        {"REASON", "schedule"},
                        {"RANGE_FROM", ""},
                        {"RANGE_COUNT", "3"}});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const fs::path artifact =
      dir_ / "work" / "results" / ("benchmark-results-" + kSha + "-linux-x86_64.json");
  ASSERT_TRUE(fs::is_regular_file(artifact)) << o.out;
  EXPECT_EQ(
      std::distance(fs::directory_iterator(dir_ / "work" / "results"), fs::directory_iterator()),
      1);
  nlohmann::json a = nlohmann::json::parse(ReadText(artifact));
  EXPECT_EQ(a["commit"]["sha"], kSha);
  EXPECT_EQ(a["reason"], "schedule");
  EXPECT_EQ(a["commit_range"]["count"], 3);
  EXPECT_EQ(a["commit_range"]["from"], nullptr);
  // Until the team edits the step, the run is a structured failure, never a data point.
  ASSERT_EQ(a["benchmarks"].size(), 1u);
  EXPECT_TRUE(a["benchmarks"][0].contains("error"));
  EXPECT_TRUE(a["benchmarks"][0]["metrics"].empty());
}

TEST_F(WorkflowTest, CollectIngestsOnceUnderANonCancellingGroupThenGates) {
  YAML::Node w = Generate();
  const YAML::Node collect = w["jobs"]["collect"];
  EXPECT_EQ(collect["concurrency"]["group"].as<std::string>(), "perfledger-collect");
  EXPECT_FALSE(collect["concurrency"]["cancel-in-progress"].as<bool>());

  const std::optional<YAML::Node> download = StepUsing(collect, "actions/download-artifact@v4");
  ASSERT_TRUE(download);
  EXPECT_EQ((*download)["with"]["pattern"].as<std::string>(), "benchmark-results-*");
  EXPECT_TRUE((*download)["with"]["merge-multiple"].as<bool>());
  const std::string folder = (*download)["with"]["path"].as<std::string>();
  // The gate reads the branch from a full checkout.
  const std::optional<YAML::Node> checkout = StepUsing(collect, "actions/checkout@v4");
  ASSERT_TRUE(checkout);
  EXPECT_EQ((*checkout)["with"]["fetch-depth"].as<int>(), 0);

  size_t ingests = 0;
  for (const auto& step : collect["steps"]) {
    if (step["run"]) ingests += Count(step["run"].as<std::string>(), "perfledger ingest");
  }
  EXPECT_EQ(ingests, 1u);
  const std::vector<size_t> ingest = StepsRunning(collect, "perfledger ingest " + folder);
  const std::vector<size_t> gaps = StepsRunning(collect, "perfledger gaps");
  ASSERT_EQ(ingest.size(), 1u);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_LT(ingest[0], gaps[0]);

  // The store: restored before the ingest, saved after it, under the key plan restores from.
  size_t restore = collect["steps"].size(), save = collect["steps"].size();
  for (size_t i = 0; i < collect["steps"].size(); ++i) {
    const YAML::Node uses = collect["steps"][i]["uses"];
    if (uses && uses.as<std::string>() == "actions/cache/restore@v4") restore = i;
    if (uses && uses.as<std::string>() == "actions/cache/save@v4") save = i;
  }
  ASSERT_LT(restore, ingest[0]);
  ASSERT_LT(ingest[0], save);
  ASSERT_LT(save, collect["steps"].size());
  const std::optional<YAML::Node> plan_restore =
      StepUsing(w["jobs"]["plan"], "actions/cache/restore@v4");
  ASSERT_TRUE(plan_restore);
  EXPECT_EQ((*plan_restore)["with"]["restore-keys"].as<std::string>(), "perfledger-db-");
  EXPECT_EQ(collect["steps"][save]["with"]["key"].as<std::string>().rfind("perfledger-db-", 0), 0u);
  EXPECT_FALSE(StepUsing(w["jobs"]["plan"], "actions/cache/save@v4"));
  EXPECT_FALSE(StepUsing(w["jobs"]["bench"], "actions/cache/save@v4"));

  // Run every script of the job in order: ingest once, then the gate, whose exit 3 fails it.
  const std::vector<size_t> scripts = Scripts(collect);
  InstallFakePerfledger();
  WriteText(dir_ / "work" / folder / ("benchmark-results-" + kSha + "-linux-x86_64.json"), "{}");
  Outcome o = RunSteps(collect, scripts, {});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Calls(), (std::vector<std::string>{"ingest " + folder,
                                               "gaps --repo . --branch main --format table"}));
  EXPECT_EQ(GitHubOutput(), "ingested=true\n");
  o = RunSteps(collect, scripts, {{"GAPS_EXIT", "3"}});
  EXPECT_EQ(o.exit_code, 3);
}

TEST_F(WorkflowTest, CollectWithNoArtifactsSkipsTheIngestButStillGates) {
  YAML::Node w = Generate();
  const YAML::Node collect = w["jobs"]["collect"];
  const std::vector<size_t> scripts = Scripts(collect);
  InstallFakePerfledger();
  Outcome o = RunSteps(collect, scripts, {});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Calls(), (std::vector<std::string>{"gaps --repo . --branch main --format table"}));
  EXPECT_EQ(GitHubOutput(), "");  // so the store is not saved again
}

// The three jobs run one after the other on this machine with the real perfledger and a real
// git repository: what GitHub would do, minus the runners, the cache and the artifact store.
TEST_F(WorkflowTest, ThePipelineRunsEndToEndWithTheRealBinary) {
  if (!fs::exists("/usr/bin/git") || !fs::exists("/usr/bin/jq")) GTEST_SKIP() << "needs git, jq";
  YAML::Node w = Generate({"--platforms", "linux-x86_64", "macos-arm64"});
  InstallRealPerfledger();
  const fs::path work = dir_ / "work";
  fs::create_directories(work);
  const std::map<std::string, std::string> git_env = {{"GIT_AUTHOR_NAME", "a"},
                                                      {"GIT_AUTHOR_EMAIL", "a@example.com"},
                                                      {"GIT_COMMITTER_NAME", "a"},
                                                      {"GIT_COMMITTER_EMAIL", "a@example.com"}};
  ASSERT_EQ(RunCommand({"/usr/bin/git", "init", "-q", "-b", "main"}, work.string()).exit_code, 0);
  for (int i = 0; i < 3; ++i) {
    auto env = git_env;
    env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] =
        "2024-01-01T10:0" + std::to_string(i) + ":00Z";
    ASSERT_EQ(
        RunCommand({"/usr/bin/git", "commit", "-q", "--allow-empty", "-m", "c" + std::to_string(i)},
                   work.string(), env)
            .exit_code,
        0);
  }
  const std::string db = w["jobs"]["plan"]["env"]["PERFLEDGER_DB"].as<std::string>();
  ASSERT_EQ(db, w["jobs"]["collect"]["env"]["PERFLEDGER_DB"].as<std::string>());

  // plan
  const YAML::Node plan = w["jobs"]["plan"];
  Outcome o = RunSteps(plan, Scripts(plan), {{"PERFLEDGER_DB", db}, {"MANUAL_SHA", ""}});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::vector<std::string> out = Lines(GitHubOutput());
  ASSERT_EQ(out.size(), 2u) << GitHubOutput();
  EXPECT_EQ(out[1], "has_jobs=true");
  const nlohmann::json matrix = nlohmann::json::parse(out[0].substr(out[0].find('=') + 1));
  ASSERT_EQ(matrix["include"].size(), 2u) << matrix;

  // bench, one job per matrix entry; the upload and download are copies.
  const YAML::Node bench = w["jobs"]["bench"];
  const std::string upload_path =
      (*StepUsing(bench, "actions/upload-artifact@v4"))["with"]["path"].as<std::string>();
  const std::string folder =
      (*StepUsing(w["jobs"]["collect"], "actions/download-artifact@v4"))["with"]["path"]
          .as<std::string>();
  for (const auto& job : matrix["include"]) {
    const std::string sha = job["sha"], platform = job["platform"];
    o = RunSteps(
        bench, Scripts(bench),
        {{"PROJECT", "gruel"},
         {"SHA", sha},
         {"PLATFORM", platform},
         {"REASON", job["reason"]},
         {"RANGE_FROM", job["commit_range_from"].is_null() ? "" : job["commit_range_from"]},
         {"RANGE_COUNT", std::to_string(job["commit_range_count"].get<int>())}});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    std::string path = upload_path;
    path.replace(path.find("${{ matrix.sha }}"), 17, sha);
    path.replace(path.find("${{ matrix.platform }}"), 22, platform);
    fs::create_directories(work / folder);
    fs::copy_file(work / path, work / folder / fs::path(path).filename());
  }

  // The plan job's artifact, as collect downloads it.
  const YAML::Node plan_download = w["jobs"]["collect"]["steps"][2];
  ASSERT_EQ(plan_download["with"]["name"].as<std::string>(), "perfledger-plan");
  fs::create_directories(work / plan_download["with"]["path"].as<std::string>());
  fs::copy_file(work / "plan.json",
                work / plan_download["with"]["path"].as<std::string>() / "plan.json");

  // collect, from an empty cache: ingests both platforms, and the gate passes.
  fs::remove_all(work / fs::path(db).parent_path());
  fs::remove(dir_ / "github-output");
  const YAML::Node collect = w["jobs"]["collect"];
  o = RunSteps(collect, Scripts(collect), {{"PERFLEDGER_DB", db}});
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(GitHubOutput(), "ingested=true\n");
  o = RunCommand({kBin, "--db", db, "runs", "--format", "json"}, work.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json runs = nlohmann::json::parse(o.out);
  ASSERT_EQ(runs.size(), 2u) << runs;
  for (const auto& run : runs) EXPECT_EQ(run["status"], "partial");  // the placeholder
  // The plan was recorded from its artifact: coverage reads the recorded branch history.
  o = RunCommand({kBin, "--db", db, "coverage", "--format", "json"}, work.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json cov = nlohmann::json::parse(o.out);
  ASSERT_EQ(cov.size(), 2u) << cov;
  for (const auto& row : cov) {
    EXPECT_EQ(row["commits"], 3) << row;
    EXPECT_EQ(row["measured"], 1) << row;
    EXPECT_EQ(row["unaccounted"], 0) << row;
  }

  // A manual request for an older commit is planned, whatever the queue.
  const std::string first =
      RunCommand({"/usr/bin/git", "rev-list", "--max-parents=0", "HEAD"}, work.string()).out;
  fs::remove(dir_ / "github-output");
  o = RunSteps(plan, Scripts(plan), {{"PERFLEDGER_DB", db}, {"MANUAL_SHA", first.substr(0, 40)}});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string manual = Lines(GitHubOutput())[0];
  const nlohmann::json again = nlohmann::json::parse(manual.substr(manual.find('=') + 1));
  ASSERT_FALSE(again["include"].empty()) << again;
  for (const auto& job : again["include"]) {
    EXPECT_EQ(job["sha"], first.substr(0, 40));
    EXPECT_EQ(job["reason"], "manual");
  }
}

TEST_F(WorkflowTest, ExistingOutWithoutForceIsExit2AndLeavesTheFile) {
  const fs::path out = dir_ / "ci.yml";
  WriteText(out, "# ours\n");
  Outcome o = Init({"--out", "ci.yml"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.out, "");
  ASSERT_EQ(Lines(o.err).size(), 1u) << o.err;
  EXPECT_EQ(o.err.rfind("error: ci.yml", 0), 0u) << o.err;
  EXPECT_NE(o.err.find("--force"), std::string::npos) << o.err;
  EXPECT_EQ(ReadText(out), "# ours\n");

  o = Init({"--out", "ci.yml", "--force"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("ci.yml"), std::string::npos);
  EXPECT_TRUE(YAML::Load(ReadText(out))["jobs"]["collect"]);
}

TEST_F(WorkflowTest, BadPlatformNameIsExit2WithOneLine) {
  for (const std::string bad : {"linux x86", "mac$os", ".linux", ""}) {
    Outcome o = Init({"--platforms", "linux-x86_64", bad});
    EXPECT_EQ(o.exit_code, 2) << bad;
    ASSERT_EQ(Lines(o.err).size(), 1u) << o.err;
    EXPECT_EQ(o.err.rfind("error: --platforms: \"" + bad + "\"", 0), 0u) << o.err;
    EXPECT_FALSE(fs::exists(dir_ / ".github")) << bad;
  }
}

TEST_F(WorkflowTest, BadBranchIsExit2) {
  Outcome o = Init({"--branch", "main; rm -rf ~"});
  EXPECT_EQ(o.exit_code, 2);
  ASSERT_EQ(Lines(o.err).size(), 1u) << o.err;
  EXPECT_NE(o.err.find("--branch"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(dir_ / ".github"));
}

// The runner a bench job gets: the JSON object in its runs-on expression, by platform.
nlohmann::json RunnerMap(const YAML::Node& bench) {
  const std::string runs_on = bench["runs-on"].as<std::string>();
  const std::string open = "${{ fromJSON('", close = "')[matrix.platform] }}";
  EXPECT_EQ(runs_on.rfind(open, 0), 0u) << runs_on;
  EXPECT_EQ(runs_on.substr(runs_on.size() - close.size()), close) << runs_on;
  return nlohmann::json::parse(
      runs_on.substr(open.size(), runs_on.size() - open.size() - close.size()));
}

TEST_F(WorkflowTest, ThreePlatformsEachGetARunnerAndAPlanFlag) {
  YAML::Node w = Generate({"--platforms", "linux-x86_64", "macos-arm64", "windows-x86_64"});
  EXPECT_EQ(RunnerMap(w["jobs"]["bench"]), nlohmann::json::parse(R"({
      "linux-x86_64": "ubuntu-latest",
      "macos-arm64": "macos-latest",
      "windows-x86_64": "windows-latest"})"));
  EXPECT_EQ(StepsRunning(w["jobs"]["plan"],
                         "--platform linux-x86_64 --platform macos-arm64 --platform "
                         "windows-x86_64 ")
                .size(),
            1u);
}

TEST_F(WorkflowTest, OtherPlatformsRunSelfHostedAndCommasSeparateNames) {
  YAML::Node w = Generate({"--platforms", "gpu-box,linux-arm64", "gpu-box"});
  EXPECT_EQ(RunnerMap(w["jobs"]["bench"]), nlohmann::json::parse(R"({
      "gpu-box": ["self-hosted", "gpu-box"],
      "linux-arm64": "ubuntu-latest"})"));
}

TEST_F(WorkflowTest, StdoutPrintsTheWorkflowAndWritesNothing) {
  Outcome o = Init({"--stdout", "--platforms", "macos-arm64"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(fs::exists(dir_ / ".github"));
  YAML::Node w = YAML::Load(o.out);
  EXPECT_EQ(RunnerMap(w["jobs"]["bench"]),
            nlohmann::json::parse(R"({"macos-arm64":"macos-latest"})"));
  EXPECT_EQ(Init({"--stdout", "--out", "x.yml"}).exit_code, 2);
}

TEST_F(WorkflowTest, TheHeaderSaysHowToRegenerateTheSameFile) {
  Generate({"--platforms", "linux-x86_64", "gpu", "--branch", "trunk", "--out", kDefaultOut});
  const std::string first = text_;
  const std::vector<std::string> lines = Lines(first);
  ASSERT_GE(lines.size(), 2u);
  const std::string prefix = "#   perfledger ";
  ASSERT_EQ(lines[1].rfind(prefix, 0), 0u) << lines[1];
  std::vector<std::string> argv = {kBin};
  std::istringstream words(lines[1].substr(prefix.size()));
  for (std::string word; words >> word;) argv.push_back(word);
  Outcome o = RunCommand(argv, dir_.string());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(ReadText(dir_ / kDefaultOut), first);
}

TEST_F(WorkflowTest, InitAloneIsBadUsage) {
  Outcome o = RunCommand({kBin, "init"}, dir_.string());
  EXPECT_EQ(o.exit_code, 2);
  o = RunCommand({kBin, "init", "github-actions", "--help"}, dir_.string());
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.out.find("Example:"), std::string::npos);
}

}  // namespace
}  // namespace perfledger
