// How the commit source reads git. libgit2 opens the repository (never searching upward, so a
// wrong path is an error rather than some enclosing repository), the branch is resolved to a
// reference and peeled to its head commit, and the history is walked from there.
//
// The walk is ours rather than git_revwalk's. First-parent: follow parent 0 from the head, then
// reverse. Full: a depth-first post-order from the head, which puts every parent before its
// children and a merge's side-branch commits right before the merge. Both end cleanly at a
// shallow clone's boundary (CI's usual checkout), where libgit2 1.5's revwalk fails on the
// missing parent.
//
// Reading objects. A long walk reads each commit once, and that is nearly all of its cost.
// libgit2's object database re-hashes every object it reads and keeps it in a cache that a
// fresh repository handle per call never reuses; measured on 100,000 commits, those two double
// the time of the read itself. So CommitReader asks the repository's pack and loose-object
// back ends (the same libgit2 code the object database uses) directly, and anything they do not
// have (objects behind an alternate, a pack written since the walk began) comes through the
// object database as usual. The raw text is parsed here rather than by git_commit_lookup: we
// need three fields of it, and the subject is made as `git log --format=%s` makes it.
#include "schedule/commit_source.h"

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "schedule/git_origin.h"

namespace perfledger::schedule {
namespace {

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Freer<T, Free>>;

using Repository = Owned<git_repository, git_repository_free>;
using Reference = Owned<git_reference, git_reference_free>;
using Object = Owned<git_object, git_object_free>;
using Odb = Owned<git_odb, git_odb_free>;
using OdbObject = Owned<git_odb_object, git_odb_object_free>;
using BranchIterator = Owned<git_branch_iterator, git_branch_iterator_free>;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

base::Status GitFailure(const std::string& path, std::string_view what) {
  return base::Internal(path + ": " + std::string(what) + ": " + LastGitError());
}

base::Status InitLibgit2() {
  // libgit2 is initialised once per process and never shut down: the commit source may be
  // used from any thread at any time. A function-local static makes this thread-safe.
  static const int kInit = git_libgit2_init();
  if (kInit < 0) return base::Internal("cannot initialise libgit2: " + LastGitError());
  return base::Status::Ok();
}

std::string OidHex(const git_oid& id) {
  std::string hex(GIT_OID_HEXSZ, '0');
  git_oid_fmt(hex.data(), &id);
  return hex;
}

struct OidHash {
  size_t operator()(const git_oid& id) const {
    size_t h;  // the id is a cryptographic hash: any of its bytes make a good hash
    std::memcpy(&h, id.id, sizeof h);
    return h;
  }
};
struct OidEqual {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b); }
};

base::Result<Repository> OpenRepository(const std::string& path, bool search_upward = false) {
  RETURN_IF_ERROR(InitLibgit2());
  if (path.empty()) return base::InvalidInput("the repository path is empty");
  std::error_code ec;
  if (std::filesystem::status(path, ec).type() == std::filesystem::file_type::not_found) {
    return base::InvalidInput(path + ": no such directory");
  }
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(
      &raw, path.c_str(), search_upward ? 0u : unsigned{GIT_REPOSITORY_OPEN_NO_SEARCH}, nullptr);
  Repository repo(raw);
  if (rc == GIT_ENOTFOUND) return base::InvalidInput(path + ": not a git repository");
  if (rc == GIT_EOWNER) return base::InvalidInput(path + ": " + LastGitError());
  if (rc < 0) return GitFailure(path, "cannot open the repository");
  return repo;
}

// The branch a symbolic reference points to ("main" for "refs/heads/main"), or "" when the
// reference is not symbolic.
std::string SymbolicTargetBranch(const git_reference* ref) {
  const char* target = git_reference_symbolic_target(ref);
  if (target == nullptr) return "";
  std::string_view name = target;
  if (name.starts_with("refs/heads/")) name.remove_prefix(std::string_view("refs/heads/").size());
  return std::string(name);
}

// The branch HEAD names when it has no commits yet ("main"), or "" when HEAD is not symbolic.
std::string UnbornHeadBranch(git_repository* repo) {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, "HEAD") < 0) return "";
  Reference head(raw);
  return SymbolicTargetBranch(head.get());
}

