#include "server/http_codec.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace perfledger::server {
namespace {

TEST(ParseTargetTest, DecodesThePathAndTheQuery) {
  auto t = ParseTarget("/api/v1/series?benchmark=a%2Fb+c&limit=10&flag&x=%41");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->path, "/api/v1/series");
  EXPECT_EQ(t->query.find("benchmark")->second, "a/b c");
  EXPECT_EQ(t->query.find("limit")->second, "10");
  EXPECT_EQ(t->query.find("flag")->second, "");
  EXPECT_EQ(t->query.find("x")->second, "A");
}

// `limit=1 OR 1=1` arrives as limit=1%20OR%201%3D1: one value, which the API then refuses.
TEST(ParseTargetTest, AnEncodedInjectionStaysOneValue) {
  auto t = ParseTarget("/api/v1/runs?limit=1%20OR%201%3D1");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->query.count("limit"), 1u);
  EXPECT_EQ(t->query.find("limit")->second, "1 OR 1=1");
}

TEST(ParseTargetTest, APercentNulIsKeptForTheApiToRefuse) {
  auto t = ParseTarget("/index.html%00.png");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, std::string("/index.html\0.png", 16));
}

TEST(ParseTargetTest, BadEscapesAndNonPathsAreRefused) {
  EXPECT_FALSE(ParseTarget("/a%2").ok());
  EXPECT_FALSE(ParseTarget("/a%zz").ok());
  EXPECT_FALSE(ParseTarget("/a?b=%4").ok());
  EXPECT_FALSE(ParseTarget("http://example.org/").ok());
  EXPECT_FALSE(ParseTarget("").ok());
  EXPECT_NE(ParseTarget("*").status().message().find("starting with '/'"), std::string::npos);
}

std::string Compress(const std::string& in, int window) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, window, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Feeds `body` in pieces of `piece` bytes.
Inflater::Result InflateAll(const std::string& body, size_t limit, size_t piece, std::string* out,
                            std::string* error) {
  Inflater inflater(limit);
  for (size_t i = 0; i < body.size(); i += piece) {
    auto r = inflater.Feed(std::string_view(body).substr(i, piece), out, error);
    if (r != Inflater::Result::kOk) return r;
  }
  return inflater.Finish(error);
}

TEST(InflaterTest, GzipZlibAndRawDeflateDecodeInAnyPieces) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "benchmark " + std::to_string(i) + "\n";
  for (int window : {15 + 16, 15, -15}) {
    const std::string packed = Compress(text, window);
    for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, packed.size()}) {
      std::string out, error;
      EXPECT_EQ(InflateAll(packed, 1u << 30, piece, &out, &error), Inflater::Result::kOk)
          << window << " " << piece << ": " << error;
      EXPECT_EQ(out, text) << window << " " << piece;
    }
  }
}

TEST(InflaterTest, ConcatenatedGzipMembersAreOneBody) {
  std::string out, error;
  EXPECT_EQ(InflateAll(Gzip("abc") + Gzip("def"), 100, 5, &out, &error), Inflater::Result::kOk);
  EXPECT_EQ(out, "abcdef");
}

// A gzip bomb: 300 MB of zeros is 300 KB compressed. Decoding stops at the limit, holding no
// more than it.
TEST(InflaterTest, AGzipBombStopsAtTheLimit) {
  const std::string zeros(size_t{300} << 20, '\0');
  const std::string bomb = Gzip(zeros);
  ASSERT_LT(bomb.size(), size_t{1} << 20);
  std::string out, error;
  EXPECT_EQ(InflateAll(bomb, size_t{1} << 20, 64 << 10, &out, &error), Inflater::Result::kTooLarge);
  EXPECT_LE(out.size(), size_t{1} << 20);
}

TEST(InflaterTest, CorruptAndTruncatedStreamsAreRefused) {
  std::string out, error;
  EXPECT_EQ(InflateAll(std::string("\x1f\x8bnot gzip at all", 17), 1000, 4, &out, &error),
            Inflater::Result::kCorrupt);
  EXPECT_NE(error.find("not a valid compressed stream"), std::string::npos) << error;
  const std::string packed = Gzip(std::string(10000, 'x'));
  out.clear();
  error.clear();
  EXPECT_EQ(InflateAll(packed.substr(0, packed.size() - 5), 100000, 100, &out, &error),
            Inflater::Result::kCorrupt);
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  out.clear();
  EXPECT_EQ(InflateAll(Compress("abc", 15) + "junk", 1000, 3, &out, &error),
            Inflater::Result::kCorrupt);
}

TEST(AcceptsGzipTest, ReadsTheCodingsAndTheirWeights) {
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br, zstd"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("br"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
}

TEST(GzipTest, RoundTripsThroughTheInflater) {
  std::mt19937 rng(7);
  std::string random(100000, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  std::string out, error;
  EXPECT_EQ(InflateAll(Gzip(random), random.size(), 1000, &out, &error), Inflater::Result::kOk);
  EXPECT_EQ(out, random);
}

}  // namespace
}  // namespace perfledger::server
