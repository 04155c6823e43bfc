// A process-wide pool of worker threads for the batch operations.
//
// parallel_for(n, threads, fn) runs fn(0..n-1) on up to `threads` threads: the
// calling thread works too, and up to threads-1 pool workers help. Items are
// handed out one at a time from a shared counter (frames differ in cost), and
// the call returns once every item has finished. fn must not throw (callers
// catch per item). Several parallel_for calls may run at once, from any threads,
// nested too: a caller never waits for a worker that has not started, so a busy
// pool only means fewer helpers, never a deadlock.
//
// The pool starts lazily, grows to the largest number of helpers asked for
// (at most kMaxThreads - 1) and lives until the process ends. After fork() the
// child starts a fresh pool on first use (the parent's workers do not exist there).
#pragma once
#include <cstddef>
#include <functional>

namespace htj2k {

constexpr size_t kMaxThreads = 256;

// Threads used when the caller does not say: std::thread::hardware_concurrency()
// (at least 1).
size_t default_threads();

// Runs fn(i) for every i < n; threads = 0 means default_threads(). Capped to n
// and to kMaxThreads.
void parallel_for(size_t n, size_t threads, const std::function<void(size_t)>& fn);

// Number of worker threads the pool holds now (for tests).
size_t pool_workers();

}  // namespace htj2k
