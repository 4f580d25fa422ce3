// GitRepo: a real git repository in a fresh temporary directory, for tests that need history
// with chosen shapes and committer times (linear, merges, force-pushed branches).
//
// The repository is made with libgit2 only (no `git` program is needed) with "main" as its
// default branch and starts with no commits. Commits go to the checked-out branch; the index
// and the working tree follow it, so `git status` in a kept repository is clean. The author
// and committer are fixed and only the given time varies, so the same calls always give the
// same shas. Git stores whole seconds: a time's sub-second part is dropped.
//
// The directory is removed by the destructor, unless the environment variable
// PERFLEDGER_KEEP_TMP is set (then its path is printed to stderr for a post-mortem).
//
// Failures are bugs in the test: every method throws std::runtime_error with libgit2's message,
// which GoogleTest reports as a failure of the test that called it. Not thread-safe; one
// GitRepo per thread is fine.
#pragma once

#include <memory>
#include <string>

#include "base/time.h"

namespace perfledger::testing {

class GitRepo {
 public:
  GitRepo();
  ~GitRepo();
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // The working tree's directory (the repository is `path()/.git`).
  const std::string& path() const;

  // Commits on the current branch, after its head (or as its first commit), with `message` as
  // the whole commit message (its first line is the subject). Changes a file, so every commit
  // has a tree of its own. Returns the commit's 40-digit sha.
  std::string Commit(const std::string& message, base::Timestamp time);

  // A merge commit on the current branch whose parents are the branch's head and then
  // `other_branch`'s head. Its tree is the current branch's, with the same one-file change as
  // Commit (no content is merged: the tests care about history, not files).
  std::string Merge(const std::string& message, base::Timestamp time,
                    const std::string& other_branch);

  // Writes `contents` to the file `relative` in the working tree (making its directories) and
  // stages it: the next Commit or Merge includes it.
  void AddFile(const std::string& relative, const std::string& contents);

  // Creates branch `name` at the current head (which must have a commit).
  void Branch(const std::string& name);

  // Makes `name` the current branch: later commits go there.
  void Checkout(const std::string& name);

  // Moves `branch` to `sha`, as a force-push that rewrites history does. When it is the
  // current branch, the index and working tree follow.
  void ResetHard(const std::string& branch, const std::string& sha);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfledger::testing
