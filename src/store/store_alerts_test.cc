// The store test suite, alerts: recorded, listed, filtered, narrowed, triaged.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

#include "base/uuid.h"
#include "core/artifact.h"
#include "store/collector.h"
#include "store/store_test_fixture.h"
namespace perfledger::store {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the suite's fixture

// Alerts (store.h AlertRecord).

std::vector<int64_t> IdsOf(const std::vector<AlertRecord>& alerts) {
  std::vector<int64_t> ids;
  for (const auto& a : alerts) ids.push_back(a.id);
  return ids;
}

TEST_P(StoreTest, AlertsComeBackWithEveryFieldAndIdsInOrder) {
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1, "macos", "improvement"),
                                      SampleAlert(2, "x86-64-linux", "environment")};
  inserts[0].epoch.reset();  // a series without a suite epoch
  inserts[1].status = core::AlertStatus::kAcknowledged;
  inserts[1].note = "expected: the new allocator";
  inserts[1].change = -0.2;
  inserts[1].range_count = 0;  // unknown
  inserts[2].note = "";        // given but empty: not the same as none
  {
    auto store = Open();
    EXPECT_TRUE(store->ListAlerts({})->empty());
    ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
    EXPECT_EQ(IdsOf(inserts), (std::vector<int64_t>{1, 2, 3}));
    std::vector<AlertRecord> more = {SampleAlert(3)};
    ASSERT_TRUE(store->RecordAlerts(more, {}).ok());
    EXPECT_EQ(more[0].id, 4);
    inserts.push_back(more[0]);
    // Nothing to do is fine, too.
    std::vector<AlertRecord> none;
    EXPECT_TRUE(store->RecordAlerts(none, {}).ok());
  }
  auto store = Open();  // and it all survives reopening
  auto back = store->ListAlerts({});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), inserts.size());
  for (size_t i = 0; i < inserts.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameAlert((*back)[i], inserts[i]);
  }
  EXPECT_EQ((*back)[0].epoch, std::nullopt);
  EXPECT_EQ((*back)[0].note, std::nullopt);
  EXPECT_EQ((*back)[2].note, std::optional<std::string>(""));
}

// A drift keeps its first commit and its rate, a noise change its spread's ratio, through a
// reopen, a kind filter and a narrowing (a later detection over more measured commits).
TEST_P(StoreTest, DriftAndNoiseAlertsKeepTheirFirstCommitRateAndSpread) {
  std::vector<AlertRecord> inserts = {SampleAlert(0, "x86-64-linux", "drift"),
                                      SampleAlert(1, "x86-64-linux", "noise"), SampleAlert(2)};
  inserts[0].first = Sha(1);
  inserts[0].rate = 0.004627;
  inserts[0].change = 0.2031;
  inserts[0].range_count = 40;
  inserts[0].direction = core::Direction::kLower;  // so the drift is a regression
  inserts[1].spread_ratio = 2.0625;
  inserts[1].change = 1.0625;
  inserts[1].direction = core::Direction::kHigher;
  {
    auto store = Open();
    ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  }
  auto store = Open();
  auto back = store->ListAlerts({});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  for (size_t i = 0; i < inserts.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameAlert((*back)[i], inserts[i]);
  }
  EXPECT_EQ((*back)[0].kind, core::AlertKind::kDrift);
  EXPECT_EQ((*back)[1].kind, core::AlertKind::kNoise);
  EXPECT_EQ((*back)[2].first, std::nullopt);  // a step has none of them
  EXPECT_EQ((*back)[2].rate, std::nullopt);
  EXPECT_EQ((*back)[2].spread_ratio, std::nullopt);
  EXPECT_EQ((*back)[2].direction, std::nullopt);

  AlertFilter drifts;
  drifts.kind = core::AlertKind::kDrift;
  auto listed = store->ListAlerts(drifts);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(IdsOf(*listed), (std::vector<int64_t>{1}));
  AlertFilter noise;
  noise.kind = core::AlertKind::kNoise;
  listed = store->ListAlerts(noise);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(IdsOf(*listed), (std::vector<int64_t>{2}));

  AlertRecord narrower = inserts[0];
  narrower.range_from = Sha(4);
  narrower.first = Sha(5);
  narrower.rate = 0.00625;
  narrower.direction.reset();  // not said: kept
  narrower.updated_at = base::Timestamp{narrower.updated_at.unix_nanos + 10};
  std::vector<AlertRecord> none;
  ASSERT_TRUE(store->RecordAlerts(none, {narrower}).ok());
  back = store->ListAlerts({});
  ASSERT_TRUE(back.ok());
  narrower.direction = core::Direction::kLower;
  ExpectSameAlert((*back)[0], narrower);

  // Not finite is refused, as for the other numbers.
  std::vector<AlertRecord> bad = {SampleAlert(3, "x86-64-linux", "drift")};
  bad[0].rate = std::numeric_limits<double>::infinity();
  auto s = store->RecordAlerts(bad, {});
  EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(s.message(), "rate is not a finite number")) << s.message();
}

