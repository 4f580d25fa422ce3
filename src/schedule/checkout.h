// Checkouts for agents: a commit's files in a directory of their own, made with libgit2 as a
// linked worktree of the repository (what `git worktree add --detach DIR SHA` makes), so the
// benchmarks see a real git checkout (build scripts may run `git describe`) and the
// repository's own working tree, index and HEAD are never touched. The repository gains the
// worktree's administrative files (.git/worktrees/NAME), as with `git worktree add`.
//
// A checkout is reused by the next job: its tracked files are forced to the new commit's (a
// file a benchmark changed is restored), untracked files such as build output are kept, so
// incremental builds stay incremental. Submodules are not checked out.
//
// libgit2's types stay in checkout.cc. Calls for different directories may run at once; two
// calls for the same directory must not.
#pragma once

#include <string>

#include "base/status.h"

namespace perfledger::schedule {

// Makes `dir` a worktree of the repository at `repo_path` (its top directory, no search
// upward), registered under `name` (letters, digits, '.', '_', '-'), with HEAD detached at
// commit `sha` (40 hex digits) and its files those of the commit. A commit the repository does
// not have is fetched from its remote "origin" first, when it has one. Errors, one line each:
// kInvalidInput for a repository path that is none, a commit not there (after the fetch), a
// `dir` that exists and is not a worktree of this repository; kIoError for a failed fetch;
// kInternal for libgit2's other failures.
base::Status CheckoutDetached(const std::string& repo_path, const std::string& sha,
                              const std::string& dir, const std::string& name);

// Removes the worktree registered under `name` (its directory and its administrative files),
// as `git worktree remove --force` does. A name not registered is not an error.
base::Status RemoveCheckout(const std::string& repo_path, const std::string& name);

}  // namespace perfledger::schedule
