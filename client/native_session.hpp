#pragma once
#include <memory>
#include <string>
#include <thread>

#include "client/native_connection.hpp"
#include "client/remote_session.hpp"
#include "client/stream_receiver.hpp"
#include "codecs/tile_cache.hpp"
#include "common/worker_pool.hpp"

namespace rd {

// An rdisplay server: the native connection, the network thread and the decode pool.
class NativeSession : public RemoteSession {
 public:
  // `tiles`: the viewer's tile cache (already loaded from `tile_cache_file`, if any);
  // used when the server granted the cache, and saved back to the file at stop().
  NativeSession(std::unique_ptr<NativeConnection> conn, int decode_threads, std::size_t glyph_cache_bytes,
                std::unique_ptr<TileCacheStore> tiles, std::string tile_cache_file);
  ~NativeSession() override;

  int width() const override { return conn_->server_hello().width; }
  int height() const override { return conn_->server_hello().height; }
  std::string name() const override { return conn_->server_hello().session_name; }
  std::string encoding() const override { return encoding_name(conn_->server_hello().encoding); }
  ViewerLink& link() override { return *conn_; }
  void start(FrameStore& store) override;
  void stop(bool say_goodbye) override;
  std::uint64_t bytes_received() const override { return conn_->bytes_received(); }
  std::uint64_t bytes_sent() const override { return conn_->bytes_sent(); }
  nlohmann::json stats() const override;

 private:
  std::unique_ptr<NativeConnection> conn_;
  WorkerPool pool_;
  std::size_t glyph_cache_bytes_;
  std::unique_ptr<TileCacheStore> tiles_;
  std::string tile_cache_file_;
  std::unique_ptr<StreamReceiver> receiver_;
  std::thread thread_;
};

}  // namespace rd
