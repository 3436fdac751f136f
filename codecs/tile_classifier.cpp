#include "codecs/tile_classifier.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "codecs/metrics.hpp"
#include "codecs/surface.hpp"

namespace rd {

std::optional<std::uint32_t> solid_color(const PixelView& v) {
  if (v.w <= 0 || v.h <= 0) return std::nullopt;
  const std::uint32_t c = v.row32(0)[0];
  for (int y = 0; y < v.h; ++y) {
    const std::uint32_t* r = v.row32(y);
    for (int x = 0; x < v.w; ++x)
      if (r[x] != c) return std::nullopt;
  }
  return c;
}

int count_colors(const PixelView& v, int limit) {
  // Small open-addressing set; tiles are small and the limit is low.
  constexpr int kSlots = 1024;
  std::array<std::uint32_t, kSlots> slot{};
  std::array<bool, kSlots> used{};
  int n = 0;
  for (int y = 0; y < v.h; ++y) {
    const std::uint32_t* r = v.row32(y);
    std::uint32_t last = ~r[0];
    for (int x = 0; x < v.w; ++x) {
      std::uint32_t c = r[x];
      if (c == last) continue;  // runs of one colour are the common case in UI and text
      last = c;
      std::uint32_t h = (c * 2654435761u) >> 22;  // 10 bits
      while (used[h] && slot[h] != c) h = (h + 1) & (kSlots - 1);
      if (!used[h]) {
        used[h] = true;
        slot[h] = c;
        if (++n > limit || n >= kSlots / 2) return std::max(n, limit + 1);
      }
    }
  }
  return n;
}

TileCodec choose_codec(const PixelView& v, const CodecPolicy& policy) {
  auto can = [&](TileCodec c) { return (policy.decodable & codec_bit(c)) != 0; };
  if (can(TileCodec::Solid) && solid_color(v)) return TileCodec::Solid;
  if (policy.forced && can(*policy.forced) && *policy.forced != TileCodec::Solid && *policy.forced != TileCodec::Palette)
    return *policy.forced;
  const int colors = count_colors(v, kPhotoColors);
  if (policy.lossy && can(TileCodec::Jpeg) && colors > kPhotoColors && !policy.forced) return TileCodec::Jpeg;
  // Few colours: palette indexes (1 to 8 bits a pixel) compress far better than BGR.
  if (colors <= kPhotoColors && can(TileCodec::Palette) && (!policy.forced || policy.forced == TileCodec::Palette))
    return TileCodec::Palette;
  if (can(TileCodec::Zstd)) return TileCodec::Zstd;
  return TileCodec::Raw;
}

namespace {

// JPEG as this viewer takes it: arithmetic-coded when it decodes that and the policy
// asks for it (the fewest bytes for the same pixels), else without the standard tables
// when it decodes that, else whole.
EncodedTile jpeg_for(const PixelView& v, const CodecPolicy& policy, const EncodeParams& params) {
  if (policy.jpeg_arithmetic && (policy.decodable & codec_bit(TileCodec::JpegArith)))
    return {TileCodec::JpegArith, encode_jpeg_arith(v, params.jpeg_quality, params.subsampling)};
  Bytes full = encode_jpeg(v, params.jpeg_quality, params.subsampling);
  if (policy.decodable & codec_bit(TileCodec::JpegAbbrev))
    if (auto a = abbreviate_jpeg(full, params.jpeg_quality)) return {TileCodec::JpegAbbrev, std::move(*a)};
  return {TileCodec::Jpeg, std::move(full)};
}

// What JPEG itself pays, in bytes, per unit of squared error (summed over B, G and R) it
// removes when its quality goes up a step: the slope of its rate-distortion curve on the
// photo app's tiles (docs/benchmarks.md, "Photo and video"), interpolated between the
// measured qualities.
double jpeg_error_price(int quality) {
  constexpr std::pair<int, double> kSlope[] = {{80, 0.006}, {85, 0.012}, {90, 0.028}, {92, 0.054}};
  if (quality <= kSlope[0].first) return kSlope[0].second;
  for (std::size_t i = 1; i < std::size(kSlope); ++i)
    if (quality <= kSlope[i].first) {
      const auto [q0, p0] = kSlope[i - 1];
      const auto [q1, p1] = kSlope[i];
      return p0 + (p1 - p0) * (quality - q0) / (q1 - q0);
    }
  return kSlope[std::size(kSlope) - 1].second;
}

// Whether a tile that also fits a palette goes as JPEG. Exact pixels cost `lossless`
// bytes; JPEG saves some and leaves an error. It wins when the bytes saved are worth
// more than that error at JPEG's own price: taking the exact tile is then a cheaper way
// to lose that error than a higher quality everywhere would be.
bool jpeg_wins(const PixelView& v, const EncodedTile& jpeg, std::size_t lossless, int quality) {
  if (jpeg.payload.size() >= lossless) return false;
  thread_local Surface back;
  if (back.width() != v.w || back.height() != v.h) back = Surface(v.w, v.h);
  decode_tile(jpeg.codec, jpeg.payload, back.mutable_view(back.bounds()));
  return static_cast<double>(lossless - jpeg.payload.size()) > jpeg_error_price(quality) * squared_error(v, back.view());
}

}  // namespace

std::optional<EncodedTile> encode_chosen(TileCodec chosen, const PixelView& v, int x, int y, const CodecPolicy& policy,
                                         const EncodeParams& params) {
  if (chosen == TileCodec::Jpeg) return jpeg_for(v, policy, params);
  if (chosen != TileCodec::Palette) return EncodedTile{chosen, encode_tile(chosen, v, params)};
  const bool try_zstd = !policy.forced && (policy.decodable & codec_bit(TileCodec::Zstd));
  const bool try_jpeg = !policy.forced && policy.lossy && (policy.decodable & codec_bit(TileCodec::Jpeg));
  TileCodec known = TileCodec::Raw;  // Raw: no winner known, measure
  if ((try_zstd || try_jpeg) && policy.memory)
    if (auto w = policy.memory->winner(x, y)) known = *w;
  // A winner remembered under other rules (JPEG, while this is a lossless refresh of a
  // lossy viewer's tile) is no answer here: measure again.
  if ((known == TileCodec::Jpeg && !try_jpeg) || (known == TileCodec::Zstd && !try_zstd)) known = TileCodec::Raw;
  if (known == TileCodec::Zstd || known == TileCodec::Jpeg) {
    policy.memory->used(x, y);
    if (known == TileCodec::Jpeg) return jpeg_for(v, policy, params);
    return EncodedTile{known, encode_tile(known, v, params)};
  }
  auto pal = encode_palette(v, params.zstd_level);
  if (!pal) return std::nullopt;
  if (!try_zstd && !try_jpeg) return EncodedTile{TileCodec::Palette, std::move(*pal)};
  constexpr int kAlwaysPaletteColors = 16;  // 4-bit indexes or fewer: the palette wins
  if (known == TileCodec::Palette || (*pal)[0] + 1 <= kAlwaysPaletteColors) {
    if (known == TileCodec::Palette) policy.memory->used(x, y);
    else if (policy.memory) policy.memory->record(x, y, TileCodec::Palette);
    return EncodedTile{TileCodec::Palette, std::move(*pal)};
  }
  EncodedTile best{TileCodec::Palette, std::move(*pal)};
  if (try_zstd) {
    Bytes z = encode_zstd(v, params.zstd_level);
    if (z.size() < best.payload.size()) best = {TileCodec::Zstd, std::move(z)};
  }
  if (try_jpeg) {
    EncodedTile j = jpeg_for(v, policy, params);
    if (jpeg_wins(v, j, best.payload.size(), params.jpeg_quality)) best = std::move(j);
  }
  // Remembered as the codec choose_codec speaks of, however it went on the wire.
  if (policy.memory) policy.memory->record(x, y, is_lossy_codec(best.codec) ? TileCodec::Jpeg : best.codec);
  return best;
}

}  // namespace rd
