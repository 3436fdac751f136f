#include <doctest/doctest.h>
#include <xxhash.h>

#include <cmath>

#include "codecs/metrics.hpp"
#include "codecs/raster.hpp"
#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "codecs/tile_classifier.hpp"
#include "codecs/tile_codec.hpp"
#include "codecs/tile_grid.hpp"

using namespace rd;

namespace {

// Deterministic test images: a smooth photo-like gradient with noise, flat UI-like
// content with text-ish strokes, and a single colour.
Surface photo_like(int w, int h, std::uint32_t seed = 1) {
  Surface s(w, h);
  std::uint32_t st = seed * 2654435761u + 1;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      st = st * 1664525u + 1013904223u;
      int n = static_cast<int>(st >> 28) - 8;
      int r = std::clamp(128 + static_cast<int>(100 * std::sin(x * 0.05)) + n, 0, 255);
      int g = std::clamp(x * 255 / std::max(1, w - 1) + n, 0, 255);
      int b = std::clamp(y * 255 / std::max(1, h - 1) + n, 0, 255);
      s.row32(y)[x] = rgb(static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g), static_cast<std::uint8_t>(b));
    }
  return s;
}

Surface ui_like(int w, int h) {
  Surface s(w, h, rgb(236, 236, 240));
  fill_rect(s, {4, 4, w / 2, 10}, rgb(45, 90, 160), s.bounds());
  for (int i = 0; i < 8; ++i) draw_line(s, 2, 20 + i * 5, w - 3, 20 + i * 5 + (i % 3), 1, rgb(20, 20, 30), s.bounds());
  return s;
}

Surface decode_into(TileCodec c, const Bytes& payload, int w, int h) {
  Surface out(w, h, 0xFF123456u);
  decode_tile(c, payload, out.mutable_view(out.bounds()));
  return out;
}

}  // namespace

TEST_CASE("surface hash is XXH3-64 of the packed BGRA rows") {
  Surface s(3, 2, rgb(1, 2, 3));
  std::uint8_t expected[24];
  for (int i = 0; i < 6; ++i) {
    expected[i * 4 + 0] = 3;
    expected[i * 4 + 1] = 2;
    expected[i * 4 + 2] = 1;
    expected[i * 4 + 3] = 0xFF;
  }
  CHECK(s.hash() == XXH3_64bits(expected, sizeof expected));
  CHECK(s.hash_hex().size() == 16);
  CHECK(hash_to_hex(0xabc) == "0000000000000abc");
}

TEST_CASE("region keeps rectangles disjoint") {
  Region r;
  r.add({0, 0, 10, 10});
  r.add({5, 5, 10, 10});
  CHECK(r.area() == 100 + 100 - 25);
  CHECK(r.bounds() == Rect{0, 0, 15, 15});
  CHECK(r.contains(12, 12));
  CHECK_FALSE(r.contains(12, 2));
  r.subtract({0, 0, 15, 5});
  CHECK(r.area() == 175 - 50);
  Region i = r.intersected({0, 0, 6, 6});
  CHECK(i.area() == 6);  // only row y=5, x 0..5, is left inside
  r.add({100, 100, 0, 5});  // empty: ignored
  CHECK(r.bounds() == Rect{0, 5, 15, 10});
  Region many;
  for (int k = 0; k < 400; ++k) many.add({k * 3, 0, 1, 1});
  CHECK(many.rects().size() <= Region::kMaxRects);
  CHECK(many.contains(0, 0));
  CHECK(many.contains(399 * 3, 0));
}

TEST_CASE("tile grid reports only tiles whose pixels changed") {
  Surface s(200, 130, rgb(10, 10, 10));  // 4 x 3 tiles, edge tiles smaller
  TileGrid g(s);
  CHECK(g.cols() == 4);
  CHECK(g.rows() == 3);
  CHECK(g.tile_rect(3) == Rect{192, 0, 8, 64});
  CHECK(g.tile_rect(11) == Rect{192, 128, 8, 2});
  // Damage that redraws identical pixels changes nothing.
  fill_rect(s, {0, 0, 200, 130}, rgb(10, 10, 10), s.bounds());
  CHECK(g.update(s, Region(s.bounds())).empty());
  // One pixel in tile (1, 1) and one in the last tile.
  s.row32(70)[70] = rgb(255, 0, 0);
  s.row32(129)[199] = rgb(0, 255, 0);
  auto changed = g.update(s, Region(s.bounds()));
  CHECK(changed == std::vector<int>{5, 11});
  // Damage that does not cover a change does not report it (the source is trusted).
  s.row32(0)[0] = rgb(1, 2, 3);
  CHECK(g.update(s, Region(Rect{100, 100, 10, 10})).empty());
  CHECK(g.tiles_in({60, 60, 10, 10}) == std::vector<int>{0, 1, 4, 5});
}

