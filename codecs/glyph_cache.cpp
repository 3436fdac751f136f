#include "codecs/glyph_cache.hpp"

#include <string>

namespace rd {

bool GlyphCacheModel::touch(std::uint32_t id) {
  auto it = where_.find(id);
  if (it == where_.end()) return false;
  lru_.splice(lru_.begin(), lru_, it->second);
  return true;
}

std::vector<std::uint32_t> GlyphCacheModel::insert(std::uint32_t id, std::size_t bytes) {
  if (auto it = where_.find(id); it != where_.end()) {
    used_ -= it->second->bytes;
    lru_.erase(it->second);
    where_.erase(it);
  }
  lru_.push_front({id, bytes});
  where_[id] = lru_.begin();
  used_ += bytes;
  std::vector<std::uint32_t> evicted;
  while (used_ > budget_ && lru_.size() > 1) {
    const Entry& last = lru_.back();
    used_ -= last.bytes;
    evicted.push_back(last.id);
    where_.erase(last.id);
    lru_.pop_back();
  }
  return evicted;
}

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
