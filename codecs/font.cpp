#include "codecs/font.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <cstdlib>
#include <stdexcept>

namespace rd {

struct FontCache::Impl {
  FT_Library lib = nullptr;
  FT_Face faces[3] = {nullptr, nullptr, nullptr};
  ~Impl() {
    for (FT_Face f : faces)
      if (f) FT_Done_Face(f);
    if (lib) FT_Done_FreeType(lib);
  }
  FT_Face face(FontFace f, int px) {
    FT_Face ff = faces[static_cast<int>(f)];
    FT_Set_Pixel_Sizes(ff, 0, static_cast<FT_UInt>(px));
    return ff;
  }
};

std::string default_font_dir() {
  if (const char* env = std::getenv("RDISPLAY_FONT_DIR")) return env;
  return RDISPLAY_FONT_DIR;
}

FontCache::FontCache(std::string dir) : impl_(std::make_unique<Impl>()) {
  if (FT_Init_FreeType(&impl_->lib)) throw std::runtime_error("FreeType initialisation failed");
  const char* files[3] = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"};
  for (int i = 0; i < 3; ++i) {
    std::string path = dir + "/" + files[i];
    if (FT_New_Face(impl_->lib, path.c_str(), 0, &impl_->faces[i]))
      throw std::runtime_error("cannot load font " + path + " (apt-get install fonts-dejavu-core)");
  }
}

FontCache::~FontCache() = default;

FontMetrics FontCache::metrics(FontFace f, int px) {
  FT_Face face = impl_->face(f, px);
  FontMetrics m;
  m.ascent = static_cast<int>(face->size->metrics.ascender >> 6);
  m.descent = static_cast<int>(-(face->size->metrics.descender >> 6));
  m.line_height = static_cast<int>(face->size->metrics.height >> 6);
  return m;
}

const Glyph& FontCache::glyph(FontFace f, int px, char32_t cp) {
  auto key = std::make_tuple(static_cast<int>(f), px, cp);
  auto it = glyphs_.find(key);
  if (it != glyphs_.end()) return it->second;
  FT_Face face = impl_->face(f, px);
  Glyph g;
  if (FT_Load_Char(face, cp, FT_LOAD_RENDER | FT_LOAD_TARGET_NORMAL) == 0) {
    const FT_Bitmap& bm = face->glyph->bitmap;
    g.left = face->glyph->bitmap_left;
    g.top = face->glyph->bitmap_top;
    g.advance = static_cast<int>(face->glyph->advance.x >> 6);
    if (bm.pixel_mode == FT_PIXEL_MODE_GRAY && bm.width > 0 && bm.rows > 0) {
      g.mask.w = static_cast<int>(bm.width);
      g.mask.h = static_cast<int>(bm.rows);
      g.mask.a.resize(static_cast<std::size_t>(g.mask.w) * g.mask.h);
      for (int y = 0; y < g.mask.h; ++y)
        for (int x = 0; x < g.mask.w; ++x)
          g.mask.a[static_cast<std::size_t>(y) * g.mask.w + x] = bm.buffer[y * bm.pitch + x];
    }
  }
  g.id = next_id_++;
  auto def = std::make_shared<GlyphDefineOp>();
  def->id = g.id;
  def->left = g.left;
  def->top = g.top;
  def->advance = g.advance;
  def->w = g.mask.w;
  def->h = g.mask.h;
  def->mask = std::make_shared<const Bytes>(g.mask.a);
  g.define = std::move(def);
  return glyphs_.emplace(key, std::move(g)).first->second;
}

}  // namespace rd
