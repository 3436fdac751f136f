#include "client/trace_session.hpp"

#include <chrono>

#include "common/clock.hpp"

namespace rd {

TraceSession::TraceSession(const std::string& path, double speed, bool end_at_end)
    : path_(path), speed_(speed), end_at_end_(end_at_end), reader_(path) {}

TraceSession::~TraceSession() { stop(false); }

void TraceSession::start(FrameStore& store) {
  thread_ = std::thread([this, &store] { run(store); });
}

void TraceSession::stop(bool) {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TraceSession::run(FrameStore& store) {
  Surface screen(width(), height());
  TracePlayer player(screen);
  const auto start = Clock::now();
  std::optional<TraceRecord> rec;
  try {
    rec = reader_.next();
    while (rec) {
      // One publish of the recording: the records that share its time stamp.
      const std::uint64_t t = rec->t_us;
      if (speed_ > 0) {
        auto due = start + std::chrono::microseconds(static_cast<std::int64_t>(static_cast<double>(t) / speed_));
        std::unique_lock lk(mu_);
        if (cv_.wait_until(lk, due, [&] { return stopping_; })) return;
      } else {
        std::lock_guard lk(mu_);
        if (stopping_) return;
      }
      Region changed;
      while (rec && rec->t_us == t) {
        if (rec->kind == TraceRecord::Resize) {
          if (!changed.empty()) store.publish(screen, changed);
          changed.clear();
          player.apply(*rec);
          store.reset(screen.width(), screen.height());
        } else {
          changed.add(player.apply(*rec));
        }
        ++records_;
        rec = reader_.next();
      }
      store.publish(screen, changed);
      ++publishes_;
    }
    if (end_at_end_) store.finish("the trace ended", false);
    else store.set_status("end of the trace");
  } catch (const std::exception& e) {
    store.finish(std::string("cannot replay ") + path_ + ": " + e.what(), true);
  }
}

nlohmann::json TraceSession::stats() const {
  return {{"trace", path_}, {"trace_records", records_.load()}, {"trace_frames", publishes_.load()}, {"speed", speed_}};
}

}  // namespace rd
