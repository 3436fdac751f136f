#include "server/hello_front.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <memory>

#include "protocol/messages.hpp"
#include "server/hello_rules.hpp"
#include "server/listen.hpp"

namespace rd {

namespace {
constexpr auto kCloseGrace = std::chrono::seconds(2);
constexpr int kFrontNice = 10;
}

// One connection in its hello: the socket, the hello timeout, what has been read.
struct HelloFront::Pending : std::enable_shared_from_this<Pending> {
  Pending(HelloFront& f, asio::ip::tcp::socket s) : front(f), socket(std::move(s)), timer(socket.get_executor()) {
    asio::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    peer = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    ++front.pending_;
  }
  ~Pending() { uncount(); }
  // Only connections still waiting for their hello count against the cap; one being
  // turned away (draining for up to the grace period) does not.
  void uncount() {
    if (counted) --front.pending_;
    counted = false;
  }

  HelloFront& front;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  std::string peer;
  std::array<std::uint8_t, kHeaderSize> header{};
  Bytes body, error;
  std::array<std::uint8_t, 1024> discard{};
  bool done = false, counted = true;

  void start() {
    timer.expires_after(front.config_.handshake_timeout);
    timer.async_wait([self = shared_from_this()](const asio::error_code& e) {
      if (!e && !self->done)
        self->fail(ErrorCode::HandshakeTimeout, "no hello within " + std::to_string(self->front.config_.handshake_timeout.count()) + " ms");
    });
    if (front.config_.tls)
      socket.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](const asio::error_code& ec) { self->peeked(ec); });
    else
      read_header();
  }
  // TLS: a handshake record goes to the I/O thread as it is; a plain viewer is told.
  void peeked(const asio::error_code& ec) {
    if (done) return;
    if (ec) return close("read error: " + ec.message());
    std::uint8_t first = 0;
    asio::error_code pec;
    std::size_t n = socket.receive(asio::buffer(&first, 1), asio::socket_base::message_peek, pec);
    if (pec || n == 0) return close(n == 0 && !pec ? "viewer closed the connection" : "read error: " + pec.message());
    if (first != kTlsHandshakeRecord) return fail(ErrorCode::TlsRequired, "this server requires TLS; the viewer connected without it");
    hand_over(std::nullopt);
  }
  void read_header() {
    asio::async_read(socket, asio::buffer(header), [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
      if (self->done) return;
      if (ec) {
        if (ec == asio::error::eof && n == 0) return self->close("viewer closed the connection");
        if (n > 0) return self->fail(ErrorCode::Malformed, "connection ended inside a message header (" + std::to_string(n) + " of 8 bytes)");
        return self->close("read error: " + ec.message());
      }
      auto first = first_header(self->header, true);
      if (auto* p = std::get_if<HelloProblem>(&first)) return self->fail(p->first, p->second);
      self->read_body(std::get<Header>(first));
    });
  }
  void read_body(Header h) {
    body.resize(h.length);
    asio::async_read(socket, asio::buffer(body), [self = shared_from_this(), h](const asio::error_code& ec, std::size_t n) {
      if (self->done) return;
      if (ec)
        return self->fail(ErrorCode::Malformed, std::string("connection ended inside a ClientHello message (") + std::to_string(n) +
                                                    " of " + std::to_string(h.length) + " bytes)");
      RawMessage m;
      m.type = h.type;
      m.flags = h.flags;
      m.body = std::move(self->body);
      self->hand_over(std::move(m));
    });
  }
  void hand_over(std::optional<RawMessage> hello) {
    done = true;
    uncount();
    timer.cancel();
    asio::error_code ec;
    Arrival a;
    a.fd = socket.release(ec);
    if (ec) return;
    a.hello = std::move(hello);
    front.handover_(std::move(a));
  }
  // The Error, then the close once it is written (or after a grace period).
  void fail(ErrorCode code, const std::string& why) {
    if (done) return;
    done = true;
    uncount();
    if (front.log_allowed()) spdlog::warn("connection from {}: {}; closing it", peer, why);
    error = encode(ErrorMsg{code, why});
    timer.expires_after(kCloseGrace);
    timer.async_wait([self = shared_from_this()](const asio::error_code& e) {
      if (!e) self->shut();
    });
    asio::async_write(socket, asio::buffer(error), [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
      if (ec) {
        self->timer.cancel();
        return self->shut();
      }
      // Closing with the client's bytes unread would send a reset, which may destroy
      // the Error before the client reads it: say we are done, read until the client
      // closes too (or the grace period ends).
      asio::error_code ignored;
      self->socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }
  void drain() {
    socket.async_read_some(asio::buffer(discard), [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
      if (!ec) return self->drain();
      self->timer.cancel();
      self->shut();
    });
  }
  void close(const std::string& why) {
    if (done) return;
    done = true;
    uncount();
    timer.cancel();
    if (front.log_allowed()) spdlog::info("connection from {} ended before its hello: {}", peer, why);
    shut();
  }
  void shut() {
    asio::error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }
};

HelloFront::HelloFront(const NativeServerConfig& config, HasRoom has_room, HandshakesElsewhere elsewhere, Handover handover)
    : config_(config), has_room_(std::move(has_room)), elsewhere_(std::move(elsewhere)), handover_(std::move(handover)), acceptor_(io_) {
  port_ = listen_on(acceptor_, config_.listen_address, config_.port);
  accept();
  thread_ = std::thread([this] {
    // Below the I/O, app and encoder threads: under a flood of connections the viewers
    // already streaming come first, and new ones wait in the kernel's accept queue.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kFrontNice);
    io_.run();
  });
}

HelloFront::~HelloFront() { stop(); }

void HelloFront::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    asio::error_code ec;
    acceptor_.close(ec);
    io_.stop();  // connections still in their hello close when the io_context goes
  });
  thread_.join();
}

