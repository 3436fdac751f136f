#include "protocol/ops.hpp"

#include <algorithm>
#include <string>

#include "protocol/varint.hpp"

namespace rd {

namespace {

constexpr std::uint8_t kSameColour = 0x80;

// --- writing ---

void put_anchor(Bytes& out, OpStreamState& st, Point p) {
  put_svarint(out, static_cast<std::int64_t>(p.x) - st.anchor.x);
  put_svarint(out, static_cast<std::int64_t>(p.y) - st.anchor.y);
  st.anchor = p;
}

void put_size(Bytes& out, const Rect& r) {
  put_varint(out, static_cast<std::uint64_t>(std::max(0, r.w)));
  put_varint(out, static_cast<std::uint64_t>(std::max(0, r.h)));
}

// The opcode byte, then the colour unless it equals the previous op's.
void put_code(Bytes& out, OpStreamState& st, OpCode code, Color c) {
  c |= 0xFF000000u;
  if (c == st.colour) {
    out.push_back(static_cast<std::uint8_t>(code) | kSameColour);
    return;
  }
  out.push_back(static_cast<std::uint8_t>(code));
  out.push_back(static_cast<std::uint8_t>(c));
  out.push_back(static_cast<std::uint8_t>(c >> 8));
  out.push_back(static_cast<std::uint8_t>(c >> 16));
  st.colour = c;
}

// --- reading ---

struct Reader {
  ByteReader r;
  OpStreamState st;

  int coord(std::int64_t base, const char* what) {
    std::int64_t delta = get_svarint(r, what);
    // |base| <= 2^20, so a delta within +-2^40 cannot overflow the sum.
    if (delta < -(std::int64_t{1} << 40) || delta > (std::int64_t{1} << 40))
      throw DecodeError(std::string(what) + " delta out of range");
    std::int64_t v = base + delta;
    if (v < -op_limits::kMaxCoord || v > op_limits::kMaxCoord)
      throw DecodeError(std::string(what) + " out of range: " + std::to_string(v));
    return static_cast<int>(v);
  }
  Point anchor() {
    Point p{coord(st.anchor.x, "op x"), coord(st.anchor.y, "op y")};
    st.anchor = p;
    return p;
  }
  int side(int max, const char* what) {
    std::uint64_t v = get_varint(r, what);
    if (v > static_cast<std::uint64_t>(max)) throw DecodeError(std::string(what) + " too large: " + std::to_string(v));
    return static_cast<int>(v);
  }
  Color colour(bool same) {
    if (same) return st.colour;
    std::uint32_t b = r.u8("colour"), g = r.u8("colour"), rr = r.u8("colour");
    st.colour = 0xFF000000u | rr << 16 | g << 8 | b;
    return st.colour;
  }
};

}  // namespace

Rect op_bounds(const Op& op) {
  return std::visit(
      [](const auto& o) -> Rect {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, FillRectOp>) {
          return o.r;
        } else if constexpr (std::is_same_v<T, LineOp>) {
          int w = std::max(1, o.width), lo = -(w - 1) / 2;
          return {std::min(o.a.x, o.b.x) + lo, std::min(o.a.y, o.b.y) + lo, std::abs(o.b.x - o.a.x) + w,
                  std::abs(o.b.y - o.a.y) + w};
        } else if constexpr (std::is_same_v<T, PolylineOp>) {
          Rect b;
          int w = std::max(1, o.width), lo = -(w - 1) / 2;
          for (const Point& p : o.pts) b = b.united({p.x + lo, p.y + lo, w, w});
          return b;
        } else if constexpr (std::is_same_v<T, GlyphRunOp>) {
          return {};  // depends on the glyphs' metrics: see GlyphStore::run_bounds
        } else if constexpr (std::is_same_v<T, PutImageOp>) {
          return o.r;
        } else if constexpr (std::is_same_v<T, CopyAreaOp>) {
          return {o.dst.x, o.dst.y, o.src.w, o.src.h};
        } else {
          return {};
        }
      },
      op);
}

