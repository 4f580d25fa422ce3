// The vocabulary of DESIGN.md as value types: a run of a suite for one commit on one
// environment, with its benchmarks, metrics and raw samples.
//
// These are plain data; validation lives in artifact.h (reading) and nowhere else, so a Run
// that came out of ReadArtifact is known to be well formed. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace perfledger::core {

// Why a run happened.
enum class Reason { kPush, kSchedule, kManual, kTagged, kMerge, kBisect, kBackfill };
std::string_view ReasonName(Reason r);
std::optional<Reason> ParseReason(std::string_view name);
// "push, schedule, manual, ..." for messages.
std::string ReasonList();

// Whether lower or higher values of a metric are better.
enum class Direction { kLower, kHigher };
std::string_view DirectionName(Direction d);
// The default direction for a metric name: throughput-like metrics are higher-is-better,
// every other metric (times, counts, memory, unknown names) lower-is-better.
Direction DefaultDirection(std::string_view metric_name);

// True for units of time ("ns", "us", "ms", "s", ...): such values may not be negative.
bool IsTimeUnit(std::string_view unit);

// Aggregates for harnesses that report no raw samples. n and mean are always present.
struct Summary {
  int64_t n = 0;
  double mean = 0;
  std::optional<double> stddev, median, min, max, lower, upper;
  bool operator==(const Summary&) const = default;
};

struct Metric {
  std::string name;  // "wall_time", "instructions", ...
  std::string unit;  // "ns", "count", "bytes", ...
  Direction direction = Direction::kLower;
  std::vector<double> samples;     // raw samples in measurement order; empty when summary set
  std::optional<Summary> summary;  // only when the harness gave no samples
  bool operator==(const Metric&) const = default;
};

struct BenchmarkResult {
  std::string name;                  // "suite/name", unique within a run
  std::optional<std::string> error;  // a structured failure: never a data point
  std::vector<Metric> metrics;       // sorted by name
  bool operator==(const BenchmarkResult&) const = default;
};

struct CommitInfo {
  std::string sha;  // 40 lower-case hex digits
  std::optional<std::string> branch;
  std::optional<base::Timestamp> time;
  std::optional<std::string> subject;
  bool operator==(const CommitInfo&) const = default;
};

// The commits a run stands for: (from, to] on the branch, `count` of them.
struct CommitRange {
  std::optional<std::string> from;  // null: from the start of history
  std::string to;
  int64_t count = 1;
  bool operator==(const CommitRange&) const = default;
};

// One platform's epoch (DESIGN.md): the suite revision it runs and the settings every run in
// it shares (sampling policy, invocation, environment class), so its runs are comparable.
// Settings are flat: a key such as "environment" or "sort/1e6.runs" maps to the value's
// minified JSON text. A run whose settings differ from its epoch's is refused at ingest.
struct EpochRef {
  int64_t number = 1;
  std::map<std::string, std::string> settings;
  bool operator==(const EpochRef&) const = default;
};

struct SuiteRef {
  std::string name;
  int64_t revision = 0;
  // What each declared benchmark is (command or harness, inputs, metrics): its name in the
  // suite file -> a hash of its definition. Empty when the run did not come from a suite file.
  std::map<std::string, std::string> definitions;
  std::optional<EpochRef> epoch;
  bool operator==(const SuiteRef&) const = default;
};

// The machine a run was measured on. Known fields are typed; any other field is kept as its
// minified JSON text so nothing a platform job reported is lost.
struct Environment {
  std::optional<bool> ci;
  std::optional<std::string> provider, runner, os, kernel, arch, cpu;
  std::optional<int64_t> cores, memory_bytes;
  std::map<std::string, std::string> extra_json;
  std::string fingerprint;  // given by the artifact, else computed from the fields above
  bool operator==(const Environment&) const = default;
};

struct Run {
  std::string run_id;  // UUID, lower case: the idempotency key
  std::string project;
  CommitInfo commit;
  CommitRange commit_range;
  Reason reason = Reason::kPush;
  std::optional<std::string> reason_detail;
  std::string platform;
  std::optional<SuiteRef> suite;
  Environment environment;
  base::Timestamp started_at, finished_at;
  std::vector<BenchmarkResult> benchmarks;  // sorted by name
  bool operator==(const Run&) const = default;

  // A run is partial when any benchmark failed.
  bool partial() const;
  // Raw samples over all benchmarks and metrics (summaries count as none).
  int64_t sample_count() const;
};

// The commit of a run made where no git repository describes one (a quick timing in a scratch
// directory, `perfledger run -- CMD` with no --commit): git's null object id. Such an artifact
// is fine in a file or on a terminal, but no store takes it (CheckStorable), since a series
// point needs a commit.
inline constexpr std::string_view kUnknownCommit = "0000000000000000000000000000000000000000";

// Whether `run` may go into a store: kInvalidInput naming the fix when its commit is
// kUnknownCommit. Store::Ingest calls it for every run, whichever way the run arrives.
base::Status CheckStorable(const Run& run);

}  // namespace perfledger::core
