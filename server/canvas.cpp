#include "server/canvas.hpp"

#include <algorithm>

#include "protocol/keysym.hpp"

namespace rd {

void Canvas::fill(const Rect& r, Color c) {
  fill_rect(s_, r, c, clip_);
  touch(r);
}

void Canvas::line(int x0, int y0, int x1, int y1, int width, Color c) {
  draw_line(s_, x0, y0, x1, y1, width, c, clip_);
  int w = std::max(1, width), lo = -(w - 1) / 2;
  Rect bb{std::min(x0, x1) + lo, std::min(y0, y1) + lo, std::abs(x1 - x0) + w, std::abs(y1 - y0) + w};
  touch(bb);
}

int Canvas::text(int x, int baseline, std::string_view utf8, FontFace face, int px, Color c) {
  Rect touched;
  for (char32_t cp : utf8_decode(utf8)) {
    const Glyph& g = fonts_.glyph(face, px, cp);
    if (g.mask.w > 0) {
      blend_mask(s_, x + g.left, baseline - g.top, g.mask, c, clip_);
      touched = touched.united({x + g.left, baseline - g.top, g.mask.w, g.mask.h});
    }
    x += g.advance;
  }
  touch(touched);
  return x;
}

int Canvas::text_width(std::string_view utf8, FontFace face, int px) {
  int w = 0;
  for (char32_t cp : utf8_decode(utf8)) w += fonts_.glyph(face, px, cp).advance;
  return w;
}

void Canvas::image(int x, int y, const PixelView& px) {
  put_image(s_, x, y, px, clip_);
  touch({x, y, px.w, px.h});
}

void Canvas::copy(const Rect& src, int dx, int dy) {
  copy_area(s_, src, dx, dy, clip_);
  touch({dx, dy, src.w, src.h});
}

Region Canvas::take_damage() {
  Region d = std::move(damage_);
  damage_.clear();
  return d;
}

}  // namespace rd
