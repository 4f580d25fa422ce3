// A tiny Google Benchmark program whose JSON output the google-benchmark adapter is tested on
// (src/adapters/google_benchmark_test.cc runs it). It covers what the adapter must handle: a
// user counter (and one that makes the reporter print NaN), an argument in the name (BM_Sum/64),
// SetBytesProcessed and SetItemsProcessed (rates), and a benchmark that fails with SkipWithError.
// Each benchmark does little work so that three repetitions of all of them take well under a
// second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace {

void BM_Sum(benchmark::State& state) {
  std::vector<int64_t> values(static_cast<size_t>(state.range(0)), 3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::accumulate(values.begin(), values.end(), int64_t{0}));
  }
}
BENCHMARK(BM_Sum)->Arg(64);

void BM_Counter(benchmark::State& state) {
  int64_t nodes = 0;
  for (auto _ : state) {
    std::string s(32, 'x');
    benchmark::DoNotOptimize(s);
    nodes += 7;
  }
  state.counters["nodes"] = static_cast<double>(nodes);
  // Always 0: the cv aggregate of this counter is 0/0, which the reporter writes as a bare
  // NaN (not JSON), so the adapter's handling of it is tested on real output.
  state.counters["misses"] = 0;
}
BENCHMARK(BM_Counter);

void BM_Copy(benchmark::State& state) {
  std::vector<char> from(256, 'a'), to(256);
  for (auto _ : state) {
    std::copy(from.begin(), from.end(), to.begin());
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(from.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Copy)->Unit(benchmark::kMicrosecond);

void BM_Fails(benchmark::State& state) {
  for (auto _ : state) {
    state.SkipWithError("input file missing");
    break;
  }
}
BENCHMARK(BM_Fails);

}  // namespace

BENCHMARK_MAIN();
