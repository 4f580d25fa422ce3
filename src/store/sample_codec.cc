#include "store/sample_codec.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace perfledger::store {
namespace {

constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53
constexpr int64_t kMaxInteger = int64_t{1} << 53;
constexpr int64_t kMaxDelta = 2 * kMaxInteger;
constexpr char kTagDoubles = 0;
constexpr char kTagIntegerDeltas = 1;

bool AllSmallIntegers(const std::vector<double>& samples) {
  for (double v : samples) {
    if (!(std::fabs(v) <= kExactIntegerLimit) || v != std::trunc(v)) return false;
    if (v == 0 && std::signbit(v)) return false;  // keep -0.0 exact
  }
  return true;
}

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

}  // namespace

std::string EncodeSamples(const std::vector<double>& samples) {
  std::string out;
  if (AllSmallIntegers(samples)) {
    out.reserve(1 + samples.size() * 3);
    out += kTagIntegerDeltas;
    int64_t prev = 0;
    for (double v : samples) {
      int64_t x = static_cast<int64_t>(v);
      int64_t d = x - prev;  // both within 2^53: no overflow
      prev = x;
      PutVarint(out, (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63));
    }
    return out;
  }
  out.resize(1 + samples.size() * 8);
  out[0] = kTagDoubles;
  for (size_t i = 0; i < samples.size(); ++i) {
    uint64_t bits = std::bit_cast<uint64_t>(samples[i]);
    for (int b = 0; b < 8; ++b) out[1 + i * 8 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return out;
}

base::Result<std::vector<double>> DecodeSamples(std::string_view blob) {
  if (blob.empty()) return base::Internal("stored samples are empty (store corrupted?)");
  std::vector<double> out;
  if (blob[0] == kTagDoubles) {
    if ((blob.size() - 1) % 8 != 0) return base::Internal("stored samples are truncated");
    out.reserve((blob.size() - 1) / 8);
    for (size_t i = 1; i < blob.size(); i += 8) {
      uint64_t bits = 0;
      for (int b = 0; b < 8; ++b) {
        bits |= static_cast<uint64_t>(static_cast<unsigned char>(blob[i + b])) << (8 * b);
      }
      out.push_back(std::bit_cast<double>(bits));
    }
    return out;
  }
  if (blob[0] == kTagIntegerDeltas) {
    int64_t prev = 0;
    size_t i = 1;
    while (i < blob.size()) {
      uint64_t v = 0;
      int shift = 0;
      while (true) {
        if (i >= blob.size() || shift > 63) return base::Internal("stored samples are truncated");
        unsigned char c = static_cast<unsigned char>(blob[i++]);
        v |= static_cast<uint64_t>(c & 0x7f) << shift;
        if ((c & 0x80) == 0) break;
        shift += 7;
      }
      int64_t d = static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
      // The encoder writes values within +-2^53 only, so no difference exceeds 2^54 and no
      // sum leaves +-2^53: a blob where one does (which would overflow) is corrupt.
      if (d > kMaxDelta || d < -kMaxDelta || prev + d > kMaxInteger || prev + d < -kMaxInteger) {
        return base::Internal("stored samples are corrupted (an integer beyond 2^53)");
      }
      prev += d;
      out.push_back(static_cast<double>(prev));
    }
    return out;
  }
  return base::Internal("stored samples have an unknown encoding (written by a newer perfledger?)");
}

}  // namespace perfledger::store
