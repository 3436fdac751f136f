#pragma once
#include <asio.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace rd {

// The I/O thread's second-class work: the steps of viewers nobody is typing into
// (planning their next update, queueing and writing a finished one). asio runs the
// thread's handlers first come, first served, so a hundred such viewers woken by one
// frame would put their work ahead of the input of the one viewer in use, and ahead of
// its answer. Here that work waits in a queue of its own and runs a few items per turn,
// each turn going to the back of the I/O thread's queue: between two turns the thread
// reads its sockets and runs everything else that is ready. The work is not dropped or
// reordered, only interleaved: bulk viewers get every frame, a little later.
class BulkLane : public std::enable_shared_from_this<BulkLane> {
 public:
  explicit BulkLane(asio::io_context& io, std::size_t per_turn = 2) : io_(io), per_turn_(per_turn) {}
  // Thread-safe. `fn` runs on the I/O thread, after everything deferred before it.
  void defer(std::function<void()> fn);
  // Drops what waits (shutdown).
  void clear();

 private:
  void turn();
  asio::io_context& io_;
  const std::size_t per_turn_;
  std::mutex mu_;
  std::deque<std::function<void()>> q_;
  bool scheduled_ = false;
};

}  // namespace rd
