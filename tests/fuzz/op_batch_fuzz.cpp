// Fuzz target: an OpsBatch body as a viewer receives it: inflated, parsed, and every op
// rasterized onto a small screen (glyphs defined by the batch itself).
#include <cstdint>

#include "codecs/op_batch.hpp"
#include "codecs/op_raster.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rd::Surface screen(200, 120);
  rd::GlyphStore glyphs(64 * 1024);
  rd::OpRasterizer raster(glyphs);
  try {
    for (const rd::Op& op : rd::decode_ops_batch(rd::ByteView(data, size))) raster.apply(screen, op);
  } catch (const rd::DecodeError&) {
  }
  return 0;
}
