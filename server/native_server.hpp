#pragma once
#include <asio.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "common/worker_pool.hpp"
#include "server/hello_front.hpp"
#include "server/native_config.hpp"
#include "server/session.hpp"
#include "server/viewer_connection.hpp"

namespace rd {

// The native protocol's end point: its front door (HelloFront, its own thread) accepts
// connections and reads their hellos; here, on the I/O thread, are the viewers they
// become, plus the stats of those that have gone.
class NativeServer {
 public:
  // Binds at once; throws std::system_error when the address is taken.
  NativeServer(asio::io_context& io, Session& session, WorkerPool& pool, NativeServerConfig config);
  ~NativeServer();

  std::uint16_t port() const { return port_; }
  // Thread-safe: asks the I/O thread to offer every viewer an update. Calls made while
  // one is still pending fold into it.
  void wake_all();
  // On the I/O thread: stop accepting; every viewer gets the final screen, then a Bye.
  void shutdown(const std::string& reason, std::chrono::milliseconds grace);
  // On the I/O thread.
  std::vector<ViewerStats> stats();
  std::size_t live_viewers() const { return live_.size(); }
  std::uint64_t refused_busy() const { return refused_busy_ + front_->refused_busy(); }
  const EncodeCache& encode_cache() const { return *config_.encode_cache; }
  const CopySearchCache& copy_search_cache() const { return *config_.copy_search; }
  const SharedUpdates& shared_updates() const { return *config_.shared_updates; }
  std::uint64_t connections() const { return front_->accepted(); }

 private:
  void adopt(HelloFront::Arrival a);  // on the I/O thread
  int recount_handshakes();           // on the I/O thread: connections here in Hello or Auth
  asio::io_context& io_;
  Session& session_;
  WorkerPool& pool_;
  NativeServerConfig config_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> live_count_{0};  // live_.size(), for the front door
  std::atomic<int> io_handshakes_{0};       // recount_handshakes(), for the front door
  bool closing_ = false;
  int next_id_ = 1;
  std::map<int, std::shared_ptr<ViewerConnection>> live_;
  std::vector<ViewerStats> gone_;
  std::uint64_t refused_busy_ = 0;
  static constexpr std::size_t kGoneKept = 256;
  std::uint64_t gone_dropped_ = 0;
  void refuse_busy(asio::ip::tcp::socket socket, const std::string& why);
  std::atomic<bool> wake_pending_{false};
  std::shared_ptr<BulkLane> bulk_;
  std::unique_ptr<HelloFront> front_;  // last: stopped first, it hands connections to the rest
};

}  // namespace rd
