#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "codecs/lru_model.hpp"
#include "codecs/raster.hpp"
#include "protocol/ops.hpp"

namespace rd {

// The glyph cache both ends keep in step: least-recently-used by id under a byte
// budget. The viewer applies it to the op stream (GlyphDefine inserts, GlyphRun uses);
// the server runs an identical model per viewer over the ops it sends, so it knows
// which glyphs the viewer holds and defines each only when it is missing.
// The cache budget both ends use for a hello's glyph_cache_kib: clamped to 1..64 MiB.
inline std::size_t glyph_cache_bytes(std::uint32_t kib) {
  constexpr std::size_t lo = 1u << 20, hi = 64u << 20;
  std::size_t b = static_cast<std::size_t>(kib) * 1024;
  return b < lo ? lo : b > hi ? hi : b;
}

class GlyphCacheModel : public LruModel<std::uint32_t> {
 public:
  using LruModel::LruModel;
  static std::size_t cost(int w, int h) { return static_cast<std::size_t>(w) * h + 32; }
};

struct StoredGlyph {
  AlphaMask mask;
  int left = 0, top = 0, advance = 0;
};

// The viewer's glyphs: the model plus the masks it holds.
class GlyphStore {
 public:
  explicit GlyphStore(std::size_t budget_bytes) : model_(budget_bytes) {}
  void define(const GlyphDefineOp& d);
  // The glyph for drawing; throws DecodeError when the stream never defined it.
  const StoredGlyph& use(std::uint32_t id);
  const StoredGlyph* peek(std::uint32_t id) const;
  std::size_t size() const { return glyphs_.size(); }

 private:
  GlyphCacheModel model_;
  std::unordered_map<std::uint32_t, StoredGlyph> glyphs_;
};

}  // namespace rd
