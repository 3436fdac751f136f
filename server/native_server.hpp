#pragma once
#include <asio.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "common/worker_pool.hpp"
#include "server/native_config.hpp"
#include "server/session.hpp"
#include "server/viewer_connection.hpp"

namespace rd {

// The native protocol's end point: accepts viewers on one port and keeps the set of
// live connections, plus the stats of those that have gone.
class NativeServer {
 public:
  // Binds at once; throws std::system_error when the address is taken.
  NativeServer(asio::io_context& io, Session& session, WorkerPool& pool, NativeServerConfig config);

  std::uint16_t port() const { return port_; }
  // Thread-safe: asks the I/O thread to offer every viewer an update. Calls made while
  // one is still pending fold into it.
  void wake_all();
  // On the I/O thread: stop accepting; every viewer gets the final screen, then a Bye.
  void shutdown(const std::string& reason, std::chrono::milliseconds grace);
  // On the I/O thread.
  std::vector<ViewerStats> stats();
  std::size_t live_viewers() const { return live_.size(); }
  std::uint64_t refused_busy() const { return refused_busy_; }
  const EncodeCache& encode_cache() const { return *config_.encode_cache; }
  std::uint64_t connections() const { return static_cast<std::uint64_t>(next_id_ - 1); }

 private:
  void accept();
  asio::io_context& io_;
  Session& session_;
  WorkerPool& pool_;
  NativeServerConfig config_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  int next_id_ = 1;
  std::map<int, std::shared_ptr<ViewerConnection>> live_;
  std::vector<ViewerStats> gone_;
  std::uint64_t refused_busy_ = 0;
  static constexpr std::size_t kGoneKept = 256;
  std::uint64_t gone_dropped_ = 0;
  void refuse_busy(asio::ip::tcp::socket socket, const std::string& why);
  std::atomic<bool> wake_pending_{false};
};

}  // namespace rd