// The server keeps documents that show alerts (a benchmark's series) while AlertsMark stays.
TEST_P(StoreTest, TheAlertsMarkMovesWithEveryAlertWriteAndOnlyThen) {
  auto store = Open();
  auto mark = [&] {
    auto m = store->AlertsMark();
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : -1;
  };
  const int64_t empty = mark();
  std::vector<AlertRecord> none;
  ASSERT_TRUE(store->RecordAlerts(none, {}).ok());
  EXPECT_EQ(mark(), empty) << "nothing written";
  std::vector<AlertRecord> inserts = {SampleAlert(0)};
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  const int64_t recorded = mark();
  EXPECT_NE(recorded, empty);
  ASSERT_TRUE(store
                  ->SetAlertStatus(inserts[0].id, core::AlertStatus::kAcknowledged, "looking",
                                   base::Timestamp{1})
                  .ok());
  const int64_t triaged = mark();
  EXPECT_NE(triaged, recorded);
  AlertRecord narrower = inserts[0];
  narrower.range_count = 1;
  ASSERT_TRUE(store->RecordAlerts(none, {narrower}).ok());
  EXPECT_NE(mark(), triaged);
  const int64_t narrowed = mark();
  EXPECT_FALSE(
      store->SetAlertStatus(99, core::AlertStatus::kResolved, std::nullopt, base::Timestamp{2})
          .ok());
  EXPECT_EQ(mark(), narrowed) << "a refused write moves nothing";
  // Runs do not move it.
  std::vector<core::Run> runs = {MakeRun(0)};
  ASSERT_TRUE(store->Ingest(runs).ok());
  EXPECT_EQ(mark(), narrowed);
}

TEST_P(StoreTest, AlertsAreFilteredByStatusPlatformAndKind) {
  auto store = Open();
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1, "macos"),
                                      SampleAlert(2, "x86-64-linux", "improvement"),
                                      SampleAlert(3, "macos", "environment"), SampleAlert(4)};
  inserts[1].status = core::AlertStatus::kResolved;
  inserts[4].status = core::AlertStatus::kFalsePositive;
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  using Opt = std::optional<std::string>;
  auto ids = [&](Opt status, Opt platform, Opt kind) {
    AlertFilter f;
    if (status) f.status = core::ParseAlertStatus(*status);
    f.platform = std::move(platform);
    if (kind) f.kind = core::ParseAlertKind(*kind);
    auto listed = store->ListAlerts(f);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    return listed.ok() ? IdsOf(*listed) : std::vector<int64_t>{};
  };
  using Ids = std::vector<int64_t>;
  const auto any = std::nullopt;
  EXPECT_EQ(ids(any, any, any), (Ids{1, 2, 3, 4, 5}));
  EXPECT_EQ(ids("open", any, any), (Ids{1, 3, 4}));
  EXPECT_EQ(ids("resolved", any, any), (Ids{2}));
  EXPECT_EQ(ids("acknowledged", any, any), Ids{});
  EXPECT_EQ(ids(any, "macos", any), (Ids{2, 4}));
  EXPECT_EQ(ids(any, any, "regression"), (Ids{1, 2, 5}));
  EXPECT_EQ(ids("open", "x86-64-linux", any), (Ids{1, 3}));
  EXPECT_EQ(ids("open", "macos", "environment"), (Ids{4}));
  EXPECT_EQ(ids(any, "nope", any), Ids{});
}