base::Result<std::string> LocalBranchList(const std::string& path, git_repository* repo) {
  git_branch_iterator* raw_it = nullptr;
  if (git_branch_iterator_new(&raw_it, repo, GIT_BRANCH_LOCAL) < 0) {
    return GitFailure(path, "cannot list branches");
  }
  BranchIterator it(raw_it);
  std::vector<std::string> names;
  while (true) {
    git_reference* raw = nullptr;
    git_branch_t type;
    int rc = git_branch_next(&raw, &type, it.get());
    if (rc == GIT_ITEROVER) break;
    if (rc < 0) return GitFailure(path, "cannot list branches");
    Reference ref(raw);
    const char* name = nullptr;
    if (git_branch_name(&name, ref.get()) == 0) names.emplace_back(name);
  }
  if (names.empty()) return std::string("none");
  std::sort(names.begin(), names.end());
  std::string list;
  for (const std::string& n : names) {
    if (!list.empty()) list += ", ";
    list += n;
  }
  return list;
}

// Looks `branch` up as a local branch, then a remote-tracking one ("origin/main"), then as git
// would any other reference name ("refs/heads/main", "heads/main"). Null when none matches.
base::Result<Reference> LookupBranch(const std::string& path, git_repository* repo,
                                     const std::string& branch) {
  const auto attempts = {
      +[](git_reference** out, git_repository* r, const char* name) {
        return git_branch_lookup(out, r, name, GIT_BRANCH_LOCAL);
      },
      +[](git_reference** out, git_repository* r, const char* name) {
        return git_branch_lookup(out, r, name, GIT_BRANCH_REMOTE);
      },
      +[](git_reference** out, git_repository* r, const char* name) {
        return git_reference_dwim(out, r, name);
      },
  };
  for (const auto& lookup : attempts) {
    git_reference* raw = nullptr;
    int rc = lookup(&raw, repo, branch.c_str());
    Reference ref(raw);
    if (rc == 0) return ref;
    // An invalid name ("a..b") cannot name a branch either: same as not found.
    if (rc != GIT_ENOTFOUND && rc != GIT_EINVALIDSPEC) {
      return GitFailure(path, "cannot look up branch '" + branch + "'");
    }
  }
  return Reference();
}

struct ResolvedBranch {
  std::string name;  // "refs/heads/main"
  git_oid head;
};

base::Result<ResolvedBranch> ResolveBranch(const std::string& path, git_repository* repo,
                                           const std::string& branch) {
  auto no_commits = [&](const std::string& name) {
    return base::InvalidInput(path + ": branch '" + name + "' has no commits");
  };
  Reference ref;
  if (branch.empty() || branch == "HEAD") {
    git_reference* raw = nullptr;
    int rc = git_repository_head(&raw, repo);
    ref.reset(raw);
    if (rc == GIT_EUNBORNBRANCH) return no_commits(UnbornHeadBranch(repo));
    if (rc < 0) return GitFailure(path, "cannot read HEAD");
  } else {
    ASSIGN_OR_RETURN(ref, LookupBranch(path, repo, branch));
    if (ref == nullptr) {
      std::string unborn = UnbornHeadBranch(repo);
      if (!unborn.empty() && (branch == unborn || branch == "refs/heads/" + unborn)) {
        return no_commits(unborn);
      }
      ASSIGN_OR_RETURN(std::string known, LocalBranchList(path, repo));
      return base::InvalidInput(path + ": no branch '" + branch + "' (known: " + known + ")");
    }
  }
  // A symbolic reference ("HEAD", "origin/HEAD") is reported by what it points to.
  git_reference* raw_direct = nullptr;
  int rc = git_reference_resolve(&raw_direct, ref.get());
  Reference direct(raw_direct);
  if (rc == GIT_ENOTFOUND) {  // "HEAD" or "origin/HEAD" naming a branch without commits
    std::string target = SymbolicTargetBranch(ref.get());
    return no_commits(target.empty() ? branch : target);
  }
  if (rc < 0) return GitFailure(path, "cannot resolve '" + branch + "'");
  std::string label = branch.empty() ? git_reference_shorthand(direct.get()) : branch;

  git_object* raw_commit = nullptr;
  rc = git_reference_peel(&raw_commit, direct.get(), GIT_OBJECT_COMMIT);
  Object commit(raw_commit);
  if (rc == GIT_ENOTFOUND || rc == GIT_EPEEL || rc == GIT_EINVALIDSPEC) {
    return base::InvalidInput(path + ": '" + label + "' does not point to a commit");
  }
  if (rc < 0) return GitFailure(path, "cannot read the head of '" + label + "'");
  return ResolvedBranch{git_reference_name(direct.get()), *git_object_id(commit.get())};
}

