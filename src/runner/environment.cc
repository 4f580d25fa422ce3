#include "runner/environment.h"

#include "core/platform_name.h"

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
  return core::CanonicalPlatform(host.arch, host.os);
}

}  // namespace perfledger::runner
