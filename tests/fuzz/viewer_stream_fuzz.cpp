// Fuzz target: a viewer fed a whole server stream. After a fixed ServerHello (128x80,
// every capability, auto encoding), the input is what the server sends: framed messages
// of every kind, handled by the viewer's real network-thread code (StreamReceiver) with
// a decode pool, a tile cache and a glyph cache, down to the presenter's FrameStore.
#include <cstdint>
#include <system_error>

#include "client/frame_store.hpp"
#include "client/message_channel.hpp"
#include "client/stream_receiver.hpp"
#include "codecs/tile_cache.hpp"
#include "common/worker_pool.hpp"

namespace {

class FuzzChannel : public rd::MessageChannel {
 public:
  FuzzChannel(const std::uint8_t* data, std::size_t size) : parser_(1 << 22) {
    hello_.width = 128;
    hello_.height = 80;
    hello_.capabilities = rd::kCapsV1;
    hello_.encoding = rd::Encoding::Auto;
    hello_.session_name = "fuzz";
    parser_.feed(rd::ByteView(data, size));
  }
  const rd::ServerHello& server_hello() const override { return hello_; }
  rd::RawMessage read() override {
    if (auto m = parser_.next()) return std::move(*m);
    throw std::system_error(std::make_error_code(std::errc::connection_reset));  // the stream ends
  }
  void send(const rd::Bytes&) override {}

 private:
  rd::ServerHello hello_;
  rd::MessageParser parser_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static rd::WorkerPool pool(2);
  FuzzChannel channel(data, size);
  rd::FrameStore store;
  rd::TileCacheStore tiles(1 << 20);
  rd::ReceiverStats stats;
  rd::StreamReceiver receiver(channel, pool, store, 64 * 1024, &tiles, stats, nullptr, false);
  receiver.run();  // every error ends in the FrameStore or as a lost connection
  store.take();
  return 0;
}