// Reads raw commit objects. See "Reading objects" at the top of the file.
class CommitReader {
 public:
  explicit CommitReader(git_repository* repo) : repo_(repo) {
    std::string objects = std::string(git_repository_commondir(repo)) + "objects";
    git_odb_backend* raw = nullptr;
    if (git_odb_backend_pack(&raw, objects.c_str()) == 0) backends_.emplace_back(raw);
    raw = nullptr;
    if (git_odb_backend_loose(&raw, objects.c_str(), -1, 0, 0, 0) == 0) backends_.emplace_back(raw);
  }

  // Calls `use` with the commit's raw text. False when the repository has no object `id`;
  // kInternal when it is not a commit or cannot be read.
  template <typename Use>
  base::Result<bool> Read(const std::string& path, const git_oid& id, Use&& use) {
    for (const Backend& backend : backends_) {
      void* data = nullptr;
      size_t size = 0;
      git_object_t type = GIT_OBJECT_INVALID;
      if (backend->read(&data, &size, &type, backend.get(), &id) < 0) continue;
      BackendData owned(data, BackendDataFree{backend.get()});
      if (type != GIT_OBJECT_COMMIT) return NotACommit(path, id);
      use(std::string_view(static_cast<const char*>(data), size));
      return true;
    }
    if (odb_ == nullptr) {
      git_odb* raw = nullptr;
      if (git_repository_odb(&raw, repo_) < 0) return GitFailure(path, "cannot open the objects");
      odb_.reset(raw);
    }
    git_odb_object* raw = nullptr;
    int rc = git_odb_read(&raw, odb_.get(), &id);
    OdbObject object(raw);
    if (rc == GIT_ENOTFOUND) return false;
    if (rc < 0) return GitFailure(path, "cannot read commit " + OidHex(id));
    if (git_odb_object_type(object.get()) != GIT_OBJECT_COMMIT) return NotACommit(path, id);
    use(std::string_view(static_cast<const char*>(git_odb_object_data(object.get())),
                         git_odb_object_size(object.get())));
    return true;
  }

 private:
  struct BackendFree {
    void operator()(git_odb_backend* b) const { b->free(b); }
  };
  using Backend = std::unique_ptr<git_odb_backend, BackendFree>;
  struct BackendDataFree {
    git_odb_backend* backend;
    void operator()(void* data) const { git_odb_backend_data_free(backend, data); }
  };
  using BackendData = std::unique_ptr<void, BackendDataFree>;

  static base::Status NotACommit(const std::string& path, const git_oid& id) {
    return base::Internal(path + ": object " + OidHex(id) + " is named as a commit but is not one");
  }

  git_repository* repo_;
  std::vector<Backend> backends_;  // packs first: most objects are there, and a miss costs no I/O
  Odb odb_;
};

// git's isspace(): just these four.
bool IsGitSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The subject as `git log --format=%s` prints it: blank lines skipped, then the lines of the
// first paragraph (up to a line that is empty or all whitespace), each with its trailing
// whitespace removed, joined by single spaces.
std::string Subject(std::string_view message) {
  std::string subject;
  bool started = false;
  while (!message.empty()) {
    size_t end = message.find('\n');
    std::string_view line = message.substr(0, end);
    message.remove_prefix(end == std::string_view::npos ? message.size() : end + 1);
    while (!line.empty() && IsGitSpace(line.back())) line.remove_suffix(1);
    if (line.empty()) {
      if (started) break;
      continue;
    }
    if (started) subject += ' ';
    subject += line;
    started = true;
  }
  return subject;
}

