// Random bytes from the OS, whichever source this binary was linked with (base_test: Linux's
// getrandom; base_portable_test: the getentropy fallback), and the run ids made from them.
#include "base/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/uuid.h"

namespace perfledger::base {
namespace {

// 4 MiB (getentropy gives 256 bytes a call): every byte value about equally often. Each count
// is about 16384 ± 128 (binomial); the bounds are 12 standard deviations wide on each side.
TEST(Random, FillsALargeBufferWithUniformBytes) {
  std::vector<uint8_t> bytes(size_t{4} << 20, 0);
  ASSERT_TRUE(FillRandomBytes(bytes.data(), bytes.size()));
  std::array<int, 256> count{};
  for (uint8_t b : bytes) ++count[b];
  for (int v = 0; v < 256; ++v) {
    EXPECT_GT(count[v], 16384 - 1536) << "byte value " << v;
    EXPECT_LT(count[v], 16384 + 1536) << "byte value " << v;
  }
  // The tail was written too (not only whole 256-byte calls).
  int zero_tail = 0;
  for (size_t i = bytes.size() - 64; i < bytes.size(); ++i) zero_tail += bytes[i] == 0;
  EXPECT_LT(zero_tail, 16);
}

TEST(Random, OddSizesAndNothing) {
  EXPECT_TRUE(FillRandomBytes(nullptr, 0));
  std::array<uint8_t, 257> a{}, b{};
  ASSERT_TRUE(FillRandomBytes(a.data(), a.size()));
  ASSERT_TRUE(FillRandomBytes(b.data(), b.size()));
  EXPECT_NE(a, b);
}

// Regression (issue 15): run ids came from a generator seeded once, so a process forked after
// the first id repeated its parent's next ones. The OS's generator has no state in the process.
TEST(Random, AForkedChildDrawsOtherBytesThanItsParent) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::array<uint8_t, 32> mine{};
    const bool ok = FillRandomBytes(mine.data(), mine.size());
    const bool written = ::write(p[1], mine.data(), mine.size()) == 32;
    ::_exit(ok && written ? 0 : 1);
  }
  ::close(p[1]);
  std::array<uint8_t, 32> parent{}, theirs{};
  ASSERT_TRUE(FillRandomBytes(parent.data(), parent.size()));
  ASSERT_EQ(::read(p[0], theirs.data(), theirs.size()), 32);
  ::close(p[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(parent, theirs);
}

TEST(Random, RunIdsAreVersion4AndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = NewUuidV4();
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10000u);
}

}  // namespace
}  // namespace perfledger::base
