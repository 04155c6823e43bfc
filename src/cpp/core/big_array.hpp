// Large working arrays (whole image planes): uninitialised, and from 2 MiB on
// 2 MiB-aligned and offered to the kernel as transparent huge pages (Linux
// madvise), so that a 34 MB plane is 17 page faults instead of 8300 -- first
// touching fresh memory was a fifth of a lossless encode's time otherwise.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace htj2k {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using BigArray = std::unique_ptr<T[], FreeDeleter>;

template <typename T>
BigArray<T> make_big_array(size_t n) {
  constexpr size_t kHuge = size_t(2) << 20;
  const size_t bytes = std::max<size_t>(n * sizeof(T), 1);
  void* p = nullptr;
  if (bytes >= kHuge) {
    const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    p = std::aligned_alloc(kHuge, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
  } else {
    p = std::malloc(bytes);
  }
  if (!p) throw std::bad_alloc();
  return BigArray<T>(static_cast<T*>(p));
}

}  // namespace htj2k
