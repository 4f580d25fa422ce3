#include "core/triage.h"

#include <gtest/gtest.h>

namespace perfledger::core {
namespace {

// The names are a contract (the store's CHECK constraints, the API, the dashboard): pinned.
TEST(TriageTest, NamesRoundTripAndArePinned) {
  for (AlertKind k : {AlertKind::kRegression, AlertKind::kImprovement, AlertKind::kEnvironment,
                      AlertKind::kDrift, AlertKind::kNoise}) {
    EXPECT_EQ(ParseAlertKind(AlertKindName(k)), k);
  }
  EXPECT_EQ(AlertKindName(AlertKind::kDrift), "drift");
  EXPECT_EQ(AlertKindName(AlertKind::kNoise), "noise");
  for (AlertStatus s : {AlertStatus::kOpen, AlertStatus::kAcknowledged, AlertStatus::kResolved,
                        AlertStatus::kFalsePositive}) {
    EXPECT_EQ(ParseAlertStatus(AlertStatusName(s)), s);
  }
  for (JobState s : {JobState::kQueued, JobState::kSuperseded, JobState::kDone, JobState::kRunning,
                     JobState::kFailed}) {
    EXPECT_EQ(ParseJobState(JobStateName(s)), s);
  }
  EXPECT_EQ(AlertStatusName(AlertStatus::kFalsePositive), "false-positive");
  EXPECT_EQ(AlertKindList(), "regression, improvement, environment, drift or noise");
  EXPECT_EQ(AlertStatusList(), "open, acknowledged, resolved or false-positive");
  EXPECT_EQ(JobStateList(), "queued, superseded, done, running or failed");
}

TEST(TriageTest, UnknownAndMisspelledWordsAreRefused) {
  EXPECT_EQ(ParseAlertStatus("gone"), std::nullopt);
  EXPECT_EQ(ParseAlertStatus("Open"), std::nullopt);
  EXPECT_EQ(ParseAlertStatus("false_positive"), std::nullopt);
  EXPECT_EQ(ParseAlertKind(""), std::nullopt);
  EXPECT_EQ(ParseJobState("claimed"), std::nullopt);
  EXPECT_EQ(ParseJobState("Running"), std::nullopt);
}

}  // namespace
}  // namespace perfledger::core
