// Random bytes from the operating system's generator, for ids and secrets (run ids, API
// tokens). No generator state of our own: every call draws afresh from the kernel, so threads
// and forked processes never repeat each other's bytes. Thread-safe.
//
// random_linux.cc uses getrandom(2); random_posix.cc (every other system, and Linux built with
// PERFLEDGER_PORTABLE) getentropy (POSIX.1-2024: macOS, the BSDs, glibc, musl). Both fall back
// to reading /dev/urandom. Exactly one is built (src/base/CMakeLists.txt).
#pragma once

#include <cstddef>

namespace perfledger::base {

// Fills out[0, n) with random bytes. False (errno set) when no source gave them all: never
// use the buffer then.
bool FillRandomBytes(void* out, size_t n);

}  // namespace perfledger::base
