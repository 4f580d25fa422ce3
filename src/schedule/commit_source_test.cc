// The commit source against real repositories made with GitRepo (libgit2). Where the `git`
// program is installed, two more tests hold it to `git log` and read a repository written by
// `git fast-import` (bench/make_history_repo.sh); without it they are skipped.
#include "schedule/commit_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "git_fixture.h"

namespace perfledger::schedule {
namespace {

namespace fs = std::filesystem;
using testing::GitRepo;

constexpr int64_t kStart = 1'700'000'000;  // 2023-11-14T22:13:20Z

// `minute` minutes after kStart.
base::Timestamp At(int64_t minute) {
  return base::Timestamp{(kStart + minute * 60) * 1'000'000'000};
}

std::vector<std::string> Shas(const BranchHistory& h) {
  std::vector<std::string> out;
  for (const BranchCommit& c : h.commits) out.push_back(c.sha);
  return out;
}

BranchHistory Read(const std::string& path, std::string branch = "", bool first_parent = true) {
  auto h = ReadBranch(path, ReadOptions{std::move(branch), first_parent});
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? *h : BranchHistory{};
}

// A plain directory that is not a repository, removed at the end of the test.
class PlainDir {
 public:
  PlainDir() {
    std::string tmpl = (fs::temp_directory_path() / "perfledger-plain-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~PlainDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The loose object file libgit2 wrote for `sha`.
fs::path LooseObject(const GitRepo& repo, const std::string& sha) {
  return fs::path(repo.path()) / ".git" / "objects" / sha.substr(0, 2) / sha.substr(2);
}

TEST(ReadBranchTest, LinearHistoryOldestFirstWithShasTimesAndSubjects) {
  GitRepo repo;
  std::string a = repo.Commit("Add the parser", At(0));
  std::string b = repo.Commit("Speed up the lexer [bench]", At(1));
  std::string c = repo.Commit("Fix a crash on empty input\n\nThe lexer read past the end.", At(3));

  BranchHistory h = Read(repo.path());
  EXPECT_EQ(h.branch, "refs/heads/main");
  ASSERT_EQ(h.commits.size(), 3u);
  EXPECT_EQ(h.commits[0].sha, a);
  EXPECT_EQ(h.commits[0].parents, std::vector<std::string>{});
  EXPECT_EQ(h.commits[0].time.unix_nanos, kStart * 1'000'000'000);
  EXPECT_EQ(h.commits[0].subject, "Add the parser");
  EXPECT_EQ(h.commits[1].sha, b);
  EXPECT_EQ(h.commits[1].parents, std::vector<std::string>{a});
  EXPECT_EQ(h.commits[1].time.unix_nanos, (kStart + 60) * 1'000'000'000);
  EXPECT_EQ(h.commits[1].subject, "Speed up the lexer [bench]");
  EXPECT_EQ(h.commits[2].sha, c);
  EXPECT_EQ(h.commits[2].parents, std::vector<std::string>{b});
  EXPECT_EQ(h.commits[2].time.unix_nanos, (kStart + 180) * 1'000'000'000);
  EXPECT_EQ(h.commits[2].subject, "Fix a crash on empty input");  // the body is not the subject
  EXPECT_FALSE(h.commits[2].merge());
  for (const BranchCommit& commit : h.commits) EXPECT_EQ(commit.sha.size(), 40u);
}

TEST(ReadBranchTest, SubjectIsTheFirstParagraphOnOneLineAsGitPrints) {
  GitRepo repo;
  repo.Commit("\nWrapped subject\nthat goes on\n\nbody", At(0));
  EXPECT_EQ(Read(repo.path()).commits.at(0).subject, "Wrapped subject that goes on");
}

TEST(ReadBranchTest, CommitterTimeIsKeptWhenItGoesBackwards) {
  GitRepo repo;
  repo.Commit("later", At(10));
  repo.Commit("rebased, older committer time", At(2));
  BranchHistory h = Read(repo.path());
  ASSERT_EQ(h.commits.size(), 2u);
  EXPECT_EQ(h.commits[0].subject, "later");  // history order, not time order
  EXPECT_EQ(h.commits[1].time, At(2));
}

// main: a - b - c - m;  feature (from b): s1 - s2, merged into main by m.
class MergeHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = repo_.Commit("a", At(0));
    b_ = repo_.Commit("b", At(1));
    repo_.Branch("feature");
    repo_.Checkout("feature");
    s1_ = repo_.Commit("s1", At(2));
    s2_ = repo_.Commit("s2", At(3));
    repo_.Checkout("main");
    c_ = repo_.Commit("c", At(4));
    m_ = repo_.Merge("Merge branch 'feature'", At(5), "feature");
  }

  GitRepo repo_;
  std::string a_, b_, s1_, s2_, c_, m_;
};

TEST_F(MergeHistoryTest, FirstParentSkipsTheSideBranchCommits) {
  BranchHistory h = Read(repo_.path());
  EXPECT_EQ(Shas(h), (std::vector<std::string>{a_, b_, c_, m_}));
  ASSERT_EQ(h.commits.size(), 4u);
  EXPECT_TRUE(h.commits[3].merge());
  EXPECT_EQ(h.commits[3].parents, (std::vector<std::string>{c_, s2_}));
  EXPECT_EQ(h.commits[3].subject, "Merge branch 'feature'");
}

TEST_F(MergeHistoryTest, MergeBaseIsWhereTheBranchesForked) {
  auto base = MergeBase(repo_.path(), s2_, c_);
  ASSERT_TRUE(base.ok()) << base.status().message();
  EXPECT_EQ(*base, b_);
  base = MergeBase(repo_.path(), s1_, m_);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(*base, s1_) << "s1 is an ancestor of the merge";
  auto bad = MergeBase(repo_.path(), "nope", m_);
  EXPECT_EQ(bad.status().message(), repo_.path() + ": no commit 'nope'");
}

TEST_F(MergeHistoryTest, FullHistoryHasEveryCommitParentsFirstSideBranchBeforeItsMerge) {
  BranchHistory h = Read(repo_.path(), "", /*first_parent=*/false);
  EXPECT_EQ(Shas(h), (std::vector<std::string>{a_, b_, c_, s1_, s2_, m_}));
  std::set<std::string> seen;
  for (const BranchCommit& c : h.commits) {
    for (const std::string& p : c.parents)
      EXPECT_TRUE(seen.count(p)) << c.subject << " before " << p;
    EXPECT_TRUE(seen.insert(c.sha).second) << c.subject << " twice";
  }
}

TEST_F(MergeHistoryTest, NamedBranchInsteadOfHead) {
  repo_.Checkout("feature");
  std::string s3 = repo_.Commit("s3", At(6));

  BranchHistory head = Read(repo_.path());  // HEAD is feature now
  EXPECT_EQ(head.branch, "refs/heads/feature");
  EXPECT_EQ(Shas(head), (std::vector<std::string>{a_, b_, s1_, s2_, s3}));

  BranchHistory main = Read(repo_.path(), "main");
  EXPECT_EQ(main.branch, "refs/heads/main");
  EXPECT_EQ(Shas(main), (std::vector<std::string>{a_, b_, c_, m_}));
  EXPECT_EQ(Shas(Read(repo_.path(), "refs/heads/main")), Shas(main));
  EXPECT_EQ(Read(repo_.path(), "HEAD").branch, "refs/heads/feature");
}

TEST(ReadBranchTest, ForcePushedBranchNoLongerHasTheDroppedCommits) {
  GitRepo repo;
  std::string a = repo.Commit("a", At(0));
  std::string b = repo.Commit("b", At(1));
  std::string c = repo.Commit("c", At(2));
  std::string d = repo.Commit("d", At(3));
  repo.ResetHard("main", b);
  std::string e = repo.Commit("e, rewritten", At(4));

  BranchHistory h = Read(repo.path());
  EXPECT_EQ(Shas(h), (std::vector<std::string>{a, b, e}));
  EXPECT_EQ(h.commits.back().parents, std::vector<std::string>{b});
}

TEST(ReadBranchTest, ForcePushOfABranchThatIsNotCheckedOut) {
  GitRepo repo;
  std::string a = repo.Commit("a", At(0));
  repo.Branch("release");
  std::string b = repo.Commit("b", At(1));
  repo.ResetHard("release", b);
  repo.ResetHard("main", a);
  EXPECT_EQ(Shas(Read(repo.path(), "release")), (std::vector<std::string>{a, b}));
  EXPECT_EQ(Shas(Read(repo.path(), "main")), (std::vector<std::string>{a}));
}

TEST(ReadBranchTest, PlainDirectoryIsNotAGitRepository) {
  PlainDir dir;
  ASSERT_FALSE(dir.path().empty());
  auto h = ReadBranch(dir.path(), {});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(h.status().message(), dir.path() + ": not a git repository");
}

TEST(ReadBranchTest, DirectoryInsideARepositoryIsNotOneEither) {
  // No search upward: a wrong path must not silently read an enclosing repository.
  GitRepo repo;
  repo.Commit("a", At(0));
  std::string sub = repo.path() + "/sub";
  fs::create_directory(sub);
  auto h = ReadBranch(sub, {});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), sub + ": not a git repository");
  EXPECT_TRUE(ReadBranch(repo.path() + "/.git", {}).ok());  // the git directory itself is one
}

TEST(ReadBranchTest, MissingPath) {
  PlainDir dir;
  std::string missing = dir.path() + "/nope";
  auto h = ReadBranch(missing, {});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(h.status().message(), missing + ": no such directory");
}

TEST(ReadBranchTest, UnknownBranchListsTheKnownOnes) {
  GitRepo repo;
  repo.Commit("a", At(0));
  repo.Branch("dev");
  repo.Branch("alpha");
  auto h = ReadBranch(repo.path(), ReadOptions{"mian"});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(h.status().message(), repo.path() + ": no branch 'mian' (known: alpha, dev, main)");
  auto bad = ReadBranch(repo.path(), ReadOptions{"a..b"});  // not even a valid name
  EXPECT_EQ(bad.status().message(), repo.path() + ": no branch 'a..b' (known: alpha, dev, main)");
}

TEST(ReadBranchTest, EmptyRepositoryHasNoCommits) {
  GitRepo repo;
  std::string expected = repo.path() + ": branch 'main' has no commits";
  for (const char* branch : {"", "main", "HEAD", "refs/heads/main"}) {
    auto h = ReadBranch(repo.path(), ReadOptions{branch});
    ASSERT_FALSE(h.ok()) << branch;
    EXPECT_EQ(h.status().code(), base::StatusCode::kInvalidInput) << branch;
    EXPECT_EQ(h.status().message(), expected) << branch;
  }
  auto other = ReadBranch(repo.path(), ReadOptions{"dev"});
  EXPECT_EQ(other.status().message(), repo.path() + ": no branch 'dev' (known: none)");
}

TEST(ReadBranchTest, ShallowCloneEndsAtItsBoundary) {
  // What `git clone --depth 2` leaves: .git/shallow names the oldest commit kept, whose parent
  // is not in the repository.
  GitRepo repo;
  std::string a = repo.Commit("a", At(0));
  std::string b = repo.Commit("b", At(1));
  std::string c = repo.Commit("c", At(2));
  ASSERT_TRUE(fs::remove(LooseObject(repo, a)));
  std::ofstream(fs::path(repo.path()) / ".git" / "shallow") << b << '\n';

  for (bool first_parent : {true, false}) {
    BranchHistory h = Read(repo.path(), "", first_parent);
    EXPECT_EQ(Shas(h), (std::vector<std::string>{b, c}));
    ASSERT_EQ(h.commits.size(), 2u);
    EXPECT_EQ(h.commits[0].parents, std::vector<std::string>{a});  // named, though not there
  }
}

TEST(ReadBranchTest, CommitsBehindAnAlternateAreRead) {
  // What `git clone --shared` makes: the clone's objects live in another repository.
  GitRepo origin;
  std::string a = origin.Commit("a", At(0));
  std::string b = origin.Commit("b", At(1));
  GitRepo clone;
  fs::path git_dir = fs::path(clone.path()) / ".git";
  std::ofstream(git_dir / "objects" / "info" / "alternates")
      << (fs::path(origin.path()) / ".git" / "objects").string() << '\n';
  std::ofstream(git_dir / "refs" / "heads" / "main") << b << '\n';
  BranchHistory h = Read(clone.path());
  EXPECT_EQ(Shas(h), (std::vector<std::string>{a, b}));
}

TEST(ReadBranchTest, MissingCommitInAFullCloneIsAnInternalError) {
  GitRepo repo;
  std::string a = repo.Commit("a", At(0));
  repo.Commit("b", At(1));
  ASSERT_TRUE(fs::remove(LooseObject(repo, a)));
  auto h = ReadBranch(repo.path(), {});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), base::StatusCode::kInternal);
  EXPECT_NE(h.status().message().find("cannot read commit " + a), std::string::npos)
      << h.status().message();
}

class ResolveCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = repo_.Commit("a", At(0));
    b_ = repo_.Commit("b", At(1));
    c_ = repo_.Commit("c", At(2));
  }
  GitRepo repo_;
  std::string a_, b_, c_;
};

TEST_F(ResolveCommitTest, FullShaPrefixAndRevisions) {
  auto full = ResolveCommit(repo_.path(), b_);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(*full, b_);
  auto prefix = ResolveCommit(repo_.path(), b_.substr(0, 7));
  ASSERT_TRUE(prefix.ok()) << prefix.status().ToString();
  EXPECT_EQ(*prefix, b_);
  auto parent = ResolveCommit(repo_.path(), "HEAD~1");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_EQ(*parent, b_);
  auto branch = ResolveCommit(repo_.path(), "main~2");
  ASSERT_TRUE(branch.ok()) << branch.status().ToString();
  EXPECT_EQ(*branch, a_);
}

TEST_F(ResolveCommitTest, UnknownRevisions) {
  for (std::string rev : {std::string(40, 'f'), std::string("0000000"), std::string("HEAD~3"),
                          std::string("nosuchbranch"), std::string("HEAD~x"), std::string()}) {
    auto r = ResolveCommit(repo_.path(), rev);
    ASSERT_FALSE(r.ok()) << rev;
    EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput) << rev;
    EXPECT_EQ(r.status().message(), repo_.path() + ": no commit '" + rev + "'");
  }
}

