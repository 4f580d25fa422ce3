// The store test suite, every record at once (store.h StoreRecords): what migrate-store reads
// from one store and writes into another, ids, states and times as they were.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/token.h"
#include "store/store_test_fixture.h"

namespace perfledger::store {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the suite's fixture

TokenRecord RecordsToken(int i, std::optional<std::string> name = std::nullopt) {
  const std::string token = "plt_records-token-" + std::to_string(i);
  TokenRecord t;
  t.project = "gruel";
  t.name = std::move(name);
  t.hash = core::Sha256Hex(token);
  t.prefix = token.substr(0, 8);
  t.created_at = base::Timestamp{1'700'000'000'000'000'000LL + i};
  return t;
}

class StoreRecordsTest : public StoreTest {
 protected:
  // A second, empty store of the same back end: a file beside the first, or a new database.
  std::unique_ptr<Store> OpenOther() {
    std::string location = (dir_ / "copy.db").string();
    if (!sqlite()) {
      auto uri = NewPgDatabase();
      EXPECT_TRUE(uri.ok()) << uri.status().ToString();
      if (!uri.ok()) return nullptr;
      location = *uri;
    }
    auto s = OpenStore(location);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Two plans (the second supersedes both jobs of the first: one planned again, one skipped),
  // a job an agent failed once and then claimed again, three alerts (a drift, a noise change
  // and one triaged with a note), three tokens (one used, one revoked) and the detect mark.
  void Fill(Store& store) {
    PlanRecord first = SamplePlan(0, 4, base::Timestamp{100});
    first.queue_depth = 1;
    first.jobs.push_back(
        {0, Sha(4), "linux", "schedule", "newest of 4", Sha(0), 4, 2, core::JobState::kQueued, {}});
    first.jobs.push_back(
        {0, Sha(4), "macos", "schedule", "newest of 4", std::nullopt, 1, 1, {}, {}});
    first.skips.push_back({0, Sha(2), "linux", "window", 1, Sha(4), {}});
    first.skips.push_back({0, Sha(3), "linux", "window", 1, std::nullopt, {}});
    ASSERT_TRUE(store.RecordPlan(first).ok());
    PlanRecord second = SamplePlan(3, 6, base::Timestamp{200});
    second.degradation = "widened";
    second.jobs.push_back({0, Sha(6), "linux", "schedule", "newest of 6", Sha(4), 2, 1, {}, {}});
    second.jobs.push_back({0, Sha(4), "linux", "bisect", "", Sha(3), 1, 3, {}, {}});
    second.skips.push_back({0, Sha(4), "macos", "queue-reset", 5, std::nullopt, {}});
    ASSERT_TRUE(store.RecordPlan(second).ok());
    ClaimRequest claim;
    claim.platform = "linux";
    claim.agent = "runner-1";
    claim.now = base::Timestamp{300};
    claim.lease_nanos = 1000;
    auto claimed = store.ClaimJob(claim);
    ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status().ToString();
    ASSERT_TRUE(
        store.FinishJob((*claimed)->id, "runner-1", std::nullopt, "exit 1", base::Timestamp{400}, 3)
            .ok());
    claim.now = base::Timestamp{500};
    claimed = store.ClaimJob(claim);
    ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status().ToString();

    std::vector<AlertRecord> alerts = {SampleAlert(0, "linux", "drift"), SampleAlert(1, "macos"),
                                       SampleAlert(2, "linux", "noise")};
    alerts[0].first = Sha(1);  // a drift carries its first commit and its rate
    alerts[0].rate = 0.0375;
    alerts[0].direction = core::Direction::kHigher;
    alerts[2].epoch = std::nullopt;
    alerts[2].spread_ratio = 2.125;  // a noise change, its spread's ratio
    ASSERT_TRUE(store.RecordAlerts(alerts, {}).ok());
    ASSERT_TRUE(store
                    .SetAlertStatus(alerts[1].id, core::AlertStatus::kAcknowledged, "allocator",
                                    base::Timestamp{1'800'000'000'000'000'000LL})
                    .ok());

    TokenRecord read = RecordsToken(2, "dashboard");
    read.scope = "read";
    for (const TokenRecord& t : {RecordsToken(0, "ci"), RecordsToken(1), read}) {
      ASSERT_TRUE(store.CreateToken(t).ok());
    }
    ASSERT_TRUE(store.MarkTokenUsed(1, base::Timestamp{1'750'000'000'000'000'000LL}).ok());
    ASSERT_TRUE(store.RevokeToken(2, base::Timestamp{1'760'000'000'000'000'000LL}).ok());
    ASSERT_TRUE(store.WriteMark("detect", 7).ok());
  }
};

TEST_P(StoreRecordsTest, ReadRecordsGivesEveryRecordAsTheOtherReadsDo) {
  auto store = Open();
  Fill(*store);
  auto records = store->ReadRecords();
  ASSERT_TRUE(records.ok()) << records.status().ToString();

  ASSERT_EQ(records->plans.size(), 2u);
  EXPECT_EQ(records->plans[0].id, 1);
  EXPECT_EQ(records->plans[0].planned_at, base::Timestamp{100});
  EXPECT_GT(records->plans[0].recorded_at.unix_nanos, 0);
  EXPECT_EQ(records->plans[0].head, Sha(4));
  EXPECT_EQ(records->plans[0].queue_depth, 1);
  EXPECT_EQ(records->plans[1].id, 2);
  EXPECT_EQ(records->plans[1].degradation, "widened");
  EXPECT_EQ(records->plans[1].window_nanos, 15LL * 60 * 1'000'000'000);

  auto schedule = store->LoadSchedule();
  ASSERT_TRUE(schedule.ok()) << schedule.status().ToString();
  ASSERT_EQ(records->jobs.size(), schedule->jobs.size());
  for (size_t i = 0; i < records->jobs.size(); ++i) {
    SCOPED_TRACE(i);
    const JobHandout& j = records->jobs[i];
    EXPECT_EQ(j.id, static_cast<int64_t>(i + 1));
    EXPECT_EQ((JobRecord{j.plan_id, j.sha, j.platform, j.reason, j.reason_detail, j.range_from,
                         j.range_count, j.priority, j.state, j.planned_at}),
              schedule->jobs[i]);
  }
  // The second plan superseded both jobs of the first: a new job on linux, a skip on macos.
  ASSERT_EQ(records->jobs.size(), 4u);
  EXPECT_EQ(records->jobs[0].state, core::JobState::kSuperseded);
  EXPECT_EQ(records->jobs[1].state, core::JobState::kSuperseded);
  EXPECT_EQ(records->jobs[2].state, core::JobState::kQueued);
  EXPECT_EQ(records->jobs[2].plan_id, 2);
  EXPECT_EQ(records->jobs[2].planned_at, base::Timestamp{200});
  // The bisect job (priority 3) went first: failed once, claimed again.
  const JobHandout& bisect = records->jobs[3];
  EXPECT_EQ(bisect.reason, "bisect");
  EXPECT_EQ(bisect.state, core::JobState::kRunning);
  EXPECT_EQ(bisect.attempt, 2);
  EXPECT_EQ(bisect.agent, "runner-1");
  EXPECT_EQ(bisect.claimed_at, base::Timestamp{500});
  EXPECT_EQ(bisect.lease_expires_at, base::Timestamp{1500});
  EXPECT_EQ(bisect.log_tail, "exit 1");
  auto handouts = store->ListJobHandouts(std::nullopt);
  ASSERT_TRUE(handouts.ok()) << handouts.status().ToString();
  ASSERT_EQ(handouts->size(), 2u);
  for (const JobHandout& h : *handouts) {
    EXPECT_EQ(h, records->jobs.at(static_cast<size_t>(h.id - 1)));
  }
  EXPECT_EQ(records->agents, *store->ListAgents());
  ASSERT_EQ(records->agents.size(), 1u);
  EXPECT_EQ(records->agents[0].job, bisect.id);
  EXPECT_EQ(records->skips, schedule->skips);
  EXPECT_EQ(records->skips.size(), 3u);

  // Commits by sha, each once, whichever plan recorded it.
  ASSERT_EQ(records->commits.size(), 7u);
  EXPECT_TRUE(std::is_sorted(records->commits.begin(), records->commits.end(),
                             [](const auto& a, const auto& b) { return a.sha < b.sha; }));
  auto history = store->RecordedHistory(Sha(6));
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(records->commits, *history);  // Sha(i) sorts as i does

  EXPECT_EQ(records->alerts, *store->ListAlerts({}));
  ASSERT_EQ(records->alerts.size(), 3u);
  EXPECT_EQ(records->alerts[1].note, "allocator");
  EXPECT_EQ(records->tokens, *store->ListTokens(std::nullopt));
  ASSERT_EQ(records->tokens.size(), 3u);
  EXPECT_TRUE(records->tokens[0].last_used_at.has_value());
  EXPECT_TRUE(records->tokens[1].revoked_at.has_value());
  EXPECT_EQ(records->tokens[2].scope, "read");
  EXPECT_EQ(records->marks.at("detect"), 7);
  EXPECT_EQ(records->marks.at("alerts"), *store->AlertsMark());

  // An empty store has none.
  auto empty = OpenOther()->ReadRecords();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, StoreRecords{});
}

TEST_P(StoreRecordsTest, WrittenIntoAnEmptyStoreTheyComeBackExactly) {
  auto source = Open();
  Fill(*source);
  auto records = source->ReadRecords();
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  auto target = OpenOther();
  // Runs do not count as records: a store holding runs only takes them.
  std::vector<core::Run> runs = {MakeRun(0), MakeRun(1)};
  ASSERT_TRUE(target->Ingest(runs).ok());
  auto written = target->WriteRecords(*records);
  ASSERT_TRUE(written.ok()) << written.ToString();

  auto back = target->ReadRecords();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->plans, records->plans);
  EXPECT_EQ(back->jobs, records->jobs);
  EXPECT_EQ(back->agents, records->agents);
  EXPECT_EQ(back->skips, records->skips);
  EXPECT_EQ(back->commits, records->commits);
  EXPECT_EQ(back->alerts, records->alerts);
  EXPECT_EQ(back->tokens, records->tokens);
  EXPECT_EQ(back->marks, records->marks);
  // And what the other reads derive from them.
  EXPECT_EQ(target->ScheduleMark().value(), source->ScheduleMark().value());
  EXPECT_EQ(target->AlertsMark().value(), source->AlertsMark().value());
  EXPECT_EQ(target->LoadSchedule()->head, source->LoadSchedule()->head);
  EXPECT_EQ(target->ListJobHandouts(std::nullopt).value(),
            source->ListJobHandouts(std::nullopt).value());
  EXPECT_EQ(target->RecordedHistory(Sha(6)).value(), source->RecordedHistory(Sha(6)).value());
  auto found = target->FindTokenByHash(records->tokens[0].hash);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, 1);
  EXPECT_FALSE(target->FindTokenByHash(records->tokens[1].hash)->has_value()) << "revoked";
}

