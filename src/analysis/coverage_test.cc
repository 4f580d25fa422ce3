#include "analysis/coverage.h"

#include <gtest/gtest.h>

namespace perfledger::analysis {
namespace {

constexpr int64_t kMinute = 60LL * 1'000'000'000;

std::string Sha(int i) { return "c" + std::to_string(100 + i); }

std::vector<BranchPoint> Branch(int n) {
  std::vector<BranchPoint> out;
  for (int i = 0; i < n; ++i) out.push_back({Sha(i), base::Timestamp{i * kMinute}});
  return out;
}

TEST(Coverage, EveryCategory) {
  // c100 measured; c101..c103 skipped, represented by the job at c104 (queued);
  // c105 skipped but in no range; c106 in no record: a hole; c107 measured; c108..c109 new.
  PlatformRecords rec;
  rec.measured = {Sha(0), Sha(7)};
  rec.ranges = {{std::nullopt, Sha(0), 1}, {Sha(0), Sha(4), 4}, {Sha(6), Sha(7), 1}};
  rec.skipped = {
      {Sha(1), "window"}, {Sha(2), "window"}, {Sha(3), "queue-reset"}, {Sha(5), "window"}};
  auto rows = Coverage(Branch(10), 0, 10, {{"linux", rec}});
  ASSERT_EQ(rows.size(), 1u);
  const CoverageRow& r = rows[0];
  EXPECT_EQ(r.platform, "linux");
  EXPECT_EQ(r.commits, 10);
  EXPECT_EQ(r.measured, 2);
  EXPECT_EQ(r.represented, 4);  // c101..c104
  EXPECT_EQ(r.skipped, 1);      // c105
  EXPECT_EQ(r.unaccounted, 1);  // c106
  EXPECT_EQ(r.pending, 2);      // c108, c109
  EXPECT_EQ(r.unaccounted_shas, std::vector<std::string>{Sha(6)});
  EXPECT_EQ(r.skipped_by_reason.at("window"), 3);
  EXPECT_EQ(r.skipped_by_reason.at("queue-reset"), 1);
  EXPECT_DOUBLE_EQ(*r.coverage_measured, 0.2);
  EXPECT_DOUBLE_EQ(*r.coverage_represented, 0.6);
}

TEST(Coverage, ReportedRangeIsASliceButRangesReachBack) {
  PlatformRecords rec;
  rec.measured = {Sha(0), Sha(9)};
  rec.ranges = {{Sha(0), Sha(9), 9}};
  auto rows = Coverage(Branch(10), 5, 10, {{"linux", rec}});
  EXPECT_EQ(rows[0].commits, 5);
  EXPECT_EQ(rows[0].measured, 1);
  EXPECT_EQ(rows[0].represented, 4);
}

TEST(Coverage, RangeFromAnOffBranchCommitUsesItsCount) {
  PlatformRecords rec;
  rec.measured = {Sha(5)};
  rec.ranges = {{std::string("rewritten"), Sha(5), 2}, {std::nullopt, "gone", 3}};
  auto rows = Coverage(Branch(6), 0, 6, {{"linux", rec}});
  EXPECT_EQ(rows[0].represented, 1);  // c104 only
  EXPECT_EQ(rows[0].unaccounted, 4);
}

// Issue 16: without a recorded plan a commit in no range is unknown, not pending or a hole.
TEST(Coverage, WithoutAPlanCommitsInNoRangeAreUnknown) {
  PlatformRecords rec;
  rec.measured = {Sha(2), Sha(5)};
  rec.ranges = {{Sha(1), Sha(2), 1}, {Sha(3), Sha(5), 2}};
  auto rows = Coverage(Branch(7), 0, 7, {{"linux", rec}}, /*planned=*/false);
  const CoverageRow& r = rows[0];
  EXPECT_EQ(r.commits, 7);
  EXPECT_EQ(r.measured, 2);
  EXPECT_EQ(r.represented, 1);  // c104
  EXPECT_EQ(r.unknown, 4);      // c100, c101, c103 (a hole), c106 (newer)
  EXPECT_EQ(r.pending, 0);
  EXPECT_EQ(r.unaccounted, 0);
  EXPECT_TRUE(r.unaccounted_shas.empty());
  EXPECT_EQ(r.states[0], CommitState::kUnknown);
  EXPECT_EQ(r.states[4], CommitState::kRepresented);
  EXPECT_EQ(CommitStateName(r.states[6]), "unknown");
}

// A branch pieced together from the runs alone: the measured commits, and between them the
// commits the ranges stand for, counted.
TEST(Coverage, ABranchFromTheRunsCommitRanges) {
  // linux: a baseline at c105 standing for 6 commits, then c108 for 3 and c109 for 1.
  // macos: c108 only, standing for 3 commits (c106..c108).
  std::vector<BranchPoint> points = {{Sha(9), base::Timestamp{9 * kMinute}},
                                     {Sha(5), base::Timestamp{5 * kMinute}},
                                     {Sha(8), base::Timestamp{8 * kMinute}}};
  std::vector<RangeRef> linux = {
      {std::nullopt, Sha(5), 6}, {Sha(5), Sha(8), 3}, {Sha(8), Sha(9), 1}};
  std::vector<RangeRef> macos = {{Sha(5), Sha(8), 3}};
  std::vector<RangeRef> all = linux;
  all.insert(all.end(), macos.begin(), macos.end());
  auto branch = BranchFromRanges(points, all);
  ASSERT_EQ(branch.size(), 3u);
  EXPECT_EQ(branch[0].sha, Sha(5));
  EXPECT_EQ(branch[0].unlisted_before, 5);
  EXPECT_EQ(branch[1].sha, Sha(8));
  EXPECT_EQ(branch[1].unlisted_before, 2);
  EXPECT_EQ(branch[2].unlisted_before, 0);

  PlatformRecords l, m;
  l.measured = {Sha(5), Sha(8), Sha(9)};
  l.ranges = linux;
  m.measured = {Sha(8)};
  m.ranges = macos;
  auto rows = Coverage(branch, 0, 3, {{"linux", l}, {"macos", m}}, /*planned=*/false);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].commits, 10);
  EXPECT_EQ(rows[0].measured, 3);
  EXPECT_EQ(rows[0].represented, 7);
  EXPECT_EQ(rows[0].unknown, 0);
  EXPECT_EQ(rows[1].platform, "macos");
  EXPECT_EQ(rows[1].commits, 10);
  EXPECT_EQ(rows[1].measured, 1);
  EXPECT_EQ(rows[1].represented, 2);
  EXPECT_EQ(rows[1].unknown, 7);  // c100..c105 and c109
  EXPECT_EQ(rows[1].states, (std::vector<CommitState>{CommitState::kUnknown, CommitState::kMeasured,
                                                      CommitState::kUnknown}));

