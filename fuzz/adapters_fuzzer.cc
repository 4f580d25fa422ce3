// Fuzzes every harness adapter and format detection (adapters/adapters.h) on the same input:
// no crash, no exception (an exception escaping an adapter ends libFuzzer's run), and what a
// parser accepts keeps the header's promises: at least one benchmark, unique names, metrics
// sorted by name with samples or a summary, and an artifact made of them reads back (what
// `perfledger convert` and `perfledger run` would write is what ingest accepts).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/adapters.h"
#include "core/artifact.h"

namespace {

using perfledger::core::BenchmarkResult;

void Fail(std::string_view adapter, std::string what) {
  for (char& c : what) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';  // NUL and line breaks too
  }
  std::fprintf(stderr, "adapter %.*s: %s\n", static_cast<int>(adapter.size()), adapter.data(),
               what.c_str());
  __builtin_trap();
}

void Check(std::string_view adapter, std::vector<BenchmarkResult> benchmarks) {
  if (benchmarks.empty()) Fail(adapter, "accepted an input with no benchmark results");
  std::set<std::string> names;
  for (const BenchmarkResult& b : benchmarks) {
    if (!names.insert(b.name).second) Fail(adapter, "two benchmarks named " + b.name);
    for (size_t i = 0; i < b.metrics.size(); ++i) {
      const auto& m = b.metrics[i];
      if (i > 0 && !(b.metrics[i - 1].name < m.name)) {
        Fail(adapter, b.name + ": metrics not sorted by name, or repeated: " + m.name);
      }
      if (m.samples.empty() == !m.summary.has_value()) {
        Fail(adapter, b.name + "/" + m.name + ": needs samples or a summary, not both");
      }
    }
  }
  perfledger::core::Run run;
  run.run_id = "0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3a";
  run.project = "fuzz";
  run.commit.sha = std::string(40, 'a');
  run.commit_range.to = run.commit.sha;
  run.platform = "x86-64-linux";
  run.environment.fingerprint = perfledger::core::ComputeFingerprint(run.environment);
  run.started_at = perfledger::base::Timestamp{1'700'000'000'000'000'000};
  run.finished_at = run.started_at;
  std::sort(benchmarks.begin(), benchmarks.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  run.benchmarks = std::move(benchmarks);
  auto back = perfledger::core::ReadArtifact(perfledger::core::WriteArtifact(run), "converted");
  if (!back.ok()) Fail(adapter, "its results make an invalid artifact: " + back.status().message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "fuzz.out";
  for (const auto& adapter : perfledger::adapters::All()) {
    (void)adapter.looks_like(text);
    auto parsed = adapter.parse(text, source);
    if (parsed.ok()) {
      Check(adapter.name, std::move(*parsed));
    } else if (parsed.status().message().empty()) {
      Fail(adapter.name, "an error without a message");
    }
  }
  auto detected = perfledger::adapters::Detect(text, source);
  if (detected.ok() && !(*detected)->looks_like(text)) Fail((*detected)->name, "detected wrongly");
  return 0;
}
