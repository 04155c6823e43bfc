// Large working arrays (whole image planes): uninitialised, and from 2 MiB on
// 2 MiB-aligned and offered to the kernel as transparent huge pages (Linux
// madvise), so that a 34 MB plane is 17 page faults instead of 8300 -- first
// touching fresh memory was a fifth of a lossless encode's time otherwise.
// Freed arrays of 2 MiB and more are kept for reuse (core/big_array.cpp: a few,
// up to kBigArrayCacheBytes in all): an encoder called frame after frame then
// writes into pages it already holds instead of the kernel zeroing fresh ones
// (still ~8% of a one-thread 2500x3000 encode with huge pages).
#pragma once
#include <cstddef>
#include <memory>

namespace htj2k {

constexpr size_t kBigArrayCacheBytes = size_t(256) << 20;

// The raw allocation behind make_big_array and its release (kept or freed).
void* big_alloc(size_t bytes);
void big_free(void* p);

struct FreeDeleter {
  void operator()(void* p) const { big_free(p); }
};
template <typename T>
using BigArray = std::unique_ptr<T[], FreeDeleter>;

template <typename T>
BigArray<T> make_big_array(size_t n) {
  return BigArray<T>(static_cast<T*>(big_alloc(n * sizeof(T))));
}

}  // namespace htj2k