  // Gaps count the unlisted commits after the last complete point too.
  std::map<std::string, std::vector<RunBenchmarks>> runs;
  auto names = std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"a"});
  auto none = std::make_shared<const std::vector<std::string>>();
  runs["linux"] = {{Sha(5), std::nullopt, 0, names, none}};
  auto gaps = Gaps(branch, runs, {"linux"}, {"a"}, base::Timestamp{10 * kMinute}, {});
  EXPECT_EQ(gaps[0].commits_since, 4);  // c106, c107 (unlisted), c108, c109
}

TEST(Coverage, NoCommitsGivesNullCoverage) {
  auto rows = Coverage({}, 0, 0, {{"linux", {}}});
  EXPECT_EQ(rows[0].commits, 0);
  EXPECT_FALSE(rows[0].coverage_measured.has_value());
}

RunBenchmarks RunAt(int i, std::vector<std::string> ok, std::vector<std::string> failed = {},
                    std::optional<std::string> suite = std::nullopt, int64_t revision = 0) {
  return {Sha(i), std::move(suite), revision,
          std::make_shared<const std::vector<std::string>>(std::move(ok)),
          std::make_shared<const std::vector<std::string>>(std::move(failed))};
}

TEST(Gaps, APartialRunIsAGap) {
  std::map<std::string, std::vector<RunBenchmarks>> runs = {
      {"linux", {RunAt(2, {"a", "b"}), RunAt(6, {"a", "b"})}},
      {"macos", {RunAt(2, {"a", "b"}), RunAt(6, {"a"}, {"b"})}},  // b failed at c106
  };
  auto expected = ExpectedBenchmarks(Branch(8), runs);
  EXPECT_EQ(expected, (std::set<std::string>{"a", "b"}));
  auto rows =
      Gaps(Branch(8), runs, {"linux", "macos"}, expected, base::Timestamp{20 * kMinute}, {});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].last_complete, Sha(6));
  EXPECT_EQ(rows[0].commits_since, 1);
  EXPECT_EQ(rows[0].age_nanos, 13 * kMinute);  // c107 at minute 7
  EXPECT_FALSE(rows[0].stalled);
  EXPECT_EQ(rows[1].last_complete, Sha(2));
  EXPECT_EQ(rows[1].commits_since, 5);
  EXPECT_EQ(rows[1].missing, std::vector<std::string>{"b"});
  EXPECT_FALSE(rows[1].stalled) << "5 commits is at the bound, not above it";
  rows = Gaps(Branch(9), runs, {"linux", "macos"}, expected, base::Timestamp{20 * kMinute}, {});
  EXPECT_TRUE(rows[1].stalled);
  EXPECT_NE(rows[1].why.find("6 commits"), std::string::npos) << rows[1].why;
}

