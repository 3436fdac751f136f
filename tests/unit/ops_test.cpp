#include <doctest/doctest.h>

#include "codecs/glyph_cache.hpp"
#include "codecs/op_batch.hpp"
#include "codecs/op_raster.hpp"
#include "codecs/tile_codec.hpp"
#include "protocol/ops.hpp"

using namespace rd;

namespace {

std::shared_ptr<const Bytes> bytes_of(std::size_t n, std::uint8_t v) { return std::make_shared<const Bytes>(n, v); }

OpList sample_ops() {
  Surface img(3, 2, rgb(10, 20, 30));
  return {
      ClearClipOp{},
      FillRectOp{{10, 20, 30, 40}, rgb(1, 2, 3)},
      FillRectOp{{-5, 25, 3, 4}, rgb(1, 2, 3)},  // same colour: elided
      LineOp{{0, 0}, {-7, 9}, 3, rgb(9, 9, 9)},
      PolylineOp{{{1, 1}, {5, 1}, {5, 7}, {-2, 7}}, 2, rgb(4, 5, 6)},
      GlyphDefineOp{7, 1, 9, 8, 2, 3, bytes_of(6, 200)},
      GlyphRunOp{{100, 50}, {7, 7, 7}, rgb(250, 0, 0)},
      PutImageOp{{40, 41, 3, 2}, TileCodec::Zstd, std::make_shared<const Bytes>(encode_zstd(img.view(), 1))},
      CopyAreaOp{{0, 10, 64, 32}, {0, 0}},
      SetClipOp{{5, 5, 100, 100}},
  };
}

bool same(const Op& a, const Op& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, FillRectOp>) return x.r == y.r && x.c == y.c;
        else if constexpr (std::is_same_v<T, LineOp>) return x.a == y.a && x.b == y.b && x.width == y.width && x.c == y.c;
        else if constexpr (std::is_same_v<T, PolylineOp>) return x.pts == y.pts && x.width == y.width && x.c == y.c;
        else if constexpr (std::is_same_v<T, GlyphRunOp>) return x.origin == y.origin && x.glyphs == y.glyphs && x.c == y.c;
        else if constexpr (std::is_same_v<T, GlyphDefineOp>)
          return x.id == y.id && x.left == y.left && x.top == y.top && x.advance == y.advance && x.w == y.w && x.h == y.h && *x.mask == *y.mask;
        else if constexpr (std::is_same_v<T, PutImageOp>) return x.r == y.r && x.codec == y.codec && *x.payload == *y.payload;
        else if constexpr (std::is_same_v<T, CopyAreaOp>) return x.src == y.src && x.dst == y.dst;
        else if constexpr (std::is_same_v<T, SetClipOp>) return x.r == y.r;
        else return true;
      },
      a);
}

}  // namespace

TEST_CASE("ops round-trip through the op stream and a compressed batch") {
  OpList ops = sample_ops();
  Bytes raw = serialize_ops(ops);
  OpList back = deserialize_ops(raw);
  REQUIRE(back.size() == ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) CHECK_MESSAGE(same(ops[i], back[i]), "op " << i);
  // The second fill reuses the colour: its opcode has the same-colour bit and no colour bytes.
  Bytes one = serialize_ops({FillRectOp{{0, 0, 1, 1}, rgb(1, 2, 3)}});
  Bytes two = serialize_ops({FillRectOp{{0, 0, 1, 1}, rgb(1, 2, 3)}, FillRectOp{{0, 0, 1, 1}, rgb(1, 2, 3)}});
  CHECK(two.size() - one.size() == 5);  // opcode, dx, dy, w, h

  Bytes batch = encode_ops_batch(raw);
  OpList from_batch = decode_ops_batch(batch);
  REQUIRE(from_batch.size() == ops.size());
  Bytes big_raw;
  for (int i = 0; i < 200; ++i) big_raw.insert(big_raw.end(), raw.begin(), raw.end());
  Bytes big = encode_ops_batch(big_raw);
  CHECK(big[0] == (kOpsZstd | kOpsDict));
  CHECK(big.size() < big_raw.size() / 4);
  CHECK(decode_ops_batch(big).size() == ops.size() * 200);
  Bytes no_dict = encode_ops_batch(big_raw, 3, false);
  CHECK(no_dict[0] == kOpsZstd);
  CHECK(decode_ops_batch(no_dict).size() == ops.size() * 200);
  // The dictionary flag matters: the same frame read without the dictionary fails.
  Bytes wrong = big;
  wrong[0] = kOpsZstd;
  CHECK_THROWS_AS(decode_ops_batch(wrong), DecodeError);
}

