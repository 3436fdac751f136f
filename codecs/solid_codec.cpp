#include <string>

#include "codecs/tile_codec.hpp"

namespace rd {

Bytes encode_solid(std::uint32_t bgra) {
  return {static_cast<std::uint8_t>(bgra), static_cast<std::uint8_t>(bgra >> 8), static_cast<std::uint8_t>(bgra >> 16),
          static_cast<std::uint8_t>(bgra >> 24)};
}

void decode_solid(ByteView payload, const MutablePixelView& dst) {
  if (payload.size() != 4) throw DecodeError("solid tile: " + std::to_string(payload.size()) + " bytes, want 4");
  std::uint32_t c = static_cast<std::uint32_t>(payload[0]) | static_cast<std::uint32_t>(payload[1]) << 8 |
                    static_cast<std::uint32_t>(payload[2]) << 16 | 0xFF000000u;
  for (int y = 0; y < dst.h; ++y) {
    std::uint32_t* d = dst.row32(y);
    for (int x = 0; x < dst.w; ++x) d[x] = c;
  }
}

}  // namespace rd
