#include "codecs/op_raster.hpp"

#include <string>

#include "codecs/tile_codec.hpp"

namespace rd {

namespace {

void check_coord(int v, const char* what) {
  if (v < -op_limits::kMaxCoord || v > op_limits::kMaxCoord)
    throw DecodeError(std::string(what) + " out of range: " + std::to_string(v));
}
void check_point(const Point& p) {
  check_coord(p.x, "x");
  check_coord(p.y, "y");
}
void check_rect(const Rect& r, int max_side) {
  check_point({r.x, r.y});
  if (r.w > max_side || r.h > max_side)
    throw DecodeError("rectangle " + std::to_string(r.w) + "x" + std::to_string(r.h) + " too large");
}
void check_width(int w) {
  if (w < 1 || w > op_limits::kMaxLineWidth) throw DecodeError("line width " + std::to_string(w) + " out of range");
}

}  // namespace

void OpRasterizer::apply(Surface& s, const Op& op) {
  const Rect clip = clip_of(s);
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, FillRectOp>) {
          check_rect(o.r, op_limits::kMaxSide);
          fill_rect(s, o.r, o.c, clip);
          touched_.add(o.r.intersect(clip));
        } else if constexpr (std::is_same_v<T, LineOp>) {
          check_point(o.a);
          check_point(o.b);
          check_width(o.width);
          draw_line(s, o.a.x, o.a.y, o.b.x, o.b.y, o.width, o.c, clip);
          touched_.add(op_bounds(op).intersect(clip));
        } else if constexpr (std::is_same_v<T, PolylineOp>) {
          if (o.pts.size() > op_limits::kMaxPoints) throw DecodeError("polyline with too many points");
          check_width(o.width);
          for (const Point& p : o.pts) check_point(p);
          for (std::size_t i = 1; i < o.pts.size(); ++i)
            draw_line(s, o.pts[i - 1].x, o.pts[i - 1].y, o.pts[i].x, o.pts[i].y, o.width, o.c, clip);
          if (o.pts.size() == 1) draw_line(s, o.pts[0].x, o.pts[0].y, o.pts[0].x, o.pts[0].y, o.width, o.c, clip);
          touched_.add(op_bounds(op).intersect(clip));
        } else if constexpr (std::is_same_v<T, GlyphRunOp>) {
          check_point(o.origin);
          if (o.glyphs.size() > op_limits::kMaxGlyphsPerRun) throw DecodeError("glyph run too long");
          std::int64_t pen = o.origin.x;
          Rect bb;
          for (std::uint32_t id : o.glyphs) {
            const StoredGlyph& g = glyphs_.use(id);  // every id counts as used, drawn or not
            bool visible = pen > -2 * op_limits::kMaxCoord && pen < 2 * op_limits::kMaxCoord;
            int gx = visible ? static_cast<int>(pen) + g.left : 0, gy = o.origin.y - g.top;
            if (visible && g.mask.w > 0) {
              blend_mask(s, gx, gy, g.mask, o.c, clip);
              bb = bb.united({gx, gy, g.mask.w, g.mask.h});
            }
            pen += g.advance;
          }
          touched_.add(bb.intersect(clip));
        } else if constexpr (std::is_same_v<T, GlyphDefineOp>) {
          if (o.w < 0 || o.h < 0 || o.w > op_limits::kMaxGlyphSide || o.h > op_limits::kMaxGlyphSide)
            throw DecodeError("glyph size out of range");
          glyphs_.define(o);
        } else if constexpr (std::is_same_v<T, PutImageOp>) {
          check_rect(o.r, op_limits::kMaxImageSide);
          if (o.r.empty()) return;
          if (!o.payload) throw DecodeError("image without pixels");
          Surface img(o.r.w, o.r.h);
          decode_tile(o.codec, *o.payload, img.mutable_view(img.bounds()));
          put_image(s, o.r.x, o.r.y, img.view(), clip);
          touched_.add(o.r.intersect(clip));
        } else if constexpr (std::is_same_v<T, CopyAreaOp>) {
          check_rect(o.src, op_limits::kMaxSide);
          check_point(o.dst);
          if (o.src.empty()) return;
          copy_area(s, o.src, o.dst.x, o.dst.y, clip);
          touched_.add(Rect{o.dst.x, o.dst.y, o.src.w, o.src.h}.intersect(clip));
        } else if constexpr (std::is_same_v<T, SetClipOp>) {
          check_rect(o.r, op_limits::kMaxSide);
          clip_ = o.r;
        } else {
          clip_.reset();
        }
      },
      op);
}

Region OpRasterizer::take_touched() {
  Region r = std::move(touched_);
  touched_.clear();
  return r;
}

}  // namespace rd
