#include "codecs/tile_classifier.hpp"

#include <algorithm>
#include <array>

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
    for (int x = 0; x < v.w; ++x) {
      std::uint32_t c = r[x];
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
  if (policy.forced && can(*policy.forced) && *policy.forced != TileCodec::Solid) return *policy.forced;
  if (policy.lossy && can(TileCodec::Jpeg) && count_colors(v, kPhotoColors) > kPhotoColors) return TileCodec::Jpeg;
  if (can(TileCodec::Zstd)) return TileCodec::Zstd;
  return TileCodec::Raw;
}

}  // namespace rd
