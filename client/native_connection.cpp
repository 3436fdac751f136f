#include "client/native_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/auth_crypto.hpp"
#include "protocol/messages.hpp"

namespace rd {

namespace {

std::string describe_connect_error(const std::string& host, std::uint16_t port, const asio::error_code& ec) {
  std::string where = host + ":" + std::to_string(port);
  if (ec == asio::error::connection_refused)
    return "cannot connect to " + where + ": connection refused; is rdisplay-server running there (display N listens on 7400+N)?";
  if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again)
    return "cannot connect to " + where + ": unknown host; check the name";
  if (ec == asio::error::timed_out || ec == asio::error::operation_aborted)
    return "cannot connect to " + where + ": no answer (timed out); check the address and any firewall";
  if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable)
    return "cannot connect to " + where + ": host unreachable; check the network";
  return "cannot connect to " + where + ": " + ec.message();
}

}  // namespace

NativeConnection::NativeConnection(const std::string& host, std::uint16_t port, const ClientHello& hello,
                                   std::chrono::milliseconds timeout, const PasswordSource& password,
                                   const TlsOptions& tls)
    : socket_(io_), rbuf_(256 * 1024) {
  asio::ip::tcp::resolver resolver(io_);
  asio::error_code ec;
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) throw ConnectError(describe_connect_error(host, port, ec));

  // Connect with a deadline: run the async connect on our private io_context.
  asio::error_code connect_ec = asio::error::would_block;
  asio::async_connect(socket_, endpoints, [&](const asio::error_code& e, const asio::ip::tcp::endpoint&) { connect_ec = e; });
  io_.run_for(timeout);
  if (connect_ec == asio::error::would_block) {
    socket_.close(ec);
    io_.run();
    throw ConnectError(describe_connect_error(host, port, asio::error::timed_out));
  }
  if (connect_ec) throw ConnectError(describe_connect_error(host, port, connect_ec));
  io_.restart();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);

  // Handshake (blocking, bounded by a deadline).
  read_deadline_ = std::chrono::steady_clock::now() + timeout;
  if (tls.enabled) tls_ = std::make_unique<TlsClientStream>(socket_.native_handle(), host, port, tls, *read_deadline_);
  send(encode(hello));
  RawMessage m;
  try {
    m = read();
  } catch (const std::system_error& e) {
    throw ConnectError("connected to " + host + ":" + std::to_string(port) +
                       " but no rdisplay hello came back (" + e.code().message() + "); is this an rdisplay server?");
  } catch (const DecodeError& e) {
    throw ConnectError("connected to " + host + ":" + std::to_string(port) + " but it does not speak the rdisplay protocol (" +
                       e.what() + ")");
  }
  if (m.type == static_cast<std::uint8_t>(MsgType::AuthChallenge)) {
    AuthChallenge c;
    try {
      c = decode_auth_challenge(m.body);
    } catch (const DecodeError& e) {
      throw ConnectError(std::string("the server's password challenge is malformed: ") + e.what());
    }
    std::optional<std::string> pw = password ? password() : std::nullopt;
    if (!pw) throw ConnectError("the server asks for a password; give it with --password-file FILE (or run in a terminal to be asked)");
    // The password itself never goes on the wire: only its HMAC over a fresh nonce.
    Bytes msg = auth_message(c);
    AuthResponse r;
    r.mac = hmac_sha256(*pw, msg.data(), msg.size());
    send(encode(r));
    try {
      m = read();
    } catch (const std::system_error& e) {
      throw ConnectError("the server closed the connection after the password (" + e.code().message() + ")");
    }
  }
  if (m.type == static_cast<std::uint8_t>(MsgType::Error)) {
    ErrorMsg err = decode_error(m.body);
    if (err.code == ErrorCode::TlsRequired)
      throw ConnectError("the server at " + host + ":" + std::to_string(port) +
                         " requires TLS; connect to rdisplays://" + host + ":" + std::to_string(port) + " (or add --tls)");
    if (err.code == ErrorCode::AuthFailed) throw ConnectError(err.text + "; check the password (--password-file)");
    if (err.code == ErrorCode::Busy) throw ConnectError("the server is busy: " + err.text);
    throw ConnectError("the server refused the connection: " + err.text);
  }
  if (m.type != static_cast<std::uint8_t>(MsgType::ServerHello))
    throw ConnectError("the server answered with message type " + std::to_string(m.type) + " instead of a hello");
  try {
    server_hello_ = decode_server_hello(m.body);
  } catch (const DecodeError& e) {
    throw ConnectError(std::string("the server's hello is malformed: ") + e.what());
  }
  if (server_hello_.version_major != kVersionMajor)
    throw ConnectError("the server speaks protocol version " + std::to_string(server_hello_.version_major) +
                       ", this viewer speaks " + std::to_string(kVersionMajor) + "; update one of them");
  read_deadline_.reset();
  max_in_ = hello.max_message;
}

NativeConnection::~NativeConnection() {
  asio::error_code ec;
  socket_.close(ec);
}

void NativeConnection::read_exact(std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    if (rpos_ == rend_) {
      // Large bodies go straight into place; small reads refill the buffer.
      if (n >= rbuf_.size()) {
        std::size_t got = read_some(p, n);
        p += got;
        n -= got;
        continue;
      }
      rpos_ = 0;
      rend_ = read_some(rbuf_.data(), rbuf_.size());
    }
    std::size_t take = std::min(n, rend_ - rpos_);
    std::memcpy(p, rbuf_.data() + rpos_, take);
    rpos_ += take;
    p += take;
    n -= take;
  }
}

std::size_t NativeConnection::read_some(std::uint8_t* p, std::size_t n) {
  if (tls_) {
    std::size_t got = tls_->read_some(p, n, read_deadline_);
    bytes_in_ += got;
    return got;
  }
  for (;;) {
    if (read_deadline_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*read_deadline_ - std::chrono::steady_clock::now());
      pollfd pfd{socket_.native_handle(), POLLIN, 0};
      int r = left.count() > 0 ? ::poll(&pfd, 1, static_cast<int>(left.count())) : 0;
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) throw std::system_error(asio::error::timed_out);
    }
    asio::error_code ec;
    std::size_t got = socket_.read_some(asio::buffer(p, n), ec);
    // A signal (SIGUSR1 asks for stats) may interrupt a wait inside asio; that is not a
    // failure of the connection.
    if (ec == asio::error::interrupted) continue;
    if (ec) throw std::system_error(ec);
    bytes_in_ += got;
    return got;
  }
}

RawMessage NativeConnection::read() {
  std::uint8_t hdr[kHeaderSize];
  read_exact(hdr, kHeaderSize);
  Header h = decode_header(ByteView(hdr, kHeaderSize), max_in_);
  RawMessage m;
  m.type = h.type;
  m.flags = h.flags;
  m.body.resize(h.length);
  if (h.length) read_exact(m.body.data(), h.length);
  return m;
}

void NativeConnection::send(const Bytes& msg) {
  std::lock_guard lk(send_mu_);
  if (tls_)
    tls_->write_all(msg.data(), msg.size());
  else
    asio::write(socket_, asio::buffer(msg));
  bytes_out_ += msg.size();
}

void NativeConnection::shutdown() {
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

}  // namespace rd
