#include "parallel/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define HTJ2K_HAVE_PTHREAD_ATFORK 1
#endif

namespace htj2k {
namespace {

// One parallel_for call: its items are claimed through `next`; `finished`
// counts items done. Shared (not owned by the caller's stack) so that a helper
// which starts after the work ran out can still look at it safely.
struct Job {
  size_t n = 0;
  const std::function<void(size_t)>* fn = nullptr;  // valid while finished < n
  std::atomic<size_t> next{0};
  std::atomic<size_t> finished{0};
  std::mutex mu;
  std::condition_variable cv;

  // Claims and runs items until none is left. Returns after its last item.
  void work() {
    for (;;) {
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      (*fn)(i);
      if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == n) {
        std::lock_guard<std::mutex> lock(mu);
        cv.notify_all();
      }
    }
  }
};

class Pool {
 public:
  // Workers are detached and the pool is never destroyed: it must outlive
  // every caller, including ones running during interpreter/process shutdown.
  void ensure_workers(size_t count) {
    std::lock_guard<std::mutex> lock(mu_);
    count = std::min(count, kMaxThreads - 1);
    while (workers_ < count) {
      std::thread([this] { loop(); }).detach();
      ++workers_;
    }
  }

  void post(std::shared_ptr<Job> job, size_t helpers) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t k = 0; k < helpers; ++k) queue_.push_back(job);
    }
    if (helpers == 1)
      cv_.notify_one();
    else
      cv_.notify_all();
  }

  size_t workers() {
    std::lock_guard<std::mutex> lock(mu_);
    return workers_;
  }

 private:
  void loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job->work();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  size_t workers_ = 0;
};

std::atomic<Pool*> g_pool{nullptr};
std::once_flag g_atfork_once;

#ifdef HTJ2K_HAVE_PTHREAD_ATFORK
// In a forked child the parent's workers are gone and the pool's mutex may be
// held by a thread that no longer exists: forget (leak) it and start afresh.
void forget_pool_in_child() { g_pool.store(nullptr); }
#endif

Pool& pool() {
  std::call_once(g_atfork_once, [] {
#ifdef HTJ2K_HAVE_PTHREAD_ATFORK
    pthread_atfork(nullptr, nullptr, &forget_pool_in_child);
#endif
  });
  Pool* p = g_pool.load();
  if (p == nullptr) {
    auto* fresh = new Pool();
    if (g_pool.compare_exchange_strong(p, fresh))
      p = fresh;
    else
      delete fresh;  // another thread won; p now holds its pool
  }
  return *p;
}

}  // namespace

size_t default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : size_t(n);
}

void parallel_for(size_t n, size_t threads, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (threads == 0) threads = default_threads();
  threads = std::min({threads, n, kMaxThreads});
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->n = n;
  job->fn = &fn;
  Pool& p = pool();
  p.ensure_workers(threads - 1);
  p.post(job, threads - 1);
  job->work();
  // Every item has been claimed; wait for the ones helpers are still running.
  std::unique_lock<std::mutex> lock(job->mu);
  job->cv.wait(lock, [&] { return job->finished.load(std::memory_order_acquire) == n; });
}

size_t pool_workers() {
  Pool* p = g_pool.load();
  return p == nullptr ? 0 : p->workers();
}

}  // namespace htj2k
