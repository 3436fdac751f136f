#include "client/hud.hpp"

#include <algorithm>

#include "codecs/raster.hpp"
#include "protocol/keysym.hpp"

namespace rd {

HudPainter::HudPainter() : fonts_(default_font_dir()) {}

Surface HudPainter::paint(const std::vector<std::string>& lines, int px) {
  const FontMetrics m = fonts_.metrics(FontFace::Mono, px);
  const int pad = std::max(4, px / 2);
  int width = 0;
  std::vector<std::u32string> decoded;
  for (const std::string& l : lines) {
    decoded.push_back(utf8_decode(l));
    int w = 0;
    for (char32_t cp : decoded.back()) w += fonts_.glyph(FontFace::Mono, px, cp).advance;
    width = std::max(width, w);
  }
  Surface s(width + 2 * pad, static_cast<int>(lines.size()) * m.line_height + 2 * pad);
  fill_rect(s, s.bounds(), rgb(16, 16, 24), s.bounds());
  int baseline = pad + m.ascent;
  for (const std::u32string& l : decoded) {
    int pen = pad;
    for (char32_t cp : l) {
      const Glyph& g = fonts_.glyph(FontFace::Mono, px, cp);
      blend_mask(s, pen + g.left, baseline - g.top, g.mask, rgb(120, 255, 140), s.bounds());
      pen += g.advance;
    }
    baseline += m.line_height;
  }
  return s;
}

}  // namespace rd
