#include "base/uuid.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

namespace perfledger::base {

std::string NewUuidV4() {
  static std::mutex mu;
  static std::mt19937_64 gen{std::random_device{}()};
  std::array<uint8_t, 16> b;
  {
    std::lock_guard<std::mutex> lock(mu);
    uint64_t hi = gen(), lo = gen();
    for (int i = 0; i < 8; ++i) {
      b[i] = static_cast<uint8_t>(hi >> (8 * i));
      b[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
    }
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}"
      "{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

}  // namespace perfledger::base
