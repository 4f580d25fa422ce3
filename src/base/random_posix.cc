// Every system but Linux, and Linux with PERFLEDGER_PORTABLE: getentropy (POSIX.1-2024; macOS
// 10.12, FreeBSD 12, OpenBSD, glibc 2.25, musl), which gives at most 256 bytes a call.
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/random.h>  // getentropy is declared here on macOS
#endif

#include <algorithm>
#include <cstdint>

#include "base/random.h"
#include "base/random_urandom.h"

namespace perfledger::base {

bool FillRandomBytes(void* out, size_t n) {
  constexpr size_t kMaxPerCall = 256;
  auto* bytes = static_cast<uint8_t*>(out);
  size_t got = 0;
  while (got < n) {
    const size_t want = std::min(kMaxPerCall, n - got);
    if (::getentropy(bytes + got, want) != 0) break;  // ENOSYS: an old kernel or libc
    got += want;
  }
  return got == n || internal::ReadDevUrandom(bytes, got, n);
}

}  // namespace perfledger::base
