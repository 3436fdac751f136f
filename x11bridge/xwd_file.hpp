#pragma once
#include <string>

#include "codecs/surface.hpp"

namespace rd {

// Reads an XWD file (what `xwd -root` writes): 32-bit TrueColor ZPixmap only. Tests and
// the bench compare it with what viewers received.
// Throws std::runtime_error for anything else.
Surface read_xwd(const std::string& path);

}  // namespace rd