TEST_F(ResolveCommitTest, TreeIsNotACommit) {
  auto r = ResolveCommit(repo_.path(), "HEAD^{tree}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(r.status().message(), repo_.path() + ": 'HEAD^{tree}' is not a commit");
}

TEST(ResolveCommitAmbiguityTest, AmbiguousShortIdIsRefused) {
  // Commits until two objects (commits, trees or blobs) share their first four hex digits: about
  // a hundred commits, the birthday bound of 16^4 over three objects a commit. The shas depend
  // only on the messages and times, so every run makes the same history.
  GitRepo repo;
  fs::path objects = fs::path(repo.path()) / ".git" / "objects";
  std::string prefix;
  for (int i = 0; i < 1000 && prefix.empty(); ++i) {
    repo.Commit("commit " + std::to_string(i), At(i));
    if (i % 10 != 9) continue;
    std::vector<std::string> ids;  // every loose object's id
    for (const auto& entry : fs::recursive_directory_iterator(objects)) {
      std::string dir = entry.path().parent_path().filename().string();
      if (entry.is_regular_file() && dir.size() == 2) {
        ids.push_back(dir + entry.path().filename().string());
      }
    }
    std::sort(ids.begin(), ids.end());
    for (size_t k = 1; k < ids.size() && prefix.empty(); ++k) {
      if (ids[k].compare(0, 4, ids[k - 1], 0, 4) == 0) prefix = ids[k].substr(0, 4);
    }
  }
  ASSERT_FALSE(prefix.empty());
  auto r = ResolveCommit(repo.path(), prefix);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_EQ(r.status().message(), repo.path() + ": '" + prefix + "' is ambiguous");
}

TEST(ResolveCommitErrorsTest, NotARepository) {
  PlainDir dir;
  auto r = ResolveCommit(dir.path(), "HEAD");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), dir.path() + ": not a git repository");
  GitRepo empty;
  EXPECT_EQ(ResolveCommit(empty.path(), "HEAD").status().message(),
            empty.path() + ": no commit 'HEAD'");
}

