#include "git_fixture.h"

#include <git2.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace perfledger::testing {
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
using CommitPtr = Owned<git_commit, git_commit_free>;
using Tree = Owned<git_tree, git_tree_free>;
using Index = Owned<git_index, git_index_free>;
using Signature = Owned<git_signature, git_signature_free>;

constexpr const char* kFile = "history.txt";
constexpr int64_t kNanosPerSecond = 1'000'000'000;

[[noreturn]] void Fail(std::string_view what) {
  const git_error* e = git_error_last();
  throw std::runtime_error("GitRepo: " + std::string(what) + ": " +
                           (e != nullptr && e->message != nullptr ? e->message : "failed"));
}

void Check(int rc, std::string_view what) {
  if (rc < 0) Fail(what);
}

git_oid ParseOid(const std::string& sha) {
  git_oid id;
  if (sha.size() != GIT_OID_HEXSZ || git_oid_fromstr(&id, sha.c_str()) < 0) {
    throw std::runtime_error("GitRepo: '" + sha + "' is not a 40-digit sha");
  }
  return id;
}

std::string OidHex(const git_oid& id) {
  std::string hex(GIT_OID_HEXSZ, '0');
  git_oid_fmt(hex.data(), &id);
  return hex;
}

}  // namespace

struct GitRepo::Impl {
  Impl() { Check(git_libgit2_init(), "initialise libgit2"); }
  // Here rather than in ~GitRepo, so a constructor that throws half-way cleans up too.
  ~Impl() {
    repo.reset();
    git_libgit2_shutdown();
    if (path.empty()) return;
    if (std::getenv("PERFLEDGER_KEEP_TMP") != nullptr) {
      std::cerr << "GitRepo: kept " << path << " (PERFLEDGER_KEEP_TMP is set)\n";
      return;
    }
    std::error_code ec;
    fs::remove_all(path, ec);
  }

  std::string path;
  Repository repo;
  int64_t commits = 0;  // makes every commit's file content, and so its tree, unique

  // The branch HEAD points to ("main").
  std::string CurrentBranch() {
    git_reference* raw = nullptr;
    Check(git_reference_lookup(&raw, repo.get(), "HEAD"), "read HEAD");
    Reference head(raw);
    const char* target = git_reference_symbolic_target(head.get());
    if (target == nullptr) throw std::runtime_error("GitRepo: HEAD is detached");
    std::string_view name = target;
    name.remove_prefix(std::string_view("refs/heads/").size());
    return std::string(name);
  }

  CommitPtr BranchHead(const std::string& branch) {
    git_reference* raw = nullptr;
    Check(git_branch_lookup(&raw, repo.get(), branch.c_str(), GIT_BRANCH_LOCAL),
          "no branch '" + branch + "'");
    Reference ref(raw);
    git_commit* commit = nullptr;
    Check(git_commit_lookup(&commit, repo.get(), git_reference_target(ref.get())),
          "read the head of '" + branch + "'");
    return CommitPtr(commit);
  }

  // Null when the current branch has no commits yet.
  CommitPtr Head() {
    git_reference* raw = nullptr;
    int rc = git_repository_head(&raw, repo.get());
    Reference ref(raw);
    if (rc == GIT_EUNBORNBRANCH) return CommitPtr();
    Check(rc, "read HEAD");
    git_commit* commit = nullptr;
    Check(git_commit_lookup(&commit, repo.get(), git_reference_target(ref.get())), "read HEAD");
    return CommitPtr(commit);
  }

  std::string CreateCommit(std::string message, base::Timestamp time,
                           const std::string* other_branch) {
    ++commits;
    {
      std::ofstream out(fs::path(path) / kFile, std::ios::trunc);
      out << commits << ' ' << message << '\n';
      if (!out) throw std::runtime_error("GitRepo: cannot write " + path + "/" + kFile);
    }
    git_index* raw_index = nullptr;
    Check(git_repository_index(&raw_index, repo.get()), "open the index");
    Index index(raw_index);
    Check(git_index_add_bypath(index.get(), kFile), "add to the index");
    Check(git_index_write(index.get()), "write the index");
    git_oid tree_id;
    Check(git_index_write_tree(&tree_id, index.get()), "write the tree");
    git_tree* raw_tree = nullptr;
    Check(git_tree_lookup(&raw_tree, repo.get(), &tree_id), "read the tree");
    Tree tree(raw_tree);

    std::vector<CommitPtr> parents;
    if (CommitPtr head = Head()) parents.push_back(std::move(head));
    if (other_branch != nullptr) {
      if (parents.empty()) throw std::runtime_error("GitRepo: Merge on a branch with no commits");
      parents.push_back(BranchHead(*other_branch));
    }
    std::vector<const git_commit*> parent_ptrs;
    for (const CommitPtr& p : parents) parent_ptrs.push_back(p.get());

    // Floor division: git counts whole seconds since the epoch, also before it.
    int64_t seconds = time.unix_nanos / kNanosPerSecond;
    if (time.unix_nanos % kNanosPerSecond < 0) --seconds;
    git_signature* raw_sig = nullptr;
    Check(git_signature_new(&raw_sig, "Perf Ledger Test", "test@perfledger.invalid", seconds, 0),
          "make a signature");
    Signature sig(raw_sig);

    if (message.empty() || message.back() != '\n') message += '\n';  // as `git commit` writes it
    git_oid id;
    Check(git_commit_create(&id, repo.get(), "HEAD", sig.get(), sig.get(), nullptr, message.c_str(),
                            tree.get(), parent_ptrs.size(), parent_ptrs.data()),
          "commit");
    return OidHex(id);
  }
};

