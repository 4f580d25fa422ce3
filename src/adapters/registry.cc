// The table of adapters, lookup by name and format detection for --adapter auto.
#include <fmt/format.h>

#include "adapters/adapters.h"

namespace perfledger::adapters {
namespace {

constexpr Adapter kAdapters[] = {
    {"google-benchmark", "Google Benchmark JSON (--benchmark_format=json, --benchmark_out)",
     ParseGoogleBenchmark, LooksLikeGoogleBenchmark},
    {"catch2", "Catch2 v2/v3 XML reporter (-r xml)", ParseCatch2, LooksLikeCatch2},
    {"hyperfine", "hyperfine --export-json", ParseHyperfine, LooksLikeHyperfine},
    {"pytest-benchmark", "pytest-benchmark --benchmark-json", ParsePytestBenchmark,
     LooksLikePytestBenchmark},
    {"go", "go test -bench text (with -benchmem, -count)", ParseGo, LooksLikeGo},
    {"libtest", "Rust cargo bench (libtest) text", ParseLibtest, LooksLikeLibtest},
    {"criterion", "Rust criterion --output-format bencher text", ParseCriterion,
     LooksLikeCriterion},
    {"jmh", "JMH JSON (-rf json)", ParseJmh, LooksLikeJmh},
    {"benchmarkdotnet", "BenchmarkDotNet JSON (full exporter)", ParseBenchmarkDotNet,
     LooksLikeBenchmarkDotNet},
};

std::string Names() {
  std::string out;
  for (const Adapter& a : kAdapters) {
    if (!out.empty()) out += ", ";
    out += a.name;
  }
  return out;
}

// The first non-blank characters, for messages about unrecognised input.
std::string Opening(std::string_view text) {
  size_t i = 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) {
    ++i;
  }
  std::string out;
  for (; i < text.size() && out.size() < 40; ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace

std::span<const Adapter> All() { return kAdapters; }

base::Result<const Adapter*> Find(std::string_view name) {
  for (const Adapter& a : kAdapters) {
    if (a.name == name) return &a;
  }
  return base::InvalidInput(fmt::format("unknown adapter '{}' (known: {}, auto)", name, Names()));
}

base::Result<const Adapter*> Detect(std::string_view text, const std::string& source) {
  std::vector<const Adapter*> matches;
  for (const Adapter& a : kAdapters) {
    if (a.looks_like(text)) matches.push_back(&a);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    const std::string opening = Opening(text);
    return base::InvalidInput(fmt::format(
        "{}: not a format any adapter knows (it starts with \"{}\"); name one with --adapter "
        "({})",
        source, opening.empty() ? "(empty)" : opening, Names()));
  }
  std::string names;
  for (const Adapter* a : matches) {
    if (!names.empty()) names += ", ";
    names += a->name;
  }
  return base::InvalidInput(fmt::format(
      "{}: the format is ambiguous: it looks like {}; name one with --adapter", source, names));
}

}  // namespace perfledger::adapters
