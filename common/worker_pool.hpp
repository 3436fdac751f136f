#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/tlp_meter.hpp"

namespace rd {

// A fixed pool of worker threads taking jobs from one FIFO queue. The server encodes
// tiles on it and the viewer decodes tiles on it; the TLP meter tells how parallel
// the work really was.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);  // threads <= 0: one per core
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Urgent jobs run before every job that is not (in their own FIFO order): the work of
  // an update that answers a viewer's input does not wait behind bulk encoding.
  void submit(std::function<void()> job, bool urgent = false);
  int size() const { return static_cast<int>(threads_.size()); }
  TlpMeter::Report tlp() const { return meter_.report(); }

  // Runs fn(i) for i in [0, n) on the pool and waits for all of them.
  void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn);

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_, urgent_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  TlpMeter meter_;
};

// Counts outstanding jobs of one batch so that a caller can wait for exactly its own.
class JobLatch {
 public:
  void add(std::size_t n = 1);
  void done();
  void wait();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t pending_ = 0;
};

}  // namespace rd
