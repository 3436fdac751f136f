#pragma once
#include <cstdint>
#include <vector>

#include "codecs/glyph_cache.hpp"
#include "server/op_log.hpp"

namespace rd {

// The tile grid's geometry, copied so that planning runs without the session lock.
struct GridGeometry {
  int w = 0, h = 0, cols = 0, rows = 0;
  int count() const { return cols * rows; }
  Rect tile_rect(int i) const;
  // Tiles a rectangle touches (clipped to the screen).
  template <class F>
  void for_tiles(const Rect& r, F&& f) const;
};

// What each changed tile would cost as pixels: bytes on the wire and the microseconds
// of encoding (server) plus decoding (viewer). Negative bytes: not measured.
struct TilePixelCost {
  double bytes = -1;
  double us = 0;
};

struct PlanCosts {
  double ops = 0, pixels = 0, mixed = 0;  // bytes + time, per candidate
};

// The decision for one update of a command-encoding viewer.
struct OpsPlan {
  enum class Kind { Ops, Pixels, Mixed } kind = Kind::Ops;
  std::vector<char> pixel_tile;   // per tile: send as pixels (all changed tiles when Pixels)
  std::vector<char> keep_op;      // per pending op: send it
  PlanCosts estimate;
};

enum class PlanMode {
  PreferOps,  // `ops`: pixels only where they cost fewer bytes than the ops drawing there
  Cheapest,   // `auto`: the cheapest of ops, pixels and a mix, bytes and time counted
};

struct PlanInput {
  const std::vector<LoggedOpPtr>* ops = nullptr;
  GridGeometry grid;
  std::vector<char> changed;            // per tile: differs from what the viewer holds
  std::vector<TilePixelCost> pixel;     // per tile
  const GlyphCacheModel* glyphs = nullptr;  // the viewer's glyph cache, mirrored
  double bytes_per_us = 12.5;           // link speed that turns time into bytes (100 Mbit/s)
  PlanMode mode = PlanMode::PreferOps;
};

// Estimated wire bytes of an op (its share of a compressed batch).
double op_cost_bytes(const LoggedOp& op, const GlyphCacheModel* glyphs);
// Estimated microseconds to rasterize an op on the viewer (and compress it on the server).
double op_cost_us(const LoggedOp& op);

OpsPlan plan_update(const PlanInput& in);

// Serializes the kept ops for one viewer: each glyph the viewer's cache lacks is
// defined right before the run that uses it, and the mirror is updated exactly as the
// viewer's cache will be.
Bytes serialize_for_viewer(const std::vector<LoggedOpPtr>& ops, const std::vector<char>& keep, GlyphCacheModel& mirror);

template <class F>
void GridGeometry::for_tiles(const Rect& r0, F&& f) const {
  Rect r = r0.intersect({0, 0, w, h});
  if (r.empty()) return;
  for (int ty = r.y / 64; ty <= (r.bottom() - 1) / 64; ++ty)
    for (int tx = r.x / 64; tx <= (r.right() - 1) / 64; ++tx) f(ty * cols + tx);
}

}  // namespace rd
