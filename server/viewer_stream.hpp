#pragma once
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <optional>
#include <utility>

namespace rd {

// The bytes of one viewer connection: the TCP socket, or TLS over it once start_tls()
// has run. asio's composed reads and writes take it like any stream.
class ViewerStream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using Tls = asio::ssl::stream<asio::ip::tcp::socket>;

  explicit ViewerStream(asio::ip::tcp::socket socket) : tcp_(std::move(socket)) {}

  executor_type get_executor() { return socket().get_executor(); }
  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : tcp_; }
  // Moves the socket under a TLS stream; the handshake is the caller's next step.
  Tls& start_tls(asio::ssl::context& ctx) { return tls_.emplace(std::move(tcp_), ctx); }
  bool is_tls() const { return tls_.has_value(); }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& b, Handler&& h) {
    if (tls_)
      tls_->async_read_some(b, std::forward<Handler>(h));
    else
      tcp_.async_read_some(b, std::forward<Handler>(h));
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& b, Handler&& h) {
    if (tls_)
      tls_->async_write_some(b, std::forward<Handler>(h));
    else
      tcp_.async_write_some(b, std::forward<Handler>(h));
  }

 private:
  asio::ip::tcp::socket tcp_;
  std::optional<Tls> tls_;
};

}  // namespace rd
