#pragma once
#include <cstdint>
#include <vector>

#include "codecs/pixel_view.hpp"
#include "codecs/tile_classifier.hpp"
#include "codecs/tile_codec.hpp"
#include "codecs/tile_grid.hpp"
#include "protocol/messages.hpp"

namespace rd {

// A horizontal run of changed tiles in one tile row, copied out of the session's
// surface so that encoding can proceed without the session lock.
// (Or, with `ext` set, a view of pixels that its owner keeps unchanged until the
// encoding is done: a viewer's HeldScreen.)
struct RunSnapshot {
  Rect rect;
  std::vector<std::uint32_t> px;  // rect.w * rect.h pixels, rows packed
  PixelView ext{};
  bool lossless = false;  // a refresh of what the viewer holds lossy: no lossy codec
  PixelView view() const {
    if (ext.data) return ext;
    return {reinterpret_cast<const std::uint8_t*>(px.data()), rect.w * 4, rect.w, rect.h};
  }
};

// Longest run in tiles: bounds one encode job, so that a full-screen change still
// splits into enough jobs for every worker.
constexpr int kMaxRunTiles = 16;

// Copies the tiles whose version differs from `sent` (every tile when `all`) and marks
// them as sent. Call with the session lock held.
std::vector<RunSnapshot> snapshot_changed_tiles(const Surface& s, const TileGrid& grid,
                                                const std::vector<std::uint64_t>& current,
                                                std::vector<std::uint64_t>& sent);

struct EncodedRect {
  Rect rect;
  TileCodec codec = TileCodec::Raw;
  Bytes payload;
  // A tile the viewer's cache holds: a CacheRef to cache_key, no payload.
  bool cache_ref = false;
  std::uint64_t cache_key = 0;
  // Sent with the store flag: the keys of the rectangle's tiles, left to right.
  std::vector<std::uint64_t> store_keys;
};

// Chooses a codec per tile and encodes each stretch of equally coded tiles as one
// rectangle (solid tiles of one colour merge too). With policy.tile_cache, a tile the
// viewer's cache holds becomes a cache reference, and every other tile that goes
// losslessly (and is not solid) is marked for the viewer to store. Pure: safe on any
// worker while the cache mirror does not change.
std::vector<EncodedRect> encode_run(const RunSnapshot& run, const CodecPolicy& policy, const EncodeParams& params);

}  // namespace rd
