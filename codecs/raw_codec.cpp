#include <cstring>
#include <string>

#include "codecs/tile_codec.hpp"

namespace rd {

Bytes encode_raw(const PixelView& src) {
  Bytes out(static_cast<std::size_t>(src.w) * src.h * 4);
  for (int y = 0; y < src.h; ++y)
    std::memcpy(out.data() + static_cast<std::size_t>(y) * src.w * 4, src.row(y), static_cast<std::size_t>(src.w) * 4);
  return out;
}

void decode_raw(ByteView payload, const MutablePixelView& dst) {
  std::size_t want = static_cast<std::size_t>(dst.w) * dst.h * 4;
  if (payload.size() != want)
    throw DecodeError("raw tile: " + std::to_string(payload.size()) + " bytes for a " + std::to_string(dst.w) + "x" +
                      std::to_string(dst.h) + " rectangle (want " + std::to_string(want) + ")");
  for (int y = 0; y < dst.h; ++y) {
    std::uint32_t* d = dst.row32(y);
    std::memcpy(d, payload.data() + static_cast<std::size_t>(y) * dst.w * 4, static_cast<std::size_t>(dst.w) * 4);
    for (int x = 0; x < dst.w; ++x) d[x] |= 0xFF000000u;
  }
}

}  // namespace rd
