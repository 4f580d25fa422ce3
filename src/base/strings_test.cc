#include "base/strings.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <unordered_set>

#include "base/json_writer.h"
#include "base/uuid.h"

namespace perfledger::base {
namespace {

TEST(StringsTest, Sha1Hex) {
  EXPECT_TRUE(IsSha1Hex("0123456789abcdef0123456789ABCDEF01234567"));
  EXPECT_FALSE(IsSha1Hex("0123456789abcdef0123456789abcdef0123456"));    // 39
  EXPECT_FALSE(IsSha1Hex("0123456789abcdef0123456789abcdef012345678"));  // 41
  EXPECT_FALSE(IsSha1Hex("g123456789abcdef0123456789abcdef01234567"));
}

TEST(StringsTest, Uuid) {
  EXPECT_TRUE(IsUuid("0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3a"));
  EXPECT_FALSE(IsUuid("0b6f6c1e3a514c1d9a557f1f5c1d2e3a"));
  EXPECT_FALSE(IsUuid("0b6f6c1e-3a51-4c1d-9a55-7f1f5c1d2e3z"));
  for (int i = 0; i < 100; ++i) {
    std::string u = NewUuidV4();
    ASSERT_TRUE(IsUuid(u)) << u;
    EXPECT_EQ(u[14], '4');
  }
  EXPECT_NE(NewUuidV4(), NewUuidV4());
}

// A million run ids, none twice. (With the old generator, 2^32 seeds, a million ids from
// fresh processes would have held a repeat with probability about 1 - exp(-2^40 / 2^33): near
// certain; with 122 random bits it is about 2^-83.)
TEST(StringsTest, AMillionUuidsHaveNoDuplicate) {
  std::unordered_set<std::string> ids;
  ids.reserve(1'000'000);
  for (int i = 0; i < 1'000'000; ++i) ASSERT_TRUE(ids.insert(NewUuidV4()).second) << i;
}

// Regression (issue 15): run ids came from a Mersenne Twister seeded with one 32-bit value,
// so a process forked after its first id (a server's workers, parallel test children) repeated
// its parent's ids, and only 2^32 sequences existed. Ids are drawn from the kernel now.
TEST(StringsTest, ForkedProcessesNeverRepeatEachOthersUuids) {
  const std::string before = NewUuidV4();  // the generator, if any, is in use before the fork
  int pipes[2];
  ASSERT_EQ(pipe(pipes), 0);
  constexpr int kChildren = 4;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const std::string id = NewUuidV4() + "\n";
      const bool ok = write(pipes[1], id.data(), id.size()) == static_cast<ssize_t>(id.size());
      _exit(ok ? 0 : 1);
    }
  }
  close(pipes[1]);
  std::set<std::string> ids = {before, NewUuidV4()};
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = read(pipes[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(pipes[0]);
  for (int c = 0; c < kChildren; ++c) {
    int status = 0;
    wait(&status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  size_t lines = 0;
  for (size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
    const std::string id = text.substr(at, end - at);
    EXPECT_TRUE(IsUuid(id)) << id;
    EXPECT_TRUE(ids.insert(id).second) << "repeated after fork: " << id;
    ++lines;
  }
  EXPECT_EQ(lines, static_cast<size_t>(kChildren));
  // And many at once: no repeat, every one version 4 with RFC 4122's variant.
  for (int i = 0; i < 100000; ++i) {
    const std::string u = NewUuidV4();
    ASSERT_TRUE(ids.insert(u).second) << u;
    ASSERT_EQ(u[14], '4');
    ASSERT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
  }
}

TEST(StringsTest, JsonPointerTokensAreEscaped) {
  EXPECT_EQ(JsonPointerToken("compile/hello"), "compile~1hello");
  EXPECT_EQ(JsonPointerToken("a~b"), "a~0b");
}

TEST(StringsTest, NumbersRoundTripAndIntegersHaveNoFraction) {
  EXPECT_EQ(FormatNumber(1830211), "1830211");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(1.5e-9), "1.5e-09");
  for (double v : {0.1, 1.0 / 3.0, 123456.789, 1e300, 9007199254740993.0, 2.5e-310}) {
    EXPECT_EQ(std::strtod(FormatNumber(v).c_str(), nullptr), v) << FormatNumber(v);
  }
}

TEST(StringsTest, QuoteEscapesControlCharacters) {
  EXPECT_EQ(Quote("a\"b\n"), "\"a\\\"b\\n\"");
  EXPECT_EQ(Quote(std::string("\x01", 1)), "\"\\u0001\"");
}

TEST(JsonWriterTest, WritesCompactJsonInOrder) {
  JsonWriter w;
  w.BeginObject();
  w.Key("b").Int(1);
  w.Key("a").BeginArray().Number(1.5).Bool(true).Null().String("x\ty").EndArray();
  w.Key("c").BeginObject().EndObject();
  w.Key("raw").Raw("{\"k\":[1]}");
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"b":1,"a":[1.5,true,null,"x\ty"],"c":{},"raw":{"k":[1]}})");
}

TEST(JsonWriterTest, EscapesBetweenPlainRuns) {
  // Escapes at the start, between runs of plain characters and at the end; DEL and UTF-8
  // bytes pass through unchanged.
  JsonWriter w;
  w.String(std::string("\"run \\ 1\x1f\x7f caf\xc3\xa9\n", 17));
  EXPECT_EQ(w.str(), "\"\\\"run \\\\ 1\\u001f\x7f caf\xc3\xa9\\n\"");
  JsonWriter empty;
  empty.String("");
  EXPECT_EQ(empty.str(), "\"\"");
}

// Regression (found by fuzz/api_fuzzer.cc and fuzz/adapters_fuzzer.cc): bytes that are not
// UTF-8 passed through, so an error echoing a request path such as /%FF, or an artifact of a
// benchmark name a harness printed in Latin-1, was not valid JSON.
TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacters) {
  auto quoted = [](std::string_view s) {
    JsonWriter w;
    w.String(s);
    return w.Take();
  };
  const std::string fffd = "\xef\xbf\xbd";
  // Well-formed sequences of every length, at the edges of their ranges, pass unchanged.
  const std::string valid =
      "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
  EXPECT_EQ(quoted(valid), "\"" + valid + "\"");
  EXPECT_EQ(quoted("a\xff-"), "\"a" + fffd + "-\"");
  // One U+FFFD per maximal ill-formed subsequence (The Unicode Standard, 3.9).
  EXPECT_EQ(quoted("\xe2\x82"), "\"" + fffd + "\"");                    // truncated at the end
  EXPECT_EQ(quoted("\xe2\x82x"), "\"" + fffd + "x\"");                  // cut short
  EXPECT_EQ(quoted("\xf0\x9f\x98"), "\"" + fffd + "\"");                // a truncated emoji
  EXPECT_EQ(quoted("\xc0\xaf"), "\"" + fffd + fffd + "\"");             // overlong '/'
  EXPECT_EQ(quoted("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(quoted("\xf4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(quoted("\x80\"\n"), "\"" + fffd + "\\\"\\n\"");  // a lone continuation, escapes
}

TEST(StringsTest, IsUtf8) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsUtf8("caf\xe9"));       // Latin-1
  EXPECT_FALSE(IsUtf8("\xe2\x82"));      // truncated
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));      // overlong
}

TEST(StringsTest, Split) {
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
}

}  // namespace
}  // namespace perfledger::base
