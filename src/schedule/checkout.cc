// How an agent's checkout is made. The first time: a temporary branch at the commit is made,
// git_worktree_add checks it out into the directory, HEAD is detached there and the branch is
// deleted again (libgit2 1.5 adds a worktree only on a branch). Every time: the commit's tree
// is checked out over the worktree with GIT_CHECKOUT_FORCE (tracked files made the commit's,
// untracked ones kept), then HEAD is detached at the commit.
//
// A commit the repository lacks is fetched from "origin" with its default refspecs (what `git
// fetch origin` does); one that is still missing (a pull request's head that no branch has) is
// asked for by its id, which servers that allow fetching reachable commits by id answer.
#include "schedule/checkout.h"

#include <fmt/format.h>
#include <git2.h>

#include <filesystem>
#include <memory>
#include <string_view>

#include "schedule/git_origin.h"

namespace perfledger::schedule {
namespace {

namespace fs = std::filesystem;

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Freer<T, Free>>;

using Repository = Owned<git_repository, git_repository_free>;
using Reference = Owned<git_reference, git_reference_free>;
using Commit = Owned<git_commit, git_commit_free>;
using Worktree = Owned<git_worktree, git_worktree_free>;
using Remote = Owned<git_remote, git_remote_free>;

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

base::Status GitFailure(const std::string& path, std::string_view what) {
  return base::Internal(fmt::format("{}: {}: {}", path, what, LastGitError()));
}

base::Status InitLibgit2() {
  // As in commit_source.cc: initialised once per process, never shut down.
  static const int kInit = git_libgit2_init();
  if (kInit < 0) return base::Internal("cannot initialise libgit2: " + LastGitError());
  return base::Status::Ok();
}

base::Result<Repository> Open(const std::string& path, unsigned flags) {
  RETURN_IF_ERROR(InitLibgit2());
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return base::InvalidInput(path + ": no such directory");
  git_repository* raw = nullptr;
  const int rc = git_repository_open_ext(&raw, path.c_str(), flags, nullptr);
  Repository repo(raw);
  if (rc == GIT_ENOTFOUND) return base::InvalidInput(path + ": not a git repository");
  if (rc == GIT_EOWNER) return base::InvalidInput(path + ": " + LastGitError());
  if (rc < 0) return GitFailure(path, "cannot open the repository");
  return repo;
}

bool SameDirectory(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

base::Status Fetch(const std::string& repo_path, git_repository* repo, const git_oid& id,
                   bool* fetched) {
  ASSIGN_OR_RETURN(git_remote * raw, OpenOrigin(repo, repo_path));
  if (raw == nullptr) return base::Status::Ok();
  Remote remote(raw);
  *fetched = true;
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  // The branches as a clone keeps them (origin's remote-tracking refs).
  char branches[] = "+refs/heads/*:refs/remotes/origin/*";
  char* branch_specs[] = {branches};
  const git_strarray branch_refspecs = {branch_specs, 1};
  if (git_remote_fetch(remote.get(), &branch_refspecs, &options, "perfledger agent: fetch") < 0) {
    return base::IoError(fmt::format("{}: cannot fetch from origin ({}): {}", repo_path,
                                     git_remote_url(remote.get()), LastGitError()));
  }
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo) < 0) return GitFailure(repo_path, "cannot open the objects");
  const bool have = git_odb_exists(odb, &id) == 1;
  git_odb_free(odb);
  if (have) return base::Status::Ok();
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &id);
  char* specs[] = {hex};
  const git_strarray refspecs = {specs, 1};
  // Refused by servers that do not serve unadvertised commits: then the commit is not there.
  (void)git_remote_fetch(remote.get(), &refspecs, &options, "perfledger agent: fetch");
  return base::Status::Ok();
}

base::Result<Commit> LookupCommit(const std::string& repo_path, git_repository* repo,
                                  const std::string& sha) {
  git_oid id;
  if (sha.size() != GIT_OID_HEXSZ || git_oid_fromstr(&id, sha.c_str()) < 0) {
    return base::InvalidInput(fmt::format("'{}' is not a 40-digit commit sha", sha));
  }
  bool fetched = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    git_commit* raw = nullptr;
    const int rc = git_commit_lookup(&raw, repo, &id);
    Commit commit(raw);
    if (rc == 0) return commit;
    if (rc != GIT_ENOTFOUND) return GitFailure(repo_path, "cannot read commit " + sha);
    if (attempt == 0) RETURN_IF_ERROR(Fetch(repo_path, repo, id, &fetched));
  }
  return base::InvalidInput(fmt::format("{}: no commit {}{}", repo_path, sha,
                                        fetched ? " (not even after fetching origin)"
                                                : " (and no remote 'origin' to fetch it from)"));
}

// Whether worktree `name` is registered (libgit2 1.5's lookup fails without saying why when
// it is not).
bool Registered(git_repository* repo, const std::string& name) {
  std::error_code ec;
  return fs::is_directory(fs::path(git_repository_commondir(repo)) / "worktrees" / name, ec);
}

// Drops the registration of worktree `name` when its directory is gone (removed by hand).
base::Status PruneStale(const std::string& repo_path, git_repository* repo,
                        const std::string& name) {
  if (!Registered(repo, name)) return base::Status::Ok();
  git_worktree* raw = nullptr;
  Worktree wt(git_worktree_lookup(&raw, repo, name.c_str()) == 0 ? raw : nullptr);
  if (wt == nullptr) return GitFailure(repo_path, "cannot look up worktree " + name);
  if (git_worktree_validate(wt.get()) == 0) {
    return base::InvalidInput(fmt::format(
        "{}: worktree {} is registered at {}; remove it (git worktree remove --force {}) or "
        "choose another agent --name",
        repo_path, name, git_worktree_path(wt.get()), git_worktree_path(wt.get())));
  }
  git_worktree_prune_options options = GIT_WORKTREE_PRUNE_OPTIONS_INIT;
  if (git_worktree_prune(wt.get(), &options) < 0) {
    return GitFailure(repo_path, "cannot prune the stale worktree " + name);
  }
  return base::Status::Ok();
}