// The time in a signature line's "<email> 1700000000 +0100" tail, in nanoseconds. A missing,
// mangled or unrepresentable date (past the year 2262) reads as the epoch.
int64_t SignatureNanos(std::string_view line) {
  size_t email_end = line.rfind('>');
  if (email_end == std::string_view::npos) return 0;
  std::string_view rest = line.substr(email_end + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), seconds);
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kNanosPerSecond;
  if (ec != std::errc() || seconds > kMaxSeconds || seconds < -kMaxSeconds) return 0;
  return seconds * kNanosPerSecond;
}

// Fills parents, time (the committer's) and subject from a raw commit: header lines ("tree",
// "parent", "author", "committer", others, continuation lines starting with a space), a blank
// line, the message. False when it is not shaped like one.
bool ParseCommit(std::string_view raw, BranchCommit& commit) {
  bool has_tree = false;
  bool has_committer = false;
  while (!raw.empty()) {
    size_t end = raw.find('\n');
    std::string_view line = raw.substr(0, end);
    raw.remove_prefix(end == std::string_view::npos ? raw.size() : end + 1);
    if (line.empty()) break;  // the message follows
    if (line.starts_with("tree ")) {
      has_tree = true;
    } else if (line.starts_with("parent ")) {
      std::string_view hex = line.substr(std::string_view("parent ").size());
      if (hex.size() != GIT_OID_HEXSZ) return false;
      commit.parents.emplace_back(hex);
    } else if (line.starts_with("committer ") && !has_committer) {
      commit.time = base::Timestamp{SignatureNanos(line)};
      has_committer = true;
    }
  }
  commit.subject = Subject(raw);
  return has_tree && has_committer;
}

// Walks the history from the head; see the comment at the top of the file.
class HistoryWalk {
 public:
  HistoryWalk(const std::string& path, git_repository* repo)
      : path_(path), reader_(repo), shallow_(git_repository_is_shallow(repo) == 1) {}

  base::Result<std::vector<BranchCommit>> FirstParent(const git_oid& head) {
    std::vector<BranchCommit> out;  // newest first until the end
    git_oid id = head;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<BranchCommit> commit, Read(id));
      if (!commit) break;
      out.push_back(std::move(*commit));
      const std::vector<std::string>& parents = out.back().parents;
      if (parents.empty()) break;
      RETURN_IF_ERROR(ParseOid(parents[0], id));
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  base::Result<std::vector<BranchCommit>> Full(const git_oid& head) {
    std::vector<BranchCommit> out;
    std::unordered_set<git_oid, OidHash, OidEqual> seen{head};
    std::vector<Frame> stack;
    ASSIGN_OR_RETURN(std::optional<BranchCommit> first, Read(head));
    if (first) stack.push_back({std::move(*first), 0});
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next_parent == top.commit.parents.size()) {
        out.push_back(std::move(top.commit));
        stack.pop_back();
        continue;
      }
      git_oid parent;
      RETURN_IF_ERROR(ParseOid(top.commit.parents[top.next_parent++], parent));
      if (!seen.insert(parent).second) continue;
      ASSIGN_OR_RETURN(std::optional<BranchCommit> commit, Read(parent));
      if (commit) stack.push_back({std::move(*commit), 0});  // `top` is invalid from here
    }
    return out;
  }

 private:
  struct Frame {
    BranchCommit commit;
    size_t next_parent;
  };

  base::Status ParseOid(const std::string& hex, git_oid& id) const {
    if (git_oid_fromstrn(&id, hex.data(), hex.size()) < 0) {
      return base::Internal(path_ + ": bad commit id '" + hex + "'");
    }
    return base::Status::Ok();
  }

  // Nullopt for a commit beyond a shallow clone's boundary.
  base::Result<std::optional<BranchCommit>> Read(const git_oid& id) {
    BranchCommit commit;
    bool parsed = false;
    ASSIGN_OR_RETURN(bool found, reader_.Read(path_, id, [&](std::string_view raw) {
      parsed = ParseCommit(raw, commit);
    }));
    if (!found) {
      if (shallow_) return std::optional<BranchCommit>();
      return GitFailure(path_, "cannot read commit " + OidHex(id));
    }
    if (!parsed) return base::Internal(path_ + ": commit " + OidHex(id) + " is malformed");
    commit.sha = OidHex(id);
    return std::optional<BranchCommit>(std::move(commit));
  }

  const std::string& path_;
  CommitReader reader_;
  bool shallow_;
};

}  // namespace

