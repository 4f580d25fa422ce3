#include "runner/environment.h"

#include <algorithm>

namespace perfledger::runner {

core::Environment HostEnvironment(const env::HostInfo& host) {
  core::Environment e;
  e.ci = host.ci;
  e.provider = host.provider;
  e.os = host.os;
  e.kernel = host.kernel;
  e.arch = host.arch;
  if (!host.cpu.empty()) e.cpu = host.cpu;
  if (host.cores > 0) e.cores = host.cores;
  if (host.memory_bytes > 0) e.memory_bytes = host.memory_bytes;
  return e;
}

std::string HostPlatform(const env::HostInfo& host) {
  std::string label = host.arch + "-" + host.os;
  std::replace(label.begin(), label.end(), '_', '-');
  return label;
}

}  // namespace perfledger::runner
