#pragma once
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/geometry.hpp"
#include "protocol/messages.hpp"

namespace rd {

// The drawing operations of command encoding (docs/protocol.md, "Op batches"). Every
// coordinate is in surface pixels; the viewer's rasterizer (codecs/op_raster) turns
// them into exactly the pixels the server's did.
struct Point {
  int x = 0, y = 0;
  bool operator==(const Point&) const = default;
};

struct FillRectOp {
  Rect r;
  Color c = 0;
};
struct LineOp {  // both end points drawn, square pen of `width` pixels
  Point a, b;
  int width = 1;
  Color c = 0;
};
struct PolylineOp {  // consecutive lines sharing end points
  std::vector<Point> pts;
  int width = 1;
  Color c = 0;
};
struct GlyphRunOp {  // glyph i drawn at pen + (left, -top); the pen advances by each advance
  Point origin;      // pen position on the baseline
  std::vector<std::uint32_t> glyphs;
  Color c = 0;
};
struct GlyphDefineOp {  // an alpha mask the viewer keeps by id (see GlyphCacheModel)
  std::uint32_t id = 0;
  int left = 0, top = 0, advance = 0;
  int w = 0, h = 0;
  std::shared_ptr<const Bytes> mask;  // w*h coverage bytes
};
struct PutImageOp {  // pixels through a tile codec (lossless: raw, solid or zstd)
  Rect r;
  TileCodec codec = TileCodec::Raw;
  std::shared_ptr<const Bytes> payload;
};
struct CopyAreaOp {  // the pixels of src land with their top-left corner on dst
  Rect src;
  Point dst;
};
struct SetClipOp {
  Rect r;
};
struct ClearClipOp {};

using Op = std::variant<FillRectOp, LineOp, PolylineOp, GlyphRunOp, GlyphDefineOp, PutImageOp, CopyAreaOp, SetClipOp,
                        ClearClipOp>;
using OpList = std::vector<Op>;

enum class OpCode : std::uint8_t {
  FillRect = 1,
  Line = 2,
  Polyline = 3,
  GlyphRun = 4,
  GlyphDefine = 5,
  PutImage = 6,
  CopyArea = 7,
  SetClip = 8,
  ClearClip = 9,
};

// Limits every decoder enforces: a hostile stream cannot make the viewer allocate or
// draw without bound.
namespace op_limits {
constexpr int kMaxCoord = 1 << 20;       // |x|, |y| after delta decoding
constexpr int kMaxSide = 16384;          // rectangles of fills, clips, copies
constexpr int kMaxImageSide = 4096;      // PutImage (as tile codecs)
constexpr int kMaxGlyphSide = 256;       // glyph masks
constexpr int kMaxLineWidth = 1024;
constexpr std::size_t kMaxPoints = 65536;
constexpr std::size_t kMaxGlyphsPerRun = 65536;
constexpr std::uint32_t kMaxGlyphId = 1u << 24;
}  // namespace op_limits

// The area an op may write (before clipping); empty for ops that write nothing.
Rect op_bounds(const Op& op);

// Raw op stream: ops one after another, coordinates delta-coded against the previous
// op's anchor, colours elided when equal to the previous op's. Throws DecodeError on
// malformed, truncated or out-of-limit input.
Bytes serialize_ops(const OpList& ops);
void serialize_op(Bytes& out, const Op& op, struct OpStreamState& st);
OpList deserialize_ops(ByteView raw);

struct OpStreamState {
  Point anchor;
  Color colour = 0xFF000000u;
};

}  // namespace rd
