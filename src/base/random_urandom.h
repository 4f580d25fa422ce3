// The fallback both random_*.cc share: reading /dev/urandom. For them alone.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace perfledger::base::internal {

// Fills out[got, n) from /dev/urandom; false (errno set) when it could not.
inline bool ReadDevUrandom(uint8_t* out, size_t got, size_t n) {
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  while (got < n) {
    const ssize_t r = ::read(fd, out + got, n - got);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r == 0 || errno != EINTR) {
      const int e = r == 0 ? EIO : errno;
      ::close(fd);
      errno = e;
      return false;
    }
  }
  ::close(fd);
  return true;
}

}  // namespace perfledger::base::internal
