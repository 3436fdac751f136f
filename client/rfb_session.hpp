#pragma once
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/remote_session.hpp"

struct _rfbClient;

namespace rd {

struct RfbOptions {
  std::string host;
  int port = 5900;
  std::string password;      // empty: none known (the server may not ask)
  bool prompt_password = false;  // ask on the terminal when the server wants one
  std::string encodings;     // libvncclient's list; empty: its default (tight zrle ...)
  int quality = 100;         // below 100: allow JPEG in Tight at about that quality
  bool view_only = false;
};

// A VNC server through libvncclient: the network thread reads and decodes, then hands
// every finished update to the FrameStore at once (presentation batched per update).
class RfbSession : public RemoteSession, public ViewerLink {
 public:
  // Connects and authenticates, or throws ConnectError with a line for the user.
  explicit RfbSession(RfbOptions opts);
  ~RfbSession() override;

  int width() const override { return width_; }
  int height() const override { return height_; }
  std::string name() const override { return name_; }
  std::string encoding() const override { return "rfb"; }
  ViewerLink& link() override { return *this; }
  void start(FrameStore& store) override;
  void stop(bool say_goodbye) override;
  std::uint64_t bytes_received() const override;
  std::uint64_t bytes_sent() const override;
  nlohmann::json stats() const override;

  void send_key(std::uint32_t keysym, bool down) override;
  void send_pointer(int x, int y, std::uint32_t buttons) override;
  void send_wheel(int x, int y, int dx, int dy) override;
  void send_clipboard(const std::string& utf8) override;

  // libvncclient callbacks (C function pointers land here).
  bool on_resize();
  void on_rect(int x, int y, int w, int h);
  void on_update_done();
  void on_cursor(int xhot, int yhot, int w, int h);
  void on_cut_text(const char* text, int len);
  char* on_password();

 private:
  void run();
  RfbOptions opts_;
  _rfbClient* cl_ = nullptr;
  int width_ = 0, height_ = 0;
  std::string name_;
  Surface fb_;  // libvncclient decodes into it
  Region dirty_;
  FrameStore* store_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex send_mu_;
  std::uint32_t buttons_ = 0;
  std::uint64_t frames_ = 0, rects_ = 0;
  std::uint64_t bytes_sent_ = 0;
  std::chrono::steady_clock::time_point update_start_;
  bool in_update_ = false;
  std::vector<std::uint32_t> update_us_, interval_us_;
  std::chrono::steady_clock::time_point first_update_, last_update_;
};

}  // namespace rd