TEST_CASE("lossless codecs round-trip exactly") {
  for (auto [w, h] : {std::pair{64, 64}, {1, 1}, {37, 5}, {1024, 64}}) {
    CAPTURE(w);
    CAPTURE(h);
    Surface src = photo_like(w, h);
    for (TileCodec c : {TileCodec::Raw, TileCodec::Zstd}) {
      CAPTURE(tile_codec_name(c));
      Bytes p = encode_tile(c, src.view(), EncodeParams{});
      CHECK(decode_into(c, p, w, h) == src);
    }
    Surface flat(w, h, rgb(9, 8, 7));
    Bytes sp = encode_tile(TileCodec::Solid, flat.view(), EncodeParams{});
    CHECK(sp.size() == 4);
    CHECK(decode_into(TileCodec::Solid, sp, w, h) == flat);
  }
}

TEST_CASE("codecs encode from a sub-rectangle with the surface's stride") {
  Surface big = photo_like(300, 200, 7);
  Rect r{33, 17, 100, 64};
  Surface expect(r.w, r.h);
  for (int y = 0; y < r.h; ++y)
    for (int x = 0; x < r.w; ++x) expect.row32(y)[x] = big.pixel(r.x + x, r.y + y);
  Bytes p = encode_zstd(big.view(r), 3);
  CHECK(decode_into(TileCodec::Zstd, p, r.w, r.h) == expect);
  Surface target(300, 200);
  decode_zstd(p, target.mutable_view(r));
  for (int y = 0; y < r.h; ++y)
    for (int x = 0; x < r.w; ++x) REQUIRE(target.pixel(r.x + x, r.y + y) == expect.pixel(x, y));
  CHECK(target.pixel(0, 0) == 0xFF000000u);  // outside the rectangle untouched
}

TEST_CASE("JPEG keeps photo-like content above 35 dB and honours quality and subsampling") {
  Surface src = photo_like(256, 128, 3);
  Bytes q90_444 = encode_jpeg(src.view(), 90, Subsampling::S444);
  Bytes q90_420 = encode_jpeg(src.view(), 90, Subsampling::S420);
  Bytes q30_420 = encode_jpeg(src.view(), 30, Subsampling::S420);
  CHECK(q30_420.size() < q90_420.size());
  CHECK(q90_420.size() < q90_444.size());
  Surface d = decode_into(TileCodec::Jpeg, q90_444, 256, 128);
  CHECK(psnr(src, d) >= 35.0);
  Surface d2 = decode_into(TileCodec::Jpeg, q90_420, 256, 128);
  CHECK(psnr(src, d2) >= 30.0);
  CHECK(psnr(src, d) > psnr(src, decode_into(TileCodec::Jpeg, q30_420, 256, 128)));
}

TEST_CASE("decoders reject malformed payloads with DecodeError") {
  Surface src = photo_like(64, 64);
  Bytes raw = encode_raw(src.view());
  Bytes z = encode_zstd(src.view(), 1);
  Bytes j = encode_jpeg(src.view(), 80, Subsampling::S420);
  Surface out(64, 64);
  auto dst = out.mutable_view(out.bounds());
  auto trunc = [](const Bytes& b, std::size_t n) { return ByteView(b.data(), n); };

  SUBCASE("raw: wrong length") {
    CHECK_THROWS_AS(decode_raw(trunc(raw, raw.size() - 1), dst), DecodeError);
    Bytes longer = raw;
    longer.push_back(0);
    CHECK_THROWS_AS(decode_raw(longer, dst), DecodeError);
  }
  SUBCASE("solid: wrong length") {
    CHECK_THROWS_AS(decode_solid(Bytes{1, 2, 3}, dst), DecodeError);
    CHECK_THROWS_AS(decode_solid(Bytes{1, 2, 3, 4, 5}, dst), DecodeError);
  }
  SUBCASE("zstd: truncated, garbage, wrong size, corrupted") {
    for (std::size_t n : {std::size_t{0}, std::size_t{3}, z.size() / 2, z.size() - 1})
      CHECK_THROWS_AS(decode_zstd(trunc(z, n), dst), DecodeError);
    CHECK_THROWS_AS(decode_zstd(Bytes(100, 0x55), dst), DecodeError);
    Surface small(32, 64);
    CHECK_THROWS_AS(decode_zstd(z, small.mutable_view(small.bounds())), DecodeError);
    // Flipped bits in the compressed data either fail to decode or decode to other
    // pixels of the right size (frames carry no checksum; TCP already has one):
    // what matters is that nothing is written outside the rectangle.
    for (std::size_t i = 6; i < z.size(); i += 7) {
      Bytes corrupt = z;
      corrupt[i] ^= 0xA5;
      Surface guarded(66, 66, rgb(1, 2, 3));
      MutablePixelView inner = guarded.mutable_view({1, 1, 64, 64});
      try {
        decode_zstd(corrupt, inner);
      } catch (const DecodeError&) {
      }
      for (int k = 0; k < 66; ++k) {
        REQUIRE(guarded.pixel(k, 0) == rgb(1, 2, 3));
        REQUIRE(guarded.pixel(k, 65) == rgb(1, 2, 3));
        REQUIRE(guarded.pixel(0, k) == rgb(1, 2, 3));
        REQUIRE(guarded.pixel(65, k) == rgb(1, 2, 3));
      }
    }
  }
  SUBCASE("jpeg: truncated, garbage, wrong size") {
    for (std::size_t n : {std::size_t{0}, std::size_t{2}, j.size() / 2, j.size() - 2})
      CHECK_THROWS_AS(decode_jpeg(trunc(j, n), dst), DecodeError);
    CHECK_THROWS_AS(decode_jpeg(Bytes(300, 0xFF), dst), DecodeError);
    Surface small(64, 32);
    CHECK_THROWS_AS(decode_jpeg(j, small.mutable_view(small.bounds())), DecodeError);
  }
  SUBCASE("dispatch: rectangles out of range") {
    MutablePixelView huge{out.data(), out.stride(), kMaxTileSide + 1, 1};
    CHECK_THROWS_AS(decode_tile(TileCodec::Solid, Bytes{1, 2, 3, 4}, huge), DecodeError);
  }
}

