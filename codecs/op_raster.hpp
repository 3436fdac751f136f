#pragma once
#include "codecs/glyph_cache.hpp"
#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "protocol/ops.hpp"

namespace rd {

// Applies drawing ops to a surface with the integer rasterizer (codecs/raster): the
// server's Canvas and the viewer call the same primitives in the same order, so the
// pixels agree bit for bit. Keeps the clip state between ops.
class OpRasterizer {
 public:
  explicit OpRasterizer(GlyphStore& glyphs) : glyphs_(glyphs) {}

  // Draws op into s. Throws DecodeError for ops out of the limits of op_limits or
  // referring to glyphs the store does not hold; zero and negative sizes draw nothing.
  void apply(Surface& s, const Op& op);
  // The area the ops applied since the last call may have changed (bounding boxes).
  Region take_touched();
  void reset_clip() { clip_.reset(); }

 private:
  Rect clip_of(const Surface& s) const { return clip_ ? clip_->intersect(s.bounds()) : s.bounds(); }
  GlyphStore& glyphs_;
  std::optional<Rect> clip_;
  Region touched_;
};

}  // namespace rd
