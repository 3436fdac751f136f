#include "codecs/raster.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace rd {

namespace {

Rect effective(const Surface& s, const Rect& clip) { return clip.intersect(s.bounds()); }

inline std::uint32_t blend(std::uint32_t dst, std::uint32_t src, unsigned a) {
  unsigned na = 255 - a;
  unsigned b = ((src & 0xFF) * a + (dst & 0xFF) * na + 127) / 255;
  unsigned g = (((src >> 8) & 0xFF) * a + ((dst >> 8) & 0xFF) * na + 127) / 255;
  unsigned r = (((src >> 16) & 0xFF) * a + ((dst >> 16) & 0xFF) * na + 127) / 255;
  return 0xFF000000u | (r << 16) | (g << 8) | b;
}

}  // namespace

void fill_rect(Surface& s, const Rect& r, Color c, const Rect& clip) {
  Rect d = r.intersect(effective(s, clip));
  c |= 0xFF000000u;
  for (int y = d.y; y < d.bottom(); ++y) std::fill_n(s.row32(y) + d.x, d.w, c);
}

void draw_line(Surface& s, int x0, int y0, int x1, int y1, int width, Color c, const Rect& clip) {
  Rect cl = effective(s, clip);
  if (cl.empty()) return;
  width = std::max(1, width);
  const int lo = -(width - 1) / 2;  // pen offset: width 3 covers -1..1, width 4 covers -1..2
  // Bounding-box rejection so that huge off-screen lines cost nothing.
  Rect bb = Rect{std::min(x0, x1), std::min(y0, y1), std::abs(x1 - x0) + 1, std::abs(y1 - y0) + 1}.translated(lo, lo);
  bb.w += width - 1;
  bb.h += width - 1;
  if (!bb.intersects(cl)) return;
  c |= 0xFF000000u;
  int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
  int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  for (;;) {
    if (width == 1) {
      if (cl.contains(x0, y0)) s.row32(y0)[x0] = c;
    } else {
      Rect pen = Rect{x0 + lo, y0 + lo, width, width}.intersect(cl);
      for (int y = pen.y; y < pen.bottom(); ++y) std::fill_n(s.row32(y) + pen.x, pen.w, c);
    }
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void blend_mask(Surface& s, int x, int y, const AlphaMask& m, Color c, const Rect& clip) {
  Rect d = Rect{x, y, m.w, m.h}.intersect(effective(s, clip));
  for (int py = d.y; py < d.bottom(); ++py) {
    const std::uint8_t* a = m.a.data() + static_cast<std::size_t>(py - y) * m.w + (d.x - x);
    std::uint32_t* row = s.row32(py);
    for (int px = d.x; px < d.right(); ++px, ++a) {
      if (*a == 0) continue;
      row[px] = *a == 255 ? (c | 0xFF000000u) : blend(row[px], c, *a);
    }
  }
}

void put_image(Surface& s, int x, int y, const PixelView& src, const Rect& clip) {
  Rect d = Rect{x, y, src.w, src.h}.intersect(effective(s, clip));
  for (int py = d.y; py < d.bottom(); ++py) {
    const std::uint32_t* in = src.row32(py - y) + (d.x - x);
    std::uint32_t* out = s.row32(py) + d.x;
    for (int i = 0; i < d.w; ++i) out[i] = in[i] | 0xFF000000u;
  }
}

void copy_area(Surface& s, const Rect& src, int dx, int dy, const Rect& clip) {
  // Pixels are copied only where both the source lies inside the surface and the
  // destination inside the clip.
  Rect from = src.intersect(s.bounds());
  Rect to = from.translated(dx - src.x, dy - src.y).intersect(effective(s, clip));
  if (to.empty()) return;
  int ox = src.x - dx, oy = src.y - dy;  // source = destination + (ox, oy)
  auto copy_row = [&](int y) { std::memmove(s.row32(y) + to.x, s.row32(y + oy) + to.x + ox, static_cast<std::size_t>(to.w) * 4); };
  if (oy > 0)  // moving up: copy top to bottom so that sources are read before overwritten
    for (int y = to.y; y < to.bottom(); ++y) copy_row(y);
  else
    for (int y = to.bottom() - 1; y >= to.y; --y) copy_row(y);
}

}  // namespace rd
