#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/framing.hpp"
#include "protocol/messages.hpp"

namespace rd::test {

// A bare TCP client for talking to the server byte by byte: hostile inputs, and
// viewers that misbehave on purpose.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, int rcvbuf = 0);
  ~RawClient();
  void send(const Bytes& b);
  void shutdown_write();
  // Reads messages until the server closes the connection or the timeout passes.
  struct Result {
    std::vector<RawMessage> messages;
    bool closed = false;
  };
  Result read_until_closed(std::chrono::milliseconds timeout);
  // Reads until a message of the given type arrives.
  std::optional<RawMessage> read_until(MsgType type, std::chrono::milliseconds timeout);
  int fd() const { return fd_; }

 private:
  bool read_some(std::chrono::milliseconds timeout);
  int fd_ = -1;
  MessageParser parser_{kDefaultMaxMessage};
  bool closed_ = false;
};

Bytes valid_hello_bytes();

// A loopback port that was free a moment ago: nothing listens there (a refused
// connection), or a peer that cannot pick its own port may take it.
std::uint16_t free_loopback_port();

}  // namespace rd::test
