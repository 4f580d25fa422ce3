// Baseline choice on real git histories with merges.
#include "schedule/baseline.h"

#include <gtest/gtest.h>

#include <set>

#include "git_fixture.h"

namespace perfledger::schedule {
namespace {

using testing::GitRepo;

base::Timestamp Minute(int64_t m) {
  return base::Timestamp{(1'700'000'000 + m * 60) * 1'000'000'000};
}

// main: a - b - c - m (m merges feature: s1 - s2, forked at b); pr (from c): p1 - p2, unmerged.
class BaselineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = repo_.Commit("a", Minute(0));
    b_ = repo_.Commit("b", Minute(1));
    repo_.Branch("feature");
    repo_.Checkout("feature");
    s1_ = repo_.Commit("s1", Minute(2));
    s2_ = repo_.Commit("s2", Minute(3));
    repo_.Checkout("main");
    c_ = repo_.Commit("c", Minute(4));
    repo_.Branch("pr");
    m_ = repo_.Merge("Merge branch 'feature'", Minute(5), "feature");
    repo_.Checkout("pr");
    p1_ = repo_.Commit("p1", Minute(6));
    p2_ = repo_.Commit("p2", Minute(7));
    repo_.Checkout("main");
  }
  base::Result<BaselineChoice> Choose(const std::string& head, std::set<std::string> measured) {
    return ChooseBaseline(repo_.path(), "main", head,
                          [&](const std::string& sha) { return measured.contains(sha); });
  }

  GitRepo repo_;
  std::string a_, b_, s1_, s2_, c_, m_, p1_, p2_;
};

TEST_F(BaselineTest, ABranchCommitUsesItsNearestMeasuredFirstParentAncestor) {
  auto r = Choose(m_, {a_, c_, s2_});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->sha, c_) << "the merge's first parent, not the side branch";
  EXPECT_EQ(r->reason,
            "nearest measured ancestor of " + m_.substr(0, 12) + " on main, 1 commit back");
  r = Choose(m_, {a_, s1_, s2_});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sha, a_);
  EXPECT_NE(r->reason.find("3 commits back"), std::string::npos) << r->reason;
}

TEST_F(BaselineTest, APullRequestUsesItsMergeBaseOrTheMergeBasesNearestMeasuredAncestor) {
  auto r = Choose(p2_, {a_, c_, m_, p1_});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->sha, c_) << "the merge base, not the PR's own previous commit";
  EXPECT_EQ(r->reason, "merge base of " + p2_.substr(0, 12) + " with main");
  r = Choose(p2_, {a_, m_});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->sha, a_) << "never a commit after the merge base";
  EXPECT_NE(r->reason.find("nearest measured ancestor of the merge base " + c_.substr(0, 12)),
            std::string::npos)
      << r->reason;
}

TEST_F(BaselineTest, NothingMeasuredIsNotFoundAndBadInputIsNamed) {
  auto r = Choose(c_, {m_});
  EXPECT_EQ(r.status().code(), base::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("none of its first-parent ancestors has a run"),
            std::string::npos)
      << r.status().message();
  auto bad = ChooseBaseline(repo_.path(), "nope", c_, [](const std::string&) { return true; });
  EXPECT_EQ(bad.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_NE(bad.status().message().find("no branch 'nope'"), std::string::npos);
}

}  // namespace
}  // namespace perfledger::schedule