base::Result<BranchHistory> ReadBranch(const std::string& repo_path, const ReadOptions& options) {
  ASSIGN_OR_RETURN(Repository repo, OpenRepository(repo_path));
  ASSIGN_OR_RETURN(ResolvedBranch branch, ResolveBranch(repo_path, repo.get(), options.branch));
  HistoryWalk walk(repo_path, repo.get());
  BranchHistory history;
  history.branch = std::move(branch.name);
  if (options.first_parent) {
    ASSIGN_OR_RETURN(history.commits, walk.FirstParent(branch.head));
  } else {
    ASSIGN_OR_RETURN(history.commits, walk.Full(branch.head));
  }
  return history;
}

base::Result<std::string> ResolveCommit(const std::string& repo_path, const std::string& rev) {
  ASSIGN_OR_RETURN(Repository repo, OpenRepository(repo_path));
  auto unknown = [&] { return base::InvalidInput(repo_path + ": no commit '" + rev + "'"); };
  if (rev.empty()) return unknown();
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, repo.get(), rev.c_str());
  Object object(raw);
  if (rc == GIT_EAMBIGUOUS) return base::InvalidInput(repo_path + ": '" + rev + "' is ambiguous");
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EUNBORNBRANCH) return unknown();
  if (rc < 0) return GitFailure(repo_path, "cannot resolve '" + rev + "'");
  git_object* raw_commit = nullptr;
  rc = git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT);
  Object commit(raw_commit);
  if (rc == GIT_ENOTFOUND || rc == GIT_EPEEL || rc == GIT_EINVALIDSPEC) {
    return base::InvalidInput(repo_path + ": '" + rev + "' is not a commit");
  }
  if (rc < 0) return GitFailure(repo_path, "cannot resolve '" + rev + "'");
  return OidHex(*git_object_id(commit.get()));
}

base::Result<std::optional<std::string>> MergeBase(const std::string& repo_path,
                                                   const std::string& a, const std::string& b) {
  ASSIGN_OR_RETURN(std::string sha_a, ResolveCommit(repo_path, a));
  ASSIGN_OR_RETURN(std::string sha_b, ResolveCommit(repo_path, b));
  ASSIGN_OR_RETURN(Repository repo, OpenRepository(repo_path));
  git_oid oid_a, oid_b, base;
  if (git_oid_fromstr(&oid_a, sha_a.c_str()) < 0 || git_oid_fromstr(&oid_b, sha_b.c_str()) < 0) {
    return GitFailure(repo_path, "cannot read a commit id");
  }
  const int rc = git_merge_base(&base, repo.get(), &oid_a, &oid_b);
  if (rc == GIT_ENOTFOUND) return std::optional<std::string>();
  if (rc < 0) return GitFailure(repo_path, "cannot find the merge base of " + a + " and " + b);
  return std::optional<std::string>(OidHex(base));
}

