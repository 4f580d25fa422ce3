#include "base/uuid.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include "base/random.h"

namespace perfledger::base {

// Every id is drawn afresh from the kernel's random number generator (base/random.h), with no
// generator state of our own: 122 random bits an id, so a collision is as unlikely as RFC 4122
// says (about one in 2^61 ids), and a forked process never repeats its parent's ids. (The ids
// were from a Mersenne Twister seeded with one 32-bit random_device() value: 2^32 sequences in
// all, about even odds of a collision after 77,000 runs, and a child forked after the first id
// repeated its parent's next ones.)
std::string NewUuidV4() {
  std::array<uint8_t, 16> b;
  // Without any source of randomness an id could repeat one already stored: refuse to make one.
  if (!FillRandomBytes(b.data(), b.size())) std::abort();
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}"
      "{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

}  // namespace perfledger::base
