#pragma once
#include <string_view>

#include "codecs/raster.hpp"
#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "server/font.hpp"

namespace rd {

// The drawing API of the built-in apps: fill, line, text, image, copy area, clip. Every
// call rasterizes into the app's surface and adds what it touched to the damage.
class Canvas {
 public:
  Canvas(Surface& surface, FontCache& fonts) : s_(surface), fonts_(fonts), clip_(surface.bounds()) {}

  Rect bounds() const { return s_.bounds(); }
  int width() const { return s_.width(); }
  int height() const { return s_.height(); }

  void set_clip(const Rect& r) { clip_ = r.intersect(s_.bounds()); }
  void clear_clip() { clip_ = s_.bounds(); }
  Rect clip() const { return clip_; }

  void fill(const Rect& r, Color c);
  void line(int x0, int y0, int x1, int y1, int width, Color c);
  // Draws UTF-8 text with its baseline at y; returns the pen position after the text.
  int text(int x, int baseline, std::string_view utf8, FontFace face, int px, Color c);
  int text_width(std::string_view utf8, FontFace face, int px);
  FontMetrics metrics(FontFace face, int px) { return fonts_.metrics(face, px); }
  void image(int x, int y, const PixelView& px);
  // Moves the pixels of src so that its top-left corner lands on (dx, dy).
  void copy(const Rect& src, int dx, int dy);

  Region& damage() { return damage_; }
  Region take_damage();

 private:
  void touch(const Rect& r) { damage_.add(r.intersect(clip_)); }
  Surface& s_;
  FontCache& fonts_;
  Rect clip_;
  Region damage_;
};

}  // namespace rd
