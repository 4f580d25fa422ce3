#include "core/platform_name.h"

#include <gtest/gtest.h>

namespace perfledger::core {
namespace {

TEST(PlatformNameTest, CanonicalIsArchThenOs) {
  EXPECT_EQ(CanonicalPlatform("x86_64", "Linux"), "x86-64-linux");
  EXPECT_EQ(CanonicalPlatform("arm64", "Darwin"), "aarch64-macos");
  EXPECT_EQ(CanonicalPlatform("aarch64", "linux"), "aarch64-linux");
  EXPECT_EQ(CanonicalPlatform("AMD64", "windows"), "x86-64-windows");
  EXPECT_EQ(CanonicalPlatform("sparc_v9", "sunos"), "sparc-v9-sunos");
}

TEST(PlatformNameTest, TheOtherOrderIsAnAliasOfTheCanonicalName) {
  EXPECT_EQ(CanonicalPlatformOfAlias("linux-x86_64"), "x86-64-linux");
  EXPECT_EQ(CanonicalPlatformOfAlias("macos-arm64"), "aarch64-macos");
  EXPECT_EQ(CanonicalPlatformOfAlias("windows-x86_64"), "x86-64-windows");
  EXPECT_EQ(CanonicalPlatformOfAlias("linux-aarch64"), "aarch64-linux");
  EXPECT_EQ(CanonicalPlatformOfAlias("x86_64-linux"), "x86-64-linux");
  EXPECT_EQ(CanonicalPlatformOfAlias("arm64-macos"), "aarch64-macos");
}

TEST(PlatformNameTest, CanonicalAndOtherNamesAreNoAlias) {
  for (const char* name : {"x86-64-linux", "aarch64-macos", "x86-64-windows", "gpu-runner",
                           "linux-test", "linux", "gpu", "linux-x86_64-avx512", ""}) {
    EXPECT_EQ(CanonicalPlatformOfAlias(name), std::nullopt) << name;
  }
}

}  // namespace
}  // namespace perfledger::core
