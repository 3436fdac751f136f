#include "server/native_server.hpp"

#include "server/hello_rules.hpp"


#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>

namespace rd {

NativeServer::NativeServer(asio::io_context& io, Session& session, WorkerPool& pool, NativeServerConfig config)
    : io_(io), session_(session), pool_(pool), config_(std::move(config)), bulk_(std::make_shared<BulkLane>(io)) {
  if (!config_.throttle) config_.throttle = std::make_shared<AuthThrottle>();
  if (!config_.encode_cache) config_.encode_cache = std::make_shared<EncodeCache>(NativeServerConfig::kEncodeCacheBytes);
  if (!config_.copy_search) config_.copy_search = std::make_shared<CopySearchCache>();
  if (!config_.shared_updates) config_.shared_updates = std::make_shared<SharedUpdates>();
  front_ = std::make_unique<HelloFront>(
      config_, [this] { return live_count_.load() < static_cast<std::size_t>(config_.max_viewers); },
      [this] { return io_handshakes_.load(); },
      [this](HelloFront::Arrival a) { asio::post(io_, [this, a = std::move(a)]() mutable { adopt(std::move(a)); }); });
  port_ = front_->port();
}

NativeServer::~NativeServer() {
  front_->stop();
  bulk_->clear();  // its closures hold connections, which hold it
}

void NativeServer::adopt(HelloFront::Arrival a) {
  asio::ip::tcp::socket socket(io_);
  asio::error_code ec;
  socket.assign(asio::ip::make_address(config_.listen_address).is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), a.fd, ec);
  if (ec) {
    ::close(a.fd);
    return;
  }
  if (closing_) return;  // the socket closes with it
  // The front door saw room; viewers that came in meanwhile may have taken it.
  if (live_.size() >= static_cast<std::size_t>(config_.max_viewers))
    return refuse_busy(std::move(socket), "the server has its maximum of " + std::to_string(config_.max_viewers) + " viewers; try later");
  // TLS handshakes and password challenges run here: they count against the cap too.
  if (recount_handshakes() >= config_.max_handshakes)
    return refuse_busy(std::move(socket), "too many connections are still in their handshake; try later");
  int id = next_id_++;
  auto conn = std::make_shared<ViewerConnection>(std::move(socket), id, session_, pool_, config_, bulk_,
                                                 [this](const ViewerStats& final_stats) {
                                                   // Hostile clients may connect without end: keep the
                                                   // stats of the last viewers gone, count the rest.
                                                   if (gone_.size() >= kGoneKept) {
                                                     gone_.erase(gone_.begin());
                                                     ++gone_dropped_;
                                                   }
                                                   gone_.push_back(final_stats);
                                                   live_.erase(final_stats.id);
                                                   live_count_ = live_.size();
                                                   recount_handshakes();
                                                 });
  live_.emplace(id, conn);
  live_count_ = live_.size();
  if (a.hello)
    conn->start_with_hello(std::move(*a.hello));
  else
    conn->start();
  recount_handshakes();
}

int NativeServer::recount_handshakes() {
  int n = 0;
  for (const auto& [id, c] : live_) n += c->in_handshake() ? 1 : 0;
  io_handshakes_ = n;
  return n;
}

void NativeServer::refuse_busy(asio::ip::tcp::socket socket, const std::string& why) {
  ++refused_busy_;
  asio::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  spdlog::warn("refused a connection from {}: {}", ec ? std::string("?") : peer.address().to_string(), why);
  close_with_error(std::move(socket), ErrorCode::Busy, why);
}

void NativeServer::wake_all() {
  if (wake_pending_.exchange(true)) return;
  asio::post(io_, [this] {
    wake_pending_ = false;
    recount_handshakes();  // handshakes end inside connections: keep the front door's view fresh
    // Copy: a wake may close a connection, which erases it from live_.
    auto conns = live_;
    // Viewers waiting for the answer to their input first, then the others in use: with
    // many viewers, the one typing should not wait for a hundred others' updates to be
    // planned. Those hundred go through the bulk lane, between the I/O thread's reads.
    for (auto& [id, c] : conns)
      if (c->awaits_input_answer()) c->wake();
    for (auto& [id, c] : conns) {
      if (c->awaits_input_answer()) continue;
      if (c->interactive()) c->wake();
      else c->wake_in_bulk();
    }
  });
}

void NativeServer::shutdown(const std::string& reason, std::chrono::milliseconds grace) {
  front_->stop();
  closing_ = true;
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