GitRepo::GitRepo() : impl_(std::make_unique<Impl>()) {
  std::string dir_template = (fs::temp_directory_path() / "perfledger-git-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) {
    throw std::runtime_error("GitRepo: cannot make a directory like " + dir_template);
  }
  impl_->path = dir_template;
  git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  options.flags = GIT_REPOSITORY_INIT_MKPATH;
  options.initial_head = "main";
  git_repository* raw = nullptr;
  Check(git_repository_init_ext(&raw, impl_->path.c_str(), &options), "init " + impl_->path);
  impl_->repo.reset(raw);
}

GitRepo::~GitRepo() = default;

const std::string& GitRepo::path() const { return impl_->path; }

std::string GitRepo::Commit(const std::string& message, base::Timestamp time) {
  return impl_->CreateCommit(message, time, nullptr);
}

std::string GitRepo::Merge(const std::string& message, base::Timestamp time,
                           const std::string& other_branch) {
  return impl_->CreateCommit(message, time, &other_branch);
}

void GitRepo::AddFile(const std::string& relative, const std::string& contents) {
  const fs::path file = fs::path(impl_->path) / relative;
  fs::create_directories(file.parent_path());
  {
    std::ofstream out(file, std::ios::trunc | std::ios::binary);
    out << contents;
    if (!out) throw std::runtime_error("GitRepo: cannot write " + file.string());
  }
  git_index* raw_index = nullptr;
  Check(git_repository_index(&raw_index, impl_->repo.get()), "open the index");
  Index index(raw_index);
  Check(git_index_add_bypath(index.get(), relative.c_str()), "add " + relative + " to the index");
  Check(git_index_write(index.get()), "write the index");
}

void GitRepo::Branch(const std::string& name) {
  CommitPtr head = impl_->Head();
  if (head == nullptr) throw std::runtime_error("GitRepo: Branch before the first commit");
  git_reference* raw = nullptr;
  Check(git_branch_create(&raw, impl_->repo.get(), name.c_str(), head.get(), 0),
        "create branch '" + name + "'");
  Reference ref(raw);
}

void GitRepo::Checkout(const std::string& name) {
  CommitPtr head = impl_->BranchHead(name);
  git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
  options.checkout_strategy = GIT_CHECKOUT_FORCE;
  Check(git_checkout_tree(impl_->repo.get(), reinterpret_cast<const git_object*>(head.get()),
                          &options),
        "check out '" + name + "'");
  Check(git_repository_set_head(impl_->repo.get(), ("refs/heads/" + name).c_str()),
        "switch HEAD to '" + name + "'");
}

void GitRepo::ResetHard(const std::string& branch, const std::string& sha) {
  git_oid id = ParseOid(sha);
  git_commit* raw_commit = nullptr;
  Check(git_commit_lookup(&raw_commit, impl_->repo.get(), &id), "no commit " + sha);
  CommitPtr commit(raw_commit);
  impl_->BranchHead(branch);  // the branch must exist: a typo is not a new branch
  if (branch == impl_->CurrentBranch()) {
    git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
    options.checkout_strategy = GIT_CHECKOUT_FORCE;
    Check(git_reset(impl_->repo.get(), reinterpret_cast<const git_object*>(commit.get()),
                    GIT_RESET_HARD, &options),
          "reset '" + branch + "'");
    return;
  }
  git_reference* raw = nullptr;
  Check(git_reference_create(&raw, impl_->repo.get(), ("refs/heads/" + branch).c_str(), &id, 1,
                             "GitRepo: ResetHard"),
        "move '" + branch + "'");
  Reference ref(raw);
}

}  // namespace perfledger::testing
