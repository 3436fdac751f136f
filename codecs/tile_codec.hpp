#pragma once
#include <cstdint>
#include <optional>

#include "codecs/pixel_view.hpp"
#include "protocol/bytes.hpp"
#include "protocol/handshake.hpp"
#include "protocol/messages.hpp"

namespace rd {

struct EncodeParams {
  int jpeg_quality = 80;                       // 1..100
  Subsampling subsampling = Subsampling::S420;  // JPEG chroma subsampling
  int zstd_level = 1;
};

// Payload formats (docs/protocol.md, "Tile codecs"):
//   raw   w*h*4 bytes, BGRA rows packed (alpha ignored)
//   solid 4 bytes, one BGRA pixel
//   zstd  one zstd frame holding w*h*3 bytes of packed BGR rows, content size in the header
//   jpeg  one baseline JFIF image of exactly w x h
//   palette  u8 colours-1, that many BGR triples, then one zstd frame of the pixels'
//         palette indexes, packed 1, 2, 4 or 8 bits each (for up to 2, 4, 16, 256
//         colours), most significant bits first, each row padded to a byte
//   jpeg-abbrev  u8 quality, then a baseline JPEG without its APP0, DQT and DHT
//         segments: the tables are Annex K's at that quality (IJG scaling), which the
//         decoder puts back (docs/protocol.md)
//   jpeg-arith  as jpeg-abbrev, but the JPEG is arithmetic-coded (SOF9): no Huffman
//         tables at all, the same quantisation tables left out
Bytes encode_raw(const PixelView& src);
Bytes encode_solid(std::uint32_t bgra);
Bytes encode_zstd(const PixelView& src, int level);
Bytes encode_jpeg(const PixelView& src, int quality, Subsampling sub);
Bytes encode_jpeg_abbrev(const PixelView& src, int quality, Subsampling sub);
Bytes encode_jpeg_arith(const PixelView& src, int quality, Subsampling sub);
// The tables libjpeg writes at `quality` (2 DQT and 4 DHT segments, markers included);
// abbreviate_jpeg turns a JFIF stream into a jpeg-abbrev payload, nothing when the
// stream's tables are not exactly those.
const Bytes& jpeg_standard_tables(int quality);
std::optional<Bytes> abbreviate_jpeg(ByteView jfif, int quality);
// Nothing when src has more than 256 colours.
std::optional<Bytes> encode_palette(const PixelView& src, int level);

// Decoders write w*h pixels into dst (alpha forced to 0xFF) and throw DecodeError when
// the payload is malformed, truncated or of another size than dst.
void decode_raw(ByteView payload, const MutablePixelView& dst);
void decode_solid(ByteView payload, const MutablePixelView& dst);
void decode_zstd(ByteView payload, const MutablePixelView& dst);
void decode_jpeg(ByteView payload, const MutablePixelView& dst);
void decode_palette(ByteView payload, const MutablePixelView& dst);
void decode_jpeg_abbrev(ByteView payload, const MutablePixelView& dst);
void decode_jpeg_arith(ByteView payload, const MutablePixelView& dst);
// Both: u8 quality, then a JPEG whose tables at that quality the decoder puts back.
// `codec` names the payload in errors.
void decode_jpeg_without_tables(ByteView payload, const MutablePixelView& dst, const char* codec);

// Dispatch on the codec id. encode_tile with Solid takes the colour of the first pixel.
Bytes encode_tile(TileCodec codec, const PixelView& src, const EncodeParams& params);
void decode_tile(TileCodec codec, ByteView payload, const MutablePixelView& dst);

// Codecs this build decodes, as a hello codec mask.
constexpr std::uint32_t kAllCodecs =
    codec_bit(TileCodec::Raw) | codec_bit(TileCodec::Solid) | codec_bit(TileCodec::Zstd) | codec_bit(TileCodec::Jpeg) |
    codec_bit(TileCodec::Palette) | codec_bit(TileCodec::JpegAbbrev) | codec_bit(TileCodec::JpegArith);

// Largest rectangle a decoder accepts: caps the memory a hostile payload can claim.
constexpr int kMaxTileSide = 4096;

}  // namespace rd