TEST_P(StoreTest, NarrowingReplacesTheRangeAndKeepsStatusAndNote) {
  auto store = Open();
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1)};
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  const base::Timestamp acked{inserts[0].created_at.unix_nanos + 1000};
  ASSERT_TRUE(store->SetAlertStatus(1, core::AlertStatus::kAcknowledged, "looking", acked).ok());

  // A later detection with more commits measured: a narrower range and new estimates. Its
  // status, note, kind and series fields are not what narrowing changes.
  AlertRecord narrower = SampleAlert(7, "macos", "improvement");
  narrower.id = 1;
  narrower.range_from = Sha(2);
  narrower.range_to = Sha(3);
  narrower.range_count = 1;
  narrower.before_median = 990.5;
  narrower.after_median = 1200.75;
  narrower.change = 0.2122;
  narrower.confidence = 0.9999;
  narrower.status = core::AlertStatus::kOpen;
  narrower.note = "from detect";
  narrower.updated_at = base::Timestamp{acked.unix_nanos + 5000};
  std::vector<AlertRecord> fresh = {SampleAlert(2)};
  ASSERT_TRUE(store->RecordAlerts(fresh, {narrower}).ok());
  EXPECT_EQ(fresh[0].id, 3);

  auto back = store->ListAlerts({});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 3u);
  AlertRecord want = inserts[0];
  want.range_from = Sha(2);
  want.range_to = Sha(3);
  want.range_count = 1;
  want.before_median = 990.5;
  want.after_median = 1200.75;
  want.change = 0.2122;
  want.confidence = 0.9999;
  want.status = core::AlertStatus::kAcknowledged;
  want.note = "looking";
  want.updated_at = narrower.updated_at;
  ExpectSameAlert((*back)[0], want);
  ExpectSameAlert((*back)[1], inserts[1]);  // untouched
  ExpectSameAlert((*back)[2], fresh[0]);

  // A record whose clock is behind the alert's last update never moves updated_at back.
  AlertRecord stale = want;
  stale.updated_at = base::Timestamp{0};
  stale.change = 0.25;
  std::vector<AlertRecord> none;
  ASSERT_TRUE(store->RecordAlerts(none, {stale}).ok());
  auto again = store->ListAlerts({});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].change, 0.25);
  EXPECT_EQ((*again)[0].updated_at, narrower.updated_at);
}

TEST_P(StoreTest, AnUnknownIdInNarrowedWritesNothing) {
  auto store = Open();
  std::vector<AlertRecord> first = {SampleAlert(0)};
  ASSERT_TRUE(store->RecordAlerts(first, {}).ok());

  // One valid narrowing, one unknown id, and two inserts in the same call: none of it stays.
  AlertRecord valid = first[0];
  valid.change = 0.5;
  valid.range_from = Sha(3);
  AlertRecord unknown = SampleAlert(1);
  unknown.id = 2;  // the id the first insert below would get
  std::vector<AlertRecord> inserts = {SampleAlert(2), SampleAlert(3)};
  auto s = store->RecordAlerts(inserts, {valid, unknown});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), base::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no alert with id 2");
  EXPECT_EQ(IdsOf(inserts), (std::vector<int64_t>{0, 0}));  // no ids written back
  auto back = store->ListAlerts({});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  ExpectSameAlert((*back)[0], first[0]);

  // The same inserts alone go through, numbered as if the failed call never happened.
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  EXPECT_EQ(IdsOf(inserts), (std::vector<int64_t>{2, 3}));
}

// An alert's kind and status are enums (core/triage.h): an unknown word is refused where it
// is parsed (TriageTest.UnknownAndMisspelledWordsAreRefused; the API's and the CLI's tests),
// so the numbers are what the store checks.
TEST_P(StoreTest, InvalidNewAlertsAreRefusedAndNothingIsWritten) {
  auto store = Open();
  std::vector<AlertRecord> not_finite = {SampleAlert(0), SampleAlert(1, "macos", "improvement")};
  not_finite[1].change = std::numeric_limits<double>::quiet_NaN();
  auto s = store->RecordAlerts(not_finite, {});
  EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(s.message(), "change is not a finite number")) << s.message();

  std::vector<AlertRecord> infinite = {SampleAlert(0)};
  infinite[0].noise = std::numeric_limits<double>::infinity();
  std::vector<AlertRecord> none;
  s = store->RecordAlerts(none, infinite);
  EXPECT_EQ(s.code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(s.message(), "noise is not a finite number")) << s.message();

  EXPECT_EQ(IdsOf(not_finite), (std::vector<int64_t>{0, 0}));
  EXPECT_TRUE(store->ListAlerts({})->empty());
}

