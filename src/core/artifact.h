// The result artifact (DESIGN.md, "Result artifact, schema version 2"): reading with full
// validation, upgrading version 1, and writing the canonical form.
//
// Reading is strict about what the schema (schema/artifact-v2.schema.json) requires and
// ignores unknown fields. Every rejection is one line naming the source, the JSON pointer (or
// line and column for a syntax error) and what was expected, with code kInvalidInput.
//
// The canonical form is what WriteArtifact prints: one line, known fields only, in a fixed
// order, times in UTC, benchmarks and metrics sorted by name, directions resolved. Reading a
// canonical line and writing it again gives the same line, and ContentHash of the run is the
// identity that makes re-ingesting the same run a no-op.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "core/run.h"

namespace perfledger::core {

inline constexpr int kArtifactVersion = 2;

// Reads artifacts; keeps its parser's buffers between calls, so reuse one per thread.
class ArtifactReader {
 public:
  ArtifactReader();
  ~ArtifactReader();
  ArtifactReader(const ArtifactReader&) = delete;
  ArtifactReader& operator=(const ArtifactReader&) = delete;

  // `source` names the input in messages (a file path, "stdin", "request body");
  // `base_pointer` is where the artifact sits in a larger document ("/artifacts/3"), so
  // messages and Status::location() give the pointer in the whole input.
  base::Result<Run> Read(std::string_view json, std::string_view source,
                         std::string_view base_pointer = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience over ArtifactReader.
base::Result<Run> ReadArtifact(std::string_view json, std::string_view source);

// What the reader requires of a run's benchmark results, for results made in memory (the
// harness adapters) rather than read: names unique; every string well-formed UTF-8, not empty
// (an error may be) and within core/limits.h; at most so many benchmarks, metrics and
// samples; each metric with samples or a summary (n >= 1), every number finite and no time
// negative. kInvalidInput naming the benchmark and metric, e.g.
//   benchmark "BenchmarkZip": metric "compressed-ratio_per_op": the unit
//   "compressed-ratio-of-orig"... is 40 bytes long, more than the limit of 32
// A run whose benchmarks pass, with its other fields valid, writes an artifact the reader
// accepts.
base::Status ValidateBenchmarks(std::span<const BenchmarkResult> benchmarks);

// The canonical single-line JSON of a run (no trailing newline).
std::string WriteArtifact(const Run& run);

// "benchmark-results-{sha}-{platform}.json".
std::string ArtifactFileName(const Run& run);

// SHA-256 of `data` as 64 hex digits.
std::string Sha256Hex(std::string_view data);

// SHA-256 of the canonical form, as 64 hex digits.
std::string ContentHash(const Run& run);

// The environment's canonical JSON object (with its fingerprint), and reading it back.
std::string WriteEnvironment(const Environment& env);
base::Result<Environment> ReadEnvironment(std::string_view json, std::string_view source);

// The suite object's canonical JSON (name, revision, definitions, epoch), and reading it back.
std::string WriteSuite(const SuiteRef& suite);
base::Result<SuiteRef> ReadSuite(std::string_view json, std::string_view source);

// A hex hash over the environment's fields other than the fingerprint itself.
std::string ComputeFingerprint(const Environment& env);

}  // namespace perfledger::core
