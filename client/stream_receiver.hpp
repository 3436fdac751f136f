#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "client/frame_store.hpp"
#include "client/input_stamps.hpp"
#include "client/message_channel.hpp"
#include "codecs/glyph_cache.hpp"
#include "codecs/op_raster.hpp"
#include "codecs/tile_cache.hpp"
#include "common/worker_pool.hpp"

namespace rd {

struct ReceiverStats {
  std::uint64_t frames = 0;
  std::array<std::uint64_t, kTileCodecCount> rects_by_codec{};
  std::array<std::uint64_t, kTileCodecCount> bytes_by_codec{};
  std::vector<std::uint32_t> decode_us;  // per frame: worker time spent decoding it
  std::vector<std::uint32_t> interval_us;  // between consecutive frames' completion
  std::uint64_t first_frame_us = 0, last_frame_us = 0;
  std::uint64_t pings = 0;
  std::uint64_t ops_bytes = 0, ops_batches = 0, ops = 0;  // command encoding
  std::uint64_t copy_bytes = 0, copies = 0;               // scrolls (CopyRect)
  std::uint64_t pixel_bytes = 0;                          // TileUpdate messages
  std::uint64_t cache_refs = 0, cache_ref_bytes = 0;      // tiles drawn from the tile cache
  std::uint64_t cache_stored = 0;                         // tiles put into it
};

// The network thread's work on one connection: reads messages, hands tile payloads to
// the decode pool as they arrive (decoding overlaps receiving), and at each FrameEnd waits
// for that frame's tiles, publishes the frame to the presenter and acknowledges it.
class StreamReceiver {
 public:
  // `tiles`: the tile cache when the server granted it, else nullptr. `stats` add up
  // over the connections of one session. `resumed`: this connection replaces a lost one
  // and the presenter still shows the old screen, which the first frame replaces whole.
  StreamReceiver(MessageChannel& conn, WorkerPool& pool, FrameStore& store, std::size_t glyph_cache_bytes,
                 TileCacheStore* tiles, ReceiverStats& stats, InputStamps* stamps, bool resumed);
  enum class End {
    Finished,  // the server ended the session, or the stream was unusable: in the FrameStore
    Lost,      // the connection broke: lost_reason() says how; the FrameStore is untouched
  };
  End run();
  const std::string& lost_reason() const { return lost_reason_; }

 private:
  void receive_loop();
  MessageChannel& conn_;
  WorkerPool& pool_;
  FrameStore& store_;
  Surface decoded_;
  GlyphStore glyphs_;
  TileCacheStore* tiles_;
  OpRasterizer raster_{glyphs_};
  ReceiverStats& stats_;
  InputStamps* stamps_;
  bool publish_whole_;
  std::string lost_reason_;
};

}  // namespace rd
