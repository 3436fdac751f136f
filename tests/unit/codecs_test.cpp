#include <doctest/doctest.h>
#include <xxhash.h>
#include <zstd.h>

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
  for (auto size : {std::pair{64, 64}, {1, 1}, {37, 5}, {1024, 64}}) {
    const int w = size.first, h = size.second;  // clang 14 cannot capture structured bindings
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

TEST_CASE("palette codec: exact for 1 to 256 colours at every index width, nothing past 256") {
  for (int colors : {1, 2, 3, 4, 5, 16, 17, 200, 256}) {
    for (auto size : {std::pair{64, 64}, {1, 1}, {37, 5}, {13, 64}, {1024, 64}}) {
      const int w = size.first, h = size.second;
      CAPTURE(colors);
      CAPTURE(w);
      CAPTURE(h);
      Surface src(w, h);
      std::uint32_t st = static_cast<std::uint32_t>(colors * 7919 + w);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          st = st * 1664525u + 1013904223u;
          int i = (y * w + x) < colors ? (y * w + x) : static_cast<int>((st >> 16) % static_cast<unsigned>(colors));
          src.row32(y)[x] = rgb(static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(255 - i), static_cast<std::uint8_t>(i * 3));
        }
      auto p = encode_palette(src.view(), 1);
      REQUIRE(p.has_value());
      CHECK((*p)[0] + 1 == std::min(colors, w * h));
      CHECK(decode_into(TileCodec::Palette, *p, w, h) == src);
    }
  }
  Surface photo = photo_like(64, 64);
  CHECK_FALSE(encode_palette(photo.view(), 1).has_value());
  CHECK_THROWS_AS(encode_tile(TileCodec::Palette, photo.view(), EncodeParams{}), std::invalid_argument);
  // Text-like content: far fewer bytes than zstd of BGR.
  Surface ui = ui_like(64, 64);
  CHECK(encode_palette(ui.view(), 1)->size() < encode_zstd(ui.view(), 1).size());
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

TEST_CASE("jpeg-abbrev: libjpeg writes Annex K's tables at every quality, and without them the image decodes to the same pixels") {
  Surface src = photo_like(136, 72, 5);  // not a multiple of the 16-pixel MCU
  for (Subsampling sub : {Subsampling::S420, Subsampling::S444})
    for (int q = 1; q <= 100; ++q) {
      CAPTURE(q);
      const Bytes full = encode_jpeg(src.view(), q, sub);
      auto a = abbreviate_jpeg(full, q);
      REQUIRE(a.has_value());
      // What goes: the JFIF APP0 (18 bytes) and the tables; what comes: one quality byte.
      CHECK(a->size() == full.size() - 18 - jpeg_standard_tables(q).size() + 1);
      CHECK(jpeg_standard_tables(q).size() > 500);
      CHECK(decode_into(TileCodec::JpegAbbrev, *a, 136, 72) == decode_into(TileCodec::Jpeg, full, 136, 72));
    }
  const Bytes q80 = encode_jpeg(src.view(), 80, Subsampling::S420);
  CHECK_FALSE(abbreviate_jpeg(q80, 81).has_value());  // those are not q81's tables
  CHECK_FALSE(abbreviate_jpeg(Bytes{0xFF, 0xD8, 0xFF, 0xD9}, 80).has_value());
  CHECK(encode_tile(TileCodec::JpegAbbrev, src.view(), EncodeParams{80, Subsampling::S420, 1}) == *abbreviate_jpeg(q80, 80));
}

TEST_CASE("jpeg-arith: the same quantisation as jpeg-abbrev, arithmetic-coded in fewer bytes") {
  Surface src = photo_like(136, 72, 5);  // not a multiple of the 16-pixel MCU
  for (Subsampling sub : {Subsampling::S420, Subsampling::S444})
    for (int q : {1, 30, 50, 80, 92, 100}) {
      CAPTURE(q);
      const Bytes huffman = encode_jpeg_abbrev(src.view(), q, sub);
      const Bytes arith = encode_jpeg_arith(src.view(), q, sub);
      CHECK(arith[0] == q);
      CHECK(arith.size() < huffman.size());
      // The frame header is SOF9 (arithmetic, sequential), and no DQT, DHT or APP0 goes.
      const auto has_marker = [&](std::uint8_t m) {
        for (std::size_t i = 1; i + 1 < arith.size(); ++i)
          if (arith[i] == 0xFF && arith[i + 1] == m) return true;
        return false;
      };
      CHECK(has_marker(0xC9));
      CHECK_FALSE(has_marker(0xC0));
      CHECK_FALSE(has_marker(0xDB));
      CHECK_FALSE(has_marker(0xC4));
      CHECK_FALSE(has_marker(0xE0));
      // The same DCT and quantisation, only the entropy coding differs: decoded, the very
      // pixels of the Huffman-coded JPEG.
      const Surface a = decode_into(TileCodec::JpegArith, arith, 136, 72);
      CHECK(a == decode_into(TileCodec::JpegAbbrev, huffman, 136, 72));
      CHECK(psnr(src, a) > (q >= 80 ? 30.0 : 15.0));
    }
  CHECK(encode_tile(TileCodec::JpegArith, src.view(), EncodeParams{80, Subsampling::S420, 1}) ==
        encode_jpeg_arith(src.view(), 80, Subsampling::S420));
  CHECK_THROWS_AS(encode_jpeg_arith(src.view(), 0, Subsampling::S420), std::invalid_argument);
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
  SUBCASE("jpeg-arith: truncated, a quality out of range, wrong size") {
    Bytes a = encode_jpeg_arith(src.view(), 80, Subsampling::S420);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, a.size() / 2, a.size() - 2})
      CHECK_THROWS_AS(decode_jpeg_arith(trunc(a, n), dst), DecodeError);
    for (std::uint8_t q : {0, 101}) {
      Bytes bad = a;
      bad[0] = q;
      CHECK_THROWS_AS(decode_jpeg_arith(bad, dst), DecodeError);
    }
    Surface small(64, 32);
    CHECK_THROWS_AS(decode_jpeg_arith(a, small.mutable_view(small.bounds())), DecodeError);
  }
  SUBCASE("jpeg-abbrev: truncated, a quality out of range, no start of image, wrong size") {
    Bytes a = *abbreviate_jpeg(j, 80);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, a.size() / 2, a.size() - 2})
      CHECK_THROWS_AS(decode_jpeg_abbrev(trunc(a, n), dst), DecodeError);
    for (std::uint8_t q : {0, 101, 255}) {
      Bytes bad = a;
      bad[0] = q;
      CHECK_THROWS_AS(decode_jpeg_abbrev(bad, dst), DecodeError);
    }
    Bytes no_soi = a;
    no_soi[2] = 0xD9;
    CHECK_THROWS_AS(decode_jpeg_abbrev(no_soi, dst), DecodeError);
    Surface small(64, 32);
    CHECK_THROWS_AS(decode_jpeg_abbrev(a, small.mutable_view(small.bounds())), DecodeError);
    // Decoded with another quality's tables, the image decodes but to other pixels.
    Bytes other = a;
    other[0] = 30;
    decode_jpeg_abbrev(other, dst);
    Surface right(64, 64);
    decode_jpeg_abbrev(a, right.mutable_view(right.bounds()));
    CHECK_FALSE(out == right);
  }
  SUBCASE("palette: truncated, short palette, wrong size, index past the palette") {
    Surface ui = ui_like(64, 64);
    Bytes pal = *encode_palette(ui.view(), 1);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, pal.size() / 2, pal.size() - 1})
      CHECK_THROWS_AS(decode_palette(trunc(pal, n), dst), DecodeError);
    Surface small(32, 64);
    CHECK_THROWS_AS(decode_palette(pal, small.mutable_view(small.bounds())), DecodeError);
    // Three colours (2-bit indexes) with an index 3 in the data.
    Surface three(4, 1);
    three.row32(0)[0] = rgb(1, 1, 1);
    three.row32(0)[1] = rgb(2, 2, 2);
    three.row32(0)[2] = rgb(3, 3, 3);
    three.row32(0)[3] = rgb(3, 3, 3);
    Bytes good = *encode_palette(three.view(), 1);
    Bytes bad(good.begin(), good.begin() + 10);  // count byte and 3 BGR triples
    Bytes idx{0xFF};                             // four 2-bit indexes of 3
    Bytes z(64);
    z.resize(ZSTD_compress(z.data(), z.size(), idx.data(), idx.size(), 1));
    bad.insert(bad.end(), z.begin(), z.end());
    Surface four(4, 1);
    CHECK_THROWS_AS(decode_palette(bad, four.mutable_view(four.bounds())), DecodeError);
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
  CHECK(choose_codec(ui.view(), lossy) == TileCodec::Palette);
  CHECK(choose_codec(ui.view(), lossless) == TileCodec::Palette);
  CodecPolicy no_palette{kAllCodecs & ~codec_bit(TileCodec::Palette), false, std::nullopt};
  CHECK(choose_codec(ui.view(), no_palette) == TileCodec::Zstd);
  CodecPolicy raw_only{codec_bit(TileCodec::Raw), false, std::nullopt};
  CHECK(choose_codec(flat.view(), raw_only) == TileCodec::Raw);
  CodecPolicy forced{kAllCodecs, false, TileCodec::Raw};
  CHECK(choose_codec(ui.view(), forced) == TileCodec::Raw);
  CHECK(choose_codec(flat.view(), forced) == TileCodec::Solid);
  CHECK(count_colors(flat.view(), 10) == 1);
  CHECK(count_colors(photo.view(), 10) == 11);
}

