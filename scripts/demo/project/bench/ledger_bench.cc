#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "account_index.h"
#include "ledger.h"

namespace {

std::string Account(int i) { return "acct-" + std::to_string(100000 + i); }

std::string SampleCsv(int lines) {
  std::mt19937 rng(42);
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += Account(static_cast<int>(rng() % 500)) + "," + std::to_string(rng() % 100000) + "," +
            std::to_string(rng() % 365) + "\n";
  }
  return text;
}

void BM_ParseCsv(benchmark::State& state) {
  const std::string text = SampleCsv(2000);
  for (auto _ : state) benchmark::DoNotOptimize(ledger::ParseCsv(text));
}
BENCHMARK(BM_ParseCsv);

void BM_SortRecords(benchmark::State& state) {
  const auto records = ledger::ParseCsv(SampleCsv(2000));
  for (auto _ : state) {
    auto copy = records;
    ledger::SortRecords(copy);
    benchmark::DoNotOptimize(copy.data());
  }
}
BENCHMARK(BM_SortRecords);

// 1,000 lookups in an index of 100 accounts, one in six unknown.
void BM_IndexLookup(benchmark::State& state) {
  ledger::AccountIndex index;
  for (int i = 0; i < 100; ++i) index.Add(Account(i));
  std::vector<std::string> queries;
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) queries.push_back(Account(static_cast<int>(rng() % 120)));
  for (auto _ : state) {
    int64_t found = 0;
    for (const auto& q : queries) found += index.Find(q) >= 0;
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_IndexLookup);

void BM_SplitWords(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "word" + std::to_string(i % 97) + (i % 7 ? " " : "  ");
  for (auto _ : state) benchmark::DoNotOptimize(ledger::SplitWords(text));
}
BENCHMARK(BM_SplitWords);

void BM_Checksum(benchmark::State& state) {
  const std::string data = SampleCsv(2000);
  for (auto _ : state) benchmark::DoNotOptimize(ledger::Checksum(data));
}
BENCHMARK(BM_Checksum);

}  // namespace

BENCHMARK_MAIN();
