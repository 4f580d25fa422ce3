// The commit source: a branch's history read from a real git repository with libgit2.
// libgit2's types stay inside commit_source.cc.
//
// Every call opens the repository afresh and keeps nothing, so calls may run on any threads at
// once. The path must be the repository itself (its working tree or its git directory): no
// search upward, so a wrong path is an error rather than some enclosing repository. Linked
// worktrees, alternates and shallow clones are read; a shallow clone's history simply starts
// at its boundary.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "schedule/planner.h"

namespace perfledger::schedule {

struct ReadOptions {
  // Branch name ("main", "origin/main", "refs/heads/main"); empty: the repository's HEAD.
  std::string branch;
  // Follow only first parents (the default): the branch's own line of history, where a merge
  // stands for the commits it brought in.
  bool first_parent = true;
};

struct BranchHistory {
  std::string branch;  // as resolved, e.g. "refs/heads/main" ("HEAD" when HEAD is detached)
  // Oldest first; the last one is the branch head. Every commit comes after its parents; in a
  // full history a merge's side-branch commits come right before the merge.
  std::vector<BranchCommit> commits;
};

// Reads the branch's history. A commit's time is its committer time (whole seconds), its
// subject what `git log --format=%s` prints, its parents all of them (a merge's first parent
// first), even when the walk follows only the first. Errors (kInvalidInput, exit 2), one line
// each: "<path>: no such directory", "<path>: not a git repository",
// "<path>: no branch 'x' (known: dev, main)" (local branches, sorted; "none" when there are
// none), "<path>: branch 'main' has no commits". A damaged repository (a missing or malformed
// object) is kInternal.
base::Result<BranchHistory> ReadBranch(const std::string& repo_path, const ReadOptions& options);

// Brings branch `branch` of the repository up to date with its remote "origin", when it has
// one (a server's own clone: `git clone --mirror URL`): fetches origin's branch into the local
// branch of that name (forced, as a mirror does). Returns whether there was a remote to fetch
// from. A repository without "origin" is left as it is (false). Fetch errors (an unreachable
// remote) are kIoError naming the remote's URL.
base::Result<bool> FetchBranch(const std::string& repo_path, const std::string& branch);

// The URL of the repository's remote "origin" as configured (remote.origin.url), or none when
// it has no origin. Errors as ReadBranch's.
base::Result<std::optional<std::string>> OriginUrl(const std::string& repo_path);

// Resolves a full or abbreviated (>= 4 hex digits) commit id, or any revision git accepts
// ("HEAD~3", a tag), to the full 40-digit sha. kInvalidInput, one line each:
// "<path>: no commit 'x'", "<path>: 'abcd' is ambiguous", "<path>: 'x' is not a commit"
// (a tree or a blob), and the repository errors of ReadBranch.
base::Result<std::string> ResolveCommit(const std::string& repo_path, const std::string& rev);

// The best common ancestor of two commits (full shas or revisions), as `git merge-base` finds
// it; nullopt when they share no history. Errors as ResolveCommit.
base::Result<std::optional<std::string>> MergeBase(const std::string& repo_path,
                                                   const std::string& a, const std::string& b);

struct CommitDescription {
  std::string sha;
  std::optional<std::string> branch;  // the branch HEAD is on, when `rev` is HEAD
  base::Timestamp time;               // committer time
  std::string subject;
  std::string repo_root;  // the working tree's top directory ("" for a bare repository)
};

// Describes `rev` in the repository that contains `path` (searching upward, as git does):
// for a run's commit when no --commit is given. kInvalidInput when `path` is in no
// repository or `rev` is unknown.
base::Result<CommitDescription> DescribeCommit(const std::string& path,
                                               const std::string& rev = "HEAD");

}  // namespace perfledger::schedule
