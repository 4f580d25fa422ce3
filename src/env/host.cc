#include "env/host.h"

#include <sys/utsname.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string>

namespace perfledger::env {
namespace {

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::string(v) != "false" && std::string(v) != "0";
}

}  // namespace

HostInfo ReadHostInfo() {
  HostInfo h;
  struct utsname u;
  if (::uname(&u) == 0) {
    h.os = u.sysname;
    std::transform(h.os.begin(), h.os.end(), h.os.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    h.kernel = u.release;
    h.arch = u.machine;
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("model name")) {
      auto colon = line.find(':');
      if (colon != std::string::npos) h.cpu = Trim(line.substr(colon + 1));
      break;
    }
  }
#if defined(__APPLE__)
  // No /proc on macOS: "Apple M2", "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz".
  char brand[256] = {};
  size_t size = sizeof brand - 1;
  if (::sysctlbyname("machdep.cpu.brand_string", brand, &size, nullptr, 0) == 0) {
    h.cpu = Trim(brand);
  }
#endif
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  h.cores = cores > 0 ? cores : 0;
  long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) h.memory_bytes = static_cast<int64_t>(pages) * page_size;
  // The CI provider and the runner, from each provider's standard variables.
  struct Provider {
    const char* detect;
    const char* name;
    const char* runner;  // the variable naming the runner / agent
  };
  static constexpr Provider kProviders[] = {
      {"GITHUB_ACTIONS", "github-actions", "RUNNER_NAME"},
      {"GITLAB_CI", "gitlab-ci", "CI_RUNNER_DESCRIPTION"},
      {"BUILDKITE", "buildkite", "BUILDKITE_AGENT_NAME"},
      {"CIRCLECI", "circleci", "CIRCLE_NODE_INDEX"},
      {"TF_BUILD", "azure-pipelines", "AGENT_NAME"},
      {"JENKINS_URL", "jenkins", "NODE_NAME"},
  };
  for (const Provider& p : kProviders) {
    if (!EnvSet(p.detect)) continue;
    h.provider = p.name;
    if (const char* runner = std::getenv(p.runner); runner != nullptr && *runner != '\0') {
      h.runner = runner;
    }
    break;
  }
  // CI when $CI says so or a provider is detected (Jenkins sets no $CI); a local run never is.
  h.ci = EnvSet("CI") || h.provider.has_value();
  return h;
}

}  // namespace perfledger::env
