// The documented limits on what perfledger accepts (docs/limits.md). Anything above them is
// refused with the file and JSON pointer before anything is stored: one oversized name used
// to slow every later ingest of the store by three orders of magnitude, and an input that
// never ends (a link to /dev/zero) used to be read until memory ran out.
#pragma once

#include <cstddef>

namespace perfledger::core {

// Input files: an artifact, a batch (.jsonl), a harness's output file.
inline constexpr size_t kMaxInputFileBytes = size_t{256} << 20;
// A batch of artifacts, one a line (.jsonl: export's output, history files). Read whole today.
inline constexpr size_t kMaxBatchFileBytes = size_t{4} << 30;
// Configuration files: suite, schedule and workflow TOML, plan JSON.
inline constexpr size_t kMaxConfigFileBytes = size_t{16} << 20;
// What a harness or benchmark command may print (kept in a temporary file, not in memory).
inline constexpr size_t kMaxHarnessOutputBytes = size_t{256} << 20;

// In an artifact:
inline constexpr size_t kMaxNameBytes = 1024;         // benchmark, project, platform, suite
inline constexpr size_t kMaxMetricNameBytes = 128;    // wall_time, instructions, ...
inline constexpr size_t kMaxUnitBytes = 32;           // ns, count, bytes, ...
inline constexpr size_t kMaxSubjectBytes = 16 << 10;  // a commit subject, a reason detail
inline constexpr size_t kMaxErrorBytes = 64 << 10;    // a benchmark's error text
inline constexpr size_t kMaxStringBytes = 64 << 10;   // any other string
inline constexpr size_t kMaxBenchmarksPerRun = 100'000;
inline constexpr size_t kMaxMetricsPerBenchmark = 64;
inline constexpr size_t kMaxSamplesPerMetric = 1'000'000;
inline constexpr size_t kMaxObjectMembers = 10'000;  // any other object (environment, ...)
inline constexpr size_t kMaxJsonDepth = 64;

}  // namespace perfledger::core
