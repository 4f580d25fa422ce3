// Fuzzes the suite file reader (runner/suite.h): no crash, no exception, and for a suite it
// accepts, every platform's declaration (what runs of the suite carry in their artifact)
// survives the artifact's suite object: WriteSuite then ReadSuite gives it back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/artifact.h"
#include "runner/suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto suite = perfledger::runner::ParseSuite(text, "/fuzz/perfledger.toml");
  if (!suite.ok()) {
    if (suite.status().message().empty()) __builtin_trap();
    return 0;
  }
  std::vector<std::string> platforms = {"x86-64-linux"};
  for (const auto& [name, declaration] : suite->platforms) platforms.push_back(name);
  for (const auto& platform : platforms) {
    for (const auto& b : suite->benchmarks) {
      (void)suite->SamplingFor(b, platform);
      (void)suite->DefinitionHash(b);
    }
    const perfledger::core::SuiteRef ref = suite->DeclarationFor(platform);
    const std::string json = perfledger::core::WriteSuite(ref);
    auto back = perfledger::core::ReadSuite(json, "suite");
    if (!back.ok()) {
      std::fprintf(stderr, "the declaration for %s is no valid suite object: %s\n%s\n",
                   platform.c_str(), back.status().message().c_str(), json.c_str());
      __builtin_trap();
    }
    if (!(*back == ref)) {
      std::fprintf(stderr, "the declaration for %s reads back differently:\n%s\n%s\n",
                   platform.c_str(), json.c_str(), perfledger::core::WriteSuite(*back).c_str());
      __builtin_trap();
    }
  }
  return 0;
}
