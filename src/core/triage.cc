#include "core/triage.h"

#include <array>
#include <utility>

namespace perfledger::core {
namespace {

template <typename E, size_t N>
std::string_view NameIn(const std::array<std::pair<E, std::string_view>, N>& names, E e) {
  for (const auto& [value, name] : names) {
    if (value == e) return name;
  }
  return names[0].second;
}

template <typename E, size_t N>
std::optional<E> ParseIn(const std::array<std::pair<E, std::string_view>, N>& names,
                         std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

// "a, b or c"
template <typename E, size_t N>
std::string ListOf(const std::array<std::pair<E, std::string_view>, N>& names) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += names[i].second;
  }
  return out;
}

constexpr std::array<std::pair<AlertKind, std::string_view>, 5> kKinds = {{
    {AlertKind::kRegression, "regression"},
    {AlertKind::kImprovement, "improvement"},
    {AlertKind::kEnvironment, "environment"},
    {AlertKind::kDrift, "drift"},
    {AlertKind::kNoise, "noise"},
}};

constexpr std::array<std::pair<AlertStatus, std::string_view>, 4> kStatuses = {{
    {AlertStatus::kOpen, "open"},
    {AlertStatus::kAcknowledged, "acknowledged"},
    {AlertStatus::kResolved, "resolved"},
    {AlertStatus::kFalsePositive, "false-positive"},
}};

constexpr std::array<std::pair<JobState, std::string_view>, 5> kJobStates = {{
    {JobState::kQueued, "queued"},
    {JobState::kSuperseded, "superseded"},
    {JobState::kDone, "done"},
    {JobState::kRunning, "running"},
    {JobState::kFailed, "failed"},
}};

}  // namespace

std::string_view AlertKindName(AlertKind k) { return NameIn(kKinds, k); }
std::optional<AlertKind> ParseAlertKind(std::string_view name) { return ParseIn(kKinds, name); }
std::string AlertKindList() { return ListOf(kKinds); }

std::string_view AlertStatusName(AlertStatus s) { return NameIn(kStatuses, s); }
std::optional<AlertStatus> ParseAlertStatus(std::string_view name) {
  return ParseIn(kStatuses, name);
}
std::string AlertStatusList() { return ListOf(kStatuses); }

std::string_view JobStateName(JobState s) { return NameIn(kJobStates, s); }
std::optional<JobState> ParseJobState(std::string_view name) { return ParseIn(kJobStates, name); }
std::string JobStateList() { return ListOf(kJobStates); }

}  // namespace perfledger::core
