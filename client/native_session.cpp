#include "client/native_session.hpp"

#include "client/viewer_report.hpp"

namespace rd {

NativeSession::NativeSession(std::unique_ptr<NativeConnection> conn, int decode_threads, std::size_t glyph_cache_bytes)
    : conn_(std::move(conn)), pool_(decode_threads), glyph_cache_bytes_(glyph_cache_bytes) {}

NativeSession::~NativeSession() { stop(false); }

void NativeSession::start(FrameStore& store) {
  receiver_ = std::make_unique<StreamReceiver>(*conn_, pool_, store, glyph_cache_bytes_);
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
}

nlohmann::json NativeSession::stats() const {
  nlohmann::json j = receiver_ ? receiver_stats_json(receiver_->stats()) : nlohmann::json::object();
  auto tlp = pool_.tlp();
  j["decode_pool"] = {{"threads", pool_.size()}, {"tlp", tlp.tlp}, {"busy_fraction", tlp.busy_fraction}};
  return j;
}

}  // namespace rd
