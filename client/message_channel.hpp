#pragma once
#include "protocol/framing.hpp"
#include "protocol/handshake.hpp"

namespace rd {

// Where the network thread's messages come from and its answers go: a live connection,
// or (fuzzing) bytes in memory.
class MessageChannel {
 public:
  virtual ~MessageChannel() = default;
  virtual const ServerHello& server_hello() const = 0;
  // Blocks for the next message. Throws DecodeError on a malformed stream and
  // std::system_error when the stream ends.
  virtual RawMessage read() = 0;
  virtual void send(const Bytes& msg) = 0;
};

}  // namespace rd
