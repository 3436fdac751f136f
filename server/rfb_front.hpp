#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/session.hpp"

namespace rd {

struct RfbFrontConfig {
  std::string listen_address = "127.0.0.1";
  int port = 5900;        // 0: the first free port from 5900 on
  std::vector<std::string> passwords;            // full control (VNC auth uses 8 characters)
  std::vector<std::string> view_only_passwords;  // may watch, input ignored
  std::string desktop_name = "rdisplay";
};

struct RfbClientStats {
  int id = 0;
  std::string peer;
  bool view_only = false;
  bool connected = true;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_if_raw = 0;  // what Raw would have cost
  std::uint64_t updates = 0;
  std::uint64_t input_events = 0;
};

// Standard RFB for any VNC viewer, and WebSockets for noVNC on the same port, through
// libvncserver. The front keeps its own copy of the screen, fed from the session's
// changed tiles by a pump thread; libvncserver's client threads encode from that copy
// under a shared lock, each client at its own pace. Input, clipboard and the pointer
// shape go both ways; the pointer is only ever sent as a shape, never drawn in.
class RfbFront {
 public:
  RfbFront(Session& session, RfbFrontConfig config);  // binds; throws std::runtime_error
  ~RfbFront();
  RfbFront(const RfbFront&) = delete;
  RfbFront& operator=(const RfbFront&) = delete;

  int port() const;
  void start();
  void stop();
  // Thread-safe: the session changed (screen, pointer shape or clipboard).
  void wake();
  std::vector<RfbClientStats> stats() const;
  std::uint64_t failed_auth() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Reads a password file: one password per line; lines after a line
// "__BEGIN_VIEWONLY__" are view-only (the x11vnc convention). Throws on I/O errors or
// when the file holds no password.
void read_password_file(const std::string& path, std::vector<std::string>& full, std::vector<std::string>& view_only);

}  // namespace rd
