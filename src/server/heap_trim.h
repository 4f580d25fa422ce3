// Private to server/: gives the heap's free memory back to the system after a large
// computation, on a thread of its own so that no response waits for it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

namespace perfledger::server {

// glibc returns only the top of a heap by itself: after a document of tens of megabytes is
// made and what it was made from is freed, the process would keep that high-water mark.
// Asking for a trim is cheap; the trim itself (mallinfo2 walks the free lists, malloc_trim
// the heap) takes milliseconds, and runs here, once for any number of asks made meanwhile.
class HeapTrimmer {
 public:
  // Trims when the heap holds at least `above_free_bytes` free.
  explicit HeapTrimmer(size_t above_free_bytes);
  ~HeapTrimmer();  // finishes a trim under way, then stops
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  void Ask();
  // Trims that ran (the heap held at least the threshold free) and checks made.
  int64_t trims() const;
  int64_t checks() const;

 private:
  void Run();

  const size_t above_free_bytes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool asked_ = false, stop_ = false;
  int64_t trims_ = 0, checks_ = 0;
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace perfledger::server