base::Result<CommitDescription> DescribeCommit(const std::string& path, const std::string& rev) {
  ASSIGN_OR_RETURN(Repository repo, OpenRepository(path, /*search_upward=*/true));
  const char* workdir = git_repository_workdir(repo.get());
  const std::string where = workdir != nullptr ? std::string(workdir) : path;
  auto unknown = [&] { return base::InvalidInput(where + ": no commit '" + rev + "'"); };
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, repo.get(), rev.c_str());
  Object object(raw);
  if (rc == GIT_EAMBIGUOUS) return base::InvalidInput(where + ": '" + rev + "' is ambiguous");
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EUNBORNBRANCH) return unknown();
  if (rc < 0) return GitFailure(where, "cannot resolve '" + rev + "'");
  git_object* raw_commit = nullptr;
  rc = git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT);
  Object commit_object(raw_commit);
  if (rc < 0) return base::InvalidInput(where + ": '" + rev + "' is not a commit");
  const git_commit* commit = reinterpret_cast<const git_commit*>(commit_object.get());
  CommitDescription out;
  out.sha = OidHex(*git_commit_id(commit));
  const git_signature* committer = git_commit_committer(commit);
  out.time = base::Timestamp{static_cast<int64_t>(committer->when.time) * 1'000'000'000};
  const char* summary = git_commit_summary(const_cast<git_commit*>(commit));
  out.subject = summary != nullptr ? summary : "";
  if (rev == "HEAD") {
    git_reference* raw_head = nullptr;
    if (git_reference_lookup(&raw_head, repo.get(), "HEAD") == 0) {
      Reference head(raw_head);
      std::string branch = SymbolicTargetBranch(head.get());
      if (!branch.empty()) out.branch = branch;
    }
  }
  if (workdir != nullptr) {
    std::string root = workdir;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    out.repo_root = root;
  }
  return out;
}

base::Result<git_remote*> OpenOrigin(git_repository* repo, const std::string& repo_path) {
  git_config* raw_config = nullptr;
  if (git_repository_config_snapshot(&raw_config, repo) < 0) {
    return GitFailure(repo_path, "cannot read the repository's configuration");
  }
  std::unique_ptr<git_config, decltype(&git_config_free)> config(raw_config, git_config_free);
  const char* url = nullptr;
  const int rc = git_config_get_string(&url, config.get(), "remote.origin.url");
  if (rc == GIT_ENOTFOUND) return static_cast<git_remote*>(nullptr);
  if (rc < 0) return GitFailure(repo_path, "cannot read the remote 'origin'");
  git_remote_create_options options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  options.repository = repo;
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* remote = nullptr;
  if (git_remote_create_with_opts(&remote, url, &options) < 0) {
    return GitFailure(repo_path, "cannot use the remote 'origin'");
  }
  return remote;
}

base::Result<std::optional<std::string>> OriginUrl(const std::string& repo_path) {
  ASSIGN_OR_RETURN(Repository repo, OpenRepository(repo_path));
  git_config* raw_config = nullptr;
  if (git_repository_config_snapshot(&raw_config, repo.get()) < 0) {
    return GitFailure(repo_path, "cannot read the repository's configuration");
  }
  std::unique_ptr<git_config, decltype(&git_config_free)> config(raw_config, git_config_free);
  const char* url = nullptr;
  const int rc = git_config_get_string(&url, config.get(), "remote.origin.url");
  if (rc == GIT_ENOTFOUND) return std::optional<std::string>();
  if (rc < 0) return GitFailure(repo_path, "cannot read the remote 'origin'");
  return std::optional<std::string>(url);
}

base::Result<bool> FetchBranch(const std::string& repo_path, const std::string& branch) {
  ASSIGN_OR_RETURN(Repository repo, OpenRepository(repo_path));
  ASSIGN_OR_RETURN(git_remote * raw, OpenOrigin(repo.get(), repo_path));
  if (raw == nullptr) return false;
  std::unique_ptr<git_remote, decltype(&git_remote_free)> remote(raw, git_remote_free);
  // Into the local branch itself: the planner reads local branches. Forced, since a
  // force-push upstream is history the planner must see (it reports commits that left).
  const std::string spec = branch.empty() ? std::string("+refs/heads/*:refs/heads/*")
                                          : "+refs/heads/" + branch + ":refs/heads/" + branch;
  char* specs[] = {const_cast<char*>(spec.c_str())};
  git_strarray refspecs{specs, 1};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.update_fetchhead = 0;
  if (git_remote_fetch(remote.get(), &refspecs, &options, "perfledger: fetch") < 0) {
    const char* url = git_remote_url(remote.get());
    return base::IoError(repo_path + ": cannot fetch from origin (" +
                         std::string(url != nullptr ? url : "?") + "): " + LastGitError());
  }
  return true;
}

}  // namespace perfledger::schedule
