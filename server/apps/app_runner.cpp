#include "server/apps/app_runner.hpp"

#include <spdlog/spdlog.h>

#include "common/clock.hpp"

namespace rd {

AppRunner::AppRunner(Session& session, std::unique_ptr<App> app, AppRunnerConfig config)
    : session_(session), app_(std::move(app)), config_(config), fonts_(default_font_dir()) {
  auto lk = session_.lock();
  back_ = session_.surface();
}

AppRunner::~AppRunner() { stop(); }

void AppRunner::start() {
  session_.set_cursor(arrow_cursor());
  thread_ = std::thread([this] { run(); });
}

void AppRunner::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AppRunner::push(Input in) {
  {
    std::lock_guard lk(mu_);
    inputs_.push_back(in);
  }
  cv_.notify_all();
}

int AppRunner::frames_done() const {
  std::lock_guard lk(mu_);
  return frames_done_;
}

bool AppRunner::script_done() const {
  std::lock_guard lk(mu_);
  return script_done_;
}

nlohmann::json AppRunner::app_state() const {
  std::lock_guard lk(mu_);
  return state_;
}

void AppRunner::publish(Canvas& canvas) {
  Region damage = canvas.take_damage();
  {
    auto lk = session_.lock();
    for (const Rect& r : damage.rects()) session_.surface().copy_rect_from(back_, r);
    session_.commit_locked(damage);
  }
  std::lock_guard lk(mu_);
  state_ = app_->state();
}

void AppRunner::run() {
  Canvas canvas(back_, fonts_);
  app_->start(canvas);
  publish(canvas);

  const auto period = config_.fps > 0 ? std::chrono::microseconds(1000000 / config_.fps) : std::chrono::microseconds(0);
  auto next = Clock::now();
  int index = 0;
  for (;;) {
    std::deque<Input> inputs;
    bool want_frame;
    {
      std::unique_lock lk(mu_);
      bool script_left = !config_.frames || index < *config_.frames;
      if (!script_left && !script_done_) {
        script_done_ = true;
        spdlog::info("app script finished after {} frames", index);
      }
      if (script_left)
        cv_.wait_until(lk, next, [&] { return stopping_ || !inputs_.empty(); });
      else
        cv_.wait(lk, [&] { return stopping_ || !inputs_.empty(); });
      if (stopping_) return;
      inputs.swap(inputs_);
      want_frame = script_left && Clock::now() >= next;
    }
    for (const Input& in : inputs) {
      if (auto* k = std::get_if<KeyEvent>(&in)) app_->key(canvas, *k);
      else if (auto* p = std::get_if<PointerEvent>(&in)) app_->pointer(canvas, *p);
      else if (auto* w = std::get_if<WheelEvent>(&in)) app_->wheel(canvas, *w);
    }
    if (want_frame) {
      app_->frame(canvas, index++);
      next += period;
      // Fell far behind (a stall or fps 0): restart the schedule instead of bursting.
      if (Clock::now() > next + period * 4) next = Clock::now();
      std::lock_guard lk(mu_);
      frames_done_ = index;
    }
    if (!inputs.empty() || want_frame) publish(canvas);
  }
}

CursorShape arrow_cursor() {
  // 'X' black, '.' white, ' ' transparent.
  static const char* rows[] = {
      "X           ", "XX          ", "X.X         ", "X..X        ", "X...X       ", "X....X      ",
      "X.....X     ", "X......X    ", "X.......X   ", "X........X  ", "X.........X ", "X......XXXXX",
      "X...X..X    ", "X..XX..X    ", "X.X  X..X   ", "XX   X..X   ", "X     X..X  ", "      X..X  ",
      "       XX   "};
  CursorShape c;
  c.w = 12;
  c.h = 19;
  c.bgra.resize(static_cast<std::size_t>(c.w) * c.h * 4);
  for (int y = 0; y < c.h; ++y)
    for (int x = 0; x < c.w; ++x) {
      std::uint8_t* p = &c.bgra[(static_cast<std::size_t>(y) * c.w + x) * 4];
      char ch = rows[y][x];
      std::uint8_t v = ch == '.' ? 255 : 0;
      p[0] = p[1] = p[2] = v;
      p[3] = ch == ' ' ? 0 : 255;
    }
  return c;
}

}  // namespace rd