TEST_CASE("codec choice by measured cost: palette, zstd or JPEG, whichever is smaller, remembered per position, never lossy for a refresh") {
  // A noisy gradient of under 256 colours, like a frame of video: lossless coding pays
  // for the noise, JPEG does not.
  Surface smooth(64, 64);
  std::uint32_t seed = 7;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      seed = seed * 1103515245u + 12345u;
      auto v = static_cast<std::uint8_t>(x * 2 + y + ((seed >> 16) & 7));
      smooth.row32(y)[x] = rgb(v, static_cast<std::uint8_t>(v / 2), 40);
    }
  REQUIRE(count_colors(smooth.view(), kPhotoColors) <= kPhotoColors);
  REQUIRE(count_colors(smooth.view(), kPhotoColors) > 16);
  // Antialiased text on a plain background: few colours, the palette wins.
  Surface ui = ui_like(64, 64);
  const EncodeParams params{};
  auto smallest_lossless = [&](const Surface& s) {
    return std::min(encode_palette(s.view(), 1)->size(), encode_zstd(s.view(), 1).size());
  };

  CodecPolicy lossless{kAllCodecs, false, std::nullopt};
  REQUIRE(choose_codec(smooth.view(), lossless) == TileCodec::Palette);
  auto e = encode_chosen(TileCodec::Palette, smooth.view(), 0, 0, lossless, params);
  REQUIRE(e);
  CHECK(e->payload.size() == smallest_lossless(smooth));
  CHECK(e->codec == (encode_zstd(smooth.view(), 1).size() < encode_palette(smooth.view(), 1)->size() ? TileCodec::Zstd : TileCodec::Palette));
  auto u = encode_chosen(TileCodec::Palette, ui.view(), 0, 0, lossless, params);
  CHECK(u->codec == TileCodec::Palette);
  // Whatever wins decodes to the same pixels.
  Surface back(64, 64);
  decode_tile(e->codec, e->payload, back.mutable_view(back.bounds()));
  CHECK(back.hash() == smooth.hash());

  // A lossy viewer gets JPEG where it saves a fifth of the bytes, never on the text.
  CodecPolicy lossy{kAllCodecs, true, std::nullopt};
  auto j = encode_chosen(TileCodec::Palette, smooth.view(), 0, 0, lossy, params);
  CHECK(j->codec == TileCodec::JpegArith);  // the viewer decodes arithmetic-coded JPEG without tables
  CHECK(j->payload.size() * 5 < smallest_lossless(smooth) * 4);
  CHECK(encode_chosen(TileCodec::Palette, ui.view(), 0, 0, lossy, params)->codec == TileCodec::Palette);
  // JPEG wins a tile of few colours only when the bytes it saves are worth more than the
  // error it leaves, at 0.054 bytes per unit of squared error from q92 up: gradients
  // with more and more noise go from exact to JPEG, and both happen.
  {
    const EncodeParams q92{92, Subsampling::S444, 1};
    int exact = 0, jpeg = 0;
    for (int noise = 0; noise < 8; ++noise) {
      Surface t(64, 64);
      std::uint32_t st = 99;
      for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) {
          st = st * 1103515245u + 12345u;
          auto v = static_cast<std::uint8_t>(x + y + (noise ? static_cast<int>((st >> 16) % static_cast<unsigned>(noise * 4 + 1)) : 0));
          t.row32(y)[x] = rgb(v, static_cast<std::uint8_t>(v / 2), static_cast<std::uint8_t>(v / 3));
        }
      if (count_colors(t.view(), kPhotoColors) > kPhotoColors) continue;
      auto c = encode_chosen(TileCodec::Palette, t.view(), 0, 0, lossy, q92);
      Bytes jb = encode_jpeg_arith(t.view(), 92, Subsampling::S444);
      const double mse = 255.0 * 255.0 / std::pow(10.0, psnr(t, decode_into(TileCodec::JpegArith, jb, 64, 64)) / 10.0);
      const double saved = static_cast<double>(smallest_lossless(t)) - static_cast<double>(jb.size());
      CAPTURE(noise);
      CHECK((c->codec == TileCodec::JpegArith) == (saved > 0.054 * mse * 64 * 64 * 3));
      (c->codec == TileCodec::JpegArith ? jpeg : exact)++;
    }
    CHECK(exact > 0);
    CHECK(jpeg > 0);
  }

  // A forced palette stays a palette; more than 256 colours do not fit one.
  CodecPolicy forced{kAllCodecs, false, TileCodec::Palette};
  CHECK(encode_chosen(TileCodec::Palette, smooth.view(), 0, 0, forced, params)->codec == TileCodec::Palette);
  CHECK_FALSE(encode_chosen(TileCodec::Palette, photo_like(64, 64).view(), 0, 0, lossless, params));

  // With a memory the winner at a position is reused, and measured again later.
  CodecPolicy remembering{kAllCodecs, true, std::nullopt};
  remembering.memory = std::make_shared<CostMemory>();
  CHECK_FALSE(remembering.memory->winner(128, 64));
  CHECK(encode_chosen(TileCodec::Palette, smooth.view(), 128, 64, remembering, params)->codec == TileCodec::JpegArith);
  CHECK(remembering.memory->winner(128, 64) == TileCodec::Jpeg);
  CHECK(remembering.memory->winner(130, 70) == TileCodec::Jpeg);  // the same tile
  // The text tile now at that place still goes as JPEG until the next measurement...
  int uses = 1;
  while (remembering.memory->winner(128, 64)) {
    CHECK(encode_chosen(TileCodec::Palette, ui.view(), 128, 64, remembering, params)->codec == TileCodec::JpegArith);
    ++uses;
  }
  CHECK(uses == CostMemory::kRemeasureEvery);
  // ...which finds the palette better and remembers that instead.
  CHECK(encode_chosen(TileCodec::Palette, ui.view(), 128, 64, remembering, params)->codec == TileCodec::Palette);
  CHECK(remembering.memory->winner(128, 64) == TileCodec::Palette);

  // The same viewer's lossless refresh of a place where JPEG won is never JPEG (it would
  // leave the tile lossy and be refreshed again and again).
  CHECK(encode_chosen(TileCodec::Palette, smooth.view(), 256, 64, remembering, params)->codec == TileCodec::JpegArith);
  CodecPolicy refresh = remembering;
  refresh.lossy = false;
  auto r = encode_chosen(TileCodec::Palette, smooth.view(), 256, 64, refresh, params);
  REQUIRE(r);
  CHECK_FALSE(is_lossy_codec(r->codec));
  CHECK(r->payload.size() == smallest_lossless(smooth));

  // A viewer that does not decode jpeg-arith gets Huffman coding without the tables, one
  // that does not decode jpeg-abbrev either the whole JFIF stream.
  CodecPolicy huffman{kAllCodecs & ~codec_bit(TileCodec::JpegArith), true, std::nullopt};
  auto abbrev = encode_chosen(TileCodec::Jpeg, photo_like(64, 64).view(), 0, 0, huffman, params);
  CHECK(abbrev->codec == TileCodec::JpegAbbrev);
  CHECK(abbrev->payload.size() > encode_chosen(TileCodec::Jpeg, photo_like(64, 64).view(), 0, 0, lossy, params)->payload.size());
  CodecPolicy plain_jpeg{kAllCodecs & ~codec_bit(TileCodec::JpegAbbrev) & ~codec_bit(TileCodec::JpegArith), true, std::nullopt};
  auto full = encode_chosen(TileCodec::Palette, smooth.view(), 0, 0, plain_jpeg, params);
  CHECK(full->codec == TileCodec::Jpeg);
  CHECK(full->payload.size() > j->payload.size() + 500);
  CHECK(encode_chosen(TileCodec::Jpeg, photo_like(64, 64).view(), 0, 0, plain_jpeg, params)->codec == TileCodec::Jpeg);
  CHECK(encode_chosen(TileCodec::Jpeg, photo_like(64, 64).view(), 0, 0, lossy, params)->codec == TileCodec::JpegArith);
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