TEST_CASE("op stream decoder rejects truncation, unknown codes and out-of-limit values") {
  Bytes raw = serialize_ops(sample_ops());
  // Cutting inside an op must fail; cutting exactly between ops is a shorter valid stream.
  std::size_t failures = 0;
  for (std::size_t n = 1; n < raw.size(); ++n) {
    try {
      deserialize_ops(ByteView(raw.data(), n));
    } catch (const DecodeError&) {
      ++failures;
    }
  }
  CHECK(failures >= raw.size() - 12);
  CHECK_THROWS_AS(deserialize_ops(Bytes{0x7f}), DecodeError);
  CHECK_THROWS_AS(deserialize_ops(Bytes{0x00}), DecodeError);
  CHECK_THROWS_AS(deserialize_ops(serialize_ops({FillRectOp{{0, 0, 20000, 1}, 0}})), DecodeError);
  CHECK_THROWS_AS(deserialize_ops(serialize_ops({FillRectOp{{(1 << 20) + 1, 0, 1, 1}, 0}})), DecodeError);
  CHECK_THROWS_AS(deserialize_ops(serialize_ops({LineOp{{0, 0}, {1, 1}, 5000, 0}})), DecodeError);
  CHECK_THROWS_AS(deserialize_ops(serialize_ops({GlyphDefineOp{1, 0, 0, 0, 300, 1, bytes_of(300, 1)}})), DecodeError);
  CHECK_THROWS_AS(deserialize_ops(serialize_ops({PutImageOp{{0, 0, 5000, 1}, TileCodec::Raw, bytes_of(20000, 0)}})), DecodeError);
  CHECK_THROWS_AS(deserialize_ops(serialize_ops({GlyphRunOp{{0, 0}, {1u << 25}, 0}})), DecodeError);
  // A polyline or glyph run claiming more entries than bytes remain.
  Bytes poly = serialize_ops({PolylineOp{{{0, 0}, {1, 1}}, 1, rgb(1, 1, 1)}});
  poly[6] = 0x7f;  // opcode, colour x3, dx, dy: the point count follows
  CHECK_THROWS_AS(deserialize_ops(poly), DecodeError);
}

TEST_CASE("op batch rejects lying lengths and corrupt frames") {
  Bytes raw = serialize_ops(sample_ops());
  Bytes plain = encode_ops_batch(ByteView(raw.data(), 4));  // too small to compress
  CHECK(plain[0] == 0);
  Bytes lie = plain;
  lie[1] = 0xff;
  CHECK_THROWS_AS(decode_ops_batch(lie), DecodeError);
  Bytes huge{kOpsZstd, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3};
  CHECK_THROWS_AS(decode_ops_batch(huge), DecodeError);
  Bytes big_raw;
  for (int i = 0; i < 50; ++i) big_raw.insert(big_raw.end(), raw.begin(), raw.end());
  Bytes z = encode_ops_batch(big_raw);
  REQUIRE((z[0] & kOpsZstd) != 0);
  Bytes wrong_len = z;
  wrong_len[1] ^= 1;
  CHECK_THROWS_AS(decode_ops_batch(wrong_len), DecodeError);
  CHECK_THROWS_AS(decode_ops_batch(ByteView(z.data(), z.size() / 2)), DecodeError);
  CHECK_THROWS_AS(decode_ops_batch(Bytes{1, 2}), DecodeError);
}

