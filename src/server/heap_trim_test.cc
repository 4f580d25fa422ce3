#include "server/heap_trim.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

namespace perfledger::server {
namespace {

// Waits until `t` has made `n` checks (the trims run on its own thread).
void WaitForChecks(const HeapTrimmer& t, int64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (t.checks() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(t.checks(), n);
}

TEST(HeapTrimmerTest, AnAskIsCheckedAndTrimsOverTheThreshold) {
  HeapTrimmer always(0);
  always.Ask();
  WaitForChecks(always, 1);
  EXPECT_EQ(always.trims(), always.checks());
}

TEST(HeapTrimmerTest, NoTrimUnderTheThreshold) {
  HeapTrimmer never(SIZE_MAX);
  never.Ask();
  WaitForChecks(never, 1);
  EXPECT_EQ(never.trims(), 0);
}

TEST(HeapTrimmerTest, AsksMadeWhileATrimRunsAreOneCheck) {
  HeapTrimmer t(SIZE_MAX);
  for (int i = 0; i < 1000; ++i) t.Ask();
  WaitForChecks(t, 1);
  // However the asks interleaved with the thread, they were not one check each.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LT(t.checks(), 1000);
}

TEST(HeapTrimmerTest, StopsPromptlyWithAnAskPending) {
  auto t = std::make_unique<HeapTrimmer>(0);
  t->Ask();
  const auto start = std::chrono::steady_clock::now();
  t.reset();  // finishes a trim under way; an ask not yet checked is dropped
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace perfledger::server
