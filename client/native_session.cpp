#include "client/native_session.hpp"

#include <cstdio>

#include "client/viewer_report.hpp"

namespace rd {

NativeSession::NativeSession(std::unique_ptr<NativeConnection> conn, int decode_threads, std::size_t glyph_cache_bytes,
                             std::unique_ptr<TileCacheStore> tiles, std::string tile_cache_file)
    : conn_(std::move(conn)),
      pool_(decode_threads),
      glyph_cache_bytes_(glyph_cache_bytes),
      tiles_(std::move(tiles)),
      tile_cache_file_(std::move(tile_cache_file)) {
  if (!(conn_->server_hello().capabilities & kCapTileCache)) tiles_.reset();
}

NativeSession::~NativeSession() { stop(false); }

void NativeSession::start(FrameStore& store) {
  // The server sends nothing before it knows what the cache holds (docs/protocol.md).
  if (tiles_) conn_->send(encode(CacheAnnounce{tiles_->entries()}));
  receiver_ = std::make_unique<StreamReceiver>(*conn_, pool_, store, glyph_cache_bytes_, tiles_.get());
  thread_ = std::thread([this] { receiver_->run(); });
}

void NativeSession::stop(bool say_goodbye) {
  if (!thread_.joinable()) return;
  if (say_goodbye) {
    try {
      conn_->send(encode(Bye{"viewer closed"}));
    } catch (const std::exception&) {
    }
  }
  conn_->shutdown();
  thread_.join();
  if (tiles_ && !tile_cache_file_.empty()) {
    try {
      tiles_->save(tile_cache_file_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rdisplay-viewer: %s\n", e.what());
    }
  }
}

nlohmann::json NativeSession::stats() const {
  nlohmann::json j = receiver_ ? receiver_stats_json(receiver_->stats()) : nlohmann::json::object();
  auto tlp = pool_.tlp();
  if (tiles_) {
    j["tile_cache"]["entries"] = tiles_->model().size();
    j["tile_cache"]["bytes"] = tiles_->model().used_bytes();
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(tile_cache_digest(tiles_->model())));
    j["tile_cache"]["digest"] = digest;
  }
  j["decode_pool"] = {{"threads", pool_.size()}, {"tlp", tlp.tlp}, {"busy_fraction", tlp.busy_fraction}};
  return j;
}

}  // namespace rd
