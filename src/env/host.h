// What this machine is: the facts an environment fingerprint is made of, read from the OS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace perfledger::env {

struct HostInfo {
  std::string os;      // "linux"
  std::string kernel;  // "6.1.0-13-amd64"
  std::string arch;    // "x86_64"
  std::string cpu;     // "AMD EPYC 7763 64-Core Processor", empty when unknown
  int64_t cores = 0;
  int64_t memory_bytes = 0;
  bool ci = false;  // $CI is set (not "false"/"0"), or a CI provider is detected
  std::optional<std::string> provider;  // "github-actions", "gitlab-ci", ... when detected
  std::optional<std::string> runner;    // the provider's runner / agent name, when it says
};

HostInfo ReadHostInfo();

}  // namespace perfledger::env
