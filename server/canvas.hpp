#pragma once
#include <string_view>

#include "codecs/raster.hpp"
#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "codecs/font.hpp"
#include "server/op_log.hpp"

namespace rd {

// The drawing API of the built-in apps: fill, line, text, image, copy area, clip. Every
// call rasterizes into the app's surface and adds what it touched to the damage.
class Canvas {
 public:
  Canvas(Surface& surface, FontCache& fonts) : s_(surface), fonts_(fonts), clip_(surface.bounds()) {}

  Rect bounds() const { return s_.bounds(); }
  int width() const { return s_.width(); }
  int height() const { return s_.height(); }

  void set_clip(const Rect& r);
  void clear_clip();
  Rect clip() const { return clip_; }

  void fill(const Rect& r, Color c);
  void line(int x0, int y0, int x1, int y1, int width, Color c);
  // Lines through consecutive points (one op on the wire).
  void polyline(const std::vector<Point>& pts, int width, Color c);
  // Draws UTF-8 text with its baseline at y; returns the pen position after the text.
  int text(int x, int baseline, std::string_view utf8, FontFace face, int px, Color c);
  int text_width(std::string_view utf8, FontFace face, int px);
  FontMetrics metrics(FontFace face, int px) { return fonts_.metrics(face, px); }
  void image(int x, int y, const PixelView& px);
  // A glyph run whose glyphs come with it (a recorded trace replayed): drawn and
  // recorded as text() would have drawn it. `masks[i]` is the mask of `defines[i]`.
  void glyph_run(Point origin, Color c, const std::vector<std::shared_ptr<const GlyphDefineOp>>& defines,
                 const std::vector<const AlphaMask*>& masks);
  // Moves the pixels of src so that its top-left corner lands on (dx, dy).
  void copy(const Rect& src, int dx, int dy);

  Region& damage() { return damage_; }
  Region take_damage();

  // Command encoding: while recording, every call is also logged as an op. A frame's
  // ops start with the clip state, so that they can be replayed from that point on.
  void start_recording();
  std::vector<LoggedOpPtr> take_ops();
  void stop_recording() { recording_ = false; ops_.clear(); }
  bool recording() const { return recording_; }

 private:
  void touch(const Rect& r) { damage_.add(r.intersect(clip_)); }
  void record(Op op, Rect bounds, Rect reads = {}, std::vector<std::shared_ptr<const GlyphDefineOp>> glyphs = {});
  bool recording_ = false;
  std::vector<LoggedOpPtr> ops_;
  Surface& s_;
  FontCache& fonts_;
  Rect clip_;
  Region damage_;
};

}  // namespace rd
