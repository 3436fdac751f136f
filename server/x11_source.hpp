#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "server/source.hpp"
#include "x11bridge/x11_display.hpp"

namespace rd {

// An X display as the session's source, on one thread that owns the X connection: it
// waits for X events or for input from viewers (a pipe wakes it), captures what XDamage
// reports at most `max_fps` times a second, and publishes it; the cursor and the
// clipboard go both ways; input goes in through XTest.
class X11Source : public Source {
 public:
  // Takes over an open display; the session must have its size.
  // resizable: viewers' size requests go to RandR. Only for an X server the session
  // owns (its private Xvfb): resizing a desktop someone sits at is not a viewer's call.
  X11Source(Session& session, std::unique_ptr<X11Display> display, int max_fps, bool resizable);
  ~X11Source() override;

  int width() const { return width_; }
  int height() const { return height_; }

  void start() override;
  void stop() override;
  nlohmann::json stats() const override;

  void on_key(const KeyEvent& e) override { push(e); }
  void on_pointer(const PointerEvent& e) override { push(e); }
  void on_wheel(const WheelEvent& e) override { push(e); }
  void on_clipboard(const std::string& utf8) override { push(ClipboardText{utf8}); }
  void on_viewer_left() override { push(ReleaseAll{}); }
  void on_resize_request(int w, int h) override { push(ResizeTo{w, h}); }

 private:
  struct ClipboardText {
    std::string utf8;
  };
  struct ReleaseAll {};
  struct ResizeTo {
    int w, h;
  };
  using Input = std::variant<KeyEvent, PointerEvent, WheelEvent, ClipboardText, ReleaseAll, ResizeTo>;
  void push(Input in);
  void run();

  Session& session_;
  std::unique_ptr<X11Display> x_;
  int width_ = 0, height_ = 0;
  int max_fps_;
  bool resizable_;
  int wake_[2] = {-1, -1};
  std::mutex mu_;
  std::deque<Input> inputs_;
  std::uint64_t inputs_serial_ = 0;
  std::uint64_t held_serial_ = 0;  // run thread only: applied inputs waiting for the next capture  // the highest input serial queued (latency stamps)
  bool stopping_ = false;
  std::thread thread_;
  Surface frame_;
  mutable std::mutex stats_mu_;
  X11Display::Stats x_stats_;
  std::uint64_t publishes_ = 0, resizes_ = 0, resize_refused_ = 0;
};

}  // namespace rd
