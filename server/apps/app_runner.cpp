#include "server/apps/app_runner.hpp"

#include <time.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.hpp"

namespace rd {

AppRunner::AppRunner(Session& session, std::unique_ptr<App> app, AppRunnerConfig config)
    : session_(session), app_(std::move(app)), config_(std::move(config)), fonts_(default_font_dir()) {
  if (!config_.clock_us) config_.clock_us = [] { return now_us(); };
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
  // An inline step that began before stopping_ was set may still run on a delivering
  // thread: from here on the app and the session are not touched.
  std::lock_guard step(step_mu_);
}

void AppRunner::push(Input in) {
  const std::uint64_t serial = session_.serial_in_delivery();
  if (config_.inline_input && try_apply_inline(in, serial)) return;
  {
    std::lock_guard lk(mu_);
    inputs_.push_back({std::move(in), serial});
  }
  cv_.notify_all();
}

bool AppRunner::try_apply_inline(const Input& in, std::uint64_t serial) {
  std::unique_lock step(step_mu_, std::try_to_lock);
  if (!step.owns_lock() || !started_) return false;
  const std::uint64_t t0 = config_.clock_us();
  inline_budget_us_ = std::min(kInlineBurstUs, inline_budget_us_ + static_cast<std::int64_t>(t0 - inline_budget_at_us_) / kInlineShare);
  inline_budget_at_us_ = t0;
  if (inline_budget_us_ <= 0) return false;
  {
    // Inputs queued earlier go first, on the app thread: this one must follow them.
    std::lock_guard lk(mu_);
    if (stopping_ || !inputs_.empty()) return false;
  }
  begin_step(*canvas_);
  apply(*canvas_, in);
  publish(*canvas_, serial);
  inline_budget_us_ -= static_cast<std::int64_t>(config_.clock_us() - t0);
  inline_steps_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void AppRunner::apply(Canvas& canvas, const Input& in) {
  if (auto* k = std::get_if<KeyEvent>(&in)) app_->key(canvas, *k);
  else if (auto* p = std::get_if<PointerEvent>(&in)) app_->pointer(canvas, *p);
  else if (auto* w = std::get_if<WheelEvent>(&in)) app_->wheel(canvas, *w);
  else if (auto* c = std::get_if<ClipboardText>(&in)) app_->clipboard(canvas, c->utf8);
}

bool AppRunner::started() const {
  std::lock_guard step(step_mu_);
  return started_;
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

nlohmann::json AppRunner::stats() const {
  return {{"frames", frames_done()}, {"script_done", script_done()}, {"state", app_state()}, {"timing", timing()}};
}

nlohmann::json AppRunner::timing() const {
  std::lock_guard lk(mu_);
  std::vector<std::uint32_t> v = frame_us_;
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) { return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * v.size()))] / 1000.0; };
  double span = std::chrono::duration<double>(last_frame_ - first_frame_).count();
  return {{"frames", frames_done_},
          // The app thread's CPU: drawing and publishing. The rest of the server's CPU
          // is what serving the viewers costs (benchmarks subtract this); input steps
          // made inline are on the delivering thread, so they count as serving.
          {"cpu_seconds", cpu_seconds_},
          {"fps", span > 0 && frames_done_ > 1 ? (frames_done_ - 1) / span : 0.0},
          {"frame_ms", {{"p50", pct(50)}, {"p99", pct(99)}, {"max", pct(100)}}},
          // Input steps made on the delivering thread (inline) and on the app thread (queued).
          {"input_steps", {{"inline", inline_steps_.load()}, {"queued", queued_steps_.load()}}}};
}

double AppRunner::thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void AppRunner::begin_step(Canvas& canvas) {
  // Record ops only while some viewer uses command encoding; decided per step, so a
  // step is either fully recorded or not at all.
  if (session_.wants_ops()) canvas.start_recording();
  else canvas.stop_recording();
}

void AppRunner::publish(Canvas& canvas, std::uint64_t inputs_applied) {
  if (auto copied = app_->take_clipboard()) session_.set_clipboard(std::move(*copied), 0);
  std::optional<std::vector<LoggedOpPtr>> ops;
  if (canvas.recording()) ops = canvas.take_ops();
  session_.publish(back_, canvas.take_damage(), std::move(ops), inputs_applied);
  std::lock_guard lk(mu_);
  state_ = app_->state();
}

void AppRunner::viewers_changed() {
  std::lock_guard lk(mu_);
  cv_.notify_all();
}

void AppRunner::run() {
  if (config_.wait_for_viewer) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return stopping_ || session_.viewers() > 0; });
    if (stopping_) return;
  }
  int index = 0;
  {
    std::lock_guard step(step_mu_);
    canvas_ = std::make_unique<Canvas>(back_, fonts_);
    Canvas& canvas = *canvas_;
    begin_step(canvas);
    app_->start(canvas);
    if (config_.start_frame > 0) {
      // Skipped ahead: those frames' ops would only fill the op log; the first screen goes as pixels.
      canvas.stop_recording();
      const int first = config_.frames ? std::min(config_.start_frame, *config_.frames) : config_.start_frame;
      while (index < first) app_->frame(canvas, index++);
    }
    publish(canvas);
    started_ = true;
  }
  Canvas& canvas = *canvas_;

  const auto period = config_.fps > 0 ? std::chrono::microseconds(1000000 / config_.fps) : std::chrono::microseconds(0);
  auto next = Clock::now();
  const int first_paced = index + 1;
  for (;;) {
    const bool script_left = !config_.frames || index < *config_.frames;
    {
      std::unique_lock lk(mu_);
      if (!script_left && !script_done_) {
        script_done_ = true;
        spdlog::info("app script finished after {} frames", index);
      }
      if (script_left)
        cv_.wait_until(lk, next, [&] { return stopping_ || !inputs_.empty(); });
      else
        cv_.wait(lk, [&] { return stopping_ || !inputs_.empty(); });
      if (stopping_) return;
    }
    if (config_.before_step) config_.before_step();
    std::lock_guard step(step_mu_);
    std::deque<Queued> inputs;
    bool want_frame;
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
      inputs.swap(inputs_);
      want_frame = script_left && Clock::now() >= next;
    }
    if (inputs.empty() && !want_frame) continue;
    auto t0 = Clock::now();
    begin_step(canvas);
    std::uint64_t applied = 0;
    for (const auto& [in, serial] : inputs) {
      applied = std::max(applied, serial);
      apply(canvas, in);
    }
    if (!inputs.empty()) queued_steps_.fetch_add(1, std::memory_order_relaxed);
    if (want_frame) app_->frame(canvas, index++);
    publish(canvas, applied);
    if (want_frame) {
      auto t1 = Clock::now();
      next += period;
      // Fell far behind (a stall or fps 0): restart the schedule instead of bursting.
      if (t1 > next + period * 4) next = t1;
      std::lock_guard lk(mu_);
      frames_done_ = index;
      cpu_seconds_ = thread_cpu_seconds();
      frame_us_.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
      if (index == first_paced) first_frame_ = t0;
      last_frame_ = t1;
    }
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
