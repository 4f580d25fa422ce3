// Fuzzes what the server decodes from a request itself (server/http_codec.h), before any of it
// reaches the API: the request target, and compressed bodies. The first byte picks:
//   0: the rest is a request target: ParseTarget must not crash, and what it decodes is never
//      longer than the target;
//   1: the rest is a gzip/deflate body fed in pieces (the second byte sets their size) to an
//      Inflater with a 1 MiB limit: it must never hold more than the limit, and what it
//      decodes whole must survive Gzip and a second Inflater unchanged;
//   2: the rest is an Accept-Encoding value.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http_codec.h"

namespace {

using perfledger::server::Inflater;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "http fuzzer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto t = perfledger::server::ParseTarget(in);
      if (t.ok()) {
        Check(t->path.size() <= in.size(), "a decoded path is longer than its target");
        for (const auto& [k, v] : t->query) {
          Check(k.size() + v.size() <= in.size(), "a decoded query is longer than its target");
        }
      }
      break;
    }
    case 1: {
      if (in.empty()) break;
      constexpr size_t kLimit = 1u << 20;
      const size_t piece = 1 + static_cast<unsigned char>(in[0]);
      const std::string_view body = in.substr(1);
      Inflater inflater(kLimit);
      std::string out, error;
      Inflater::Result r = Inflater::Result::kOk;
      for (size_t at = 0; at < body.size() && r == Inflater::Result::kOk; at += piece) {
        r = inflater.Feed(body.substr(at, piece), &out, &error);
      }
      Check(out.size() <= kLimit, "the inflater held more than its limit");
      if (r == Inflater::Result::kOk) r = inflater.Finish(&error);
      if (r == Inflater::Result::kOk && !body.empty()) {
        Inflater again(kLimit);
        std::string back;
        Check(again.Feed(perfledger::server::Gzip(out), &back, &error) == Inflater::Result::kOk &&
                  again.Finish(&error) == Inflater::Result::kOk && back == out,
              "gzip did not round-trip through the inflater");
      }
      break;
    }
    default:
      (void)perfledger::server::AcceptsGzip(in);
  }
  return 0;
}