TEST_P(StoreRecordsTest, WrittenIdsAreKeptAndLaterRecordsGetFreshOnes) {
  // Ids with gaps, as a store whose transactions rolled back leaves them.
  StoreRecords r;
  PlanRow p;
  p.id = 3;
  p.planned_at = base::Timestamp{100};
  p.recorded_at = base::Timestamp{150};
  p.branch = "refs/heads/main";
  p.head = Sha(4);
  p.degradation = "none";
  r.plans.push_back(p);
  p.id = 7;
  p.planned_at = base::Timestamp{200};
  p.recorded_at = base::Timestamp{250};
  r.plans.push_back(p);
  JobHandout job;
  job.id = 4;
  job.plan_id = 3;
  job.sha = Sha(4);
  job.platform = "linux";
  job.reason = "schedule";
  job.state = core::JobState::kSuperseded;
  job.planned_at = base::Timestamp{100};
  r.jobs.push_back(job);
  job.id = 10;
  job.plan_id = 7;
  job.state = core::JobState::kQueued;
  job.attempt = 1;
  job.log_tail = "timed out";
  job.planned_at = base::Timestamp{200};
  r.jobs.push_back(job);
  r.agents.push_back({"runner-1", "linux", base::Timestamp{180}, std::nullopt});
  r.skips.push_back({7, Sha(3), "linux", "window", 0, Sha(4), base::Timestamp{200}});
  r.commits = SamplePlan(3, 4, base::Timestamp{0}).commits;
  r.alerts = {SampleAlert(0), SampleAlert(1)};
  r.alerts[0].id = 2;
  r.alerts[1].id = 5;
  r.tokens = {RecordsToken(0, "ci"), RecordsToken(1)};
  r.tokens[0].id = 6;
  r.tokens[1].id = 8;
  r.marks = {{"alerts", 12}, {"detect", 40}};

  auto store = Open();
  ASSERT_TRUE(store->WriteMark("detect", 50).ok());
  auto written = store->WriteRecords(r);
  ASSERT_TRUE(written.ok()) << written.ToString();
  auto back = store->ReadRecords();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  StoreRecords want = r;
  want.marks["detect"] = 50;  // a mark never moves back
  EXPECT_EQ(*back, want);

  auto token = store->CreateToken(RecordsToken(2));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, 9);
  std::vector<AlertRecord> alerts = {SampleAlert(2)};
  ASSERT_TRUE(store->RecordAlerts(alerts, {}).ok());
  EXPECT_EQ(alerts[0].id, 6);
  EXPECT_GT(*store->AlertsMark(), 12);
  PlanRecord plan = SamplePlan(4, 5, base::Timestamp{300});
  plan.jobs.push_back({0, Sha(5), "linux", "schedule", "", Sha(4), 1, 1, {}, {}});
  plan.jobs.push_back({0, Sha(4), "linux", "bisect", "", Sha(3), 1, 1, {}, {}});
  ASSERT_TRUE(store->RecordPlan(plan).ok());
  auto after = store->ReadRecords();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->plans.size(), 3u);
  EXPECT_EQ(after->plans[2].id, 8);
  ASSERT_EQ(after->jobs.size(), 4u);
  EXPECT_EQ(after->jobs[2].id, 11);
  EXPECT_EQ(after->jobs[3].id, 12);
  // The new plan's job of Sha(4) on linux superseded the copied queued one.
  EXPECT_EQ(after->jobs[1].state, core::JobState::kSuperseded);
}

