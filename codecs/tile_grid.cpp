#include "codecs/tile_grid.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

namespace rd {

std::uint64_t hash_pixels(const PixelView& v) {
  if (v.stride == v.w * 4) return XXH3_64bits(v.data, static_cast<std::size_t>(v.w) * v.h * 4);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (int y = 0; y < v.h; ++y) XXH3_64bits_update(&state, v.row(y), static_cast<std::size_t>(v.w) * 4);
  return XXH3_64bits_digest(&state);
}

void TileGrid::reset(const Surface& s) {
  w_ = s.width();
  h_ = s.height();
  cols_ = (w_ + kTileSize - 1) / kTileSize;
  rows_ = (h_ + kTileSize - 1) / kTileSize;
  hashes_.assign(static_cast<std::size_t>(count()), 0);
  for (int i = 0; i < count(); ++i) hashes_[static_cast<std::size_t>(i)] = hash_pixels(s.view(tile_rect(i)));
}

Rect TileGrid::tile_rect(int index) const {
  int tx = index % cols_, ty = index / cols_;
  Rect r{tx * kTileSize, ty * kTileSize, kTileSize, kTileSize};
  return r.intersect({0, 0, w_, h_});
}

std::vector<int> TileGrid::tiles_in(const Rect& r0) const {
  std::vector<int> out;
  Rect r = r0.intersect({0, 0, w_, h_});
  if (r.empty()) return out;
  int tx0 = r.x / kTileSize, tx1 = (r.right() - 1) / kTileSize;
  int ty0 = r.y / kTileSize, ty1 = (r.bottom() - 1) / kTileSize;
  for (int ty = ty0; ty <= ty1; ++ty)
    for (int tx = tx0; tx <= tx1; ++tx) out.push_back(ty * cols_ + tx);
  return out;
}

std::vector<int> TileGrid::update(const Surface& s, const Region& damage) {
  std::vector<char> touched(static_cast<std::size_t>(count()), 0);
  for (const Rect& r : damage.rects())
    for (int i : tiles_in(r)) touched[static_cast<std::size_t>(i)] = 1;
  std::vector<int> changed;
  for (int i = 0; i < count(); ++i) {
    if (!touched[static_cast<std::size_t>(i)]) continue;
    std::uint64_t h = hash_pixels(s.view(tile_rect(i)));
    if (h != hashes_[static_cast<std::size_t>(i)]) {
      hashes_[static_cast<std::size_t>(i)] = h;
      changed.push_back(i);
    }
  }
  return changed;
}

}  // namespace rd
