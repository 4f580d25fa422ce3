#include "core/run.h"

#include <array>

namespace perfledger::core {
namespace {
constexpr std::array<std::pair<Reason, std::string_view>, 7> kReasons = {{
    {Reason::kPush, "push"},
    {Reason::kSchedule, "schedule"},
    {Reason::kManual, "manual"},
    {Reason::kTagged, "tagged"},
    {Reason::kMerge, "merge"},
    {Reason::kBisect, "bisect"},
    {Reason::kBackfill, "backfill"},
}};
}  // namespace

std::string_view ReasonName(Reason r) {
  for (const auto& [reason, name] : kReasons) {
    if (reason == r) return name;
  }
  return "push";
}

std::optional<Reason> ParseReason(std::string_view name) {
  for (const auto& [reason, n] : kReasons) {
    if (n == name) return reason;
  }
  return std::nullopt;
}

std::string ReasonList() {
  std::string out;
  for (const auto& [reason, name] : kReasons) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string_view DirectionName(Direction d) { return d == Direction::kHigher ? "higher" : "lower"; }

Direction DefaultDirection(std::string_view metric_name) {
  static constexpr std::string_view kHigher[] = {"throughput", "bytes_per_second",
                                                 "items_per_second", "ops_per_second"};
  for (std::string_view h : kHigher) {
    if (metric_name == h) return Direction::kHigher;
  }
  return Direction::kLower;
}

bool IsTimeUnit(std::string_view unit) {
  static constexpr std::string_view kUnits[] = {"ps", "ns", "us",  "\xC2\xB5s",
                                                "ms", "s",  "min", "h"};
  for (std::string_view u : kUnits) {
    if (unit == u) return true;
  }
  return false;
}

bool Run::partial() const {
  for (const auto& b : benchmarks) {
    if (b.error) return true;
  }
  return false;
}

int64_t Run::sample_count() const {
  int64_t n = 0;
  for (const auto& b : benchmarks) {
    for (const auto& m : b.metrics) n += static_cast<int64_t>(m.samples.size());
  }
  return n;
}

base::Status CheckStorable(const Run& run) {
  if (run.commit.sha != kUnknownCommit) return base::Status::Ok();
  return base::InvalidInput(
      "run " + run.run_id +
      ": its commit is unknown (the artifact was made outside a git repository, commit "
      "0000000...): a store needs the commit measured; make it again with --commit SHA, or "
      "in the repository being measured");
}

}  // namespace perfledger::core
