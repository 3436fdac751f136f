#include "codecs/glyph_cache.hpp"

#include <string>

namespace rd {

void GlyphStore::define(const GlyphDefineOp& d) {
  StoredGlyph g;
  g.mask.w = d.w;
  g.mask.h = d.h;
  if (d.mask) g.mask.a = *d.mask;
  if (g.mask.a.size() != static_cast<std::size_t>(d.w) * d.h) throw DecodeError("glyph mask of the wrong size");
  g.left = d.left;
  g.top = d.top;
  g.advance = d.advance;
  for (std::uint32_t gone : model_.insert(d.id, GlyphCacheModel::cost(d.w, d.h))) glyphs_.erase(gone);
  glyphs_[d.id] = std::move(g);
}

const StoredGlyph& GlyphStore::use(std::uint32_t id) {
  if (!model_.touch(id)) throw DecodeError("glyph " + std::to_string(id) + " used but not defined (or evicted)");
  return glyphs_.at(id);
}

const StoredGlyph* GlyphStore::peek(std::uint32_t id) const {
  auto it = glyphs_.find(id);
  return it == glyphs_.end() ? nullptr : &it->second;
}

}  // namespace rd
