#include "client/tls_stream.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <system_error>

#include <asio.hpp>

#include "client/connect_error.hpp"
#include "common/auth_crypto.hpp"

namespace rd {

namespace {

std::string ssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "connection closed";
  const char* r = ERR_reason_error_string(e);
  return r ? r : "error " + std::to_string(e);
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Waits for the socket; false when the deadline passed first.
bool wait_for(int fd, short events, std::optional<TlsClientStream::TimePoint> deadline) {
  for (;;) {
    int ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return false;
      ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd pfd{fd, events, 0};
    int r = ::poll(&pfd, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    return r != 0;  // readiness, or an error/hang-up the next SSL call reports
  }
}

}  // namespace

TlsClientStream::TlsClientStream(int fd, const std::string& host, std::uint16_t port, const TlsOptions& opts,
                                 TimePoint deadline)
    : fd_(fd) {
  const std::string where = host + ":" + std::to_string(port);
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) throw ConnectError("cannot start TLS: " + ssl_reason());
  SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
  // The protocol ends with Bye or Error; a close without close_notify is an end of
  // stream like any other, not a TLS error.
  SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!opts.pin) {
    if (!opts.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx_.get(), opts.ca_file.c_str(), nullptr) != 1)
        throw ConnectError("cannot read CA certificates from " + opts.ca_file + ": " + ssl_reason());
    } else if (SSL_CTX_set_default_verify_paths(ctx_.get()) != 1) {
      throw ConnectError("cannot load the system's CA certificates: " + ssl_reason());
    }
  }
  // Verification runs but never aborts the handshake by itself: the result is checked
  // below, so that a failure can name the certificate's fingerprint.
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
  ssl_.reset(SSL_new(ctx_.get()));
  if (!ssl_) throw ConnectError("cannot start TLS: " + ssl_reason());
  if (is_ip_address(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_.get(), host.c_str());
    SSL_set1_host(ssl_.get(), host.c_str());
  }
  int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  SSL_set_fd(ssl_.get(), fd_);

  for (;;) {
    ERR_clear_error();
    int r = SSL_connect(ssl_.get());
    if (r == 1) break;
    int err = SSL_get_error(ssl_.get(), r);
    bool ready = true;
    if (err == SSL_ERROR_WANT_READ)
      ready = wait_for(fd_, POLLIN, deadline);
    else if (err == SSL_ERROR_WANT_WRITE)
      ready = wait_for(fd_, POLLOUT, deadline);
    else
      throw ConnectError("TLS handshake with " + where + " failed (" + ssl_reason() +
                         "); does the server use TLS (rdisplay-server --tls-cert), and is it not busy?");
    if (!ready) throw ConnectError("TLS handshake with " + where + " timed out");
  }

  X509* cert = SSL_get0_peer_certificate(ssl_.get());
  if (!cert) throw ConnectError("the server at " + where + " sent no certificate");
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) throw ConnectError("the server's certificate cannot be read");
  peer_fp_ = der_fingerprint(der, static_cast<std::size_t>(len));
  OPENSSL_free(der);
  const std::string fp = format_fingerprint(peer_fp_);
  if (opts.pin) {
    if (!constant_time_equal(peer_fp_.data(), opts.pin->data(), peer_fp_.size()))
      throw ConnectError("the server's certificate " + fp + " is not the pinned " + format_fingerprint(*opts.pin) +
                         "; someone may be in between, or the server has a new certificate");
  } else {
    long v = SSL_get_verify_result(ssl_.get());
    if (v != X509_V_OK)
      throw ConnectError("the server's certificate is not trusted (" + std::string(X509_verify_cert_error_string(v)) +
                         "); its fingerprint is " + fp +
                         ". If the server printed that fingerprint, connect with --tls-pin " + fp +
                         " (or --tls-ca with its certificate file)");
  }
}

void TlsClientStream::Free::operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
void TlsClientStream::Free::operator()(SSL* s) const { SSL_free(s); }

std::string TlsClientStream::description() const {
  std::lock_guard lk(mu_);
  return std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
}

template <class Io, class Buf>
TlsClientStream::CallResult TlsClientStream::locked_call(Io io, Buf* p, std::size_t n) {
  std::lock_guard lk(mu_);
  ERR_clear_error();
  errno = 0;
  int r = io(ssl_.get(), p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
  // The error codes belong to this call: read them before another thread makes one.
  return {r, r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), r), errno};
}

void TlsClientStream::throw_failure(int err, int sys) {
  if (err == SSL_ERROR_SYSCALL && sys != 0) throw std::system_error(sys, std::system_category());
  throw std::system_error(std::make_error_code(std::errc::protocol_error), "TLS: " + ssl_reason());
}

std::size_t TlsClientStream::read_some(std::uint8_t* p, std::size_t n, std::optional<TimePoint> deadline) {
  for (;;) {
    auto [r, err, sys] = locked_call(SSL_read, p, n);
    if (r > 0) return static_cast<std::size_t>(r);
    bool ready = true;
    if (err == SSL_ERROR_WANT_READ)
      ready = wait_for(fd_, POLLIN, deadline);
    else if (err == SSL_ERROR_WANT_WRITE)
      ready = wait_for(fd_, POLLOUT, deadline);
    else if (err == SSL_ERROR_ZERO_RETURN)
      throw std::system_error(asio::error::eof);
    else
      throw_failure(err, sys);
    if (!ready) throw std::system_error(std::make_error_code(std::errc::timed_out));
  }
}

void TlsClientStream::write_all(const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    auto [r, err, sys] = locked_call(SSL_write, p, n);
    if (r > 0) {
      p += r;
      n -= static_cast<std::size_t>(r);
      continue;
    }
    if (err == SSL_ERROR_WANT_WRITE)
      wait_for(fd_, POLLOUT, std::nullopt);
    else if (err == SSL_ERROR_WANT_READ)
      // The reader thread takes what came in; look again shortly.
      wait_for(fd_, POLLIN, std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
    else
      throw_failure(err, sys);
  }
}

}  // namespace rd
