#pragma once
#include <cstdint>
#include <memory>
#include <optional>

#include "codecs/cost_memory.hpp"
#include "codecs/pixel_view.hpp"
#include "codecs/tile_cache.hpp"
#include "codecs/tile_codec.hpp"
#include "protocol/messages.hpp"

namespace rd {

// What a viewer accepts, from its hello: which codecs, whether lossy is allowed.
struct CodecPolicy {
  std::uint32_t decodable = 0;                // codec_bit mask
  bool lossy = false;                         // quality < 100
  std::optional<TileCodec> forced;            // every non-solid tile in this codec
  std::shared_ptr<CostMemory> memory = nullptr;  // palette-or-zstd winners by position; none: always measure
  // JPEG arithmetic-coded when the viewer decodes jpeg-arith; false: Huffman-coded, the
  // cheaper to encode and decode (the server's JpegCodingGate decides).
  bool jpeg_arithmetic = true;
  // The viewer's tile cache as the server mirrors it, read-only while encoding; none:
  // the viewer has no cache.
  std::shared_ptr<const TileCacheModel> tile_cache = nullptr;
  // Encoded tiles shared with the server's other viewers (none: encode every time).
  std::shared_ptr<class EncodeCache> shared_encodes = nullptr;
};

// The colour of v when every pixel has it.
std::optional<std::uint32_t> solid_color(const PixelView& v);

// Distinct colours in v, counting stops once `limit` is passed (returns limit + 1).
int count_colors(const PixelView& v, int limit);

// A tile's codec: solid when it is one colour, palette for up to 256 colours, JPEG for
// photo-like content when lossy is allowed, zstd otherwise (raw when the viewer decodes
// nothing better). A forced codec applies to every tile that is not solid (a forced
// palette only to tiles of up to 256 colours).
TileCodec choose_codec(const PixelView& v, const CodecPolicy& policy);

struct EncodedTile {
  TileCodec codec;
  Bytes payload;
};

// Encodes v, whose top-left pixel is (x, y) on the screen, in `chosen` (what
// choose_codec said for it). A palette of more than 16 colours is measured against zstd
// and the smaller payload kept: the 8-bit indexes of smooth content (gradients, video)
// plus up to 768 bytes of palette often lose to zstd on the BGR bytes, while for text
// and UI the palette wins by far. For a lossy viewer JPEG competes too, and wins only
// when the bytes it saves outweigh the error it leaves at that quality (a
// rate-distortion choice, tile_classifier.cpp). policy.memory remembers the winner per position, so
// the loser is only encoded again every CostMemory::kRemeasureEvery-th time. Nothing
// when `chosen` is Palette and v has more than 256 colours (a caller merging tiles then
// encodes them one by one).
std::optional<EncodedTile> encode_chosen(TileCodec chosen, const PixelView& v, int x, int y, const CodecPolicy& policy,
                                         const EncodeParams& params);

// Colours above which a tile counts as photo-like.
constexpr int kPhotoColors = 256;

}  // namespace rd
