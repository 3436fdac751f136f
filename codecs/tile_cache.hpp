#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "codecs/lru_model.hpp"
#include "codecs/pixel_view.hpp"
#include "codecs/surface.hpp"
#include "codecs/tile_grid.hpp"
#include "protocol/messages.hpp"

namespace rd {

// The content-addressed tile cache (docs/protocol.md, "Tile cache"). A tile is keyed by
// a hash of its size and pixels (alpha ignored), so the same pixels anywhere on the
// screen, at any time, in any session, have the same key: a window moved back, a
// slideshow coming round again, a viewer coming back with the cache it saved.

// The key of a tile's pixels: XXH3 (64 bits) of u16 w, u16 h and then its rows of BGRA
// pixels with alpha forced to 0xFF.
std::uint64_t tile_cache_key(const PixelView& v);

// A content key for a stretch of n tiles side by side (w x h in all), from their
// tile_cache_keys: the first key alone for one tile, else XXH3 of the keys and the size.
// Cheaper than hashing the pixels again; the same pixels give the same key.
std::uint64_t stretch_key(const std::uint64_t* tile_keys, int n, int w, int h);

// The tiles a stored rectangle puts into the cache, in order: its 64-pixel columns from
// the left (the last one narrower when the rectangle ends inside a tile). Both ends cut
// stored rectangles this way, so they insert the same keys in the same order.
template <class F>
void for_each_cache_tile(const Rect& r, F&& f) {
  for (int x = r.x; x < r.right(); x += kTileSize) f(Rect{x, r.y, std::min(kTileSize, r.right() - x), r.h});
}

// What one cached tile costs the budget: its BGRA pixels.
inline std::size_t tile_cache_cost(int w, int h) { return static_cast<std::size_t>(w) * h * 4; }

// The budget both ends use for a hello's cache_kib: 0 turns the cache off, anything
// else is clamped to 1 MiB..256 MiB.
inline std::size_t tile_cache_bytes(std::uint32_t kib) {
  if (kib == 0) return 0;
  constexpr std::size_t lo = 1u << 20, hi = 256u << 20;
  std::size_t b = static_cast<std::size_t>(kib) * 1024;
  return b < lo ? lo : b > hi ? hi : b;
}

// The server's mirror of one viewer's cache: keys only.
using TileCacheModel = LruModel<std::uint64_t>;

// The viewer's cache: the same model, plus the pixels.
class TileCacheStore {
 public:
  explicit TileCacheStore(std::size_t budget_bytes) : model_(budget_bytes) {}

  // Stores the pixels of v under their key (computed here) as the most recent entry.
  void insert(const PixelView& v);
  // The tile under key, marked as used now; nullptr when the store does not hold it.
  const Surface* use(std::uint64_t key);
  // What the store holds, least recently used first: what a viewer announces.
  std::vector<CacheEntry> entries() const;
  const TileCacheModel& model() const { return model_; }

  // A cache file: "RDTILES1", u32 count, then per tile (least recent first) u64 key,
  // u16 w, u16 h and w*h*4 bytes of BGRA. load() keeps what fits the budget, drops a
  // tile whose pixels do not match its key, and throws std::runtime_error on a file
  // that is not a cache file; a missing file is an empty cache.
  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  TileCacheModel model_;
  std::unordered_map<std::uint64_t, Surface> tiles_;
};

// A digest of the model's keys in LRU order: equal on both ends when they agree.
std::uint64_t tile_cache_digest(const TileCacheModel& m);

}  // namespace rd
