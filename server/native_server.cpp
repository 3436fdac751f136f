#include "server/native_server.hpp"

#include "server/listen.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rd {

NativeServer::NativeServer(asio::io_context& io, Session& session, WorkerPool& pool, NativeServerConfig config)
    : io_(io), session_(session), pool_(pool), config_(std::move(config)), acceptor_(io) {
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
    int id = next_id_++;
    auto conn = std::make_shared<ViewerConnection>(std::move(socket), id, session_, pool_, config_,
                                                   [this](const ViewerStats& final_stats) {
                                                     gone_.push_back(final_stats);
                                                     live_.erase(final_stats.id);
                                                   });
    live_.emplace(id, conn);
    conn->start();
    accept();
  });
}

void NativeServer::wake_all() {
  if (wake_pending_.exchange(true)) return;
  asio::post(io_, [this] {
    wake_pending_ = false;
    // Copy: a wake may close a connection, which erases it from live_.
    auto conns = live_;
    for (auto& [id, c] : conns) c->wake();
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
