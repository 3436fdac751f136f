// Fuzz target: every tile codec's decoder. Byte 0 picks the codec, bytes 1 and 2 the
// tile's width and height (1..64), the rest is the payload, decoded into a screen.
#include <cstdint>

#include "codecs/surface.hpp"
#include "codecs/tile_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  auto codec = static_cast<rd::TileCodec>(data[0] % rd::kTileCodecCount);
  int w = 1 + data[1] % 64, h = 1 + data[2] % 64;
  rd::Surface screen(96, 96);
  try {
    rd::decode_tile(codec, rd::ByteView(data + 3, size - 3), screen.mutable_view({5, 7, w, h}));
  } catch (const rd::DecodeError&) {
  }
  return 0;
}
