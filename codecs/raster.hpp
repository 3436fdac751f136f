#pragma once
#include <cstdint>
#include <vector>

#include "codecs/pixel_view.hpp"
#include "codecs/surface.hpp"

namespace rd {

// An 8-bit coverage mask (a rasterized glyph): w*h bytes, 0 transparent, 255 opaque.
struct AlphaMask {
  int w = 0, h = 0;
  std::vector<std::uint8_t> a;
};

// The deterministic integer rasterizer: the same calls give the same pixels on every
// machine. Every primitive draws only inside `clip` (and the surface).
void fill_rect(Surface& s, const Rect& r, Color c, const Rect& clip);
// A line from (x0, y0) to (x1, y1), both ends included, drawn as a square pen of
// `width` pixels (width 1: Bresenham).
void draw_line(Surface& s, int x0, int y0, int x1, int y1, int width, Color c, const Rect& clip);
// Blends c through the mask with its top-left corner at (x, y):
// out = (c * a + dst * (255 - a) + 127) / 255 per channel.
void blend_mask(Surface& s, int x, int y, const AlphaMask& m, Color c, const Rect& clip);
// Copies src (opaque BGRA) with its top-left corner at (x, y).
void put_image(Surface& s, int x, int y, const PixelView& src, const Rect& clip);
// Copies the pixels of `src` to the rectangle of the same size at (dx, dy), as if through
// a temporary: overlapping moves (scrolls) are safe.
void copy_area(Surface& s, const Rect& src, int dx, int dy, const Rect& clip);

}  // namespace rd
