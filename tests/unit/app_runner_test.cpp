// AppRunner's input path: input that finds the app idle is applied on the delivering
// thread; input that finds it busy is queued for the app thread; either way the app sees
// every input once, in delivery order, and the session learns which inputs it reflects.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "server/apps/app_runner.hpp"

using namespace rd;
using namespace std::chrono_literals;

namespace {

// Records each key and the thread that applied it. Frames may be held at a gate, and a
// key may be made expensive, to put the runner in the states under test.
class ProbeApp : public App {
 public:
  struct Seen {
    std::uint32_t keysym;
    std::thread::id thread;
  };
  void start(Canvas& c) override { c.fill(c.bounds(), 0xff000000u); }
  void frame(Canvas& c, int index) override {
    std::unique_lock lk(mu_);
    in_frame_ = true;
    cv_.notify_all();
    cv_.wait(lk, [&] { return gate_open_; });
    in_frame_ = false;
    c.fill({0, 0, 8, 8}, 0xff000000u | static_cast<std::uint8_t>(index));
  }
  void key(Canvas& c, const KeyEvent& k) override {
    if (!k.down) return;
    if (k.keysym == kExpensive) clock_us += 20'000;  // a handler that costs 20 ms on the runner's clock
    c.fill({8, 0, 8, 8}, 0xff000000u | (k.keysym & 0xff));
    std::lock_guard lk(mu_);
    seen_.push_back({k.keysym, std::this_thread::get_id()});
    cv_.notify_all();
  }

  static constexpr std::uint32_t kExpensive = 'E';
  // The runner's clock in these tests: it moves only when a test or a handler moves it.
  std::atomic<std::uint64_t> clock_us{1'000'000};
  void close_gate() {
    std::lock_guard lk(mu_);
    gate_open_ = false;
  }
  void open_gate() {
    std::lock_guard lk(mu_);
    gate_open_ = true;
    cv_.notify_all();
  }
  bool wait_in_frame() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, 10s, [&] { return in_frame_; });
  }
  bool wait_seen(std::size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, 10s, [&] { return seen_.size() >= n; });
  }
  std::vector<Seen> seen() {
    std::lock_guard lk(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool gate_open_ = true, in_frame_ = false;
  std::vector<Seen> seen_;
};

std::uint64_t press(Session& s, std::uint32_t keysym) {
  return s.deliver_input([&](InputSink& sink) { sink.on_key(KeyEvent{keysym, true, {}}); });
}

std::uint64_t applied(Session& s) {
  auto lk = s.lock();
  return s.inputs_applied_locked();
}

// States with no notification of their own (the runner started, the session's applied
// serial): polled, with a deadline.
bool poll_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done())
    if (std::chrono::steady_clock::now() > deadline) return false;
    else std::this_thread::yield();
  return true;
}

bool wait_started(const AppRunner& r) {
  return poll_until([&] { return r.started(); });
}

bool wait_applied(Session& s, std::uint64_t serial) {
  return poll_until([&] { return applied(s) >= serial; });
}

std::vector<std::uint32_t> keys_of(const std::vector<ProbeApp::Seen>& seen) {
  std::vector<std::uint32_t> keys;
  for (const auto& x : seen) keys.push_back(x.keysym);
  return keys;
}

}  // namespace

TEST_CASE("app runner: input that finds the app idle is applied and published by the delivering thread") {
  Session session(64, 32, "t");
  auto app = std::make_unique<ProbeApp>();
  ProbeApp& probe = *app;
  AppRunnerConfig cfg;
  cfg.frames = 0;  // no script: the app thread only waits for input
  cfg.clock_us = [&probe] { return probe.clock_us.load(); };
  AppRunner runner(session, std::move(app), cfg);
  session.set_input_sink(&runner);
  runner.start();
  REQUIRE(wait_started(runner));

  const std::uint64_t serial = press(session, 'a');
  // Applied and published before deliver_input returned, on this thread.
  CHECK(applied(session) == serial);
  auto seen = probe.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].keysym == 'a');
  CHECK(seen[0].thread == std::this_thread::get_id());
  CHECK(runner.timing()["input_steps"]["inline"] == 1);

  // An expensive handler spends the inline budget: the next input goes to the app thread.
  press(session, ProbeApp::kExpensive);
  const std::uint64_t last = press(session, 'b');
  REQUIRE(probe.wait_seen(3));
  seen = probe.seen();
  CHECK(seen[1].keysym == ProbeApp::kExpensive);
  CHECK(seen[1].thread == std::this_thread::get_id());
  CHECK(seen[2].keysym == 'b');
  CHECK(seen[2].thread != std::this_thread::get_id());
  CHECK(wait_applied(session, last));
  CHECK(applied(session) == last);
  CHECK(runner.timing()["input_steps"]["queued"] == 1);
  session.set_input_sink(nullptr);
  runner.stop();
}

