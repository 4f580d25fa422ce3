// The catalog documents: projects, platforms (with their epochs) and a page of runs, as
// GET /api/v1/projects, /platforms and /runs serve them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/store.h"

namespace perfledger::service {

// Where the repository's commits are shown on the web, for the dashboard's commit links.
struct RepositoryLinks {
  std::optional<std::string> url;         // https://github.com/o/r
  std::optional<std::string> commit_url;  // https://github.com/o/r/commit/{sha}
};

// The links of a repository given by its web address (--repo-url https://github.com/o/r) or a
// git remote's URL (git@github.com:o/r.git, https://github.com/o/r.git, ssh://git@host/o/r.git,
// git://host/o/r): its https address (http kept when given) without credentials, port (ssh),
// trailing ".git" or "/"; commits at /commit/{sha} (GitLab: /-/commit/{sha}, Bitbucket:
// /commits/{sha}). kInvalidInput naming --repo-url for anything else (a local path, file://).
base::Result<RepositoryLinks> RepositoryLinksOf(std::string_view url);

// The links `serve` and `publish` expose: those of `repo_url` when given, else those of the
// "origin" remote of the repository at `repo` when given and it has one on a web host (none
// for a local path), else none. Errors: a bad `repo_url`, an unreadable repository.
base::Result<RepositoryLinks> RepositoryLinksFor(const std::string& repo_url,
                                                 const std::string& repo);

// {"projects": [{"name", "runs", "platforms", "latest_run_at"}], "repository_url": str|null,
//  "commit_url": str|null} (the commit page with "{sha}" for the full sha).
base::Result<std::string> ProjectsDocument(store::Store& store, const RepositoryLinks& links = {});

// {"platforms": [{"name", "runs", "latest_run", "epochs": [...]}]}, of `project` when given.
base::Result<std::string> PlatformsDocument(store::Store& store,
                                            const std::optional<std::string>& project);

struct RunsRequest {
  store::RunFilter runs;
  int64_t limit = 100;
  int64_t offset = 0;  // from the newest
};

// {"total", "runs": [...]}: newest first; an offset past the end is an empty page.
base::Result<std::string> RunsDocument(store::Store& store, const RunsRequest& request);

}  // namespace perfledger::service
