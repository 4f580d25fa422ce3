#include "env/signals.h"

#include <time.h>
#include <unistd.h>

namespace perfledger::env {

#if defined(__APPLE__)
int WaitForSignal(const sigset_t& set, std::chrono::milliseconds timeout) {
  // No sigtimedwait: a pending signal of the set is taken with sigwait (which then returns at
  // once); until one is pending, sleep in short steps.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0) {
      for (int sig = 1; sig < NSIG; ++sig) {
        if (sigismember(&set, sig) == 1 && sigismember(&pending, sig) == 1) {
          int taken = 0;
          if (sigwait(&set, &taken) == 0) return taken;
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return 0;
    timespec step{0, 10'000'000};
    nanosleep(&step, nullptr);
  }
}
#else
int WaitForSignal(const sigset_t& set, std::chrono::milliseconds timeout) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec tick{static_cast<time_t>(s.count()),
                static_cast<long>(std::chrono::nanoseconds(timeout - s).count())};
  const int sig = sigtimedwait(&set, nullptr, &tick);
  return sig > 0 ? sig : 0;
}
#endif

}  // namespace perfledger::env