TEST_CASE("app runner: input that arrives mid-frame is queued and applied in delivery order") {
  Session session(64, 32, "t");
  auto app = std::make_unique<ProbeApp>();
  ProbeApp& probe = *app;
  AppRunnerConfig cfg;
  cfg.fps = 0;  // frames back to back
  AppRunner runner(session, std::move(app), cfg);
  session.set_input_sink(&runner);
  probe.close_gate();
  runner.start();
  REQUIRE(probe.wait_in_frame());

  // The app thread is inside a frame: these wait for it, in order.
  for (std::uint32_t k : {'b', 'c', 'd'}) press(session, k);
  CHECK(probe.seen().empty());
  probe.open_gate();
  // Delivered while the queued ones may or may not have been applied yet: it must still
  // come after them.
  const std::uint64_t last = press(session, 'e');
  REQUIRE(probe.wait_seen(4));
  auto seen = probe.seen();
  CHECK(keys_of(seen) == std::vector<std::uint32_t>{'b', 'c', 'd', 'e'});
  for (int i = 0; i < 3; ++i) CHECK(seen[i].thread != std::this_thread::get_id());
  CHECK(wait_applied(session, last));
  CHECK(applied(session) == last);
  session.set_input_sink(nullptr);
  runner.stop();
}

TEST_CASE("app runner: an input never overtakes one still queued, even when the app is free to take it") {
  Session session(64, 32, "t");
  auto app = std::make_unique<ProbeApp>();
  ProbeApp& probe = *app;
  // The app thread, once woken for the queued input, waits at this gate before its step:
  // the state where the step is free but an input is still queued.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool gate_armed = false, at_gate = false;
  AppRunnerConfig cfg;
  cfg.frames = 0;
  cfg.clock_us = [&probe] { return probe.clock_us.load(); };
  cfg.before_step = [&] {
    std::unique_lock lk(gate_mu);
    at_gate = true;
    gate_cv.notify_all();
    gate_cv.wait(lk, [&] { return !gate_armed; });
    at_gate = false;
  };
  AppRunner runner(session, std::move(app), cfg);
  session.set_input_sink(&runner);
  runner.start();
  REQUIRE(wait_started(runner));

  {
    std::lock_guard lk(gate_mu);
    gate_armed = true;
  }
  press(session, ProbeApp::kExpensive);  // inline; spends the budget
  press(session, 'b');                   // queued: the budget is spent
  {
    std::unique_lock lk(gate_mu);
    REQUIRE(gate_cv.wait_for(lk, 10s, [&] { return at_gate; }));
  }
  probe.clock_us += 1'000'000;  // the budget is back; the step is free; 'b' is still queued
  const std::uint64_t last = press(session, 'c');
  {
    std::lock_guard lk(gate_mu);
    gate_armed = false;
  }
  gate_cv.notify_all();
  REQUIRE(probe.wait_seen(3));
  auto seen = probe.seen();
  CHECK(keys_of(seen) == std::vector<std::uint32_t>{ProbeApp::kExpensive, 'b', 'c'});
  CHECK(seen[2].thread != std::this_thread::get_id());
  CHECK(wait_applied(session, last));
  CHECK(applied(session) == last);
  session.set_input_sink(nullptr);
  runner.stop();
}

TEST_CASE("app runner: an input delivered outside deliver_input does not take another thread's serial") {
  Session session(64, 32, "t");
  std::uint64_t seen_inside = 0, seen_other = 99;
  struct Sink : InputSink {
    std::function<void()> fn;
    void on_key(const KeyEvent&) override { fn(); }
    void on_pointer(const PointerEvent&) override {}
    void on_wheel(const WheelEvent&) override {}
  } sink;
  sink.fn = [&] {
    seen_inside = session.serial_in_delivery();
    std::thread other([&] { seen_other = session.serial_in_delivery(); });
    other.join();
  };
  session.set_input_sink(&sink);
  const std::uint64_t serial = press(session, 'x');
  CHECK(seen_inside == serial);
  CHECK(seen_other == 0);
  CHECK(session.serial_in_delivery() == 0);
  session.set_input_sink(nullptr);
}