// Adds `dir` as worktree `name`, checked out at `commit` (HEAD still on the temporary branch).
base::Status AddWorktree(const std::string& repo_path, git_repository* repo, git_commit* commit,
                         const std::string& dir, const std::string& name) {
  RETURN_IF_ERROR(PruneStale(repo_path, repo, name));
  std::error_code ec;
  fs::create_directories(fs::path(dir).parent_path(), ec);
  if (ec)
    return base::IoError(fmt::format("{}: {}", fs::path(dir).parent_path().string(), ec.message()));
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      return base::InvalidInput(fmt::format(
          "{}: exists and is not a worktree of {}; remove it or choose another agent --name", dir,
          repo_path));
    }
    fs::remove(dir, ec);  // git_worktree_add makes the directory itself
  }
  const std::string branch = "perfledger-agent-tmp-" + name;
  git_reference* raw_ref = nullptr;
  if (git_branch_create(&raw_ref, repo, branch.c_str(), commit, /*force=*/1) < 0) {
    return GitFailure(repo_path, "cannot make the temporary branch " + branch);
  }
  Reference ref(raw_ref);
  git_worktree_add_options options = GIT_WORKTREE_ADD_OPTIONS_INIT;
  options.ref = ref.get();
  options.checkout_options.checkout_strategy = GIT_CHECKOUT_FORCE;
  git_worktree* raw_wt = nullptr;
  const int rc = git_worktree_add(&raw_wt, repo, name.c_str(), dir.c_str(), &options);
  Worktree wt(raw_wt);
  if (rc < 0) {
    base::Status failed = GitFailure(repo_path, "cannot add worktree " + dir);
    (void)git_reference_delete(ref.get());
    return failed;
  }
  return base::Status::Ok();
}

}  // namespace

base::Status CheckoutDetached(const std::string& repo_path, const std::string& sha,
                              const std::string& dir, const std::string& name) {
  ASSIGN_OR_RETURN(Repository repo, Open(repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH));
  ASSIGN_OR_RETURN(Commit commit, LookupCommit(repo_path, repo.get(), sha));

  std::error_code ec;
  const bool fresh = !fs::exists(fs::path(dir) / ".git", ec);
  if (fresh) RETURN_IF_ERROR(AddWorktree(repo_path, repo.get(), commit.get(), dir, name));
  ASSIGN_OR_RETURN(Repository wt, Open(dir, GIT_REPOSITORY_OPEN_NO_SEARCH));
  if (!SameDirectory(git_repository_commondir(wt.get()), git_repository_commondir(repo.get()))) {
    return base::InvalidInput(fmt::format(
        "{}: is a checkout of another repository than {}; remove it or choose another agent "
        "--name",
        dir, repo_path));
  }
  // The commit as the worktree's handle reads it (libgit2 refuses another handle's objects).
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, wt.get(), git_commit_id(commit.get())) < 0) {
    return GitFailure(dir, "cannot read commit " + sha);
  }
  Commit target(raw_commit);
  git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
  options.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_RECREATE_MISSING;
  if (git_checkout_tree(wt.get(), reinterpret_cast<const git_object*>(target.get()), &options) <
      0) {
    return GitFailure(dir, "cannot check out " + sha);
  }
  if (git_repository_set_head_detached(wt.get(), git_commit_id(target.get())) < 0) {
    return GitFailure(dir, "cannot detach HEAD at " + sha);
  }
  // Also left over by an agent that died between the two steps.
  git_reference* raw = nullptr;
  const std::string branch = "perfledger-agent-tmp-" + name;
  if (git_branch_lookup(&raw, repo.get(), branch.c_str(), GIT_BRANCH_LOCAL) == 0) {
    Reference ref(raw);
    // git_reference_delete, not git_branch_delete: the branch has no configuration to drop,
    // and libgit2 1.5's config matching leaks pcre2 match data (LeakSanitizer finds it).
    if (git_reference_delete(ref.get()) < 0) {
      return GitFailure(repo_path, "cannot delete the temporary branch " + branch);
    }
  }
  return base::Status::Ok();
}

base::Status RemoveCheckout(const std::string& repo_path, const std::string& name) {
  ASSIGN_OR_RETURN(Repository repo, Open(repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH));
  if (!Registered(repo.get(), name)) return base::Status::Ok();
  git_worktree* raw = nullptr;
  Worktree wt(git_worktree_lookup(&raw, repo.get(), name.c_str()) == 0 ? raw : nullptr);
  if (wt == nullptr) return GitFailure(repo_path, "cannot look up worktree " + name);
  git_worktree_prune_options options = GIT_WORKTREE_PRUNE_OPTIONS_INIT;
  options.flags =
      GIT_WORKTREE_PRUNE_VALID | GIT_WORKTREE_PRUNE_LOCKED | GIT_WORKTREE_PRUNE_WORKING_TREE;
  if (git_worktree_prune(wt.get(), &options) < 0) {
    return GitFailure(repo_path, "cannot remove worktree " + name);
  }
  return base::Status::Ok();
}

}  // namespace perfledger::schedule