TEST_P(StoreRecordsTest, AStoreHoldingRecordsRefusesThemAndKeepsWhatItHeld) {
  auto source = Open();
  Fill(*source);
  auto records = source->ReadRecords();
  ASSERT_TRUE(records.ok()) << records.status().ToString();

  auto target = OpenOther();
  ASSERT_TRUE(target->CreateToken(RecordsToken(9, "laptop")).ok());
  auto before = target->ReadRecords();
  ASSERT_TRUE(before.ok());
  base::Status refused = target->WriteRecords(*records);
  EXPECT_EQ(refused.code(), base::StatusCode::kConflict) << refused.ToString();
  EXPECT_TRUE(Contains(refused.message(), "already holds records (0 plans, 0 alerts, 1 token)"))
      << refused.message();
  EXPECT_EQ(target->ReadRecords().value(), *before);

  // Into itself, the same.
  refused = source->WriteRecords(*records);
  EXPECT_EQ(refused.code(), base::StatusCode::kConflict);
  EXPECT_TRUE(Contains(refused.message(), "(2 plans, 3 alerts, 3 tokens)")) << refused.message();
  EXPECT_EQ(source->ReadRecords().value(), *records);
}

TEST_P(StoreRecordsTest, RecordsNoStoreCouldHoldAreRefusedWritingNothing) {
  auto source = Open();
  Fill(*source);
  const StoreRecords good = source->ReadRecords().value();
  auto target = OpenOther();
  auto refused = [&](StoreRecords r, const std::string& message) {
    SCOPED_TRACE(message);
    base::Status s = target->WriteRecords(r);
    EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput) << s.ToString();
    EXPECT_TRUE(Contains(s.message(), message)) << s.message();
    EXPECT_EQ(target->ReadRecords().value(), StoreRecords{});
  };
  StoreRecords r = good;
  r.jobs[0].plan_id = 99;
  refused(r, "the job of " + Sha(4) + " on linux names plan 99, which is not given");
  r = good;
  r.skips[0].plan_id = 99;
  refused(r, "names plan 99, which is not given");
  r = good;
  r.plans[1].id = r.plans[0].id;
  refused(r, "plan id 1 is given twice");
  r = good;
  r.tokens[0].id = 0;
  refused(r, "token id 0 is not positive");
  r = good;
  r.tokens[2].hash = "not a hash";
  refused(r, "token 3: a token's hash must be its SHA-256");
  r = good;
  r.alerts[0].change = std::numeric_limits<double>::infinity();
  refused(r, "change is not a finite number");
  ASSERT_TRUE(target->WriteRecords(good).ok());
}

// Two processes claiming the same step of a mark (two servers posting one alert to a
// webhook): one wins, the other is told and changes nothing; the mark survives a reopen.
TEST_P(StoreRecordsTest, AMarkIsClaimedByOneConnectionOnly) {
  auto first = Open();
  auto second = Open();
  auto claimed = first->ClaimMark("notify/x/alerts", std::nullopt, 5);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_TRUE(*claimed);
  auto again = second->ClaimMark("notify/x/alerts", std::nullopt, 6);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // the mark exists already
  auto stale = second->ClaimMark("notify/x/alerts", 4, 9);
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale);
  auto next = second->ClaimMark("notify/x/alerts", 5, 9);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(*next);
  auto lost = first->ClaimMark("notify/x/alerts", 5, 7);
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(*lost);
  first.reset();
  second.reset();
  auto reopened = Open();
  auto value = reopened->ReadMark("notify/x/alerts");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, std::optional<int64_t>(9));
  auto records = reopened->ReadRecords();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->marks.at("notify/x/alerts"), 9);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreRecordsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace perfledger::store