void serialize_op(Bytes& out, const Op& op, OpStreamState& st) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, FillRectOp>) {
          put_code(out, st, OpCode::FillRect, o.c);
          put_anchor(out, st, {o.r.x, o.r.y});
          put_size(out, o.r);
        } else if constexpr (std::is_same_v<T, LineOp>) {
          put_code(out, st, OpCode::Line, o.c);
          put_anchor(out, st, o.a);
          put_svarint(out, static_cast<std::int64_t>(o.b.x) - o.a.x);
          put_svarint(out, static_cast<std::int64_t>(o.b.y) - o.a.y);
          put_varint(out, static_cast<std::uint64_t>(std::max(1, o.width)));
        } else if constexpr (std::is_same_v<T, PolylineOp>) {
          put_code(out, st, OpCode::Polyline, o.c);
          put_anchor(out, st, o.pts.empty() ? st.anchor : o.pts[0]);
          put_varint(out, o.pts.empty() ? 0 : o.pts.size() - 1);
          for (std::size_t i = 1; i < o.pts.size(); ++i) {
            put_svarint(out, static_cast<std::int64_t>(o.pts[i].x) - o.pts[i - 1].x);
            put_svarint(out, static_cast<std::int64_t>(o.pts[i].y) - o.pts[i - 1].y);
          }
          put_varint(out, static_cast<std::uint64_t>(std::max(1, o.width)));
        } else if constexpr (std::is_same_v<T, GlyphRunOp>) {
          put_code(out, st, OpCode::GlyphRun, o.c);
          put_anchor(out, st, o.origin);
          put_varint(out, o.glyphs.size());
          for (std::uint32_t g : o.glyphs) put_varint(out, g);
        } else if constexpr (std::is_same_v<T, GlyphDefineOp>) {
          out.push_back(static_cast<std::uint8_t>(OpCode::GlyphDefine));
          put_varint(out, o.id);
          put_svarint(out, o.left);
          put_svarint(out, o.top);
          put_svarint(out, o.advance);
          put_varint(out, static_cast<std::uint64_t>(o.w));
          put_varint(out, static_cast<std::uint64_t>(o.h));
          if (o.mask) out.insert(out.end(), o.mask->begin(), o.mask->end());
        } else if constexpr (std::is_same_v<T, PutImageOp>) {
          out.push_back(static_cast<std::uint8_t>(OpCode::PutImage));
          put_anchor(out, st, {o.r.x, o.r.y});
          put_size(out, o.r);
          out.push_back(static_cast<std::uint8_t>(o.codec));
          put_varint(out, o.payload ? o.payload->size() : 0);
          if (o.payload) out.insert(out.end(), o.payload->begin(), o.payload->end());
        } else if constexpr (std::is_same_v<T, CopyAreaOp>) {
          out.push_back(static_cast<std::uint8_t>(OpCode::CopyArea));
          put_anchor(out, st, {o.src.x, o.src.y});
          put_size(out, o.src);
          put_svarint(out, static_cast<std::int64_t>(o.dst.x) - o.src.x);
          put_svarint(out, static_cast<std::int64_t>(o.dst.y) - o.src.y);
        } else if constexpr (std::is_same_v<T, SetClipOp>) {
          out.push_back(static_cast<std::uint8_t>(OpCode::SetClip));
          put_anchor(out, st, {o.r.x, o.r.y});
          put_size(out, o.r);
        } else {
          out.push_back(static_cast<std::uint8_t>(OpCode::ClearClip));
        }
      },
      op);
}

Bytes serialize_ops(const OpList& ops) {
  Bytes out;
  OpStreamState st;
  for (const Op& op : ops) serialize_op(out, op, st);
  return out;
}

