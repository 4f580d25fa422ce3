// The parts of HTTP/1.1 the server decodes itself, apart from the socket code (server.cc):
// the request target (percent-decoding of the path and the query), request bodies sent with
// Content-Encoding gzip or deflate (inflated as they stream, counted against a limit so a small
// body cannot inflate into a large one), and gzip for responses. No Boost here: unit-tested and
// fuzzed on its own.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace perfledger::server {

struct Target {
  std::string path;  // percent-decoded; may hold any byte, NUL included (the API refuses that)
  std::multimap<std::string, std::string> query;  // decoded, '+' as a space
};

// An origin-form request target ("/api/v1/series?benchmark=a%2Fb&limit=10"). InvalidInput
// naming what is wrong: not starting with '/', a '%' not followed by two hex digits.
base::Result<Target> ParseTarget(std::string_view target);

// Decodes a body sent with Content-Encoding gzip or deflate (zlib; a raw deflate stream, as
// some clients send for "deflate", is accepted too) as it arrives, never holding more than
// `limit` decoded bytes.
class Inflater {
 public:
  enum class Result { kOk, kTooLarge, kCorrupt };

  explicit Inflater(size_t limit);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Appends what `in` decodes to onto *out. kTooLarge as soon as *out would pass the limit;
  // kCorrupt when the bytes are not a stream of the encoding (then *error says why).
  Result Feed(std::string_view in, std::string* out, std::string* error);
  // After the last bytes: kCorrupt when the stream stopped before its end.
  Result Finish(std::string* error) const;

 private:
  Result Inflate(std::string_view in, std::string* out, std::string* error);

  size_t limit_;
  z_stream z_{};
  bool ready_ = false;   // the format is known (from the first two bytes) and z_ set up
  bool ended_ = false;   // the stream (or the last gzip member) ended
  std::string pending_;  // the first byte, until the second arrives
};

// Whether an Accept-Encoding header value accepts gzip (a "gzip" coding without q=0).
bool AcceptsGzip(std::string_view accept_encoding);

// `body` compressed as a gzip stream (zlib's default level).
std::string Gzip(std::string_view body);

// Whether a response of this content type is worth compressing (text, JSON, JavaScript, SVG).
bool Compressible(std::string_view content_type);

}  // namespace perfledger::server
