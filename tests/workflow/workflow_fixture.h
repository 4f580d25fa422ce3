// The fixture of the workflow tests: `perfledger init github-actions` run as a user runs it,
// the file it writes parsed as YAML, and the `run` scripts of its steps run with bash as GitHub
// runs them (`shell: bash`), against a fake perfledger that logs its arguments or against the
// real binary.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "subprocess.h"

namespace perfledger::workflow_testing {

namespace fs = std::filesystem;
using subprocess::Outcome;
using subprocess::RunCommand;

inline const std::string kBin = PERFLEDGER_BIN;
inline const std::string kDefaultOut = ".github/workflows/benchmarks.yml";
inline const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

inline std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The steps of a job whose `run` script contains `needle`, by index.
inline std::vector<size_t> StepsRunning(const YAML::Node& job, const std::string& needle) {
  std::vector<size_t> found;
  for (size_t i = 0; i < job["steps"].size(); ++i) {
    const YAML::Node run = job["steps"][i]["run"];
    if (run && run.as<std::string>().find(needle) != std::string::npos) found.push_back(i);
  }
  return found;
}

// Every step of a job that runs a script, in order.
inline std::vector<size_t> Scripts(const YAML::Node& job) {
  std::vector<size_t> found;
  for (size_t i = 0; i < job["steps"].size(); ++i) {
    if (job["steps"][i]["run"]) found.push_back(i);
  }
  return found;
}

// The first step of a job that uses `action`; nullopt when none does.
inline std::optional<YAML::Node> StepUsing(const YAML::Node& job, const std::string& action) {
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

  // Runs the `run` scripts of `steps` in order, as GitHub does with `shell: bash`, in `work`
  // (default: a work folder under the test's directory); stops at the first failing one and
  // returns it (a step with `continue-on-error: true` does not stop the job, as on GitHub).
  // GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are files beside the work folder unless
  // `env` names others.
  Outcome RunSteps(const YAML::Node& job, const std::vector<size_t>& steps,
                   std::map<std::string, std::string> env, fs::path work = {}) {
    if (work.empty()) work = dir_ / "work";
    fs::create_directories(work);
    env["PATH"] = (dir_ / "bin").string() + ":" + std::getenv("PATH");
    env["PERFLEDGER_LOG"] = log_.string();
    env.emplace("GITHUB_OUTPUT", (dir_ / "github-output").string());
    env.emplace("GITHUB_STEP_SUMMARY", (dir_ / "step-summary.md").string());
    env.emplace("RUNNER_TEMP", dir_.string());
    Outcome o;
    for (size_t i : steps) {
      o = RunCommand(
          {"/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", Script(job, i)},
          work.string(), env);
      const YAML::Node tolerate = job["steps"][i]["continue-on-error"];
      if (o.exit_code != 0 && !(tolerate && tolerate.as<bool>())) return o;
    }
    return o;
  }

  static std::string Script(const YAML::Node& job, size_t step) {
    return job["steps"][step]["run"].as<std::string>();
  }

  // git with a fixed identity, in `cwd`.
  static Outcome Git(std::vector<std::string> args, const fs::path& cwd,
                     std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "/usr/bin/git");
    env.emplace("GIT_AUTHOR_NAME", "a");
    env.emplace("GIT_AUTHOR_EMAIL", "a@example.com");
    env.emplace("GIT_COMMITTER_NAME", "a");
    env.emplace("GIT_COMMITTER_EMAIL", "a@example.com");
    return RunCommand(args, cwd.string(), env);
  }

  // A repository in `work` with `commits` commits on main, one a minute from 2024-01-01
  // 10:00, pushed to a bare repository (dir_/origin.git) that is its `origin`.
  void MakeRepoWithOrigin(const fs::path& work, int commits) {
    fs::create_directories(work);
    ASSERT_EQ(
        Git({"init", "-q", "--bare", "-b", "main", (dir_ / "origin.git").string()}, dir_).exit_code,
        0);
    ASSERT_EQ(Git({"init", "-q", "-b", "main"}, work).exit_code, 0);
    for (int i = 0; i < commits; ++i) {
      const std::string date =
          "2024-01-01T10:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ":00Z";
      ASSERT_EQ(Git({"commit", "-q", "--allow-empty", "-m", "c" + std::to_string(i)}, work,
                    {{"GIT_AUTHOR_DATE", date}, {"GIT_COMMITTER_DATE", date}})
                    .exit_code,
                0);
    }
    ASSERT_EQ(Git({"remote", "add", "origin", (dir_ / "origin.git").string()}, work).exit_code, 0);
    ASSERT_EQ(Git({"push", "-q", "origin", "main"}, work).exit_code, 0);
  }

  // bin/gh: a stand-in for GitHub's artifact API (GitHub itself cannot run here) with the
  // same output as `gh api`: the listing the workflow asks for prints $GH_LISTING's lines
  // ("<artifact id> <workflow run id>"), an artifact's zip is $GH_ZIPS/<id>.zip; `gh pr
  // comment` appends its arguments and body to $GH_COMMENTS.
  void InstallFakeGh() {
    fs::path fake = dir_ / "bin" / "gh";
    WriteText(
        fake,
        "#!/bin/bash\n"
        "if [ \"$1 $2\" = 'pr comment' ]; then\n"
        "  echo \"$*\" >> \"$GH_COMMENTS\"\n"
        "  while [ $# -gt 0 ]; do\n"
        "    if [ \"$1\" = --body-file ]; then cat \"$2\" >> \"$GH_COMMENTS\"; fi\n"
        "    shift\n"
        "  done\n"
        "  exit 0\n"
        "fi\n"
        "[ \"$1\" = api ] || { echo \"gh stand-in: only 'gh api', 'gh pr comment'\" >&2; exit 1; "
        "}\n"
        "case \"$*\" in\n"
        "  *actions/artifacts\\?*) cat \"${GH_LISTING:-/dev/null}\" ;;\n"
        "  *actions/artifacts/*/zip) id=${2%/zip}; id=${id##*/}; cat \"$GH_ZIPS/$id.zip\" ;;\n"
        "  *) echo \"gh stand-in: unexpected $*\" >&2; exit 1 ;;\n"
        "esac\n");
    fs::permissions(fake, fs::perms::owner_all);
  }

  std::vector<std::string> Calls() { return Lines(ReadText(log_)); }
  std::string GitHubOutput() { return ReadText(dir_ / "github-output"); }

  fs::path dir_, log_;
  std::string text_;
};

}  // namespace perfledger::workflow_testing
