#include "subprocess.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace perfledger::subprocess {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

[[noreturn]] void Exec(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  std::perror("execv");
  _exit(127);
}

}  // namespace

pid_t Start(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    Exec(argv);
  }
  return pid;
}

Outcome Wait(pid_t pid) {
  Outcome o;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  return o;
}

const std::map<std::string, std::string>& LocalMachineEnv() {
  static const std::map<std::string, std::string> env = {
      {"CI", ""},       {"GITHUB_ACTIONS", ""}, {"GITLAB_CI", ""},   {"BUILDKITE", ""},
      {"CIRCLECI", ""}, {"TF_BUILD", ""},       {"JENKINS_URL", ""},
  };
  return env;
}

Outcome RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
                   const std::map<std::string, std::string>& env) {
  char out_tmpl[] = "/tmp/perfledger-out-XXXXXX";
  char err_tmpl[] = "/tmp/perfledger-err-XXXXXX";
  close(mkstemp(out_tmpl));
  close(mkstemp(err_tmpl));
  pid_t pid = fork();
  if (pid == 0) {
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : env) {
      if (v.empty()) {
        unsetenv(k.c_str());
      } else {
        setenv(k.c_str(), v.c_str(), 1);
      }
    }
    int out = open(out_tmpl, O_WRONLY | O_TRUNC);
    int err = open(err_tmpl, O_WRONLY | O_TRUNC);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    Exec(argv);
  }
  Outcome o = Wait(pid);
  o.out = Slurp(out_tmpl);
  o.err = Slurp(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return o;
}

}  // namespace perfledger::subprocess
