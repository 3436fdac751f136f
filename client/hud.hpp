#pragma once
#include <string>
#include <vector>

#include "codecs/font.hpp"
#include "codecs/surface.hpp"

namespace rd {

// The heads-up display: a few lines of monospaced text on a dark panel, drawn with the
// same FreeType glyphs and rasterizer as the apps, into a Surface the window uploads.
class HudPainter {
 public:
  HudPainter();
  // A panel just large enough for the lines; `px` is the font size in drawable pixels.
  Surface paint(const std::vector<std::string>& lines, int px);

 private:
  FontCache fonts_;
};

}  // namespace rd
