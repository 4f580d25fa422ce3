// Waiting for a blocked signal with a time limit: sigtimedwait where the C library has it
// (Linux, the BSDs); elsewhere (macOS) sigpending + sigwait, looking every 10 ms.
#pragma once

#include <signal.h>

#include <chrono>

namespace perfledger::env {

// The signal of `set` (blocked in every thread) that arrived, taken from the pending set; 0
// when none did within `timeout`.
int WaitForSignal(const sigset_t& set, std::chrono::milliseconds timeout);

}  // namespace perfledger::env
