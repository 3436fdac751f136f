#pragma once
#include <string>

#include "codecs/surface.hpp"

namespace rd::test {

// Reads an XWD file (what `xwd -root` writes): 24/32-bit TrueColor ZPixmap only.
// Throws std::runtime_error for anything else.
Surface read_xwd(const std::string& path);

}  // namespace rd::test
