// Linux: getrandom(2), which blocks only until the kernel's generator is first seeded at boot.
// Built unless PERFLEDGER_PORTABLE; random_posix.cc otherwise.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>

#include "base/random.h"
#include "base/random_urandom.h"

namespace perfledger::base {

bool FillRandomBytes(void* out, size_t n) {
  auto* bytes = static_cast<uint8_t*>(out);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(bytes + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (!(r < 0 && errno == EINTR)) {
      break;  // ENOSYS: before Linux 3.17 (or refused by seccomp)
    }
  }
  return got == n || internal::ReadDevUrandom(bytes, got, n);
}

}  // namespace perfledger::base
