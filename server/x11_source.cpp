#include "server/x11_source.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace rd {

X11Source::X11Source(Session& session, std::unique_ptr<X11Display> display, int max_fps, bool resizable)
    : session_(session), x_(std::move(display)), max_fps_(max_fps > 0 ? max_fps : 60), resizable_(resizable) {
  width_ = x_->width();
  height_ = x_->height();
  if (::pipe(wake_) != 0) throw std::runtime_error("pipe failed");
  spdlog::info("X display: {}x{}, capture through {}", width_, height_, x_->uses_shm() ? "XShm" : "XGetImage");
}

X11Source::~X11Source() {
  stop();
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void X11Source::start() { thread_ = std::thread([this] { run(); }); }

void X11Source::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  char c = 'q';
  [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
  if (thread_.joinable()) thread_.join();
  x_.reset();  // gives spare keycodes back, releases what was pressed
}

void X11Source::push(Input in) {
  {
    std::lock_guard lk(mu_);
    inputs_.push_back(std::move(in));
    inputs_serial_ = std::max(inputs_serial_, session_.serial_in_delivery());
  }
  char c = 'i';
  [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
}

void X11Source::run() {
  using Clk = std::chrono::steady_clock;
  const auto period = std::chrono::microseconds(1000000 / max_fps_);
  auto next_capture = Clk::now();
  for (;;) {
    // Round trips (capture, cursor, input) make Xlib read events into its own queue,
    // where poll() on the socket cannot see them: drain the queue before waiting.
    bool queued = x_->process_events();
    int timeout = -1;  // idle: wait for X or for a viewer
    if (queued && !x_->has_damage()) timeout = 0;  // a cursor or clipboard change to pass on
    else if (x_->has_damage()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_capture - Clk::now()).count();
      timeout = static_cast<int>(std::max<long long>(0, left));
    }
    pollfd fds[2] = {{x_->fd(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    ::poll(fds, 2, timeout);
    if (fds[1].revents & POLLIN) {
      char buf[64];
      [[maybe_unused]] auto n = ::read(wake_[0], buf, sizeof buf);
    }
    std::deque<Input> inputs;
    std::uint64_t serial = 0;
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
      inputs.swap(inputs_);
      serial = inputs_serial_;
    }
    for (const Input& in : inputs) {
      if (auto* k = std::get_if<KeyEvent>(&in)) x_->key(k->keysym, k->down);
      else if (auto* p = std::get_if<PointerEvent>(&in)) {
        spdlog::debug("X input: pointer {},{} buttons {}", p->x, p->y, p->buttons);
        x_->pointer(p->x, p->y, p->buttons);
      }
      else if (auto* w = std::get_if<WheelEvent>(&in)) x_->wheel(w->x, w->y, w->dx, w->dy);
      else if (auto* c = std::get_if<ClipboardText>(&in)) x_->set_clipboard(c->utf8);
      else if (std::holds_alternative<ReleaseAll>(in)) x_->release_all();
      else if (auto* r = std::get_if<ResizeTo>(&in)) {
        bool ok = resizable_ && x_->resize(r->w, r->h);
        std::lock_guard lk(stats_mu_);
        ++(ok ? resizes_ : resize_refused_);
        if (!resizable_) spdlog::info("X display: not resizing to {}x{}, the display is not this session's own", r->w, r->h);
        else if (!ok) spdlog::warn("X display: a resize to {}x{} was refused (RandR)", r->w, r->h);
      }
    }
    x_->process_events();
    // Latency stamps: the frame that answers input is the first capture after it reached
    // the X server; with no damage pending, an X client has not drawn an answer yet and
    // the stamp goes out now (so X latency excludes the X client's own reaction time).
    if (!inputs.empty()) {
      if (x_->has_damage()) held_serial_ = std::max(held_serial_, serial);
      else session_.inputs_applied(serial);
    }
    if (auto cursor = x_->take_cursor()) session_.set_cursor(std::move(*cursor));
    if (auto text = x_->take_clipboard()) session_.set_clipboard(std::move(*text), 0);
    if (x_->has_damage() && Clk::now() >= next_capture) {
      int old_w = frame_.width(), old_h = frame_.height();
      Region damage = x_->capture(frame_);
      if (frame_.width() != old_w || frame_.height() != old_h) {
        if (old_w != 0) spdlog::info("X display resized to {}x{}", frame_.width(), frame_.height());
        auto lk = session_.lock();
        bool differs = session_.surface().width() != frame_.width() || session_.surface().height() != frame_.height();
        lk.unlock();
        if (differs) session_.resize(frame_.width(), frame_.height());
      }
      session_.publish(frame_, damage, std::nullopt, std::exchange(held_serial_, 0));
      next_capture = Clk::now() + period;
      std::lock_guard lk(stats_mu_);
      ++publishes_;
      x_stats_ = x_->stats();
    }
  }
}

nlohmann::json X11Source::stats() const {
  std::lock_guard lk(stats_mu_);
  return {{"shm", x_stats_.shm},
          {"captures", x_stats_.captures},
          {"full_grabs", x_stats_.full_grabs},
          {"damage_rects", x_stats_.damage_rects},
          {"capture_ms_mean", x_stats_.captures ? x_stats_.capture_ms_total / static_cast<double>(x_stats_.captures) : 0.0},
          {"spare_keycodes_used", x_stats_.spare_keycodes_used},
          {"publishes", publishes_},
          {"resizes", resizes_},
          {"resizes_refused", resize_refused_}};
}

}  // namespace rd
