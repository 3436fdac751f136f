#pragma once
#include <cstdint>
#include <vector>

#include "codecs/region.hpp"
#include "codecs/surface.hpp"

namespace rd {

constexpr int kTileSize = 64;

// The surface cut into 64x64 tiles (edge tiles smaller), each with the XXH3 hash of its
// pixels. Re-hashing only the tiles under the damage tells which really changed: an
// application that redraws the same pixels costs hashing, never bandwidth.
class TileGrid {
 public:
  TileGrid() = default;
  explicit TileGrid(const Surface& s) { reset(s); }

  void reset(const Surface& s);  // sizes the grid to s and hashes every tile
  int cols() const { return cols_; }
  int rows() const { return rows_; }
  int count() const { return cols_ * rows_; }
  Rect tile_rect(int index) const;
  std::uint64_t hash(int index) const { return hashes_[static_cast<std::size_t>(index)]; }

  // Re-hashes the tiles that damage touches; returns the indexes whose hash changed.
  std::vector<int> update(const Surface& s, const Region& damage);

  // Tile indexes that r touches, in row-major order.
  std::vector<int> tiles_in(const Rect& r) const;

 private:
  int w_ = 0, h_ = 0, cols_ = 0, rows_ = 0;
  std::vector<std::uint64_t> hashes_;
};

std::uint64_t hash_pixels(const PixelView& v);

}  // namespace rd