TEST_P(StoreTest, SetAlertStatusMovesBetweenStatusesAndRefusesUnknownIds) {
  auto store = Open();
  std::vector<AlertRecord> inserts = {SampleAlert(0), SampleAlert(1)};
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  const int64_t t0 = inserts[0].created_at.unix_nanos;
  auto alert = [&](int64_t id) {
    auto listed = store->ListAlerts({});
    EXPECT_TRUE(listed.ok());
    for (const auto& a : *listed) {
      if (a.id == id) return a;
    }
    ADD_FAILURE() << "no alert " << id;
    return AlertRecord{};
  };

  ASSERT_TRUE(store
                  ->SetAlertStatus(1, core::AlertStatus::kAcknowledged, "bisecting",
                                   base::Timestamp{t0 + 1})
                  .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "acknowledged");
  EXPECT_EQ(alert(1).note, "bisecting");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 1});
  EXPECT_EQ(alert(1).created_at, inserts[0].created_at);

  // Without a note the note stays.
  ASSERT_TRUE(
      store->SetAlertStatus(1, core::AlertStatus::kResolved, std::nullopt, base::Timestamp{t0 + 2})
          .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "resolved");
  EXPECT_EQ(alert(1).note, "bisecting");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 2});

  ASSERT_TRUE(store
                  ->SetAlertStatus(1, core::AlertStatus::kFalsePositive, "noise on the runner",
                                   base::Timestamp{t0 + 3})
                  .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "false-positive");
  EXPECT_EQ(alert(1).note, "noise on the runner");
  ASSERT_TRUE(
      store->SetAlertStatus(1, core::AlertStatus::kOpen, std::nullopt, base::Timestamp{t0 + 4})
          .ok());
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "open");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 4});
  ExpectSameAlert(alert(2), inserts[1]);  // the other alert is untouched

  auto unknown_id =
      store->SetAlertStatus(7, core::AlertStatus::kResolved, std::nullopt, base::Timestamp{t0 + 5});
  EXPECT_EQ(unknown_id.code(), base::StatusCode::kNotFound);
  EXPECT_EQ(unknown_id.message(), "no alert with id 7");
  // Neither changed anything.
  EXPECT_EQ(core::AlertStatusName(alert(1).status), "open");
  EXPECT_EQ(alert(1).note, "noise on the runner");
  EXPECT_EQ(alert(1).updated_at, base::Timestamp{t0 + 4});
}

TEST_P(StoreTest, TheAlertsTableRefusesUnknownKindsAndStatuses) {
  { auto store = Open(); }
  const std::string insert =
      "INSERT INTO alerts (project, platform, benchmark, metric, unit, range_from, range_to, "
      "range_count, before_median, after_median, change, confidence, noise, kind, status, "
      "created_at, updated_at) VALUES ('p', 'x', 'b', 'm', 'ns', 'a', 'b', 1, 1, 2, 1, 0.9, 0, ";
  std::string error;
  EXPECT_TRUE(ExecRaw(insert + "'regression', 'open', 1, 1)", &error)) << error;
  EXPECT_TRUE(ExecRaw(insert + "'drift', 'open', 1, 1)", &error)) << error;
  EXPECT_TRUE(ExecRaw(insert + "'noise', 'open', 1, 1)", &error)) << error;
  EXPECT_FALSE(ExecRaw(insert + "'slower', 'open', 1, 1)"));
  EXPECT_FALSE(ExecRaw(insert + "'regression', 'closed', 1, 1)"));
}

TEST_F(SqliteStoreTest, AVersion3StoreIsMigratedKeepingItsRunsAndAddingAlertsAndTokens) {
  core::Run old = EpochRun(0);
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&old, 1}).ok());
  }
  // Back to schema 3 as the previous release left it.
  ASSERT_TRUE(test_support::UndoSchemasDownTo(path_, 3));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 14"), std::string::npos) << store->Describe();
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], old);
  EXPECT_EQ(store->ListEpochs({})->size(), 1u);
  auto alerts = store->ListAlerts({});
  ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
  EXPECT_TRUE(alerts->empty());
  std::vector<AlertRecord> inserts = {SampleAlert(0)};
  ASSERT_TRUE(store->RecordAlerts(inserts, {}).ok());
  EXPECT_EQ(inserts[0].id, 1);
  EXPECT_TRUE(
      store->SetAlertStatus(1, core::AlertStatus::kResolved, std::nullopt, base::Timestamp{2})
          .ok());
  EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());
}

