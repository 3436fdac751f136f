#pragma once
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "codecs/raster.hpp"
#include "protocol/ops.hpp"

namespace rd {

enum class FontFace { Sans = 0, SansBold = 1, Mono = 2 };

struct Glyph {
  std::uint32_t id = 0;  // unique per FontCache: how command encoding names it
  std::shared_ptr<const GlyphDefineOp> define;  // the definition a viewer needs, made once
  AlphaMask mask;
  int left = 0;     // from the pen position to the mask's left edge
  int top = 0;      // from the baseline up to the mask's top edge
  int advance = 0;  // pen advance in pixels
};

struct FontMetrics {
  int ascent = 0, descent = 0, line_height = 0;
};

// Glyphs rasterized once with FreeType (DejaVu from Debian's fonts-dejavu-core) and
// kept as alpha masks. Not thread-safe: each app thread owns one.
class FontCache {
 public:
  explicit FontCache(std::string font_dir);
  ~FontCache();
  FontCache(const FontCache&) = delete;
  FontCache& operator=(const FontCache&) = delete;

  const Glyph& glyph(FontFace face, int px, char32_t cp);
  FontMetrics metrics(FontFace face, int px);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::map<std::tuple<int, int, char32_t>, Glyph> glyphs_;
  std::uint32_t next_id_ = 1;
};

// The folder the build found the fonts in (overridable with RDISPLAY_FONT_DIR).
std::string default_font_dir();

}  // namespace rd
