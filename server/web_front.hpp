#pragma once
#include <asio.hpp>
#include <cstdint>
#include <string>

namespace rd {

// Serves Debian's noVNC client (/usr/share/novnc) over plain HTTP, with "/" redirecting
// to a page that connects to the session's RFB port at once: a browser user needs
// nothing installed. noVNC then talks WebSocket to libvncserver on the RFB port.
// Runs on the I/O thread; GET and HEAD only; files below the noVNC folder only.
class WebFront {
 public:
  WebFront(asio::io_context& io, const std::string& address, std::uint16_t port, int rfb_port, std::string root);
  std::uint16_t port() const { return port_; }
  void stop();

 private:
  void accept();
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  int rfb_port_;
  std::string root_;
};

// Where Debian's novnc package puts the client.
constexpr const char* kNoVncRoot = "/usr/share/novnc";

}  // namespace rd