TEST_CASE("codec choice: solid, photo-like to JPEG only when lossy, forced codec") {
  Surface flat(64, 64, rgb(1, 2, 3));
  Surface photo = photo_like(64, 64);
  Surface ui = ui_like(64, 64);
  CodecPolicy lossless{kAllCodecs, false, std::nullopt};
  CodecPolicy lossy{kAllCodecs, true, std::nullopt};
  CHECK(choose_codec(flat.view(), lossless) == TileCodec::Solid);
  CHECK(choose_codec(photo.view(), lossless) == TileCodec::Zstd);
  CHECK(choose_codec(photo.view(), lossy) == TileCodec::Jpeg);
  CHECK(choose_codec(ui.view(), lossy) == TileCodec::Zstd);
  CodecPolicy raw_only{codec_bit(TileCodec::Raw), false, std::nullopt};
  CHECK(choose_codec(flat.view(), raw_only) == TileCodec::Raw);
  CodecPolicy forced{kAllCodecs, false, TileCodec::Raw};
  CHECK(choose_codec(ui.view(), forced) == TileCodec::Raw);
  CHECK(choose_codec(flat.view(), forced) == TileCodec::Solid);
  CHECK(count_colors(flat.view(), 10) == 1);
  CHECK(count_colors(photo.view(), 10) == 11);
}

TEST_CASE("rasterizer: fills, lines, masks and copies are exact and clipped") {
  Surface s(20, 10, rgb(0, 0, 0));
  fill_rect(s, {-5, -5, 10, 10}, rgb(255, 0, 0), s.bounds());
  CHECK(s.pixel(4, 4) == rgb(255, 0, 0));
  CHECK(s.pixel(5, 5) == rgb(0, 0, 0));
  fill_rect(s, {0, 0, 20, 10}, rgb(0, 255, 0), {10, 0, 5, 5});
  CHECK(s.pixel(9, 0) == rgb(0, 0, 0));
  CHECK(s.pixel(10, 0) == rgb(0, 255, 0));
  CHECK(s.pixel(15, 0) == rgb(0, 0, 0));

  Surface l(10, 10);
  draw_line(l, 0, 0, 9, 9, 1, rgb(1, 1, 1), l.bounds());
  for (int i = 0; i < 10; ++i) CHECK(l.pixel(i, i) == rgb(1, 1, 1));
  CHECK(l.pixel(1, 0) == 0xFF000000u);
  Surface wide(10, 10);
  draw_line(wide, 2, 5, 7, 5, 3, rgb(9, 9, 9), wide.bounds());
  CHECK(wide.pixel(2, 4) == rgb(9, 9, 9));
  CHECK(wide.pixel(7, 6) == rgb(9, 9, 9));
  CHECK(wide.pixel(4, 7) == 0xFF000000u);

  Surface m(4, 1, rgb(0, 0, 0));
  AlphaMask mask{4, 1, {0, 128, 255, 64}};
  blend_mask(m, 0, 0, mask, rgb(255, 255, 255), m.bounds());
  CHECK(m.pixel(0, 0) == rgb(0, 0, 0));
  CHECK(m.pixel(1, 0) == rgb(128, 128, 128));
  CHECK(m.pixel(2, 0) == rgb(255, 255, 255));
  CHECK(m.pixel(3, 0) == rgb(64, 64, 64));

  // Scrolling up and down by copy area equals the same move done through a copy.
  Surface src = photo_like(50, 40, 5);
  for (int dy : {-7, 7}) {
    Surface moved = src;
    copy_area(moved, {0, 10, 50, 20}, 3, 10 + dy, moved.bounds());
    for (int y = 0; y < 20; ++y)
      for (int x = 0; x < 47; ++x) REQUIRE(moved.pixel(x + 3, 10 + dy + y) == src.pixel(x, 10 + y));
  }
}
