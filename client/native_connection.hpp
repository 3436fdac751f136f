#pragma once
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "client/connect_error.hpp"
#include "client/message_channel.hpp"
#include "client/tls_stream.hpp"
#include "protocol/framing.hpp"
#include "protocol/handshake.hpp"

namespace rd {

// The viewer's end of a native connection. Reads happen on one thread (the network
// thread); send() may be called from any thread and is serialised, so input from the
// main thread goes out at once, never behind frame data (which flows the other way).
class NativeConnection : public MessageChannel {
 public:
  // Asked for the password when the server sends a challenge; nothing: the viewer has none.
  using PasswordSource = std::function<std::optional<std::string>()>;
  // Connects (with TLS when `tls.enabled`) and completes the handshake (answering a
  // password challenge), or throws ConnectError.
  NativeConnection(const std::string& host, std::uint16_t port, const ClientHello& hello,
                   std::chrono::milliseconds timeout, const PasswordSource& password = {},
                   const TlsOptions& tls = {});
  ~NativeConnection() override;

  const ServerHello& server_hello() const override { return server_hello_; }
  bool view_only() const { return (server_hello_.capabilities & kCapViewOnly) != 0; }
  // Blocks for the next message. Throws DecodeError on a malformed stream and
  // std::system_error when the connection ends.
  RawMessage read() override;
  void send(const Bytes& msg) override;

  // Unblocks a pending read (from any thread); further reads and sends fail.
  void shutdown();

  std::uint64_t bytes_received() const { return bytes_in_; }
  std::uint64_t bytes_sent() const { return bytes_out_; }
  // The TLS protocol and cipher, or empty without TLS.
  std::string tls_description() const { return tls_ ? tls_->description() : std::string(); }

 private:
  void read_exact(std::uint8_t* p, std::size_t n);
  std::size_t read_some(std::uint8_t* p, std::size_t n);
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsClientStream> tls_;
  std::mutex send_mu_;
  ServerHello server_hello_;
  std::uint32_t max_in_ = kDefaultMaxMessage;
  std::atomic<std::uint64_t> bytes_in_{0}, bytes_out_{0};
  // Reads go through this buffer: one recv() usually brings many small messages.
  Bytes rbuf_;
  std::size_t rpos_ = 0, rend_ = 0;
  // Set while the handshake runs: a read past it fails with timed_out.
  std::optional<std::chrono::steady_clock::time_point> read_deadline_;
};

}  // namespace rd
