// The words of triage and scheduling as types: an alert's kind and status (DESIGN.md "alert")
// and a scheduled job's state. Each edge parses the word once (a CLI flag, a query parameter,
// a JSON body, a database column) and everything past it compares enums. The names are the
// ones the store's CHECK constraints, the API and the dashboard's TypeScript use; they never
// change.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace perfledger::core {

// What an alert says changed: a regression, an improvement, a step on every benchmark of a
// platform at once (the machine changed, not the code), a gradual change of the level over a
// stretch of commits (drift: worse or better by the series' direction), or a change of the
// spread rather than the level (noise: a benchmark became bimodal or much noisier).
enum class AlertKind { kRegression, kImprovement, kEnvironment, kDrift, kNoise };
// "regression", "improvement", "environment", "drift", "noise"
std::string_view AlertKindName(AlertKind k);
std::optional<AlertKind> ParseAlertKind(std::string_view name);
// "regression, improvement, environment, drift or noise", for messages.
std::string AlertKindList();

// Where triage stands on an alert.
enum class AlertStatus { kOpen, kAcknowledged, kResolved, kFalsePositive };
// "open", "acknowledged", "resolved", "false-positive"
std::string_view AlertStatusName(AlertStatus s);
std::optional<AlertStatus> ParseAlertStatus(std::string_view name);
// "open, acknowledged, resolved or false-positive", for messages.
std::string AlertStatusList();

// A planned job: queued until a later plan supersedes it; done once a run of its commit on
// its platform is stored (read from the runs, never stored).
// Queued until an agent claims it (running, under a lease) or a later plan supersedes it;
// done once a run of it is stored; failed after its last attempt failed (DESIGN.md "serve").
enum class JobState { kQueued, kSuperseded, kDone, kRunning, kFailed };
// "queued", "superseded", "done", "running", "failed"
std::string_view JobStateName(JobState s);
std::optional<JobState> ParseJobState(std::string_view name);
// "queued, superseded, done, running or failed", for messages.
std::string JobStateList();

}  // namespace perfledger::core
