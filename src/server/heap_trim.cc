#include "server/heap_trim.h"

#if defined(__GLIBC__)
#include <malloc.h>  // mallopt, malloc_trim, mallinfo2: glibc only
#endif

namespace perfledger::server {

HeapTrimmer::HeapTrimmer(size_t above_free_bytes)
    : above_free_bytes_(above_free_bytes), thread_([this] { Run(); }) {}

HeapTrimmer::~HeapTrimmer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void HeapTrimmer::Ask() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    asked_ = true;
  }
  cv_.notify_one();
}

int64_t HeapTrimmer::trims() const {
  std::lock_guard<std::mutex> lock(mu_);
  return trims_;
}

int64_t HeapTrimmer::checks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checks_;
}

void HeapTrimmer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return asked_ || stop_; });
    if (stop_) return;
    asked_ = false;
    lock.unlock();
#if defined(__GLIBC__)
    const bool trim = mallinfo2().fordblks >= above_free_bytes_;
    if (trim) malloc_trim(0);
#else
    const bool trim = false;  // other C libraries return freed memory on their own terms
#endif
    lock.lock();
    ++checks_;
    if (trim) ++trims_;
  }
}

}  // namespace perfledger::server
