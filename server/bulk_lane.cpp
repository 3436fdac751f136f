#include "server/bulk_lane.hpp"

namespace rd {

void BulkLane::defer(std::function<void()> fn) {
  std::lock_guard lk(mu_);
  q_.push_back(std::move(fn));
  if (scheduled_) return;
  scheduled_ = true;
  asio::post(io_, [self = shared_from_this()] { self->turn(); });
}

void BulkLane::clear() {
  std::deque<std::function<void()>> dropped;
  std::lock_guard lk(mu_);
  dropped.swap(q_);
}

void BulkLane::turn() {
  for (std::size_t i = 0; i < per_turn_; ++i) {
    std::function<void()> fn;
    {
      std::lock_guard lk(mu_);
      if (q_.empty()) break;
      fn = std::move(q_.front());
      q_.pop_front();
    }
    fn();
  }
  std::lock_guard lk(mu_);
  if (q_.empty()) {
    scheduled_ = false;
    return;
  }
  // The next turn goes behind what is ready now: socket reads, other viewers' input.
  asio::post(io_, [self = shared_from_this()] { self->turn(); });
}

}  // namespace rd