// What `git log` prints for every commit reachable from HEAD: "sha|parents|time|subject" lines,
// newest first (first parents only when asked).
std::string GitLog(const std::string& repo, bool first_parent) {
  std::string command = "git -C '" + repo + "' log --format='%H|%P|%ct|%s'" +
                        (first_parent ? " --first-parent" : "") + " 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    ::pclose(pipe);
  }
  return out;
}

// The same lines from ReadBranch.
std::string OurLog(const std::string& repo, bool first_parent) {
  BranchHistory h = Read(repo, "", first_parent);
  std::string out;
  for (auto c = h.commits.rbegin(); c != h.commits.rend(); ++c) {
    std::string parents;
    for (const std::string& p : c->parents) parents += (parents.empty() ? "" : " ") + p;
    out += c->sha + "|" + parents + "|" + std::to_string(c->time.unix_nanos / 1'000'000'000) + "|" +
           c->subject + "\n";
  }
  return out;
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(ReadBranchTest, AgreesWithGitLogLooseAndPacked) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no git program";
  GitRepo repo;
  // Subjects git shapes in its own ways, and bodies long and alike so a repack stores most
  // commits as deltas of others.
  std::string body = "\n\n";
  for (int i = 0; i < 40; ++i)
    body += "A long body line, the same in every commit: " + std::to_string(i) + "\n";
  const std::vector<std::string> messages = {
      "Plain subject",
      "\n\nAfter blank lines",
      "Trailing blanks \t ",
      "Windows line end\r\n\r\nbody",
      "Wrapped\nsubject\n \t\nafter a whitespace-only line",
      "   Leading spaces are kept",
      "Unicode \xe2\x9c\x93 and a tab\there",
      "",
  };
  int minute = 0;
  for (const std::string& m : messages) repo.Commit(m + body, At(minute++));
  repo.Branch("side");
  repo.Checkout("side");
  repo.Commit("Side one" + body, At(minute++));
  repo.Commit("Side two" + body, At(minute++));
  repo.Checkout("main");
  for (int i = 0; i < 20; ++i) repo.Commit("Main " + std::to_string(i) + body, At(minute++));
  repo.Merge("Merge side", At(minute++), "side");
  repo.Commit("After the merge", At(minute++));

  for (bool packed : {false, true}) {
    if (packed) {
      ASSERT_EQ(std::system(("git -C '" + repo.path() + "' repack -adq").c_str()), 0);
    }
    EXPECT_EQ(OurLog(repo.path(), true), GitLog(repo.path(), true)) << "packed: " << packed;
    EXPECT_EQ(SortedLines(OurLog(repo.path(), false)), SortedLines(GitLog(repo.path(), false)))
        << "packed: " << packed;
  }
}

// A repository written by git itself rather than libgit2: bench/make_history_repo.sh's
// fast-import stream. Pins both the script's promises and reading a packed history.
TEST(ReadBranchTest, HistoryRepoFromTheBenchScript) {
  const char* source = std::getenv("PERFLEDGER_SOURCE_DIR");
  if (source == nullptr) GTEST_SKIP() << "PERFLEDGER_SOURCE_DIR is not set";
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no git program";
  PlainDir dir;
  std::string repo = dir.path() + "/history";
  std::string command =
      std::string(source) + "/bench/make_history_repo.sh " + repo + " 45 1700000000 30 >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  BranchHistory h = Read(repo, "main");
  ASSERT_EQ(h.commits.size(), 45u);
  for (size_t i = 0; i < h.commits.size(); ++i) {
    const BranchCommit& c = h.commits[i];
    EXPECT_EQ(c.time.unix_nanos, (kStart + static_cast<int64_t>(i) * 30) * 1'000'000'000) << i;
    EXPECT_EQ(c.parents.size(), i == 0 ? 0u : 1u) << i;
    if (i > 0) {
      EXPECT_EQ(c.parents[0], h.commits[i - 1].sha) << i;
    }
    EXPECT_EQ(c.subject.find("[bench]") != std::string::npos, (i + 1) % 20 == 0)
        << i << ' ' << c.subject;
  }
  auto head = ResolveCommit(repo, "main");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(*head, h.commits.back().sha);
}

}  // namespace
}  // namespace perfledger::schedule
