#include "server/native_server.hpp"

#include "server/listen.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rd {

NativeServer::NativeServer(asio::io_context& io, Session& session, WorkerPool& pool, NativeServerConfig config)
    : io_(io), session_(session), pool_(pool), config_(std::move(config)), acceptor_(io) {
  if (!config_.throttle) config_.throttle = std::make_shared<AuthThrottle>();
  if (!config_.encode_cache) config_.encode_cache = std::make_shared<EncodeCache>(NativeServerConfig::kEncodeCacheBytes);
  port_ = listen_on(acceptor_, config_.listen_address, config_.port);
  accept();
}

void NativeServer::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::warn("accept failed: {}", ec.message());
        accept();
      }
      return;
    }
    int handshakes = 0;
    for (const auto& [cid, c] : live_) handshakes += c->in_handshake() ? 1 : 0;
    if (live_.size() >= static_cast<std::size_t>(config_.max_viewers) || handshakes >= config_.max_handshakes) {
      refuse_busy(std::move(socket), live_.size() >= static_cast<std::size_t>(config_.max_viewers)
                                         ? "the server has its maximum of " + std::to_string(config_.max_viewers) + " viewers; try later"
                                         : "too many connections are still in their handshake; try later");
      return accept();
    }
    int id = next_id_++;
    auto conn = std::make_shared<ViewerConnection>(std::move(socket), id, session_, pool_, config_,
                                                   [this](const ViewerStats& final_stats) {
                                                     // Hostile clients may connect without end: keep the
                                                     // stats of the last viewers gone, count the rest.
                                                     if (gone_.size() >= kGoneKept) {
                                                       gone_.erase(gone_.begin());
                                                       ++gone_dropped_;
                                                     }
                                                     gone_.push_back(final_stats);
                                                     live_.erase(final_stats.id);
                                                   });
    live_.emplace(id, conn);
    conn->start();
    accept();
  });
}

void NativeServer::refuse_busy(asio::ip::tcp::socket socket, const std::string& why) {
  ++refused_busy_;
  asio::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  spdlog::warn("refused a connection from {}: {}", ec ? std::string("?") : peer.address().to_string(), why);
  auto s = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
  auto msg = std::make_shared<Bytes>(encode(ErrorMsg{ErrorCode::Busy, why}));
  // The Error is small; whether it arrives or not, the socket closes right after.
  asio::async_write(*s, asio::buffer(*msg), [s, msg](const asio::error_code&, std::size_t) {
    asio::error_code ignored;
    s->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  });
}

void NativeServer::wake_all() {
  if (wake_pending_.exchange(true)) return;
  asio::post(io_, [this] {
    wake_pending_ = false;
    // Copy: a wake may close a connection, which erases it from live_.
    auto conns = live_;
    // Viewers waiting for the answer to their input first: with many viewers, the one
    // typing should not wait for a hundred others' updates to be planned.
    for (auto& [id, c] : conns)
      if (c->awaits_input_answer()) c->wake();
    for (auto& [id, c] : conns)
      if (!c->awaits_input_answer()) c->wake();
  });
}

void NativeServer::shutdown(const std::string& reason, std::chrono::milliseconds grace) {
  asio::error_code ec;
  acceptor_.close(ec);
  auto conns = live_;
  for (auto& [id, c] : conns) c->say_goodbye(reason, grace);
}

std::vector<ViewerStats> NativeServer::stats() {
  std::vector<ViewerStats> all = gone_;
  for (const auto& [id, c] : live_) all.push_back(c->stats());
  std::sort(all.begin(), all.end(), [](const ViewerStats& a, const ViewerStats& b) { return a.id < b.id; });
  return all;
}

}  // namespace rd
