#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/tls_identity.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace rd {

// How the viewer trusts a TLS server (docs/hardening.md, "TLS").
struct TlsOptions {
  bool enabled = false;
  // Verify the certificate against these CAs (PEM; a self-signed certificate may be its
  // own) instead of the system's, and its name against the host connected to.
  std::string ca_file;
  // Accept exactly the certificate with this SHA-256, whoever signed it (pinning).
  std::optional<Fingerprint> pin;
};

// TLS on a connected socket, for a viewer whose network thread reads while other
// threads send. OpenSSL forbids using one SSL object from two threads at once, so every
// call into it holds a mutex; waiting for the socket (poll) happens outside it, on a
// non-blocking socket, so a blocked reader never holds up a sender.
class TlsClientStream {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // Runs the handshake on `fd` (set non-blocking here) and checks the certificate;
  // throws ConnectError with a message for the user.
  TlsClientStream(int fd, const std::string& host, std::uint16_t port, const TlsOptions& opts, TimePoint deadline);
  TlsClientStream(const TlsClientStream&) = delete;
  TlsClientStream& operator=(const TlsClientStream&) = delete;

  // Some bytes (at least one); throws std::system_error when the stream ends, fails, or
  // (with a deadline) nothing comes in time.
  std::size_t read_some(std::uint8_t* p, std::size_t n, std::optional<TimePoint> deadline);
  // All of it; throws std::system_error. One writer at a time (the caller serialises).
  void write_all(const std::uint8_t* p, std::size_t n);

  const Fingerprint& peer_fingerprint() const { return peer_fp_; }
  // e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
  std::string description() const;

 private:
  struct Free {
    void operator()(SSL_CTX* c) const;
    void operator()(SSL* s) const;
  };
  struct CallResult {
    int r, err, sys;  // SSL_read/SSL_write's result, SSL_get_error, errno
  };
  // One SSL_read or SSL_write under the mutex.
  template <class Io, class Buf>
  CallResult locked_call(Io io, Buf* p, std::size_t n);
  [[noreturn]] static void throw_failure(int err, int sys);

  int fd_;
  // Owned so that a constructor that throws (a refused certificate) frees them too.
  std::unique_ptr<SSL_CTX, Free> ctx_;
  std::unique_ptr<SSL, Free> ssl_;
  mutable std::mutex mu_;
  Fingerprint peer_fp_{};
};

}  // namespace rd
