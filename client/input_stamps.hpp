#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "common/clock.hpp"
#include "protocol/messages.hpp"

namespace rd {

// The viewer's side of input latency stamps: every input event sent gets the next id and
// the time it left; a FrameEnd that lists the id gives the time back once, so the frame's
// presentation time minus it is that input's input-to-display latency.
// Thread-safe: input is stamped on the main thread, answered on the network thread.
class InputStamps {
 public:
  // Inputs never answered (the connection was lost, or an old server ignores stamps)
  // are forgotten oldest first beyond this many.
  static constexpr std::size_t kMaxWaiting = 4096;

  InputStamp next() {
    std::lock_guard lk(mu_);
    InputStamp s{++last_id_, now_us()};
    if (last_id_ == 0) s.id = ++last_id_;  // 0 means "not stamped" on the wire
    waiting_.push_back(s);
    if (waiting_.size() > kMaxWaiting) waiting_.pop_front();
    return s;
  }

  // When input `id` was sent, if it is still waiting for its answer (each id answers once).
  std::optional<std::uint64_t> answer(std::uint32_t id) {
    std::lock_guard lk(mu_);
    for (auto it = waiting_.begin(); it != waiting_.end(); ++it)
      if (it->id == id) {
        std::uint64_t t = it->time_us;
        waiting_.erase(it);
        return t;
      }
    return std::nullopt;
  }

 private:
  std::mutex mu_;
  std::uint32_t last_id_ = 0;
  std::deque<InputStamp> waiting_;  // ids increase: answers usually find the front
};

}  // namespace rd
