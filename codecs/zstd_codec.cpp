#include <zstd.h>

#include <memory>
#include <string>

#include "codecs/tile_codec.hpp"
#include "codecs/zstd_contexts.hpp"

namespace rd {

// Packed BGR: the alpha byte is always 0xFF and would only cost zstd time.
Bytes encode_zstd(const PixelView& src, int level) {
  Bytes bgr(static_cast<std::size_t>(src.w) * src.h * 3);
  std::uint8_t* o = bgr.data();
  for (int y = 0; y < src.h; ++y) {
    const std::uint8_t* s = src.row(y);
    for (int x = 0; x < src.w; ++x, s += 4, o += 3) {
      o[0] = s[0];
      o[1] = s[1];
      o[2] = s[2];
    }
  }
  Bytes out(ZSTD_compressBound(bgr.size()));
  std::size_t n = ZSTD_compressCCtx(zstd_contexts().c.get(), out.data(), out.size(), bgr.data(), bgr.size(), level);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

void decode_zstd(ByteView payload, const MutablePixelView& dst) {
  std::size_t want = static_cast<std::size_t>(dst.w) * dst.h * 3;
  unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) throw DecodeError("zstd tile: not a zstd frame");
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) throw DecodeError("zstd tile: frame without a content size");
  if (size != want)
    throw DecodeError("zstd tile: content size " + std::to_string(size) + " for a " + std::to_string(dst.w) + "x" +
                      std::to_string(dst.h) + " rectangle");
  thread_local Bytes bgr;
  bgr.resize(want);
  std::size_t n = ZSTD_decompressDCtx(zstd_contexts().d.get(), bgr.data(), bgr.size(), payload.data(), payload.size());
  if (ZSTD_isError(n)) throw DecodeError(std::string("zstd tile: ") + ZSTD_getErrorName(n));
  if (n != want) throw DecodeError("zstd tile: decompressed to a different size than announced");
  const std::uint8_t* s = bgr.data();
  for (int y = 0; y < dst.h; ++y) {
    std::uint32_t* d = dst.row32(y);
    for (int x = 0; x < dst.w; ++x, s += 3)
      d[x] = static_cast<std::uint32_t>(s[0]) | static_cast<std::uint32_t>(s[1]) << 8 |
             static_cast<std::uint32_t>(s[2]) << 16 | 0xFF000000u;
  }
}

}  // namespace rd
