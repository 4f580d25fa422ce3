// Running the built perfledger binary as a user would, for the cross-layer tests.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace perfledger::subprocess {

struct Outcome {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

// Runs argv[0] with arguments, in `cwd` when not empty, with extra environment variables
// (an empty value unsets one). Waits for it.
Outcome RunCommand(const std::vector<std::string>& argv, const std::string& cwd = "",
                   const std::map<std::string, std::string>& env = {});

// Unsets every variable by which perfledger recognises a CI runner, so a test that means a
// local run gets one even when the test suite itself runs on CI.
const std::map<std::string, std::string>& LocalMachineEnv();

// Starts a process with stdout and stderr sent to files; returns its pid.
pid_t Start(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path);

// Waits for pid; fills exit_code or signal.
Outcome Wait(pid_t pid);

}  // namespace perfledger::subprocess