TEST_CASE("op rasterizer: clipping, off-surface coordinates, zero and negative sizes") {
  GlyphStore glyphs(1 << 20);
  OpRasterizer r(glyphs);
  Surface s(32, 32, rgb(0, 0, 0));
  SUBCASE("clip limits every op until cleared") {
    r.apply(s, SetClipOp{{8, 8, 8, 8}});
    r.apply(s, FillRectOp{{0, 0, 32, 32}, rgb(255, 0, 0)});
    CHECK(s.pixel(8, 8) == rgb(255, 0, 0));
    CHECK(s.pixel(15, 15) == rgb(255, 0, 0));
    CHECK(s.pixel(7, 8) == rgb(0, 0, 0));
    CHECK(s.pixel(16, 15) == rgb(0, 0, 0));
    CHECK(r.take_touched().bounds() == Rect{8, 8, 8, 8});
    r.apply(s, ClearClipOp{});
    r.apply(s, FillRectOp{{0, 0, 1, 1}, rgb(0, 255, 0)});
    CHECK(s.pixel(0, 0) == rgb(0, 255, 0));
  }
  SUBCASE("a clip outside the surface draws nothing") {
    r.apply(s, SetClipOp{{100, 100, 10, 10}});
    r.apply(s, FillRectOp{{0, 0, 32, 32}, rgb(255, 0, 0)});
    CHECK(s == Surface(32, 32, rgb(0, 0, 0)));
  }
  SUBCASE("off-surface coordinates are clipped, never written") {
    r.apply(s, FillRectOp{{-100, -100, 50, 50}, rgb(1, 1, 1)});
    r.apply(s, FillRectOp{{30, 30, 100, 100}, rgb(2, 2, 2)});
    CHECK(s.pixel(31, 31) == rgb(2, 2, 2));
    CHECK(s.pixel(29, 29) == rgb(0, 0, 0));
    r.apply(s, LineOp{{-1000, -1000}, {1000, 1000}, 1, rgb(3, 3, 3)});
    for (int i = 0; i < 30; ++i) CHECK(s.pixel(i, i) == rgb(3, 3, 3));
    // A source partly off the surface copies only its on-surface part: (0,0)..(9,9)
    // lands at (30,30)..(39,39), of which (30,30)..(31,31) is on the surface.
    r.apply(s, FillRectOp{{0, 0, 1, 1}, rgb(7, 7, 7)});
    r.apply(s, CopyAreaOp{{-10, -10, 20, 20}, {20, 20}});
    CHECK(s.pixel(30, 30) == rgb(7, 7, 7));
    CHECK(s.pixel(31, 31) == rgb(3, 3, 3));
  }
  SUBCASE("zero and negative sizes draw nothing") {
    Surface before = s;
    r.apply(s, FillRectOp{{5, 5, 0, 10}, rgb(9, 9, 9)});
    r.apply(s, FillRectOp{{5, 5, -3, -3}, rgb(9, 9, 9)});
    r.apply(s, CopyAreaOp{{0, 0, 0, 0}, {5, 5}});
    r.apply(s, PutImageOp{{0, 0, 0, 0}, TileCodec::Raw, std::make_shared<const Bytes>()});
    CHECK(s == before);
  }
  SUBCASE("absurd sizes are rejected") {
    CHECK_THROWS_AS(r.apply(s, FillRectOp{{0, 0, 1 << 20, 5}, 0}), DecodeError);
    CHECK_THROWS_AS(r.apply(s, LineOp{{0, 0}, {5, 5}, 100000, 0}), DecodeError);
    CHECK_THROWS_AS(r.apply(s, LineOp{{0, 0}, {1 << 24, 5}, 1, 0}), DecodeError);
    CHECK_THROWS_AS(r.apply(s, PutImageOp{{0, 0, 8000, 8000}, TileCodec::Raw, bytes_of(4, 0)}), DecodeError);
    CHECK_THROWS_AS(r.apply(s, PutImageOp{{0, 0, 4, 4}, TileCodec::Raw, bytes_of(3, 0)}), DecodeError);
    CHECK_THROWS_AS(r.apply(s, GlyphDefineOp{1, 0, 0, 0, 999, 1, bytes_of(999, 0)}), DecodeError);
  }
  SUBCASE("a glyph must be defined before use, and draws at pen + (left, -top)") {
    CHECK_THROWS_AS(r.apply(s, GlyphRunOp{{4, 10}, {3}, rgb(255, 255, 255)}), DecodeError);
    r.apply(s, GlyphDefineOp{3, 1, 2, 5, 2, 1, bytes_of(2, 255)});
    r.apply(s, GlyphRunOp{{4, 10}, {3, 3}, rgb(255, 255, 255)});
    CHECK(s.pixel(5, 8) == rgb(255, 255, 255));
    CHECK(s.pixel(6, 8) == rgb(255, 255, 255));
    CHECK(s.pixel(10, 8) == rgb(255, 255, 255));  // second glyph: pen advanced by 5
    CHECK(s.pixel(7, 8) == rgb(0, 0, 0));
  }
}

TEST_CASE("copy area by op equals the raster primitive, overlapping both ways") {
  GlyphStore glyphs(1 << 20);
  OpRasterizer r(glyphs);
  Surface a(40, 40), b(40, 40);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) a.row32(y)[x] = b.row32(y)[x] = rgb(static_cast<std::uint8_t>(x * 6), static_cast<std::uint8_t>(y * 6), 7);
  r.apply(a, CopyAreaOp{{0, 5, 40, 30}, {0, 0}});
  copy_area(b, {0, 5, 40, 30}, 0, 0, b.bounds());
  CHECK(a == b);
  r.apply(a, CopyAreaOp{{3, 0, 30, 30}, {7, 9}});
  copy_area(b, {3, 0, 30, 30}, 7, 9, b.bounds());
  CHECK(a == b);
}

TEST_CASE("glyph cache model: LRU under a byte budget, identical on both ends") {
  GlyphCacheModel m(3 * GlyphCacheModel::cost(10, 10));
  CHECK(m.insert(1, GlyphCacheModel::cost(10, 10)).empty());
  CHECK(m.insert(2, GlyphCacheModel::cost(10, 10)).empty());
  CHECK(m.insert(3, GlyphCacheModel::cost(10, 10)).empty());
  CHECK(m.touch(1));
  auto ev = m.insert(4, GlyphCacheModel::cost(10, 10));
  CHECK(ev == std::vector<std::uint32_t>{2});
  CHECK(m.contains(1));
  CHECK_FALSE(m.contains(2));
  CHECK_FALSE(m.touch(2));
  CHECK(glyph_cache_bytes(0) == (1u << 20));
  CHECK(glyph_cache_bytes(1u << 30) == (64u << 20));
}
