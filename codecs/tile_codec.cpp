#include "codecs/tile_codec.hpp"

#include <string>

namespace rd {

Bytes encode_tile(TileCodec codec, const PixelView& src, const EncodeParams& p) {
  switch (codec) {
    case TileCodec::Raw: return encode_raw(src);
    case TileCodec::Solid: return encode_solid(src.row32(0)[0]);
    case TileCodec::Zstd: return encode_zstd(src, p.zstd_level);
    case TileCodec::Jpeg: return encode_jpeg(src, p.jpeg_quality, p.subsampling);
    case TileCodec::JpegAbbrev: return encode_jpeg_abbrev(src, p.jpeg_quality, p.subsampling);
    case TileCodec::JpegArith: return encode_jpeg_arith(src, p.jpeg_quality, p.subsampling);
    case TileCodec::Palette: {
      auto b = encode_palette(src, p.zstd_level);
      if (!b) throw std::invalid_argument("palette codec for a rectangle of more than 256 colours");
      return std::move(*b);
    }
  }
  throw std::invalid_argument("unknown tile codec");
}

void decode_tile(TileCodec codec, ByteView payload, const MutablePixelView& dst) {
  if (dst.w <= 0 || dst.h <= 0 || dst.w > kMaxTileSide || dst.h > kMaxTileSide)
    throw DecodeError("tile of " + std::to_string(dst.w) + "x" + std::to_string(dst.h) + " pixels is out of range");
  switch (codec) {
    case TileCodec::Raw: return decode_raw(payload, dst);
    case TileCodec::Solid: return decode_solid(payload, dst);
    case TileCodec::Zstd: return decode_zstd(payload, dst);
    case TileCodec::Jpeg: return decode_jpeg(payload, dst);
    case TileCodec::Palette: return decode_palette(payload, dst);
    case TileCodec::JpegAbbrev: return decode_jpeg_abbrev(payload, dst);
    case TileCodec::JpegArith: return decode_jpeg_arith(payload, dst);
  }
  throw DecodeError("unknown tile codec " + std::to_string(static_cast<int>(codec)));
}

}  // namespace rd
