#pragma once
#include <cstdint>
#include <optional>

#include "codecs/pixel_view.hpp"
#include "protocol/messages.hpp"

namespace rd {

// What a viewer accepts, from its hello: which codecs, whether lossy is allowed.
struct CodecPolicy {
  std::uint32_t decodable = 0;                // codec_bit mask
  bool lossy = false;                         // quality < 100
  std::optional<TileCodec> forced;            // every non-solid tile in this codec
};

// The colour of v when every pixel has it.
std::optional<std::uint32_t> solid_color(const PixelView& v);

// Distinct colours in v, counting stops once `limit` is passed (returns limit + 1).
int count_colors(const PixelView& v, int limit);

// A tile's codec: solid when it is one colour, JPEG for photo-like content when lossy
// is allowed, zstd otherwise (raw when the viewer decodes nothing better).
TileCodec choose_codec(const PixelView& v, const CodecPolicy& policy);

// Colours above which a tile counts as photo-like.
constexpr int kPhotoColors = 256;

}  // namespace rd