bool HelloFront::log_allowed() { return log_budget_.allow_line(); }

void HelloFront::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        if (log_allowed()) spdlog::warn("accept failed: {}", ec.message());
        // Out of descriptors (EMFILE) the next accept fails at once too: wait a little.
        accept_backoff_.expires_after(std::chrono::milliseconds(100));
        accept_backoff_.async_wait([this](const asio::error_code& e) {
          if (!e) accept();
        });
      }
      return;
    }
    ++accepted_;
    if (!has_room_())
      refuse(std::move(socket), ErrorCode::Busy,
             "the server has its maximum of " + std::to_string(config_.max_viewers) + " viewers; try later");
    else if (pending_.load() + elsewhere_() >= config_.max_handshakes)
      refuse(std::move(socket), ErrorCode::Busy, "too many connections are still in their handshake; try later");
    else
      std::make_shared<Pending>(*this, std::move(socket))->start();
    accept_paced();
  });
}

void HelloFront::accept_paced() {
  // No honest use needs thousands of new connections a second; a flood of them, each a
  // dozen loopback packets for the kernel, took the cores from everything else (the good
  // viewer's p99 under attack: 4.1-4.8 ms without the cap, 1.5-3.3 ms with it). Past the
  // rate the next accept waits for the next window, and connections queue in the kernel.
  const int per_window = config_.max_accepts_per_second / 100;
  if (per_window > 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now - accept_window_ >= kAcceptWindow) {
      accept_window_ = now;
      accepts_in_window_ = 0;
    }
    if (++accepts_in_window_ >= per_window) {
      accept_backoff_.expires_at(accept_window_ + kAcceptWindow);
      accept_backoff_.async_wait([this](const asio::error_code& e) {
        if (!e) accept();
      });
      return;
    }
  }
  accept();
}

void HelloFront::refuse(asio::ip::tcp::socket socket, ErrorCode code, const std::string& why) {
  ++refused_busy_;
  asio::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (log_allowed()) spdlog::warn("refused a connection from {}: {}", ec ? std::string("?") : peer.address().to_string(), why);
  close_with_error(std::move(socket), code, why);
}

}  // namespace rd
