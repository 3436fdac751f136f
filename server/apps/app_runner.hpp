#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "common/clock.hpp"
#include "server/apps/app.hpp"
#include "codecs/font.hpp"
#include "server/session.hpp"
#include "server/source.hpp"

namespace rd {

struct AppRunnerConfig {
  std::optional<int> frames;  // run this many script frames, then idle (none: forever)
  int start_frame = 0;        // script frames drawn at once before the first screen goes out
  int fps = 30;               // script frames per second; 0: as fast as it can draw
  bool wait_for_viewer = false;  // start the app once the first viewer watches
  // Input that finds the app idle is applied on the thread that delivers it (the
  // server's I/O thread) instead of waking the app thread: see AppRunner::push.
  bool inline_input = true;
  // Seams for tests: the clock the inline budget runs on (default now_us), and a call the
  // app thread makes after it wakes and before it takes its step.
  std::function<std::uint64_t()> clock_us;
  std::function<void()> before_step;
};

// Runs one App on its own thread: script frames at the configured rate, input from
// viewers as it arrives. The app draws into a private surface; only the damaged
// rectangles are copied into the session, so the session lock is held for a copy,
// never for a whole frame of drawing.
//
// Every step of the app (a script frame, a batch of inputs) runs under step_mu_, on
// whichever thread makes it. An input that arrives while the app is idle and nothing is
// queued ahead of it is applied and published at once by the thread delivering it: a
// key's answer then leaves without two thread wake-ups (to the app thread and back to
// the I/O thread), each a scheduler latency when the cores are busy. Otherwise (the app
// mid-frame, inputs queued, or inline steps over their share) it is queued for the app
// thread, as before.
class AppRunner : public Source {
 public:
  AppRunner(Session& session, std::unique_ptr<App> app, AppRunnerConfig config);
  ~AppRunner() override;

  void start() override;
  void stop() override;
  // The app's script progress, timing and state.
  nlohmann::json stats() const override;

  void on_key(const KeyEvent& e) override { push(e); }
  void on_pointer(const PointerEvent& e) override { push(e); }
  void on_wheel(const WheelEvent& e) override { push(e); }
  void on_clipboard(const std::string& utf8) override { push(ClipboardText{utf8}); }

  // The session's viewers changed (for wait_for_viewer).
  void viewers_changed() override;

  // The app has drawn its first screen; inputs from now on may be applied inline.
  bool started() const;
  int frames_done() const;
  bool script_done() const;
  nlohmann::json app_state() const;
  // Script frames run, the rate achieved, and the time each took to draw and publish.
  nlohmann::json timing() const;

 private:
  struct ClipboardText {
    std::string utf8;
  };
  using Input = std::variant<KeyEvent, PointerEvent, WheelEvent, ClipboardText>;
  struct Queued {
    Input input;
    std::uint64_t serial = 0;  // the session's input serial (latency stamps)
  };
  void push(Input in);
  // Applies `in` at once if the app is idle and may be; false: queue it.
  bool try_apply_inline(const Input& in, std::uint64_t serial);
  void apply(Canvas& canvas, const Input& in);
  void run();
  void begin_step(Canvas& canvas);
  void publish(Canvas& canvas, std::uint64_t inputs_applied = 0);

  Session& session_;
  std::unique_ptr<App> app_;
  AppRunnerConfig config_;
  FontCache fonts_;
  Surface back_;

  // Held for every step of the app; taken before mu_ when both are.
  mutable std::mutex step_mu_;
  std::unique_ptr<Canvas> canvas_;  // under step_mu_, once started_
  bool started_ = false;            // under step_mu_
  // Inline steps may use at most a quarter of the delivering thread's time, in bursts of
  // up to kInlineBurstUs (a key's press and release, a short drag): a budget that refills
  // at a quarter of the time passing, spent by each inline step's duration. An app whose
  // input handling is expensive (a slide change) thus goes back to its own thread after
  // one such step, and so do input floods.
  static constexpr std::int64_t kInlineShare = 4, kInlineBurstUs = 2000;
  std::int64_t inline_budget_us_ = kInlineBurstUs;  // under step_mu_
  std::uint64_t inline_budget_at_us_ = 0;           // under step_mu_
  std::atomic<std::uint64_t> inline_steps_{0}, queued_steps_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> inputs_;
  bool stopping_ = false;
  int frames_done_ = 0;
  double cpu_seconds_ = 0;  // the app thread's, as of the last frame
  static double thread_cpu_seconds();
  bool script_done_ = false;
  nlohmann::json state_;
  std::vector<std::uint32_t> frame_us_;
  Clock::time_point first_frame_, last_frame_;
  std::thread thread_;
};

// The arrow pointer the apps show: a 12x19 black arrow with a white border.
CursorShape arrow_cursor();

}  // namespace rd
