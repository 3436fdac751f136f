#include "common/worker_pool.hpp"

#include <algorithm>
#include <exception>

namespace rd {

static int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

WorkerPool::WorkerPool(int threads) : meter_(resolve_threads(threads)) {
  int n = resolve_threads(threads);
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::submit(std::function<void()> job, bool urgent) {
  {
    std::lock_guard lk(mu_);
    (urgent ? urgent_ : jobs_).push_back(std::move(job));
  }
  cv_.notify_one();
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !jobs_.empty() || !urgent_.empty(); });
      auto& q = !urgent_.empty() ? urgent_ : jobs_;
      if (q.empty()) return;  // stopping and drained
      job = std::move(q.front());
      q.pop_front();
    }
    meter_.worker_started();
    job();
    meter_.worker_stopped();
  }
}

void WorkerPool::parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) {
  JobLatch latch;
  std::mutex error_mu;
  std::exception_ptr error;
  latch.add(n);
  for (std::size_t i = 0; i < n; ++i)
    submit([&, i] {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lk(error_mu);
        if (!error) error = std::current_exception();
      }
      latch.done();
    });
  latch.wait();
  if (error) std::rethrow_exception(error);
}

void JobLatch::add(std::size_t n) {
  std::lock_guard lk(mu_);
  pending_ += n;
}

void JobLatch::done() {
  std::lock_guard lk(mu_);
  if (--pending_ == 0) cv_.notify_all();
}

void JobLatch::wait() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [this] { return pending_ == 0; });
}

}  // namespace rd
