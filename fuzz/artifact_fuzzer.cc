// Fuzzes the artifact reader (core/artifact.h) and its round trip: whatever it accepts, its
// canonical form reads back as the same run and prints as the same line. A difference is a
// crash (__builtin_trap), so libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/artifact.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  static perfledger::core::ArtifactReader reader;  // reused, as the collector does
  auto run = reader.Read(json, "fuzz.json");
  // The one-shot reader and the reused one agree.
  if (run.ok() != perfledger::core::ReadArtifact(json, "fuzz.json").ok()) __builtin_trap();
  if (!run.ok()) {
    if (run.status().message().empty()) __builtin_trap();  // every rejection says why
    return 0;
  }
  const std::string canonical = perfledger::core::WriteArtifact(*run);
  auto again = reader.Read(canonical, "canonical.json");
  if (!again.ok()) {
    std::fprintf(stderr, "canonical form rejected: %s\n%s\n", again.status().message().c_str(),
                 canonical.c_str());
    __builtin_trap();
  }
  if (!(*again == *run)) {
    std::fprintf(stderr, "canonical form reads back as another run:\n%s\n%s\n", canonical.c_str(),
                 perfledger::core::WriteArtifact(*again).c_str());
    __builtin_trap();
  }
  if (perfledger::core::WriteArtifact(*again) != canonical) __builtin_trap();
  if (perfledger::core::ContentHash(*again) != perfledger::core::ContentHash(*run)) {
    __builtin_trap();
  }
  return 0;
}