// The store the release before drift and noise left (schema 13): its alerts stay as they were,
// and the new kinds are taken after the migration.
TEST_F(SqliteStoreTest, AVersion13StoreKeepsItsAlertsAndTakesDriftAndNoise) {
  std::vector<AlertRecord> alerts = {SampleAlert(0), SampleAlert(1, "macos", "environment")};
  alerts[1].status = core::AlertStatus::kAcknowledged;
  alerts[1].note = "new runner";
  {
    auto store = Open();
    ASSERT_TRUE(store->RecordAlerts(alerts, {}).ok());
  }
  ASSERT_TRUE(test_support::UndoSchemasDownTo(path_, 13));
  EXPECT_FALSE(
      ExecRaw("INSERT INTO alerts SELECT 9, project, platform, benchmark, metric, unit, epoch, "
              "range_from, range_to, range_count, before_median, after_median, change, confidence, "
              "noise, 'drift', status, note, created_at, updated_at FROM alerts WHERE id = 1"))
      << "schema 13 takes no drift";
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 14"), std::string::npos) << store->Describe();
  auto kept = store->ListAlerts({});
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_EQ(kept->size(), 2u);
  ExpectSameAlert((*kept)[0], alerts[0]);
  ExpectSameAlert((*kept)[1], alerts[1]);
  std::vector<AlertRecord> more = {SampleAlert(2, "macos", "drift"), SampleAlert(3, "x", "noise")};
  more[0].first = Sha(21);
  more[0].rate = 0.01;
  more[0].direction = core::Direction::kHigher;
  more[1].spread_ratio = 3;
  ASSERT_TRUE(store->RecordAlerts(more, {}).ok());
  EXPECT_EQ(more[0].id, 3);
  kept = store->ListAlerts({});
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 4u);
  ExpectSameAlert((*kept)[2], more[0]);
  ExpectSameAlert((*kept)[3], more[1]);
}

// PostgreSQL's store before drift and noise (schema 2): the same.
class PgStoreTest : public StoreTestBase {
 protected:
  Backend backend() const override { return Backend::kPostgres; }
};

TEST_F(PgStoreTest, AVersion2StoreKeepsItsAlertsAndTakesDriftAndNoise) {
  std::vector<AlertRecord> alerts = {SampleAlert(0), SampleAlert(1, "macos", "improvement")};
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->RecordAlerts(alerts, {}).ok());
  }
  // Back to schema 2 as the previous release left it.
  std::string error;
  ASSERT_TRUE(ExecRaw(
      "ALTER TABLE alerts DROP COLUMN first_commit; ALTER TABLE alerts DROP COLUMN rate; "
      "ALTER TABLE alerts DROP COLUMN spread_ratio; ALTER TABLE alerts DROP COLUMN direction; "
      "ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check; "
      "ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check "
      "CHECK (kind IN ('regression', 'improvement', 'environment')); "
      "DELETE FROM schema_version WHERE version = 3",
      &error))
      << error;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 3"), std::string::npos) << store->Describe();
  auto kept = store->ListAlerts({});
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_EQ(kept->size(), 2u);
  ExpectSameAlert((*kept)[0], alerts[0]);
  ExpectSameAlert((*kept)[1], alerts[1]);
  std::vector<AlertRecord> more = {SampleAlert(2, "macos", "drift"), SampleAlert(3, "x", "noise")};
  more[0].first = Sha(21);
  more[0].rate = 0.01;
  more[0].direction = core::Direction::kHigher;
  more[1].spread_ratio = 3;
  ASSERT_TRUE(store->RecordAlerts(more, {}).ok());
  kept = store->ListAlerts({});
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 4u);
  ExpectSameAlert((*kept)[2], more[0]);
  ExpectSameAlert((*kept)[3], more[1]);
}

}  // namespace
}  // namespace perfledger::store
