#include "core/token.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace perfledger::core {
namespace {

TEST(TokenTest, Base64UrlMatchesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(EncodeBase64Url(""), "");
  EXPECT_EQ(EncodeBase64Url("f"), "Zg");
  EXPECT_EQ(EncodeBase64Url("fo"), "Zm8");
  EXPECT_EQ(EncodeBase64Url("foo"), "Zm9v");
  EXPECT_EQ(EncodeBase64Url("foob"), "Zm9vYg");
  EXPECT_EQ(EncodeBase64Url("fooba"), "Zm9vYmE");
  EXPECT_EQ(EncodeBase64Url("foobar"), "Zm9vYmFy");
  // The URL-safe alphabet: '-' and '_' where standard base64 has '+' and '/'.
  EXPECT_EQ(EncodeBase64Url("\xfb\xff\xbf"), "-_-_");
}

TEST(TokenTest, NewTokensHaveThePrefixAndFortyThreeRandomCharacters) {
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 200; ++i) {
    auto token = NewApiToken();
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    ASSERT_EQ(token->size(), 4u + 43u) << *token;
    EXPECT_EQ(token->substr(0, 4), "plt_");
    EXPECT_TRUE(LooksLikeApiToken(*token)) << *token;
    seen.insert(*token);
    // The last character holds only 4 of the 256 bits, so it is left out of the count.
    for (size_t k = 4; k + 1 < token->size(); ++k) chars.insert((*token)[k]);
  }
  EXPECT_EQ(seen.size(), 200u);
  // 200 x 42 characters drawn uniformly from 64 leave none out (chance about 1e-145).
  EXPECT_EQ(chars.size(), 64u);
}

TEST(TokenTest, LooksLikeApiTokenRefusesOtherShapes) {
  const std::string body(43, 'A');
  EXPECT_TRUE(LooksLikeApiToken("plt_" + body));
  EXPECT_FALSE(LooksLikeApiToken(body));
  EXPECT_FALSE(LooksLikeApiToken("plx_" + body));
  EXPECT_FALSE(LooksLikeApiToken("plt_" + body.substr(1)));
  EXPECT_FALSE(LooksLikeApiToken("plt_" + body + "A"));
  EXPECT_FALSE(LooksLikeApiToken("plt_" + body.substr(1) + "="));
  EXPECT_FALSE(LooksLikeApiToken("plt_" + body.substr(1) + "+"));
  EXPECT_FALSE(LooksLikeApiToken(""));
}

TEST(TokenTest, HashIsSha256InHexAndPrefixIsTheFirstEightCharacters) {
  EXPECT_EQ(ApiTokenHash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(ApiTokenHash("plt_a"), ApiTokenHash("plt_b"));
  EXPECT_EQ(ApiTokenDisplayPrefix("plt_AbCdEfGh"), "plt_AbCd");
  EXPECT_EQ(ApiTokenDisplayPrefix("plt"), "plt");
}

TEST(TokenTest, ConstantTimeEqualsComparesWholeStrings) {
  const std::string h = ApiTokenHash("plt_x");
  EXPECT_TRUE(ConstantTimeEquals(h, std::string(h)));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  std::string first = h, last = h;
  first[0] = first[0] == '0' ? '1' : '0';
  last.back() = last.back() == '0' ? '1' : '0';
  EXPECT_FALSE(ConstantTimeEquals(h, first));
  EXPECT_FALSE(ConstantTimeEquals(h, last));
  EXPECT_FALSE(ConstantTimeEquals(h, h.substr(0, 63)));
  EXPECT_FALSE(ConstantTimeEquals(h.substr(0, 63), h));
  EXPECT_FALSE(ConstantTimeEquals("", h));
}

}  // namespace
}  // namespace perfledger::core
