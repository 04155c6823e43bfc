#include "core/big_array.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>
#if defined(__linux__)
#include <pthread.h>
#include <sys/mman.h>
#endif

namespace htj2k {
namespace {

constexpr size_t kHuge = size_t(2) << 20;
constexpr size_t kMaxCached = 8;

struct Cache {
  std::mutex mu;
  std::unordered_map<void*, size_t> sizes;  // every live or kept allocation of kHuge and more
  std::vector<std::pair<void*, size_t>> kept;  // oldest first
  size_t kept_bytes = 0;
};

Cache* g_cache = nullptr;

#if defined(__linux__)
// In a forked child the mutex may be held by a thread that does not exist there:
// start a fresh cache (the parent's kept arrays are leaked, not freed twice).
void fresh_cache_in_child() { g_cache = new Cache(); }
#endif

Cache& cache() {
  static const bool once = [] {  // never destroyed: arrays may be freed during exit
    g_cache = new Cache();
#if defined(__linux__)
    pthread_atfork(nullptr, nullptr, &fresh_cache_in_child);
#endif
    return true;
  }();
  (void)once;
  return *g_cache;
}

}  // namespace

void* big_alloc(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  if (bytes < kHuge) {
    void* p = std::malloc(bytes);
    if (!p) throw std::bad_alloc();
    return p;
  }
  const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto best = c.kept.end();  // the smallest kept array that holds `rounded`
    for (auto it = c.kept.begin(); it != c.kept.end(); ++it)
      if (it->second >= rounded && (best == c.kept.end() || it->second < best->second)) best = it;
    if (best != c.kept.end()) {
      void* p = best->first;
      c.kept_bytes -= best->second;
      c.kept.erase(best);
      return p;
    }
  }
  void* p = std::aligned_alloc(kHuge, rounded);
  if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
  std::lock_guard<std::mutex> lock(c.mu);
  c.sizes[p] = rounded;
  return p;
}

void big_free(void* p) {
  if (!p) return;
  Cache& c = cache();
  std::vector<void*> drop;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    const auto it = c.sizes.find(p);
    if (it == c.sizes.end()) {
      drop.push_back(p);  // a small array: malloc's
    } else if (it->second > kBigArrayCacheBytes) {
      c.sizes.erase(it);
      drop.push_back(p);
    } else {
      c.kept.emplace_back(p, it->second);
      c.kept_bytes += it->second;
      while (c.kept_bytes > kBigArrayCacheBytes || c.kept.size() > kMaxCached) {  // the oldest go
        c.kept_bytes -= c.kept.front().second;
        c.sizes.erase(c.kept.front().first);
        drop.push_back(c.kept.front().first);
        c.kept.erase(c.kept.begin());
      }
    }
  }
  for (void* q : drop) std::free(q);
}

}  // namespace htj2k
