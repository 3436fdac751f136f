#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bench/tool/net_profile.hpp"

namespace rd::bench {

// A relay on 127.0.0.1 that carries every connection made to it to a target (a TCP
// port on loopback, or a Unix socket such as an X server's) through an imitated
// network: the profile's bandwidth, one-way delay and segment loss, each direction
// on its own. It counts the bytes both ways, which is what the bench calls bytes on
// the wire. Its queues are bounded (about one bandwidth-delay product), so a sender
// that outruns the link is held back by TCP as it would be on the real network.
class ShapedRelay {
 public:
  struct Target {
    int tcp_port = 0;        // on 127.0.0.1, or
    std::string unix_path;   // a Unix socket
  };
  // listen_port 0 picks a free one; a taken listen_port throws.
  ShapedRelay(NetProfile profile, Target target, int listen_port = 0);
  ~ShapedRelay();
  ShapedRelay(const ShapedRelay&) = delete;
  ShapedRelay& operator=(const ShapedRelay&) = delete;

  int port() const { return port_; }
  // Bytes from the target to whoever connected (server → viewer, X server → X client)
  // and the other way.
  std::uint64_t bytes_down() const { return down_.load(); }
  std::uint64_t bytes_up() const { return up_.load(); }
  // Time since the last byte went either way.
  std::chrono::milliseconds quiet_for() const;
  int connections() const { return connections_.load(); }

  struct Pipe;

 private:
  struct Link;
  void accept_loop();

  NetProfile profile_;
  Target target_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> down_{0}, up_{0};
  std::atomic<std::int64_t> last_byte_ns_{0};
  std::atomic<int> connections_{0};
  std::mutex links_mu_;
  std::list<std::unique_ptr<Link>> links_;
  std::thread acceptor_;
};

}  // namespace rd::bench
