#include "cli/run_metadata.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/platform_name.h"
#include "env/host.h"
#include "schedule/commit_source.h"

namespace perfledger::cli {
namespace {

// Whether the store the verbs use holds runs under `platform`; false when there is none (an
// unopenable store is no reason to fail a measurement).
bool StoreHoldsPlatform(const Shell& shell, const std::string& platform) {
  auto store = shell.OpenStore(/*create=*/false);
  if (!store.ok()) return false;
  auto platforms = (*store)->Platforms();
  return platforms.ok() &&
         std::find(platforms->begin(), platforms->end(), platform) != platforms->end();
}

// "scratch" for /home/me/scratch; "scratch" too where the directory has no name (/).
std::string WorkingDirectoryName() {
  std::error_code ec;
  std::string name = std::filesystem::current_path(ec).filename().string();
  return ec || name.empty() ? "scratch" : name;
}

}  // namespace

void RunMetadataOptions::AddTo(CLI::App* cmd, bool with_suite_name) {
  cmd->add_option("--platform", platform,
                  "Platform label, arch-os (default: this machine's, e.g. x86-64-linux)");
  cmd->add_option("--commit", commit,
                  "Commit measured (default: HEAD of the repository here; outside one, unknown: "
                  "ingest refuses the artifact)");
  cmd->add_option("--project", project,
                  "Project name (default: the repository's name, else the directory's)");
  cmd->add_option("--reason", reason, "Why it ran: " + core::ReasonList() + " (default push)");
  cmd->add_option("--range-from", range_from,
                  "The previous measured commit: the run stands for (FROM, commit] (a plan "
                  "job's commit_range.from)");
  cmd->add_option("--range-count", range_count, "Commits the run stands for (default 1)")
      ->check(CLI::PositiveNumber);
  if (!with_suite_name) return;
  cmd->add_option("--suite", suite, "Suite name");
  cmd->add_option("--suite-revision", suite_revision, "Suite revision");
}

service::RunMetadata RunMetadataOptions::Metadata(const Shell& shell) const {
  service::RunMetadata m;
  m.platform = platform.empty() ? platform : ResolvePlatformName(platform, "--platform", shell);
  m.commit = commit;
  m.project = project;
  m.reason = reason;
  m.suite = suite;
  m.range_from = range_from;
  m.suite_revision = suite_revision;
  m.range_count = range_count;
  if (!commit.empty() && !project.empty()) return m;
  auto described = schedule::DescribeCommit(m.repo, commit.empty() ? "HEAD" : commit);
  if (described.ok() && !described->repo_root.empty()) return m;  // NewRun fills both in
  std::string why = described.ok() ? "a bare repository here" : "no git repository here";
  if (!described.ok() && described.status().message().find("repository") == std::string::npos) {
    why = "no commit to describe here";  // a repository without commits, say
  }
  std::vector<std::string> fallbacks;
  if (commit.empty() && !described.ok()) {
    m.commit = std::string(core::kUnknownCommit);
    fallbacks.push_back("commit unknown (ingest refuses the artifact; pass --commit SHA)");
  }
  if (project.empty()) {
    m.project = WorkingDirectoryName();
    fallbacks.push_back(fmt::format("project '{}' from the directory name", m.project));
  }
  if (!fallbacks.empty()) {
    std::string list;
    for (const auto& f : fallbacks) list += (list.empty() ? "" : "; ") + f;
    fmt::print(stderr, "note: {}: {}\n", why, list);
  }
  return m;
}

std::string ResolvePlatformName(const std::string& name, std::string_view flag,
                                const Shell& shell) {
  const std::optional<std::string> canonical = core::CanonicalPlatformOfAlias(name);
  if (!canonical) return name;
  if (env::ReadHostInfo().ci) {
    fmt::print(stderr,
               "note: {} {}: kept as given on CI (an existing series keeps its name); perfledger "
               "names new platforms arch-os, like {}\n",
               flag, name, *canonical);
    return name;
  }
  if (StoreHoldsPlatform(shell, name)) {
    fmt::print(stderr,
               "note: {} {}: kept as given, the store ({}) holds runs under it; perfledger names "
               "new platforms arch-os, like {}\n",
               flag, name, shell.db, *canonical);
    return name;
  }
  fmt::print(stderr, "note: {} {}: perfledger names platforms arch-os: using {}\n", flag, name,
             *canonical);
  return *canonical;
}

}  // namespace perfledger::cli
