#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "client/remote_session.hpp"
#include "codecs/session_trace.hpp"

namespace rd {

// rdisplay-viewer --play FILE: a trace written by rdisplay-server --record, shown as if
// a server were sending it. A thread applies the records at their recorded times
// (scaled by `speed`; 0: as fast as they decode) and publishes each publish's change to
// the FrameStore, so the window, the headless loop, --screenshot and --stats work as
// for a live session. Input goes nowhere.
class TraceSession : public RemoteSession, private ViewerLink {
 public:
  // Throws std::runtime_error or DecodeError when the file is not a readable trace.
  // `end_at_end`: the end of the trace ends the session (else the last frame stays).
  TraceSession(const std::string& path, double speed, bool end_at_end);
  ~TraceSession() override;
  int width() const override { return reader_.header().width; }
  int height() const override { return reader_.header().height; }
  std::string name() const override { return reader_.header().name; }
  std::string encoding() const override { return "trace"; }
  ViewerLink& link() override { return *this; }
  void start(FrameStore& store) override;
  void stop(bool say_goodbye) override;
  std::uint64_t bytes_received() const override { return 0; }
  std::uint64_t bytes_sent() const override { return 0; }
  nlohmann::json stats() const override;

 private:
  void send_key(std::uint32_t, bool) override {}
  void send_pointer(int, int, std::uint32_t) override {}
  void send_wheel(int, int, int, int) override {}
  void send_clipboard(const std::string&) override {}
  void run(FrameStore& store);

  std::string path_;
  double speed_;
  bool end_at_end_;
  TraceReader reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> records_{0}, publishes_{0};
};

}  // namespace rd
