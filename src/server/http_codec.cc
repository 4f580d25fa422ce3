#include "server/http_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace perfledger::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; with `plus_is_space`, '+' is a space (the query's form encoding).
bool Decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

base::Result<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return base::InvalidInput(fmt::format(
        "the request target must be a path starting with '/', got '{}'", target.substr(0, 200)));
  }
  Target t;
  const size_t q = target.find('?');
  if (!Decode(target.substr(0, q), /*plus_is_space=*/false, &t.path)) {
    return base::InvalidInput("the path holds a '%' that is not followed by two hex digits");
  }
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos)
    rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!Decode(pair.substr(0, eq), true, &key) ||
        (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), true, &value))) {
      return base::InvalidInput(
          fmt::format("query parameter '{}': a '%' that is not followed by two hex digits",
                      pair.substr(0, 200)));
    }
    t.query.emplace(std::move(key), std::move(value));
  }
  return t;
}

Inflater::Inflater(size_t limit) : limit_(limit) {}

Inflater::~Inflater() {
  if (ready_) inflateEnd(&z_);
}

Inflater::Result Inflater::Feed(std::string_view in, std::string* out, std::string* error) {
  if (!ready_) {
    const size_t take = std::min(in.size(), 2 - pending_.size());
    pending_.append(in.substr(0, take));
    in.remove_prefix(take);
    if (pending_.size() < 2) return Result::kOk;
    const auto b0 = static_cast<unsigned char>(pending_[0]);
    const auto b1 = static_cast<unsigned char>(pending_[1]);
    int window = -15;  // raw deflate, as some clients send for "deflate"
    if (b0 == 0x1f && b1 == 0x8b) {
      window = 15 + 16;  // gzip
    } else if ((b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0) {
      window = 15;  // zlib, what RFC 9110 calls deflate
    }
    if (inflateInit2(&z_, window) != Z_OK) {
      *error = "cannot start decompressing the body";
      return Result::kCorrupt;
    }
    ready_ = true;
    const std::string head = std::move(pending_);
    pending_.clear();
    const Result r = Inflate(head, out, error);
    if (r != Result::kOk) return r;
  }
  return Inflate(in, out, error);
}

Inflater::Result Inflater::Inflate(std::string_view in, std::string* out, std::string* error) {
  char chunk[64 * 1024];
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    if (ended_) {
      if (z_.avail_in == 0) return Result::kOk;
      // Another gzip member (RFC 1952 allows several); anything else after the end is junk,
      // which the next inflate calls corrupt.
      if (inflateReset(&z_) != Z_OK) {
        *error = "cannot continue decompressing the body";
        return Result::kCorrupt;
      }
      ended_ = false;
    }
    z_.next_out = reinterpret_cast<Bytef*>(chunk);
    z_.avail_out = sizeof chunk;
    const int rc = inflate(&z_, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      *error = fmt::format("the body is not a valid compressed stream ({})",
                           z_.msg != nullptr ? z_.msg : "zlib error");
      return Result::kCorrupt;
    }
    const size_t produced = sizeof chunk - z_.avail_out;
    if (out->size() + produced > limit_) return Result::kTooLarge;
    out->append(chunk, produced);
    if (rc == Z_STREAM_END) {
      ended_ = true;
      continue;
    }
    if (z_.avail_in == 0 && z_.avail_out != 0) return Result::kOk;  // all taken, all given
    if (rc == Z_BUF_ERROR && produced == 0) {
      if (z_.avail_in == 0) return Result::kOk;
      *error = "the body is not a valid compressed stream";
      return Result::kCorrupt;
    }
  }
}

Inflater::Result Inflater::Finish(std::string* error) const {
  if (!ready_ && pending_.empty()) return Result::kOk;  // an empty body
  if (!ended_) {
    *error = "the compressed body ends before its stream does (truncated)";
    return Result::kCorrupt;
  }
  return Result::kOk;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::string lower(accept_encoding);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view rest = lower;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "x-gzip") continue;
    if (semi == std::string_view::npos) return true;
    std::string params(item.substr(semi + 1));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    if (!params.starts_with("q=")) return true;
    return std::strtod(params.c_str() + 2, nullptr) > 0;
  }
  return false;
}

std::string Gzip(std::string_view body) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? z.total_out : 0);
  deflateEnd(&z);
  return out;
}

bool Compressible(std::string_view content_type) {
  return content_type.starts_with("text/") || content_type.find("json") != std::string_view::npos ||
         content_type.find("javascript") != std::string_view::npos ||
         content_type.find("svg") != std::string_view::npos;
}

}  // namespace perfledger::server
