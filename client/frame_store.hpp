#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "client/live_metrics.hpp"
#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "common/clock.hpp"
#include "protocol/messages.hpp"

namespace rd {

// The hand-over point between the network thread (which completes frames) and the
// presenting thread (SDL main loop or headless loop). Completed frames are copied in
// under the lock; the presenter takes the dirty region and the pixels under it.
class FrameStore {
 public:
  // Called (on the network thread, outside the lock) after every change: lets an event
  // loop that cannot wait on the condition variable wake up.
  void set_listener(std::function<void()> fn) { listener_ = std::move(fn); }

  // --- network thread ---
  void reset(int w, int h);                        // a new geometry: everything dirty
  // `answered`: when the inputs this frame answers were sent (input latency stamps).
  void publish(const Surface& decoded, const Region& region, std::vector<std::uint64_t> answered = {});
  // What the connection is doing, when it is not simply streaming ("reconnecting ...");
  // empty once it streams again.
  void set_status(std::string status);
  void set_cursor(CursorShape c);
  void set_clipboard(std::string utf8);  // the server's clipboard changed
  void finish(std::string reason, bool error);     // the stream ended

  // --- presenter ---
  struct Update {
    bool resized = false;
    Region dirty;
    std::optional<CursorShape> cursor;
    std::optional<std::string> clipboard;
    std::optional<std::string> status;
    std::vector<std::uint64_t> answered;  // send times of the inputs these pixels answer
  };
  // Waits until something changed or the deadline passes; returns whether it did.
  bool wait(Clock::time_point deadline);
  // Takes what changed since the last call; upload the pixels inside with_pixels.
  Update take();
  // The presenter has shown `u` to the user: its answered inputs' latencies are measured.
  void shown(const Update& u);
  LiveMetrics& metrics() { return metrics_; }
  std::string status() const;
  template <class F>
  void with_pixels(F&& f) {
    std::lock_guard lk(mu_);
    f(const_cast<const Surface&>(present_));
  }
  std::uint64_t frames() const;
  std::optional<Clock::time_point> last_frame_time() const;
  bool finished() const;
  std::string finish_reason() const;
  bool finished_with_error() const;
  Surface snapshot() const;
  std::string last_clipboard() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Surface present_;
  Region dirty_;
  bool resized_ = false;
  std::optional<CursorShape> cursor_;
  std::optional<std::string> clipboard_;
  std::string last_clipboard_;
  std::optional<std::string> status_;
  std::string last_status_;
  std::vector<std::uint64_t> answered_;
  LiveMetrics metrics_;
  bool changed_ = false;
  std::uint64_t frames_ = 0;
  std::optional<Clock::time_point> last_frame_;
  bool finished_ = false, error_ = false;
  std::string reason_;
  std::function<void()> listener_;
  void changed();
};

}  // namespace rd