OpList deserialize_ops(ByteView raw) {
  Reader rd{ByteReader(raw), {}};
  OpList ops;
  using namespace op_limits;
  while (rd.r.remaining() > 0) {
    std::uint8_t byte = rd.r.u8("opcode");
    bool same = byte & kSameColour;
    auto code = static_cast<OpCode>(byte & 0x7f);
    switch (code) {
      case OpCode::FillRect: {
        FillRectOp o;
        o.c = rd.colour(same);
        Point p = rd.anchor();
        o.r = {p.x, p.y, rd.side(kMaxSide, "fill width"), rd.side(kMaxSide, "fill height")};
        ops.emplace_back(o);
        break;
      }
      case OpCode::Line: {
        LineOp o;
        o.c = rd.colour(same);
        o.a = rd.anchor();
        o.b = {rd.coord(o.a.x, "line x"), rd.coord(o.a.y, "line y")};
        o.width = rd.side(kMaxLineWidth, "line width");
        if (o.width < 1) throw DecodeError("line width 0");
        ops.emplace_back(o);
        break;
      }
      case OpCode::Polyline: {
        PolylineOp o;
        o.c = rd.colour(same);
        Point p = rd.anchor();
        std::uint64_t n = get_varint(rd.r, "polyline points");
        if (n + 1 > kMaxPoints) throw DecodeError("polyline with too many points");
        if (n * 2 > rd.r.remaining()) throw DecodeError("truncated polyline");
        o.pts.reserve(n + 1);
        o.pts.push_back(p);
        for (std::uint64_t i = 0; i < n; ++i) {
          p = {rd.coord(p.x, "polyline x"), rd.coord(p.y, "polyline y")};
          o.pts.push_back(p);
        }
        o.width = rd.side(kMaxLineWidth, "polyline width");
        if (o.width < 1) throw DecodeError("polyline width 0");
        ops.emplace_back(std::move(o));
        break;
      }
      case OpCode::GlyphRun: {
        GlyphRunOp o;
        o.c = rd.colour(same);
        o.origin = rd.anchor();
        std::uint64_t n = get_varint(rd.r, "glyph count");
        if (n > kMaxGlyphsPerRun) throw DecodeError("glyph run too long");
        if (n > rd.r.remaining()) throw DecodeError("truncated glyph run");
        o.glyphs.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) {
          std::uint64_t g = get_varint(rd.r, "glyph id");
          if (g >= kMaxGlyphId) throw DecodeError("glyph id out of range");
          o.glyphs.push_back(static_cast<std::uint32_t>(g));
        }
        ops.emplace_back(std::move(o));
        break;
      }
      case OpCode::GlyphDefine: {
        GlyphDefineOp o;
        std::uint64_t id = get_varint(rd.r, "glyph id");
        if (id >= kMaxGlyphId) throw DecodeError("glyph id out of range");
        o.id = static_cast<std::uint32_t>(id);
        o.left = rd.coord(0, "glyph left");
        o.top = rd.coord(0, "glyph top");
        o.advance = rd.coord(0, "glyph advance");
        o.w = rd.side(kMaxGlyphSide, "glyph width");
        o.h = rd.side(kMaxGlyphSide, "glyph height");
        ByteView m = rd.r.bytes(static_cast<std::size_t>(o.w) * o.h, "glyph mask");
        o.mask = std::make_shared<const Bytes>(m.begin(), m.end());
        ops.emplace_back(std::move(o));
        break;
      }
      case OpCode::PutImage: {
        PutImageOp o;
        Point p = rd.anchor();
        o.r = {p.x, p.y, rd.side(kMaxImageSide, "image width"), rd.side(kMaxImageSide, "image height")};
        std::uint8_t codec = rd.r.u8("image codec");
        if (codec >= kTileCodecCount) throw DecodeError("image with unknown codec");
        o.codec = static_cast<TileCodec>(codec);
        std::uint64_t n = get_varint(rd.r, "image payload size");
        if (n > rd.r.remaining()) throw DecodeError("truncated image payload");
        ByteView pl = rd.r.bytes(static_cast<std::size_t>(n), "image payload");
        o.payload = std::make_shared<const Bytes>(pl.begin(), pl.end());
        ops.emplace_back(std::move(o));
        break;
      }
      case OpCode::CopyArea: {
        CopyAreaOp o;
        Point p = rd.anchor();
        o.src = {p.x, p.y, rd.side(kMaxSide, "copy width"), rd.side(kMaxSide, "copy height")};
        o.dst = {rd.coord(p.x, "copy x"), rd.coord(p.y, "copy y")};
        ops.emplace_back(o);
        break;
      }
      case OpCode::SetClip: {
        SetClipOp o;
        Point p = rd.anchor();
        o.r = {p.x, p.y, rd.side(kMaxSide, "clip width"), rd.side(kMaxSide, "clip height")};
        ops.emplace_back(o);
        break;
      }
      case OpCode::ClearClip:
        ops.emplace_back(ClearClipOp{});
        break;
      default:
        throw DecodeError("unknown op code " + std::to_string(byte & 0x7f));
    }
  }
  return ops;
}

}  // namespace rd