TEST(Gaps, APlatformFallingBehindOrWithNothing) {
  std::map<std::string, std::vector<RunBenchmarks>> runs = {
      {"linux", {RunAt(9, {"a"})}},
      {"macos", {RunAt(1, {"a"})}},
  };
  auto rows = Gaps(Branch(10), runs, {"linux", "macos", "windows"}, {"a"},
                   base::Timestamp{30 * kMinute}, {});
  EXPECT_FALSE(rows[0].stalled);
  EXPECT_EQ(rows[0].commits_since, 0);
  EXPECT_EQ(rows[0].age_nanos, 0);
  EXPECT_TRUE(rows[1].stalled);
  EXPECT_EQ(rows[1].commits_since, 8);
  EXPECT_TRUE(rows[2].stalled);
  EXPECT_EQ(rows[2].commits_since, 10);
  EXPECT_FALSE(rows[2].last_complete.has_value());
}

TEST(Gaps, MaxAge) {
  std::map<std::string, std::vector<RunBenchmarks>> runs = {{"linux", {RunAt(7, {"a"})}}};
  GapBounds bounds;
  bounds.max_age_nanos = 60 * kMinute;
  auto rows = Gaps(Branch(9), runs, {"linux"}, {"a"}, base::Timestamp{68 * kMinute}, bounds);
  EXPECT_FALSE(rows[0].stalled);  // c108 at minute 8 waited exactly 60 minutes
  rows = Gaps(Branch(9), runs, {"linux"}, {"a"}, base::Timestamp{69 * kMinute}, bounds);
  EXPECT_TRUE(rows[0].stalled);
  EXPECT_NE(rows[0].why.find("1h1m"), std::string::npos) << rows[0].why;
}

TEST(Gaps, ExpectedSetFollowsTheNewestSuiteRevision) {
  std::map<std::string, std::vector<RunBenchmarks>> runs = {
      {"linux", {RunAt(1, {"a", "old"}, {}, "core", 1), RunAt(5, {"a", "new"}, {}, "core", 2)}},
      {"macos", {RunAt(1, {"a", "old"}, {}, "core", 1)}},
  };
  EXPECT_EQ(ExpectedBenchmarks(Branch(6), runs), (std::set<std::string>{"a", "new"}));
}

}  // namespace
}  // namespace perfledger::analysis
