// Fuzzes the sample codec (store/sample_codec.h) both ways:
//   - decoding the input as a stored blob must not crash, and what it decodes re-encodes
//     to a blob that decodes to the same bits;
//   - the input read as a list of samples (a control byte per value: a raw double, a small or
//     large integer, or a value next to the 2^53 limit of the integer encoding) must encode
//     and decode to exactly the same bits (NaN payloads and -0.0 included).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "store/sample_codec.h"

namespace {

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint64_t>(a[i]) != std::bit_cast<uint64_t>(b[i])) return false;
  }
  return true;
}

void RoundTrip(const std::vector<double>& samples) {
  const std::string blob = perfledger::store::EncodeSamples(samples);
  auto back = perfledger::store::DecodeSamples(blob);
  if (!back.ok()) {
    std::fprintf(stderr, "an encoded blob does not decode: %s\n", back.status().message().c_str());
    __builtin_trap();
  }
  if (!SameBits(*back, samples)) {
    std::fprintf(stderr, "%zu samples decode to other values\n", samples.size());
    __builtin_trap();
  }
}

// Reads `n` bytes little-endian (0 past the end).
uint64_t Take(const uint8_t*& p, const uint8_t* end, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n && p < end; ++i, ++p) v |= static_cast<uint64_t>(*p) << (8 * i);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded =
      perfledger::store::DecodeSamples(std::string_view(reinterpret_cast<const char*>(data), size));
  if (decoded.ok()) RoundTrip(*decoded);

  constexpr int64_t kLimit = int64_t{1} << 53;
  std::vector<double> samples;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  while (p < end) {
    const uint8_t control = *p++;
    switch (control % 5) {
      case 0:
        samples.push_back(std::bit_cast<double>(Take(p, end, 8)));
        break;
      case 1:
        samples.push_back(static_cast<double>(static_cast<int8_t>(Take(p, end, 1))));
        break;
      case 2:
        samples.push_back(static_cast<double>(static_cast<int32_t>(Take(p, end, 4))));
        break;
      case 3: {  // within 128 of +-2^53
        const int64_t off = static_cast<int8_t>(Take(p, end, 1));
        samples.push_back(static_cast<double>((control & 0x80 ? -kLimit : kLimit) + off));
        break;
      }
      default:
        samples.push_back(static_cast<double>(static_cast<int64_t>(Take(p, end, 8))));
        break;
    }
  }
  RoundTrip(samples);
  return 0;
}
