#include "server/canvas.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/keysym.hpp"

namespace rd {

void Canvas::record(Op op, Rect bounds, Rect reads, std::vector<std::shared_ptr<const GlyphDefineOp>> glyphs) {
  if (!recording_) return;
  Rect visible = bounds.intersect(clip_);
  if (visible.empty()) return;  // drew nothing: the viewer need not know
  ops_.push_back(std::make_shared<const LoggedOp>(std::move(op), visible, reads.intersect(s_.bounds()), std::move(glyphs)));
}

void Canvas::start_recording() {
  recording_ = true;
  ops_.clear();
  if (clip_ == s_.bounds()) ops_.push_back(std::make_shared<const LoggedOp>(ClearClipOp{}, Rect{}, Rect{}));
  else ops_.push_back(std::make_shared<const LoggedOp>(SetClipOp{clip_}, Rect{}, Rect{}));
}

std::vector<LoggedOpPtr> Canvas::take_ops() {
  std::vector<LoggedOpPtr> out = std::move(ops_);
  ops_.clear();
  return out;
}

void Canvas::set_clip(const Rect& r) {
  clip_ = r.intersect(s_.bounds());
  if (recording_) ops_.push_back(std::make_shared<const LoggedOp>(SetClipOp{clip_}, Rect{}, Rect{}));
}

void Canvas::clear_clip() {
  clip_ = s_.bounds();
  if (recording_) ops_.push_back(std::make_shared<const LoggedOp>(ClearClipOp{}, Rect{}, Rect{}));
}

void Canvas::fill(const Rect& r, Color c) {
  // Only the visible part is recorded: the same pixels, and sizes stay in range.
  Rect visible = r.intersect(clip_);
  fill_rect(s_, visible, c, clip_);
  touch(visible);
  if (!visible.empty()) record(FillRectOp{visible, c | 0xFF000000u}, visible);
}

void Canvas::line(int x0, int y0, int x1, int y1, int width, Color c) {
  draw_line(s_, x0, y0, x1, y1, width, c, clip_);
  LineOp op{{x0, y0}, {x1, y1}, std::max(1, width), c | 0xFF000000u};
  Rect bb = op_bounds(op);
  touch(bb);
  record(op, bb);
}

void Canvas::polyline(const std::vector<Point>& pts, int width, Color c) {
  if (pts.empty()) return;
  for (std::size_t i = 1; i < pts.size(); ++i) draw_line(s_, pts[i - 1].x, pts[i - 1].y, pts[i].x, pts[i].y, width, c, clip_);
  if (pts.size() == 1) draw_line(s_, pts[0].x, pts[0].y, pts[0].x, pts[0].y, width, c, clip_);
  PolylineOp op{pts, std::max(1, width), c | 0xFF000000u};
  Rect bb = op_bounds(op);
  touch(bb);
  record(std::move(op), bb);
}

int Canvas::text(int x, int baseline, std::string_view utf8, FontFace face, int px, Color c) {
  Rect touched;
  GlyphRunOp run{{x, baseline}, {}, c | 0xFF000000u};
  std::vector<std::shared_ptr<const GlyphDefineOp>> defs;
  for (char32_t cp : utf8_decode(utf8)) {
    const Glyph& g = fonts_.glyph(face, px, cp);
    if (g.mask.w > 0) {
      blend_mask(s_, x + g.left, baseline - g.top, g.mask, c, clip_);
      touched = touched.united({x + g.left, baseline - g.top, g.mask.w, g.mask.h});
    }
    x += g.advance;
    if (recording_) {
      run.glyphs.push_back(g.id);
      defs.push_back(g.define);
    }
  }
  touch(touched);
  if (!run.glyphs.empty()) record(std::move(run), touched, {}, std::move(defs));
  return x;
}

void Canvas::glyph_run(Point origin, Color c, const std::vector<std::shared_ptr<const GlyphDefineOp>>& defines,
                       const std::vector<const AlphaMask*>& masks) {
  Rect touched;
  GlyphRunOp run{origin, {}, c | 0xFF000000u};
  int x = origin.x;
  for (std::size_t i = 0; i < defines.size(); ++i) {
    const GlyphDefineOp& g = *defines[i];
    if (g.w > 0) {
      blend_mask(s_, x + g.left, origin.y - g.top, *masks[i], c, clip_);
      touched = touched.united({x + g.left, origin.y - g.top, g.w, g.h});
    }
    x += g.advance;
    run.glyphs.push_back(g.id);
  }
  touch(touched);
  if (!run.glyphs.empty()) record(std::move(run), touched, {}, defines);
}

int Canvas::text_width(std::string_view utf8, FontFace face, int px) {
  int w = 0;
  for (char32_t cp : utf8_decode(utf8)) w += fonts_.glyph(face, px, cp).advance;
  return w;
}

void Canvas::image(int x, int y, const PixelView& px) {
  put_image(s_, x, y, px, clip_);
  Rect r{x, y, px.w, px.h};
  touch(r);
  if (!recording_) return;
  // Only the visible part is recorded, raw; it is compressed once, when a viewer needs it.
  Rect visible = r.intersect(clip_);
  if (visible.empty()) return;
  auto raw = std::make_shared<Bytes>(static_cast<std::size_t>(visible.w) * visible.h * 4);
  for (int row = 0; row < visible.h; ++row)
    std::memcpy(raw->data() + static_cast<std::size_t>(row) * visible.w * 4,
                px.row(visible.y - y + row) + static_cast<std::ptrdiff_t>(visible.x - x) * 4, static_cast<std::size_t>(visible.w) * 4);
  record(PutImageOp{visible, TileCodec::Raw, std::move(raw)}, visible);
}

void Canvas::copy(const Rect& src, int dx, int dy) {
  copy_area(s_, src, dx, dy, clip_);
  Rect dst{dx, dy, src.w, src.h};
  touch(dst);
  record(CopyAreaOp{src, {dx, dy}}, dst, src);
}

Region Canvas::take_damage() {
  Region d = std::move(damage_);
  damage_.clear();
  return d;
}

}  // namespace rd
